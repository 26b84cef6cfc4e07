// Answers the gateway writes itself for transport-level problems (malformed HTTP, limits,
// upstream failures): RFC 9457 problem+json or a JSON-RPC error, always with X-Request-Id.
// Policy denials and protocol rejections use the protocol module's builders (exchange.cpp).
#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace portcullis::net {

using Answer = boost::beast::http::response<boost::beast::http::string_body>;

// {"type":"about:blank","title":<reason phrase>,"status":N,"detail":...,"request_id":...}
[[nodiscard]] Answer problem_answer(unsigned status, std::string_view detail,
                                    std::string_view request_id,
                                    const nlohmann::json& extra = nlohmann::json::object());

// HTTP `status` with {"jsonrpc":"2.0","id":id,"error":{"code":code,"message":...,"data":data}}.
[[nodiscard]] Answer jsonrpc_error_answer(unsigned status, const nlohmann::json& id, int code,
                                          std::string_view message, const nlohmann::json& data,
                                          std::string_view request_id);

// A body already built by someone else (protocol module), with its content type.
[[nodiscard]] Answer body_answer(unsigned status, std::string_view content_type, std::string body,
                                 std::string_view request_id);

}  // namespace portcullis::net
