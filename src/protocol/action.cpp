// extract_actions: dispatch by route protocol; plain HTTP actions; shared helpers.
#include "portcullis/protocol/action.hpp"

#include "portcullis/common/ascii.hpp"
#include "portcullis/protocol/strict_json.hpp"
#include "protocol/extract_detail.hpp"

namespace portcullis::protocol {

Action::~Action() { release_json(context); }

namespace detail {

bool is_json_content_type(std::string_view content_type) {
  const auto semicolon = content_type.find(';');
  if (!ascii_iequals(trim_ows(content_type.substr(0, semicolon)), "application/json")) {
    return false;
  }
  std::string_view params =
      semicolon == std::string_view::npos ? std::string_view{} : content_type.substr(semicolon + 1);
  while (!params.empty()) {
    const auto next = params.find(';');
    std::string_view param = trim_ows(params.substr(0, next));
    params = next == std::string_view::npos ? std::string_view{} : params.substr(next + 1);
    if (param.empty()) {
      continue;
    }
    const auto eq = param.find('=');
    if (eq == std::string_view::npos) {
      return false;
    }
    if (ascii_iequals(trim_ows(param.substr(0, eq)), "charset")) {
      const std::string_view value = trim_ows(param.substr(eq + 1));
      if (!ascii_iequals(value, "utf-8") && !ascii_iequals(value, "\"utf-8\"")) {
        return false;
      }
    }
  }
  return true;
}

Outcome<JsonRpcBody> parse_body(const HttpRequestView& request, const config::Limits& limits) {
  if (!is_json_content_type(request.content_type)) {
    return reject(RejectReason::UnsupportedMediaType,
                  "JSON-RPC requests need Content-Type: application/json (UTF-8), not '" +
                      std::string(request.content_type) + "'");
  }
  return parse_jsonrpc(request.body, JsonRpcLimits{limits.max_json_depth, limits.max_batch_size});
}

Extraction extract_http(const RouteMatch& match, const HttpRequestView& request) {
  Action action;
  action.kind = ActionKind::Http;
  action.action = std::string(request.method);
  action.method = std::string(request.method);
  action.resource = policy::EntityUid{"Endpoint", match.route->name};
  action.context = nlohmann::json::object(
      {{"path", std::string(match.path)}, {"query", std::string(match.query)}});
  Extraction out;
  out.actions.push_back(std::move(action));
  return out;
}

}  // namespace detail

Outcome<Extraction> extract_actions(const RouteMatch& match, const HttpRequestView& request,
                                    const config::Limits& limits) {
  if (match.route == nullptr) {
    return reject(RejectReason::NoRoute, "no route");
  }
  switch (match.route->protocol) {
    case config::RouteProtocol::Mcp:
      return detail::extract_mcp(match, request, limits);
    case config::RouteProtocol::A2a:
      return detail::extract_a2a(match, request, limits);
    case config::RouteProtocol::Http:
      return detail::extract_http(match, request);
  }
  return reject(RejectReason::NoRoute, "route has no protocol");
}

Action tools_call_probe(const config::Route& route, std::string_view tool_name) {
  Action action;
  action.kind = ActionKind::Request;
  action.action = "tools/call";
  action.method = "tools/call";
  action.resource = policy::EntityUid{"Tool", route.name + "/" + std::string(tool_name)};
  action.tool_name = std::string(tool_name);
  action.context = nlohmann::json::object({{"input", nlohmann::json::object()}});
  return action;
}

}  // namespace portcullis::protocol
