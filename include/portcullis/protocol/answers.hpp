// The answers the gateway gives itself (DESIGN.md "Answers the gateway gives"): exact status,
// content type and body for denials, rejections, audit failures and upstream failures.
//
//  - JSON-RPC request denied → 200, {"jsonrpc":"2.0","id":<id>,"error":{"code":-32099
//    (configurable),"message":<deny message>,"data":{"policy_ids":[...],"audit_uid":"...",
//    "request_id":"..."}}}
//  - JSON-RPC notification/response denied, plain HTTP denied → 403 application/problem+json
//    {"type":"about:blank","title":"Forbidden","status":403,"detail":<deny message>,
//     "policy_ids":[...],"audit_uid":"...","request_id":"..."}
//  - batch with a denied element → 200, an array with one error per *request* element (in batch
//    order): denied ones their deny error, the others -32097 "batch refused: another call in it
//    was denied". Notifications and responses get no entry (JSON-RPC 2.0 §6); if that leaves the
//    array empty, the first denial is answered as 403 problem+json instead.
//  - audit record could not be written → 503, JSON-RPC -32098 (problem+json for non-JSON-RPC)
//  - upstream unreachable / timed out → 502 / 504, JSON-RPC -32603 (problem+json otherwise)
//  - Rejection → its status; JSON-RPC error with id null when it has a JSON-RPC code, else
//    problem+json.
// Pure functions; thread-safe.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "portcullis/policy/authorizer.hpp"
#include "portcullis/protocol/action.hpp"
#include "portcullis/protocol/rejection.hpp"

namespace portcullis::protocol {

inline constexpr int kDefaultDenyCode = -32099;
inline constexpr int kAuditFailedCode = -32098;
inline constexpr int kBatchRefusedCode = -32097;
inline constexpr int kUpstreamFailedCode = -32603;

struct Answer {
  int status = 500;
  std::string content_type;  // "application/json" | "application/problem+json"
  std::string body;
};

// Why one action was denied, as the agent is told.
struct Denial {
  std::string message;                  // deny_message(...)
  std::vector<std::string> policy_ids;  // determining policy ids (sorted)
  std::string audit_uid;                // the decision record's metadata.uid
};

// Per action of an Extraction, in the same order.
struct Verdict {
  bool allowed = false;
  Denial denial;  // when !allowed
};

// The deny message: the @reason of the first determining policy that has one; else
// "denied by policy <id>, <id>" when policies determined it; else, when policies errored,
// "denied: policy <id>, <id> could not be evaluated"; else "no policy permits <action>".
[[nodiscard]] std::string deny_message(const policy::Response& response,
                                       const policy::PolicySet& policies,
                                       std::string_view action);

// Denied: at least one verdict must be !allowed (else the first action is answered as denied).
[[nodiscard]] Answer denied_answer(const Extraction& extraction,
                                   std::span<const Verdict> verdicts,
                                   std::string_view request_id,
                                   int deny_code = kDefaultDenyCode);

enum class GatewayFailure {
  AuditUnavailable,     // 503, -32098
  UpstreamUnreachable,  // 502, -32603
  UpstreamTimeout,      // 504, -32603
};

// A failure answer for the whole exchange (one error per request element of a batch).
[[nodiscard]] Answer failure_answer(const Extraction& extraction, GatewayFailure failure,
                                    std::string_view request_id);
// The same when no extraction exists (e.g. plain HTTP, or a failure before extraction):
// `jsonrpc` picks the body shape; the JSON-RPC id is null.
[[nodiscard]] Answer failure_answer(bool jsonrpc, GatewayFailure failure,
                                    std::string_view request_id);

[[nodiscard]] Answer rejection_answer(const Rejection& rejection, std::string_view request_id);

}  // namespace portcullis::protocol
