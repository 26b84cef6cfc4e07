// MCP Streamable HTTP → actions (DESIGN.md "Protocols", "Actions as Cedar requests").
#include "protocol/extract_detail.hpp"

namespace portcullis::protocol::detail {
namespace {

using json = nlohmann::json;

// params.<key> as a string, or a rejection naming the method.
Outcome<std::string> string_param(const JsonRpcMessage& message, const char* key) {
  if (message.params.is_object()) {
    auto it = message.params.find(key);
    if (it != message.params.end() && it->is_string()) {
      return it->get<std::string>();
    }
  }
  return reject(RejectReason::InvalidParams,
                message.method + " needs params." + key + " as a string");
}

// params.arguments: an object, {} when absent.
Outcome<json> arguments(JsonRpcMessage& message) {
  auto it = message.params.find("arguments");
  if (it == message.params.end()) {
    return json::object();
  }
  if (!it->is_object()) {
    return reject(RejectReason::InvalidParams,
                  message.method + " needs params.arguments as an object");
  }
  return std::move(*it);
}

// The action's context as {name: value}. An Action starts with an empty object as its context,
// so the member goes straight into it instead of into a second object built from an
// initializer list and moved over the first.
void set_context(Action& action, const char* name, json value) {
  if (auto* members = action.context.get_ptr<json::object_t*>()) {
    members->clear();
    members->emplace(name, std::move(value));
    return;
  }
  action.context = json::object({{name, std::move(value)}});
}

// tools/call and prompts/get: the resource is the route's `type` entity named by params.name and
// the context's input is params.arguments. Returns the name.
Outcome<std::string> named_call(const config::Route& route, JsonRpcMessage& message,
                                const char* type, Action& action) {
  auto name = string_param(message, "name");
  if (!name) {
    return name;
  }
  auto input = arguments(message);
  if (!input) {
    return tl::unexpected(input.error());
  }
  action.resource = policy::EntityUid{type, route.name + "/" + *name};
  set_context(action, "input", std::move(*input));
  return name;
}

Outcome<Action> mcp_action(const config::Route& route, JsonRpcMessage& message) {
  Action action;
  action.jsonrpc_id = message.id;
  const policy::EntityUid server{"Server", route.name};
  if (message.kind == MessageKind::Response) {
    action.kind = ActionKind::Response;
    action.action = "response";
    action.resource = server;
    set_context(action, "params", std::move(message.result));
    return action;
  }
  action.kind = message.kind == MessageKind::Request ? ActionKind::Request
                                                     : ActionKind::Notification;
  action.method = message.method;
  action.action = message.method;
  if (message.method == "tools/call") {
    auto name = named_call(route, message, "Tool", action);
    if (!name) {
      return tl::unexpected(name.error());
    }
    action.tool_name = std::move(*name);
    return action;
  }
  if (message.method == "resources/read") {
    auto uri = string_param(message, "uri");
    if (!uri) {
      return tl::unexpected(uri.error());
    }
    action.resource = policy::EntityUid{"Resource", std::move(*uri)};
    return action;
  }
  if (message.method == "prompts/get") {
    auto name = named_call(route, message, "Prompt", action);
    if (!name) {
      return tl::unexpected(name.error());
    }
    return action;
  }
  action.resource = server;
  set_context(action, "params",
              message.params.is_null() ? json::object() : std::move(message.params));
  return action;
}

Extraction single_http_action(const config::Route& route, std::string_view method,
                              const char* action_name) {
  Action action;
  action.kind = ActionKind::Http;
  action.action = action_name;
  action.method = std::string(method);
  action.resource = policy::EntityUid{"Server", route.name};
  Extraction out;
  out.actions.push_back(std::move(action));
  return out;
}

}  // namespace

Outcome<Extraction> extract_mcp(const RouteMatch& match, const HttpRequestView& request,
                                const config::Limits& limits) {
  const config::Route& route = *match.route;
  if (request.method == "GET") {
    return single_http_action(route, request.method, "mcp/stream");
  }
  if (request.method == "DELETE") {
    return single_http_action(route, request.method, "mcp/end-session");
  }
  if (request.method != "POST") {
    return reject(RejectReason::MethodNotAllowed,
                  "MCP takes POST, GET and DELETE, not " + std::string(request.method));
  }
  auto body = parse_body(request, limits);
  if (!body) {
    return tl::unexpected(body.error());
  }
  Extraction out;
  out.jsonrpc = true;
  out.batch = body->batch;
  out.actions.reserve(body->messages.size());
  for (std::size_t i = 0; i < body->messages.size(); ++i) {
    auto action = mcp_action(route, body->messages[i]);
    if (!action) {
      Rejection r = action.error();
      if (out.batch) {
        r.detail = "batch element " + std::to_string(i) + ": " + r.detail;
      }
      return tl::unexpected(std::move(r));
    }
    action->batch_index = static_cast<std::uint32_t>(i);
    out.actions.push_back(std::move(*action));
  }
  return out;
}

}  // namespace portcullis::protocol::detail
