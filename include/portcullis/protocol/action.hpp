// Action extraction: one HTTP request on a route → the actions the policy decides
// (DESIGN.md "Actions as Cedar requests" and "Protocols").
//
//  - MCP route: POST = JSON-RPC (one action per message, batches allowed); GET =
//    `mcp/stream`; DELETE = `mcp/end-session`; other methods 405.
//    tools/call → Tool::"<route>/<name>" with context `input` (= arguments, {} when absent);
//    resources/read → Resource::"<uri>"; prompts/get → Prompt::"<route>/<name>" with `input`;
//    any other request/notification → Action::"<method>" on Server::"<route>" with `params`
//    ({} when absent); a response sent by the agent → Action::"response" on Server::"<route>"
//    with `params` = its result ({"error": {...}} for an error response).
//  - A2A route: POST = JSON-RPC (no batches — A2A servers refuse them); the `A2A-Version`
//    header picks the dialect exactly as the server does (absent = "0.3"; "1.0"; anything else
//    refused). A known method name of the *other* dialect is refused (-32601): the upstream would
//    not execute it as the action we would decide. v0.3 names map to the v1.0 action names.
//    Context: `message` {role "user"|"agent"|"" , text, metadata}, `task_id`, `context_id`
//    (always present, "" / {} when absent). GET of `/.well-known/agent-card.json` or
//    `/.well-known/agent.json` (rest of path after the prefix) = `GetAgentCard`. Everything
//    else (REST and gRPC bindings, other paths and methods) → 404 UnsupportedBinding.
//  - HTTP route: one action named after the HTTP method, on Endpoint::"<route>", with context
//    `path` (as received, prefix included) and `query` (raw).
// Names are matched byte-exactly. No I/O; thread-safe.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "portcullis/config/config.hpp"
#include "portcullis/policy/value.hpp"
#include "portcullis/protocol/jsonrpc.hpp"
#include "portcullis/protocol/rejection.hpp"
#include "portcullis/protocol/router.hpp"

namespace portcullis::protocol {

enum class ActionKind {
  Request,       // JSON-RPC request (has an id)
  Notification,  // JSON-RPC notification
  Response,      // JSON-RPC response sent by the agent
  Http,          // a non-JSON-RPC HTTP exchange (plain HTTP, MCP GET/DELETE, agent card)
};

struct Action {
  ActionKind kind = ActionKind::Http;
  std::string action;                 // Cedar action id ("tools/call", "SendMessage", "GET")
  policy::EntityUid resource;         // Tool/Resource/Prompt/Server/RemoteAgent/Endpoint
  std::string method;                 // the wire method as sent (JSON-RPC method or HTTP method)
  std::optional<nlohmann::json> jsonrpc_id;  // requests and responses
  std::string tool_name;              // tools/call: the tool name (for session.tools); else ""
  // Action-specific context members, as plain JSON converted by value_from_plain_json:
  // {"input": ...} | {"params": ...} | {"message": {...}, "task_id": ..., "context_id": ...} |
  // {"path": ..., "query": ...} | {} .
  nlohmann::json context = nlohmann::json::object();
  std::uint32_t batch_index = 0;      // position in the batch (0 when not a batch)

  Action() = default;
  Action(const Action&) = default;
  Action(Action&&) noexcept = default;
  Action& operator=(const Action&) = default;
  Action& operator=(Action&&) noexcept = default;
  // Frees the context with release_json (strict_json.hpp): cheaper than nlohmann's own.
  ~Action();
};

// The request facts extraction needs; views into the caller's request (Beast-free).
struct HttpRequestView {
  std::string_view method;                     // "POST", byte-exact
  std::string_view content_type;               // "" when absent
  std::optional<std::string_view> a2a_version;  // the A2A-Version header, if present (a
                                               // repeated header must be passed joined by ",",
                                               // which is refused)
  std::string_view body;
};

struct Extraction {
  std::vector<Action> actions;  // at least one
  bool jsonrpc = false;         // answers to this request are JSON-RPC shaped
  bool batch = false;           // the body was a JSON-RPC batch
};

// `match` is the Router's result for this request. Rejections carry the exact answer status.
[[nodiscard]] Outcome<Extraction> extract_actions(const RouteMatch& match,
                                                  const HttpRequestView& request,
                                                  const config::Limits& limits);

// The action a `tools/call` of `tool_name` on `route` would be, with empty input: the probe
// used to filter tools/list answers to what the agent may call.
[[nodiscard]] Action tools_call_probe(const config::Route& route, std::string_view tool_name);

// v0.3 name → v1.0 name ("message/send" → "SendMessage"); nullopt when not a v0.3 name.
[[nodiscard]] std::optional<std::string_view> a2a_v1_name_for_v03(std::string_view method);
// True for the v1.0 JSON-RPC method names.
[[nodiscard]] bool is_a2a_v1_name(std::string_view method);

}  // namespace portcullis::protocol
