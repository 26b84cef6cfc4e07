// Fuzz target: "<policies>\n----\n<request JSON>" decided against a fixed entity graph, in pure
// Cedar mode and in gateway mode. Must never crash or hang; a decision must be consistent
// (allow ⇒ reasons non-empty, errors sorted).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "policy/json_text.hpp"
#include "portcullis/policy/api.hpp"

namespace {

const char* kEntities = R"([
  {"uid": {"type": "User", "id": "alice"}, "attrs": {"age": 30, "tags": ["a", "b"],
     "addr": {"city": "Paris"}, "ip": {"__extn": {"fn": "ip", "arg": "10.0.0.1"}}},
   "parents": [{"type": "Group", "id": "g"}]},
  {"uid": {"type": "Group", "id": "g"}, "attrs": {}, "parents": [{"type": "Group", "id": "h"}]},
  {"uid": {"type": "Group", "id": "h"}, "attrs": {}, "parents": []},
  {"uid": {"type": "Tool", "id": "t"}, "attrs": {"level": 2}, "parents": [], "tags": {"owner": "alice"}}
])";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace portcullis;
  static const auto entities = [] {
    Diagnostics d;
    return policy::Entities::from_json_text(kEntities, "fixed.json", d);
  }();
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto cut = input.find("\n----\n");
  if (cut == std::string_view::npos) return 0;
  Diagnostics diagnostics;
  auto set = policy::PolicySet::parse({{"fuzz.cedar", std::string(input.substr(0, cut))}},
                                      diagnostics);
  if (!set) return 0;
  nlohmann::json json;
  policy::JsonError error;
  if (!policy::parse_json_text(input.substr(cut + 6), 64, json, error)) return 0;
  auto request = policy::request_from_json(json);
  if (!request) return 0;
  for (const bool gateway : {false, true}) {
    policy::AuthorizerOptions options;
    options.gateway_additions = gateway;
    options.policy_errors = gateway ? policy::PolicyErrors::Deny : policy::PolicyErrors::Skip;
    options.route_protocols["tools"] = policy::Protocol::Mcp;
    const policy::Authorizer authorizer(set, entities, options);
    const auto response = authorizer.is_authorized(*request);
    if (response.decision == policy::Decision::Allow && response.reasons.empty()) __builtin_trap();
    if (!std::is_sorted(response.errors.begin(), response.errors.end())) __builtin_trap();
    if (gateway && !response.errors.empty() && response.decision == policy::Decision::Allow) {
      __builtin_trap();
    }
  }
  return 0;
}
