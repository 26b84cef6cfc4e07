// JSON-RPC 2.0 message shapes: a body → one message or a batch of them, or a Rejection.
//
// Accepted: a request {"jsonrpc":"2.0","method":string,"params"?:object|array,"id":string|
// integer}, a notification (the same without "id"), a response {"jsonrpc":"2.0","id":string|
// integer|null,"result":any} or {..., "error":{"code":integer,"message":string,"data"?:any}}.
// A batch is a non-empty array of such objects, at most `max_batch_size` long.
// Refused with InvalidRequest (-32600): "jsonrpc" missing or not exactly "2.0", a non-string
// method, an id that is null/fractional/bool/object/array in a request, params that are not
// object/array, both "method" and "result"/"error", both "result" and "error", an empty batch,
// a nested array, a non-object element, a batch that is too long. Not strict JSON → ParseError
// (-32700). Method names are kept byte-exact.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "portcullis/protocol/rejection.hpp"

namespace portcullis::protocol {

enum class MessageKind { Request, Notification, Response };

struct JsonRpcMessage {
  MessageKind kind = MessageKind::Request;
  std::string method;                   // requests and notifications; "" for responses
  std::optional<nlohmann::json> id;     // requests and responses (a response's id may be null)
  nlohmann::json params;                // null when absent (requests/notifications)
  nlohmann::json result;                // responses: the result, or {"error": error} on error

  JsonRpcMessage() = default;
  JsonRpcMessage(const JsonRpcMessage&) = default;
  JsonRpcMessage(JsonRpcMessage&&) noexcept = default;
  JsonRpcMessage& operator=(const JsonRpcMessage&) = default;
  JsonRpcMessage& operator=(JsonRpcMessage&&) noexcept = default;
  // Frees params and result with release_json (strict_json.hpp): cheaper than nlohmann's own.
  ~JsonRpcMessage();
};

struct JsonRpcBody {
  bool batch = false;                    // the body was an array
  std::vector<JsonRpcMessage> messages;  // one per element (one when not a batch)
};

struct JsonRpcLimits {
  std::uint32_t max_depth = 64;
  std::uint32_t max_batch_size = 100;
};

[[nodiscard]] Outcome<JsonRpcBody> parse_jsonrpc(std::string_view body,
                                                 const JsonRpcLimits& limits);

// Validates one already-parsed element (exposed for tests and the fuzz target).
[[nodiscard]] Outcome<JsonRpcMessage> parse_jsonrpc_message(const nlohmann::json& element);

}  // namespace portcullis::protocol
