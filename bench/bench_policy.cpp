// Policy engine benchmark: decisions against N realistic agent policies (tool allow-lists,
// argument checks with `like` and context.input, team membership via `in`, time windows), with
// per-decision timings reduced to p50/p99 counters, and the parse time of 10,000 policies.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <random>
#include <string>
#include <vector>

#include "portcullis/policy/api.hpp"

namespace {

using namespace portcullis;

// prefix + number, without `"literal" + std::string` (which trips GCC 12's -Wrestrict).
std::string tag(const char* prefix, int n) {
  std::string out(prefix);
  out += std::to_string(n);
  return out;
}

// The organisation grows with the policy set, as it would: a team per 20 policies, a server per
// 40, so policies are distinct rules rather than copies of a few.
struct Shape {
  int teams;
  int servers;
  static constexpr int kAgents = 2000;
  explicit Shape(int n) : teams(std::max(10, n / 20)), servers(std::max(5, n / 40)) {}
  [[nodiscard]] int team_of_rule(int j) const { return j % teams; }
  [[nodiscard]] int tool_server(int j) const { return j % servers; }
  [[nodiscard]] int read_server(int j) const { return (j / teams + j) % servers; }
};

// N policies of four kinds: for rule j = i / 4,
//  0: team j may call tool j with a path under its own prefix (like on context.input);
//  1: nobody may call tool j with amount > 1000 (argument limit);
//  2: team j may list/read a server during business hours from the internal network;
//  3: one agent may not call tools once its session has read secrets.
std::string make_policies(int n) {
  const Shape shape(n);
  std::string text;
  text.reserve(static_cast<std::size_t>(n) * 220);
  for (int i = 0; i < n; ++i) {
    const int j = i / 4;
    const std::string rule = std::to_string(j);
    const std::string team = std::to_string(shape.team_of_rule(j));
    const std::string tool = tag("s", shape.tool_server(j)) + "/tool" + rule;
    switch (i % 4) {
      case 0:
        text += "@id(\"allow-" + rule + "\")\npermit(principal in Team::\"t" + team +
                "\", action == Action::\"tools/call\", resource == Tool::\"" + tool +
                "\")\nwhen { context.input has path && context.input.path like \"/srv/t" + team +
                "/*\" };\n";
        break;
      case 1:
        text += "@id(\"limit-" + rule + "\") @reason(\"amount over limit\")\nforbid(principal, "
                "action == Action::\"tools/call\", resource == Tool::\"" + tool +
                "\")\nwhen { context.input has amount && context.input.amount > 1000 };\n";
        break;
      case 2:
        text += "@id(\"hours-" + rule + "\")\npermit(principal in Team::\"t" + team +
                "\", action in [Action::\"tools/list\", Action::\"resources/read\"], resource in "
                "Server::\"s" + std::to_string(shape.read_server(j)) +
                "\")\nwhen { context.hour >= 9 && context.hour < 17 && context.weekday <= 5 && "
                "context.source_ip.isInRange(ip(\"10.0.0.0/8\")) };\n";
        break;
      default:
        text += "@id(\"labels-" + rule + "\")\nforbid(principal == Agent::\"a" +
                std::to_string(j % Shape::kAgents) + "\", action == Action::\"tools/call\", "
                "resource)\nwhen { context.session.labels.contains(\"read-secrets\") };\n";
        break;
    }
  }
  return text;
}

std::string make_entities(int n) {
  const Shape shape(n);
  std::string text = "[";
  for (int a = 0; a < Shape::kAgents; ++a) {
    if (a > 0) text += ',';
    text += R"({"uid":{"type":"Agent","id":"a)" + std::to_string(a) +
            R"("},"attrs":{"clearance":)" + std::to_string(a % 5) +
            R"(},"parents":[{"type":"Team","id":"t)" + std::to_string(a % shape.teams) + R"("}]})";
  }
  for (int t = 0; t < shape.teams; ++t) {
    text += R"(,{"uid":{"type":"Team","id":"t)" + std::to_string(t) +
            R"("},"attrs":{},"parents":[{"type":"Org","id":"org"}]})";
  }
  text += "]";
  return text;
}

// Requests aimed at the rules (an agent of the rule's team, its tool or server), so decisions
// exercise the conditions rather than falling through: about half are allowed.
std::vector<policy::Request> make_requests(int n, std::size_t count) {
  const Shape shape(n);
  const int rules = std::max(1, n / 4);
  std::mt19937 rng(42);
  std::vector<policy::Request> out;
  out.reserve(count);
  const auto ip = *policy::Value::extension("ip", "10.1.2.3");
  const auto time = *policy::Value::extension("datetime", "2026-11-27T10:00:00Z");
  for (std::size_t i = 0; i < count; ++i) {
    const int j = static_cast<int>(rng() % static_cast<unsigned>(rules));
    const int team = shape.team_of_rule(j);
    const int members = std::max(1, (Shape::kAgents - team + shape.teams - 1) / shape.teams);
    const int agent = team + shape.teams * static_cast<int>(rng() % static_cast<unsigned>(members));
    policy::Request r;
    r.principal = {"Agent", tag("a", agent)};
    const bool read = rng() % 4 == 0;
    r.action = {"Action", read ? "tools/list" : "tools/call"};
    r.resource =
        read ? policy::EntityUid{"Server", tag("s", shape.read_server(j))}
             : policy::EntityUid{"Tool", tag("s", shape.tool_server(j)) + "/tool" +
                                             std::to_string(j)};
    auto input = policy::Value::record(
        {{"path", policy::Value::string(tag("/srv/t", team) + "/data/file.txt")},
         {"amount", policy::Value::integer(static_cast<std::int64_t>(rng() % 2000))}});
    auto session = policy::Value::record(
        {{"id", policy::Value::string("s1")},
         {"labels", policy::Value::set({policy::Value::string("read-docs")})}});
    r.context = policy::Value::record({{"input", input},
                                       {"hour", policy::Value::integer(10)},
                                       {"weekday", policy::Value::integer(3)},
                                       {"source_ip", ip},
                                       {"time", time},
                                       {"route", policy::Value::string("tools")},
                                       {"session", session}});
    out.push_back(std::move(r));
  }
  return out;
}

void BM_Decision(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  Diagnostics d;
  auto set = policy::PolicySet::parse({{"bench.cedar", make_policies(n)}}, d);
  auto entities = policy::Entities::from_json_text(make_entities(n), "bench.json", d);
  if (!set || !entities) {
    state.SkipWithError("workload did not load");
    return;
  }
  const policy::Authorizer authorizer(set, entities, {});
  const auto requests = make_requests(n, 4096);
  std::vector<double> ns;
  ns.reserve(1 << 20);
  std::size_t i = 0;
  std::size_t allowed = 0;
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    auto response = authorizer.is_authorized(requests[i++ & 4095]);
    const auto stop = std::chrono::steady_clock::now();
    allowed += response.decision == policy::Decision::Allow ? 1 : 0;
    benchmark::DoNotOptimize(response);
    if (ns.size() < ns.capacity()) {
      ns.push_back(std::chrono::duration<double, std::nano>(stop - start).count());
    }
  }
  std::sort(ns.begin(), ns.end());
  const auto pct = [&ns](double p) {
    return ns.empty() ? 0.0 : ns[std::min(ns.size() - 1, static_cast<std::size_t>(p * ns.size()))];
  };
  state.counters["p50_ns"] = pct(0.50);
  state.counters["p99_ns"] = pct(0.99);
  state.counters["decisions/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["allow_pct"] =
      100.0 * static_cast<double>(allowed) / static_cast<double>(std::max<std::size_t>(i, 1));
}
BENCHMARK(BM_Decision)->Arg(10)->Arg(100)->Arg(1000)->Arg(10000)->MinTime(1.0);

void BM_Parse(benchmark::State& state) {
  const std::string text = make_policies(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    Diagnostics d;
    auto set = policy::PolicySet::parse({{"bench.cedar", text}}, d);
    if (!set) state.SkipWithError("parse failed");
    benchmark::DoNotOptimize(set);
  }
  state.counters["policies/s"] = benchmark::Counter(
      static_cast<double>(state.iterations() * state.range(0)), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Parse)->Arg(10000)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
