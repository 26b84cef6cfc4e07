#include "portcullis/protocol/cedar_request.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "portcullis/policy/authorizer.hpp"
#include "portcullis/policy/policy_set.hpp"

using namespace portcullis;
using namespace portcullis::protocol;
using json = nlohmann::json;
using namespace std::chrono;

namespace {

RequestFacts facts() {
  RequestFacts f;
  f.agent = "spiffe://example.org/agent/a";
  f.source_ip = "10.1.2.3";
  f.time = sys_days{year{2026} / November / 27} + hours(23) + minutes(30) + milliseconds(5);
  f.tls.subject = "CN=a";
  f.tls.issuer = "CN=ca";
  f.tls.spiffe_id = "spiffe://example.org/agent/a";
  f.tls.sans = {"spiffe://example.org/agent/a", "a.example"};
  f.tls.not_after = sys_days{year{2027} / January / 1};
  f.route = "tools";
  f.session = {"s-1", {"echo"}, {"pii"}};
  f.rate = {12, 3};
  return f;
}

Action tools_call(json input) {
  Action a;
  a.kind = ActionKind::Request;
  a.action = "tools/call";
  a.resource = policy::EntityUid{"Tool", "tools/echo"};
  a.context = json::object({{"input", std::move(input)}});
  return a;
}

policy::Decision decide(const std::string& policy_text, const policy::Request& request) {
  Diagnostics diagnostics;
  auto policies = policy::PolicySet::parse({{"p.cedar", policy_text}}, diagnostics);
  for (const auto& d : diagnostics) {
    UNSCOPED_INFO(d.to_string());
  }
  REQUIRE(policies);
  policy::AuthorizerOptions options;
  options.gateway_additions = true;
  options.policy_errors = policy::PolicyErrors::Deny;
  options.route_protocols["tools"] = policy::Protocol::Mcp;
  policy::Authorizer authorizer(policies, std::make_shared<policy::Entities>(), options);
  return authorizer.is_authorized(request).decision;
}

}  // namespace

TEST_CASE("The Cedar request holds every common context key", "[protocol][cedar]") {
  auto request = build_cedar_request(tools_call(json::object()), facts(), config::TimeZone());
  REQUIRE(request);
  const json j = policy::request_to_json(*request);
  CHECK(j["principal"] == json::parse(R"({"type":"Agent","id":"spiffe://example.org/agent/a"})"));
  CHECK(j["action"] == json::parse(R"({"type":"Action","id":"tools/call"})"));
  CHECK(j["resource"] == json::parse(R"({"type":"Tool","id":"tools/echo"})"));
  const json& c = j["context"];
  for (const char* key : {"source_ip", "time", "hour", "weekday", "tls", "route", "session", "rate",
                          "input"}) {
    INFO(key);
    CHECK(c.contains(key));
  }
  CHECK(c["hour"] == 23);
  CHECK(c["weekday"] == 5);
  CHECK(c["route"] == "tools");
  CHECK(c["rate"] == json::parse(R"({"agent_per_minute":12,"resource_per_minute":3})"));
  CHECK(c["session"]["id"] == "s-1");
}

TEST_CASE("Hour and weekday follow the configured time zone", "[protocol][cedar]") {
  auto zone = config::TimeZone::locate("Europe/Berlin");
  REQUIRE(zone);
  auto request = build_cedar_request(tools_call(json::object()), facts(), *zone);
  REQUIRE(request);
  const json c = policy::request_to_json(*request)["context"];
  CHECK(c["hour"] == 0);
  CHECK(c["weekday"] == 6);
}

TEST_CASE("Policies can use every context key without has", "[protocol][cedar]") {
  auto request = build_cedar_request(tools_call(json::parse(R"({"n":5,"tags":["a","a"]})")),
                                     facts(), config::TimeZone());
  REQUIRE(request);
  CHECK(decide(R"(permit(principal, action, resource) when {
      context.source_ip.isInRange(ip("10.0.0.0/8")) &&
      context.time > datetime("2026-11-27") && context.hour == 23 && context.weekday == 5 &&
      context.tls.spiffe_id == "spiffe://example.org/agent/a" && context.tls.sans.contains("a.example") &&
      context.tls.not_after > context.time && context.route == "tools" &&
      context.session.tools.contains("echo") && context.session.labels.contains("pii") &&
      context.rate.agent_per_minute < 100 && context.input.n == 5 && context.input.tags == ["a"] };)",
               *request) == policy::Decision::Allow);
}

TEST_CASE("A float the agent sends is a String, and a forbid on it fails closed",
          "[protocol][cedar]") {
  auto request = build_cedar_request(tools_call(json::parse(R"({"a":5000.5})")), facts(),
                                     config::TimeZone());
  REQUIRE(request);
  CHECK(decide(R"(permit(principal, action, resource);
      forbid(principal, action, resource) when { context.input.a > 1000 };)",
               *request) == policy::Decision::Deny);
}

TEST_CASE("Cedar escapes in agent input are plain data", "[protocol][cedar]") {
  auto request = build_cedar_request(
      tools_call(json::parse(R"({"who":{"__entity":{"type":"Agent","id":"admin"}}})")), facts(),
      config::TimeZone());
  REQUIRE(request);
  CHECK(decide(R"(permit(principal, action, resource) when { context.input.who == Agent::"admin" };)",
               *request) == policy::Decision::Deny);
}

TEST_CASE("An unparsable source address fails the request", "[protocol][cedar]") {
  RequestFacts f = facts();
  f.source_ip = "not-an-ip";
  CHECK_FALSE(build_cedar_request(tools_call(json::object()), f, config::TimeZone()));
}

TEST_CASE("Datetimes are Cedar literals in UTC with milliseconds", "[protocol][cedar]") {
  CHECK(cedar_datetime(facts().time) == "2026-11-27T23:30:00.005Z");
  CHECK(cedar_datetime(system_clock::time_point{}) == "1970-01-01T00:00:00.000Z");
}

// --- The per-thread reuse of context parts (cedar_request.cpp) must never serve stale facts ---

namespace {

json context_of(const RequestFacts& f, const config::TimeZone& zone = config::TimeZone()) {
  auto request = build_cedar_request(tools_call(json::object()), f, zone);
  REQUIRE(request);
  return policy::request_to_json(*request)["context"];
}

}  // namespace

TEST_CASE("Hour and weekday change when the clock crosses an hour and a day",
          "[protocol][cedar][reuse]") {
  RequestFacts f = facts();
  f.time = sys_days{year{2026} / November / 27} + hours(23) + minutes(59) + seconds(59) +
           milliseconds(999);
  json c = context_of(f);
  CHECK(c["hour"] == 23);
  CHECK(c["weekday"] == 5);
  f.time += milliseconds(1);  // 2026-11-28T00:00:00.000Z, a Saturday
  c = context_of(f);
  CHECK(c["hour"] == 0);
  CHECK(c["weekday"] == 6);
  f.time -= milliseconds(1);  // back across the boundary (a clock step): no stale value either
  c = context_of(f);
  CHECK(c["hour"] == 23);
  CHECK(c["weekday"] == 5);
}

TEST_CASE("Every request of one second gets that second's hour, and time stays exact",
          "[protocol][cedar][reuse]") {
  RequestFacts f = facts();
  f.time = sys_days{year{2026} / November / 27} + hours(10) + milliseconds(1);
  CHECK(context_of(f)["time"]["__extn"]["args"][1]["__extn"]["arg"] == "1795773600001ms");
  f.time += milliseconds(998);
  const json c = context_of(f);
  CHECK(c["hour"] == 10);
  CHECK(c["time"]["__extn"]["args"][1]["__extn"]["arg"] == "1795773600999ms");
}

TEST_CASE("A different time zone in the same second gives that zone's hour",
          "[protocol][cedar][reuse]") {
  // A reload that changes `time_zone` must take effect on the next request.
  auto berlin = config::TimeZone::locate("Europe/Berlin");
  auto tokyo = config::TimeZone::locate("Asia/Tokyo");
  REQUIRE(berlin);
  REQUIRE(tokyo);
  const RequestFacts f = facts();  // 23:30:00.005Z on a Friday
  CHECK(context_of(f)["hour"] == 23);
  CHECK(context_of(f, *berlin)["hour"] == 0);
  CHECK(context_of(f, *berlin)["weekday"] == 6);
  CHECK(context_of(f, *tokyo)["hour"] == 8);
  CHECK(context_of(f, config::TimeZone())["hour"] == 23);
  CHECK(context_of(f, config::TimeZone())["weekday"] == 5);
}

TEST_CASE("Each connection's source address is its own, beyond the reuse capacity",
          "[protocol][cedar][reuse]") {
  RequestFacts f = facts();
  for (int round = 0; round < 2; ++round) {
    for (int host = 1; host <= 7; ++host) {
      f.source_ip = "192.0.2." + std::to_string(host);
      INFO(f.source_ip);
      CHECK(context_of(f)["source_ip"]["__extn"]["arg"] == f.source_ip + "/32");
    }
  }
  f.source_ip = "2001:db8::1";
  CHECK(context_of(f)["source_ip"]["__extn"]["arg"] == "2001:db8:0:0:0:0:0:1/128");
}

TEST_CASE("An unparsable source address fails even right after a good one",
          "[protocol][cedar][reuse]") {
  RequestFacts f = facts();
  CHECK(build_cedar_request(tools_call(json::object()), f, config::TimeZone()));
  f.source_ip = "10.1.2.3 ";
  CHECK_FALSE(build_cedar_request(tools_call(json::object()), f, config::TimeZone()));
  f.source_ip = "10.1.2.3";
  CHECK(build_cedar_request(tools_call(json::object()), f, config::TimeZone()));
}

TEST_CASE("Another client certificate gives its own tls record", "[protocol][cedar][reuse]") {
  RequestFacts a = facts();
  RequestFacts b = facts();
  b.tls.subject = "CN=b";
  b.tls.spiffe_id = "spiffe://example.org/agent/b";
  b.tls.sans = {"spiffe://example.org/agent/b"};
  const json ca = context_of(a)["tls"];
  const json cb = context_of(b)["tls"];
  CHECK(ca["subject"] == "CN=a");
  CHECK(cb["subject"] == "CN=b");
  CHECK(cb["spiffe_id"] == "spiffe://example.org/agent/b");
  CHECK(cb["sans"] == json::array({"spiffe://example.org/agent/b"}));
  CHECK(context_of(a)["tls"] == ca);
  // A renewed certificate differing only in its expiry is another record too.
  RequestFacts renewed = a;
  renewed.tls.not_after += hours(24);
  CHECK(context_of(renewed)["tls"]["not_after"] != ca["not_after"]);
  CHECK(context_of(renewed)["tls"]["not_after"]["__extn"]["args"][1]["__extn"]["arg"] ==
        "1798848000000ms");
}

TEST_CASE("Route and session facts are the request's own", "[protocol][cedar][reuse]") {
  RequestFacts f = facts();
  CHECK(context_of(f)["session"]["tools"] == json::array({"echo"}));
  f.session.tools.push_back("fetch");
  f.route = "other";
  json c = context_of(f);
  CHECK(c["session"]["tools"] == json::array({"echo", "fetch"}));
  CHECK(c["route"] == "other");
  f.session = {};
  c = context_of(f);
  CHECK(c["session"] == json::parse(R"({"id":"","tools":[],"labels":[]})"));
}

TEST_CASE("Datetimes built from milliseconds equal the parsed Cedar literal",
          "[protocol][cedar][reuse]") {
  const system_clock::time_point instants[] = {
      system_clock::time_point{},
      facts().time,
      sys_days{year{1969} / December / 31} + hours(23) + milliseconds(999),
      // Near the ends of a 64-bit nanosecond system_clock (1677-09-21 .. 2262-04-11).
      sys_days{year{1678} / January / 1} + milliseconds(1),
      sys_days{year{2262} / January / 1} + hours(23) + minutes(59) + milliseconds(999),
  };
  for (const auto when : instants) {
    const std::string text = cedar_datetime(when);
    INFO(text);
    auto parsed = policy::Value::extension("datetime", text);
    REQUIRE(parsed);
    RequestFacts f = facts();
    f.time = when;
    auto request = build_cedar_request(tools_call(json::object()), f, config::TimeZone());
    REQUIRE(request);
    CHECK(policy::request_to_json(*request)["context"]["time"] ==
          policy::value_to_cedar_json(*parsed));
  }
}

TEST_CASE("Action members are merged with the common keys in order, and a clash is refused",
          "[protocol][cedar][reuse]") {
  Action a = tools_call(json::object());
  a.context = json::object({{"aa", 1}, {"input", json::object()}, {"s", 2}, {"zz", 3}});
  auto request = build_cedar_request(a, facts(), config::TimeZone());
  REQUIRE(request);
  const json c = policy::request_to_json(*request)["context"];
  for (const char* key : {"aa", "input", "s", "zz", "hour", "weekday", "tls", "rate"}) {
    INFO(key);
    CHECK(c.contains(key));
  }
  a.context["session"] = "spoofed";
  auto clash = build_cedar_request(a, facts(), config::TimeZone());
  REQUIRE_FALSE(clash);
  CHECK(clash.error().message.find("'session' collides") != std::string::npos);
}
