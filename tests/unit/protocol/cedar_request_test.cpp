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
