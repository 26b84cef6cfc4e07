// Cedar's JSON request form ↔ policy::Request.
#include "portcullis/policy/request.hpp"

#include <nlohmann/json.hpp>

#include "policy/parser.hpp"
#include "policy/value_node.hpp"

namespace portcullis::policy {
namespace {

// {"type": T, "id": I}, {"__entity": {...}} or the string form `T::"I"`.
Result<EntityUid> uid_from_json(const nlohmann::json& j, const char* field) {
  if (j.is_string()) {
    const std::string s = j.get<std::string>();
    const auto sep = s.find("::\"");
    if (sep == std::string::npos || s.size() < sep + 4 || s.back() != '"') {
      return fail(std::string("\"") + field + "\": expected Type::\"id\"");
    }
    EntityUid uid;
    uid.type = s.substr(0, sep);
    if (!is_valid_entity_type(uid.type)) {
      return fail(std::string("\"") + field + "\": `" + uid.type +
                  "` is not a valid entity type name");
    }
    std::string error;
    if (!unescape_cedar_string(std::string_view(s).substr(sep + 3, s.size() - sep - 4), uid.id,
                               error)) {
      return fail(std::string("\"") + field + "\": " + error);
    }
    return uid;
  }
  const nlohmann::json* body = &j;
  if (j.is_object() && j.size() == 1 && j.contains("__entity")) body = &j["__entity"];
  if (!body->is_object() || body->size() != 2 || !body->contains("type") ||
      !body->contains("id") || !(*body)["type"].is_string() || !(*body)["id"].is_string()) {
    return fail(std::string("\"") + field + "\": expected {\"type\": \"...\", \"id\": \"...\"}");
  }
  EntityUid uid{(*body)["type"].get<std::string>(), (*body)["id"].get<std::string>()};
  if (!is_valid_entity_type(uid.type)) {
    return fail(std::string("\"") + field + "\": `" + uid.type +
                "` is not a valid entity type name");
  }
  return uid;
}

}  // namespace

Result<Request> request_from_json(const nlohmann::json& json) {
  if (!json.is_object()) return fail("a request is a JSON object");
  for (auto it = json.begin(); it != json.end(); ++it) {
    const auto& k = it.key();
    if (k != "principal" && k != "action" && k != "resource" && k != "context") {
      return fail("unknown request field \"" + k + "\"");
    }
  }
  Request request;
  const char* fields[] = {"principal", "action", "resource"};
  EntityUid* targets[] = {&request.principal, &request.action, &request.resource};
  for (int i = 0; i < 3; ++i) {
    if (!json.contains(fields[i])) return fail(std::string("missing \"") + fields[i] + "\"");
    auto uid = uid_from_json(json[fields[i]], fields[i]);
    if (!uid) return tl::unexpected(uid.error());
    *targets[i] = std::move(*uid);
  }
  if (json.contains("context")) {
    auto context = value_from_cedar_json(json["context"]);
    if (!context) return fail("\"context\": " + context.error().message);
    if (context->node().kind != Kind::Record) return fail("\"context\" must be a record");
    request.context = std::move(*context);
  }
  return request;
}

nlohmann::json request_to_json(const Request& request) {
  const auto uid = [](const EntityUid& u) { return nlohmann::json{{"type", u.type}, {"id", u.id}}; };
  return nlohmann::json{{"principal", uid(request.principal)},
                        {"action", uid(request.action)},
                        {"resource", uid(request.resource)},
                        {"context", value_to_cedar_json(request.context)}};
}

}  // namespace portcullis::policy
