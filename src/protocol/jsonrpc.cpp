// JSON-RPC 2.0 shape checks (https://www.jsonrpc.org/specification), strict where the
// specification leaves room that a receiver could read differently.
#include "portcullis/protocol/jsonrpc.hpp"

#include <set>
#include <string>
#include <utility>

#include "portcullis/protocol/strict_json.hpp"

namespace portcullis::protocol {
namespace {

using json = nlohmann::json;

// A request id: string or integer. Null is refused for requests (MCP forbids it, JSON-RPC
// discourages it), fractional numbers too (JSON-RPC: SHOULD NOT; peers round them differently).
bool is_request_id(const json& id) { return id.is_string() || id.is_number_integer(); }

// Validates `element` and moves its params/result out of it (the document is not used again).
Outcome<JsonRpcMessage> take_message(json& element) {
  if (!element.is_object()) {
    return reject(RejectReason::InvalidRequest, "a JSON-RPC message must be an object");
  }
  auto version = element.find("jsonrpc");
  if (version == element.end() || !version->is_string() || version->get_ref<const std::string&>() != "2.0") {
    return reject(RejectReason::InvalidRequest, "\"jsonrpc\" must be exactly \"2.0\"");
  }
  const auto method = element.find("method");
  const auto id = element.find("id");
  const auto params = element.find("params");
  const auto result = element.find("result");
  const auto error = element.find("error");
  const bool has_result = result != element.end();
  const bool has_error = error != element.end();

  JsonRpcMessage message;
  if (method != element.end()) {
    if (has_result || has_error) {
      return reject(RejectReason::InvalidRequest,
                    "a message must not carry both \"method\" and \"result\"/\"error\"");
    }
    if (!method->is_string()) {
      return reject(RejectReason::InvalidRequest, "\"method\" must be a string");
    }
    message.method = std::move(*method->get_ptr<std::string*>());  // checked: a string
    if (params != element.end()) {
      if (!params->is_object() && !params->is_array()) {
        return reject(RejectReason::InvalidRequest, "\"params\" must be an object or an array");
      }
      message.params = std::move(*params);
    }
    if (id == element.end()) {
      message.kind = MessageKind::Notification;
      return message;
    }
    if (!is_request_id(*id)) {
      return reject(RejectReason::InvalidRequest, "\"id\" must be a string or an integer");
    }
    message.kind = MessageKind::Request;
    message.id = std::move(*id);
    return message;
  }

  // No method: a response the agent sends (to a server→client request).
  if (has_result == has_error) {
    return reject(RejectReason::InvalidRequest,
                  has_result ? "a response must not carry both \"result\" and \"error\""
                             : "a message needs \"method\" (request) or \"result\"/\"error\" "
                               "(response)");
  }
  if (params != element.end()) {
    return reject(RejectReason::InvalidRequest, "a response must not carry \"params\"");
  }
  if (id == element.end()) {
    return reject(RejectReason::InvalidRequest, "a response needs an \"id\"");
  }
  if (!is_request_id(*id) && !(id->is_null() && has_error)) {
    return reject(RejectReason::InvalidRequest,
                  "a response \"id\" must be a string or an integer (null only with \"error\")");
  }
  if (has_error) {
    json& e = *error;
    auto code = e.is_object() ? e.find("code") : e.end();
    auto text = e.is_object() ? e.find("message") : e.end();
    if (!e.is_object() || code == e.end() || !code->is_number_integer() || text == e.end() ||
        !text->is_string()) {
      return reject(RejectReason::InvalidRequest,
                    "\"error\" must be an object with an integer \"code\" and a string "
                    "\"message\"");
    }
    message.result = json::object({{"error", std::move(*error)}});
  } else {
    message.result = std::move(*result);
  }
  message.kind = MessageKind::Response;
  message.id = std::move(*id);
  return message;
}

// Frees a parsed document with release_json when it goes out of scope, whichever way out.
class ReleasedOnExit {
 public:
  explicit ReleasedOnExit(json& document) : document_(document) {}
  ReleasedOnExit(const ReleasedOnExit&) = delete;
  ReleasedOnExit& operator=(const ReleasedOnExit&) = delete;
  ~ReleasedOnExit() { release_json(document_); }

 private:
  json& document_;
};

}  // namespace

JsonRpcMessage::~JsonRpcMessage() {
  release_json(params);
  release_json(result);
}

Outcome<JsonRpcMessage> parse_jsonrpc_message(const json& element) {
  json copy = element;
  return take_message(copy);
}

Outcome<JsonRpcBody> parse_jsonrpc(std::string_view body, const JsonRpcLimits& limits) {
  auto document = parse_strict_json(body, limits.max_depth);
  if (!document) {
    return reject(RejectReason::ParseError, document.error().message);
  }
  const ReleasedOnExit release(*document);
  JsonRpcBody out;
  if (!document->is_array()) {
    auto message = take_message(*document);
    if (!message) {
      return tl::unexpected(message.error());
    }
    out.messages.push_back(std::move(*message));
    return out;
  }
  out.batch = true;
  if (document->empty()) {
    return reject(RejectReason::InvalidRequest, "an empty batch is not a JSON-RPC request");
  }
  if (document->size() > limits.max_batch_size) {
    return reject(RejectReason::InvalidRequest,
                  "batch of " + std::to_string(document->size()) + " messages exceeds the limit of " +
                      std::to_string(limits.max_batch_size));
  }
  out.messages.reserve(document->size());
  std::set<std::string> ids;
  for (std::size_t i = 0; i < document->size(); ++i) {
    json& element = (*document)[i];
    if (element.is_array()) {
      return reject(RejectReason::InvalidRequest,
                    "batch element " + std::to_string(i) + " is an array (nested batches are "
                                                           "not JSON-RPC)");
    }
    auto message = take_message(element);
    if (!message) {
      Rejection r = message.error();
      r.detail = "batch element " + std::to_string(i) + ": " + r.detail;
      return tl::unexpected(std::move(r));
    }
    if (message->kind == MessageKind::Request && !ids.insert(message->id->dump()).second) {
      // Answers are matched to requests by id; two requests with one id make that ambiguous.
      return reject(RejectReason::InvalidRequest,
                    "batch element " + std::to_string(i) + " repeats the id " + message->id->dump());
    }
    out.messages.push_back(std::move(*message));
  }
  return out;
}

}  // namespace portcullis::protocol
