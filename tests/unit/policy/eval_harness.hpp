// Test helper: evaluate one Cedar expression against a small fixed world and describe the
// result as text ("true", "42", "\"s\"", "error: ...") so tables stay readable.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "policy/evaluator.hpp"
#include "policy/parser.hpp"
#include "portcullis/policy/api.hpp"

namespace portcullis::policy::test {

// Entities of the fixed world: alice ∈ eng ∈ org, a tool with tags.
inline const char* kWorldEntities = R"([
  {"uid": {"type": "User", "id": "alice"},
   "attrs": {"age": 30, "name": "Alice", "manager": {"__entity": {"type": "User", "id": "bob"}},
             "address": {"city": "Paris", "zip": "75001"}, "roles": ["admin", "dev"],
             "ip": {"__extn": {"fn": "ip", "arg": "192.168.1.10"}}},
   "parents": [{"type": "Group", "id": "eng"}]},
  {"uid": {"type": "User", "id": "bob"}, "attrs": {"age": 40}, "parents": []},
  {"uid": {"type": "Group", "id": "eng"}, "attrs": {}, "parents": [{"type": "Group", "id": "org"}]},
  {"uid": {"type": "Group", "id": "org"}, "attrs": {}, "parents": []},
  {"uid": {"type": "Tool", "id": "t"}, "attrs": {}, "parents": [],
   "tags": {"owner": "alice", "level": 3}}
])";

inline std::string describe(const EV& v) {
  return value_to_cedar_json(to_value(v)).dump();
}

// Evaluates `expr` with principal User::"alice", action Action::"view", resource Tool::"t" and
// the given context (Cedar JSON).
inline std::string eval_text(const std::string& expr, const std::string& context = "{}") {
  static const auto entities = [] {
    Diagnostics d;
    return Entities::from_json_text(kWorldEntities, "world.json", d);
  }();
  auto parsed = parse_expression(expr);
  if (!parsed) return "parse error: " + parsed.error().message;
  Request request;
  request.principal = EntityUid{"User", "alice"};
  request.action = EntityUid{"Action", "view"};
  request.resource = EntityUid{"Tool", "t"};
  auto ctx = value_from_cedar_json(nlohmann::json::parse(context));
  if (!ctx) return "bad context";
  request.context = *ctx;
  RequestView view;
  view.request = &request;
  view.store = &entities->impl();
  Evaluator evaluator(view);
  EV out;
  if (!evaluator.eval(**parsed, out)) return "error: " + evaluator.error();
  return describe(out);
}

}  // namespace portcullis::policy::test
