// A2A JSON-RPC binding → actions. Both dialects (v1.0, v0.3) map to the v1.0 action names; the
// dialect is the one the server will use (A2A-Version header, absent = 0.3), and a name that is
// not valid in that dialect is refused rather than mapped, so the decision is always on what the
// upstream will actually execute.
#include <array>
#include <utility>

#include "portcullis/protocol/action.hpp"
#include "protocol/extract_detail.hpp"

namespace portcullis::protocol {
namespace {

using json = nlohmann::json;

// v1.0 name ⇄ v0.3 name. ListTasks exists in v1.0 only.
constexpr std::array<std::pair<std::string_view, std::string_view>, 10> kDialectNames{{
    {"SendMessage", "message/send"},
    {"SendStreamingMessage", "message/stream"},
    {"GetTask", "tasks/get"},
    {"CancelTask", "tasks/cancel"},
    {"SubscribeToTask", "tasks/resubscribe"},
    {"CreateTaskPushNotificationConfig", "tasks/pushNotificationConfig/set"},
    {"GetTaskPushNotificationConfig", "tasks/pushNotificationConfig/get"},
    {"ListTaskPushNotificationConfigs", "tasks/pushNotificationConfig/list"},
    {"DeleteTaskPushNotificationConfig", "tasks/pushNotificationConfig/delete"},
    {"GetExtendedAgentCard", "agent/getAuthenticatedExtendedCard"},
}};

constexpr std::string_view kListTasks = "ListTasks";

enum class Dialect { V03, V10 };

}  // namespace

std::optional<std::string_view> a2a_v1_name_for_v03(std::string_view method) {
  for (const auto& [v1, v03] : kDialectNames) {
    if (method == v03) {
      return v1;
    }
  }
  return std::nullopt;
}

bool is_a2a_v1_name(std::string_view method) {
  if (method == kListTasks) {
    return true;
  }
  for (const auto& entry : kDialectNames) {
    if (method == entry.first) {
      return true;
    }
  }
  return false;
}

namespace detail {
namespace {

// A member that proto-JSON servers accept under two spellings (lowerCamel and the proto field
// name). Both present and different would let the policy see one and the server use the other.
Outcome<const json*> member(const json& object, const char* camel, const char* snake) {
  if (!object.is_object()) {
    return nullptr;
  }
  auto a = object.find(camel);
  auto b = object.find(snake);
  if (a != object.end() && b != object.end() && *a != *b) {
    return reject(RejectReason::InvalidParams, std::string("both \"") + camel + "\" and \"" +
                                                   snake + "\" given with different values");
  }
  if (a != object.end()) {
    return &*a;
  }
  if (b != object.end()) {
    return &*b;
  }
  return nullptr;
}

Outcome<std::string> string_member(const json& object, const char* camel, const char* snake) {
  auto found = member(object, camel, snake);
  if (!found) {
    return tl::unexpected(found.error());
  }
  if (*found == nullptr) {
    return std::string();
  }
  if (!(*found)->is_string()) {
    return reject(RejectReason::InvalidParams, std::string("\"") + camel + "\" must be a string");
  }
  return (*found)->get<std::string>();
}

Outcome<json> message_context(const json& params) {
  json role = "";
  std::string text;
  json metadata = json::object();
  std::string task_id;
  std::string context_id;

  const json* message = nullptr;
  if (params.is_object()) {
    auto it = params.find("message");
    if (it != params.end()) {
      if (!it->is_object()) {
        return reject(RejectReason::InvalidParams, "params.message must be an object");
      }
      message = &*it;
    }
  }
  if (message != nullptr) {
    auto r = message->find("role");
    if (r != message->end()) {
      const bool is_user = r->is_string() && (*r == "ROLE_USER" || *r == "user");
      const bool is_agent = r->is_string() && (*r == "ROLE_AGENT" || *r == "agent");
      if (!is_user && !is_agent) {
        // Anything else (an enum number, "Role_User", ...) might still be read as a role by a
        // lenient server; refuse rather than decide on a role we cannot name.
        return reject(RejectReason::InvalidParams,
                      "params.message.role must be ROLE_USER, ROLE_AGENT, user or agent");
      }
      role = is_user ? "user" : "agent";
    }
    auto parts = message->find("parts");
    if (parts != message->end() && parts->is_array()) {
      bool first = true;
      for (const auto& part : *parts) {
        auto t = part.is_object() ? part.find("text") : part.end();
        if (part.is_object() && t != part.end() && t->is_string()) {
          if (!first) {
            text += "\n";
          }
          text += t->get_ref<const std::string&>();
          first = false;
        }
      }
    }
    auto m = message->find("metadata");
    if (m != message->end() && !m->is_null()) {
      if (!m->is_object()) {
        return reject(RejectReason::InvalidParams, "params.message.metadata must be an object");
      }
      metadata = *m;
    }
    auto t = string_member(*message, "taskId", "task_id");
    if (!t) {
      return tl::unexpected(t.error());
    }
    task_id = std::move(*t);
    auto c = string_member(*message, "contextId", "context_id");
    if (!c) {
      return tl::unexpected(c.error());
    }
    context_id = std::move(*c);
  }
  if (task_id.empty() && params.is_object()) {
    auto t = string_member(params, "taskId", "task_id");
    if (!t) {
      return tl::unexpected(t.error());
    }
    task_id = std::move(*t);
    if (task_id.empty()) {
      auto id = params.find("id");
      if (id != params.end() && id->is_string()) {
        task_id = id->get<std::string>();
      }
    }
  }
  if (context_id.empty() && params.is_object()) {
    auto c = string_member(params, "contextId", "context_id");
    if (!c) {
      return tl::unexpected(c.error());
    }
    context_id = std::move(*c);
  }
  return json::object({{"message", {{"role", role}, {"text", text}, {"metadata", metadata}}},
                       {"task_id", task_id},
                       {"context_id", context_id}});
}

json empty_message_context() {
  return json::object(
      {{"message", {{"role", ""}, {"text", ""}, {"metadata", json::object()}}},
       {"task_id", ""},
       {"context_id", ""}});
}

bool is_agent_card_path(std::string_view rest) {
  return rest == "/.well-known/agent-card.json" || rest == "/.well-known/agent.json";
}

// The REST binding names its calls "/message:send", "/v1/tasks/{id}:cancel": a ':' in the last
// segment. gRPC is recognised by its content type.
bool looks_like_rest_or_grpc(std::string_view rest, std::string_view content_type) {
  const auto slash = rest.rfind('/');
  const std::string_view last = slash == std::string_view::npos ? rest : rest.substr(slash + 1);
  if (last.find(':') != std::string_view::npos) {
    return true;
  }
  constexpr std::string_view kGrpc = "application/grpc";
  if (content_type.size() < kGrpc.size()) {
    return false;
  }
  for (std::size_t i = 0; i < kGrpc.size(); ++i) {
    char c = content_type[i];
    c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    if (c != kGrpc[i]) {
      return false;
    }
  }
  return true;
}

Outcome<std::string> action_name(std::string_view method, Dialect dialect) {
  const auto v1_for_v03 = a2a_v1_name_for_v03(method);
  const bool v1 = is_a2a_v1_name(method);
  if (dialect == Dialect::V10) {
    if (v1_for_v03) {
      // Appended to a constructed string: GCC 12 reports a false -Wrestrict inside libstdc++
      // for "'" + std::string(method) at -O2 (GCC bug 105329).
      return reject(RejectReason::MethodNotFound,
                    std::string("'").append(method).append(
                        "' is an A2A v0.3 method; with A2A-Version: 1.0 the server does not "
                        "execute it"));
    }
    return std::string(method);
  }
  if (v1) {
    return reject(RejectReason::MethodNotFound,
                  std::string("'").append(method).append(
                      "' is an A2A v1.0 method; without A2A-Version: 1.0 the server speaks v0.3"));
  }
  if (v1_for_v03) {
    return std::string(*v1_for_v03);
  }
  return std::string(method);  // an extension method: decided under its own name
}

}  // namespace

Outcome<Extraction> extract_a2a(const RouteMatch& match, const HttpRequestView& request,
                                const config::Limits& limits) {
  const config::Route& route = *match.route;
  const policy::EntityUid remote{"RemoteAgent", route.name};
  if (is_agent_card_path(match.rest)) {
    if (request.method != "GET") {
      return reject(RejectReason::UnsupportedBinding,
                    "the agent card is fetched with GET, not " + std::string(request.method));
    }
    Action action;
    action.kind = ActionKind::Http;
    action.action = "GetAgentCard";
    action.method = "GET";
    action.resource = remote;
    action.context = empty_message_context();
    Extraction out;
    out.actions.push_back(std::move(action));
    return out;
  }
  if (request.method != "POST" || looks_like_rest_or_grpc(match.rest, request.content_type)) {
    return reject(RejectReason::UnsupportedBinding,
                  "only the A2A JSON-RPC binding (POST) and the agent card are proxied");
  }
  Dialect dialect = Dialect::V03;
  if (request.a2a_version) {
    if (*request.a2a_version == "1.0") {
      dialect = Dialect::V10;
    } else if (*request.a2a_version != "0.3") {
      return reject(RejectReason::BadVersion,
                    "unsupported A2A-Version '" + std::string(*request.a2a_version) +
                        "' (1.0 or 0.3)");
    }
  }
  auto body = parse_body(request, limits);
  if (!body) {
    return tl::unexpected(body.error());
  }
  if (body->batch) {
    return reject(RejectReason::InvalidRequest, "A2A servers do not accept JSON-RPC batches");
  }
  JsonRpcMessage& message = body->messages.front();
  if (message.kind == MessageKind::Response) {
    return reject(RejectReason::InvalidRequest, "an A2A server takes requests, not responses");
  }
  auto name = action_name(message.method, dialect);
  if (!name) {
    return tl::unexpected(name.error());
  }
  auto context = message_context(message.params);
  if (!context) {
    return tl::unexpected(context.error());
  }
  Action action;
  action.kind = message.kind == MessageKind::Request ? ActionKind::Request
                                                     : ActionKind::Notification;
  action.action = std::move(*name);
  action.method = message.method;
  action.jsonrpc_id = message.id;
  action.resource = remote;
  action.context = std::move(*context);
  Extraction out;
  out.jsonrpc = true;
  out.actions.push_back(std::move(action));
  return out;
}

}  // namespace detail
}  // namespace portcullis::protocol
