// Authorizer: Cedar's decision rules, scope indexing, and the gateway-mode switch.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "portcullis/policy/api.hpp"

namespace portcullis::policy {
namespace {

struct World {
  std::shared_ptr<const PolicySet> policies;
  std::shared_ptr<const Entities> entities;
};

World world(const std::string& policies, const std::string& entities = "[]") {
  Diagnostics d;
  World w;
  w.policies = PolicySet::parse({{"t.cedar", policies}}, d);
  w.entities = Entities::from_json_text(entities, "e.json", d);
  for (const auto& x : d) FAIL(x.to_string());
  return w;
}

Request request(const std::string& json) {
  auto r = request_from_json(nlohmann::json::parse(json));
  REQUIRE(r);
  return *r;
}

const char* kAliceReads =
    R"({"principal": {"type": "Agent", "id": "alice"}, "action": {"type": "Action", "id": "read"},
        "resource": {"type": "Doc", "id": "d"}, "context": {"n": 1}})";

TEST_CASE("Default deny when no policy applies", "[policy][authorizer]") {
  auto w = world("permit(principal == Agent::\"bob\", action, resource);");
  const Authorizer a(w.policies, w.entities, {});
  const auto r = a.is_authorized(request(kAliceReads));
  CHECK(r.decision == Decision::Deny);
  CHECK(r.reasons.empty());
  CHECK(r.errors.empty());
}

TEST_CASE("A satisfied permit allows and is the reason", "[policy][authorizer]") {
  auto w = world("@id(\"p\") permit(principal, action == Action::\"read\", resource);");
  const auto r = Authorizer(w.policies, w.entities, {}).is_authorized(request(kAliceReads));
  CHECK(r.decision == Decision::Allow);
  CHECK(r.reasons == std::vector<std::string>{"p"});
}

TEST_CASE("Forbid overrides permit and only forbids are reasons", "[policy][authorizer]") {
  auto w = world(
      "@id(\"b\") permit(principal, action, resource);\n"
      "@id(\"z\") forbid(principal, action, resource) when { context.n == 1 };\n"
      "@id(\"a\") forbid(principal, action, resource is Doc);");
  const auto r = Authorizer(w.policies, w.entities, {}).is_authorized(request(kAliceReads));
  CHECK(r.decision == Decision::Deny);
  CHECK(r.reasons == std::vector<std::string>{"a", "z"});
}

TEST_CASE("An erroring policy is skipped and reported, in pure Cedar mode", "[policy][authorizer]") {
  auto w = world(
      "permit(principal, action, resource);\n"
      "forbid(principal, action, resource) when { context.n + \"x\" == 1 };\n"
      "forbid(principal, action, resource) when { principal.missing };");
  const auto r = Authorizer(w.policies, w.entities, {}).is_authorized(request(kAliceReads));
  CHECK(r.decision == Decision::Allow);
  CHECK(r.reasons == std::vector<std::string>{"policy0"});
  CHECK(r.errors == std::vector<std::string>{"policy1", "policy2"});
  REQUIRE(r.diagnostics.size() == 2);
  CHECK_THAT(r.diagnostics[0], Catch::StartsWith("policy1: type error"));
  CHECK_THAT(r.diagnostics[1], Catch::StartsWith("policy2: entity Agent::\"alice\" does not exist"));
}

TEST_CASE("policy_errors: deny turns any error into a deny", "[policy][authorizer]") {
  auto w = world(
      "permit(principal, action, resource);\n"
      "forbid(principal, action, resource) when { principal.missing };");
  AuthorizerOptions options;
  options.policy_errors = PolicyErrors::Deny;
  const auto r = Authorizer(w.policies, w.entities, options).is_authorized(request(kAliceReads));
  CHECK(r.decision == Decision::Deny);
  CHECK(r.reasons.empty());
  CHECK(r.errors == std::vector<std::string>{"policy1"});
}

TEST_CASE("Scopes match ==, in, is and is-in through the entity graph", "[policy][authorizer]") {
  auto w = world(
      R"(@id("eq") permit(principal == Agent::"alice", action, resource);
         @id("in") permit(principal in Team::"eng", action in [Action::"write", Action::"readers"], resource);
         @id("is") permit(principal is Agent, action, resource is Doc in Folder::"f");
         @id("no") permit(principal is Team, action, resource);)",
      R"([{"uid": {"type": "Agent", "id": "alice"}, "attrs": {}, "parents": [{"type": "Team", "id": "eng"}]},
          {"uid": {"type": "Action", "id": "read"}, "attrs": {}, "parents": [{"type": "Action", "id": "readers"}]},
          {"uid": {"type": "Doc", "id": "d"}, "attrs": {}, "parents": [{"type": "Folder", "id": "f"}]}])");
  const auto r = Authorizer(w.policies, w.entities, {}).is_authorized(request(kAliceReads));
  CHECK(r.reasons == std::vector<std::string>{"eq", "in", "is"});
}

TEST_CASE("The scope index finds policies keyed on every scope form", "[policy][authorizer]") {
  // Many non-matching policies around each matching one: the answer must not change.
  std::string text;
  for (int i = 0; i < 200; ++i) {
    const auto n = std::to_string(i);
    text += "permit(principal, action, resource == Doc::\"other" + n + "\");\n";
    text += "permit(principal == Agent::\"other" + n + "\", action, resource);\n";
    text += "permit(principal, action == Action::\"other" + n + "\", resource);\n";
  }
  text += "@id(\"r\") permit(principal, action, resource == Doc::\"d\");\n";
  text += "@id(\"a\") permit(principal, action in [Action::\"x\", Action::\"read\"], resource);\n";
  text += "@id(\"t\") permit(principal is Agent, action, resource);\n";
  text += "@id(\"all\") permit(principal, action, resource);\n";
  auto w = world(text);
  const auto r = Authorizer(w.policies, w.entities, {}).is_authorized(request(kAliceReads));
  CHECK(r.reasons == std::vector<std::string>{"a", "all", "r", "t"});
}

TEST_CASE("Gateway mode implies the resource's Server parent and action groups",
          "[policy][authorizer]") {
  auto w = world(
      R"(@id("server") permit(principal, action in Action::"mcp", resource in Server::"tools");
         @id("read") permit(principal, action in Action::"mcp/read", resource);)");
  const auto call = request(
      R"({"principal": {"type": "Agent", "id": "a"}, "action": {"type": "Action", "id": "tools/call"},
          "resource": {"type": "Tool", "id": "tools/search"}, "context": {"route": "tools"}})");
  CHECK(Authorizer(w.policies, w.entities, {}).is_authorized(call).decision == Decision::Deny);

  AuthorizerOptions gateway;
  gateway.gateway_additions = true;
  gateway.route_protocols["tools"] = Protocol::Mcp;
  const auto r = Authorizer(w.policies, w.entities, gateway).is_authorized(call);
  CHECK(r.decision == Decision::Allow);
  CHECK(r.reasons == std::vector<std::string>{"server"});

  const auto list = request(
      R"({"principal": {"type": "Agent", "id": "a"}, "action": {"type": "Action", "id": "tools/list"},
          "resource": {"type": "Server", "id": "tools"}, "context": {"route": "tools"}})");
  CHECK(Authorizer(w.policies, w.entities, gateway).is_authorized(list).reasons ==
        (std::vector<std::string>{"read", "server"}));
}

TEST_CASE("Gateway mode: log-only forbids never deny, labels come from permits",
          "[policy][authorizer]") {
  auto w = world(
      R"(@id("p") @label("touched-docs") permit(principal, action, resource);
         @id("dry") @mode("log-only") forbid(principal, action, resource);)");
  AuthorizerOptions gateway;
  gateway.gateway_additions = true;
  const auto r = Authorizer(w.policies, w.entities, gateway).is_authorized(request(kAliceReads));
  CHECK(r.decision == Decision::Allow);
  CHECK(r.would_deny == std::vector<std::string>{"dry"});
  CHECK(r.labels == std::vector<std::string>{"touched-docs"});
  // Pure Cedar: the same forbid enforces.
  CHECK(Authorizer(w.policies, w.entities, {}).is_authorized(request(kAliceReads)).decision ==
        Decision::Deny);
}

TEST_CASE("Requests in Cedar JSON: string uids, escapes, and errors", "[policy][authorizer]") {
  auto ok = request_from_json(nlohmann::json::parse(
      R"({"principal": "Agent::\"a\\\"b\"", "action": {"__entity": {"type": "Action", "id": "x"}},
          "resource": {"type": "R", "id": "r"}})"));
  REQUIRE(ok);
  CHECK(ok->principal.id == "a\"b");
  CHECK(ok->action.id == "x");
  CHECK_FALSE(request_from_json(nlohmann::json::parse(R"({"principal": 1})")));
  CHECK_FALSE(request_from_json(nlohmann::json::parse(
      R"({"principal": "A::\"a\"", "action": "A::\"b\"", "resource": "A::\"c\"", "context": [1]})")));
  CHECK_FALSE(request_from_json(nlohmann::json::parse(
      R"({"principal": "A::\"a\"", "action": "A::\"b\"", "resource": "A::\"c\"", "extra": 1})")));
  const auto back = request_to_json(*ok);
  CHECK(back["principal"]["id"] == "a\"b");
}

}  // namespace
}  // namespace portcullis::policy
