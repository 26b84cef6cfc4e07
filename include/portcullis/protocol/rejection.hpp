// Rejection: why the gateway refused a request before any policy decision (bad target, no route,
// JSON that another parser could read differently, a non-JSON-RPC shape, an unsupported binding).
//
// Every protocol function that can refuse returns `Outcome<T>`; `answers.hpp` turns a Rejection
// into the exact HTTP answer (`rejection_answer`).
#pragma once

#include <string>
#include <tl/expected.hpp>
#include <utility>

namespace portcullis::protocol {

enum class RejectReason {
  BadTarget,           // 400: not origin-form/absolute-form, or ambiguous (`//`, dot, %2F %5C %2E)
  HostMismatch,        // 400: absolute-form target whose authority differs from Host
  NoRoute,             // 404: no route prefix matches
  MethodNotAllowed,    // 405: e.g. PUT on an MCP route
  UnsupportedBinding,  // 404: A2A REST/gRPC binding, or an unknown path on an A2A route
  UnsupportedMediaType,  // 415: a JSON-RPC POST whose Content-Type is not application/json
  ParseError,          // 400, JSON-RPC -32700: not strict JSON
  InvalidRequest,      // 400, JSON-RPC -32600: not a JSON-RPC 2.0 shape (or a bad batch)
  MethodNotFound,      // 400, JSON-RPC -32601: an A2A method name of the other dialect
  InvalidParams,       // 400, JSON-RPC -32602: params the action cannot be decided on
  BadVersion,          // 400, JSON-RPC -32600: unsupported A2A-Version header
};

struct Rejection {
  RejectReason reason = RejectReason::InvalidRequest;
  int http_status = 400;
  int jsonrpc_code = 0;  // 0 = answer with problem+json; else a JSON-RPC error with this code
  std::string detail;    // for the agent and the log: what exactly was wrong

  Rejection() = default;
  Rejection(RejectReason r, std::string d);  // status and code derived from the reason
};

template <typename T>
using Outcome = tl::expected<T, Rejection>;

inline tl::unexpected<Rejection> reject(RejectReason reason, std::string detail) {
  return tl::unexpected<Rejection>(Rejection(reason, std::move(detail)));
}

}  // namespace portcullis::protocol
