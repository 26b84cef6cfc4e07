#include "net/answers.hpp"

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/status.hpp>

namespace portcullis::net {
namespace http = boost::beast::http;

Answer body_answer(unsigned status, std::string_view content_type, std::string body,
                   std::string_view request_id) {
  Answer answer{static_cast<http::status>(status), 11};
  answer.set(http::field::server, "portcullis");
  answer.set(http::field::content_type, content_type);
  answer.set(http::field::cache_control, "no-store");
  answer.set("X-Request-Id", request_id);
  answer.body() = std::move(body);
  answer.prepare_payload();
  return answer;
}

Answer problem_answer(unsigned status, std::string_view detail, std::string_view request_id,
                      const nlohmann::json& extra) {
  nlohmann::json body = {
      {"type", "about:blank"},
      {"title", std::string(http::obsolete_reason(static_cast<http::status>(status)))},
      {"status", status},
      {"detail", std::string(detail)},
      {"request_id", std::string(request_id)},
  };
  for (const auto& [key, value] : extra.items()) {
    body[key] = value;
  }
  return body_answer(status, "application/problem+json",
                     body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                     request_id);
}

Answer jsonrpc_error_answer(unsigned status, const nlohmann::json& id, int code,
                            std::string_view message, const nlohmann::json& data,
                            std::string_view request_id) {
  nlohmann::json error = {{"code", code}, {"message", std::string(message)}};
  if (!data.is_null()) {
    error["data"] = data;
  }
  const nlohmann::json body = {{"jsonrpc", "2.0"}, {"id", id}, {"error", error}};
  return body_answer(status, "application/json",
                     body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                     request_id);
}

}  // namespace portcullis::net
