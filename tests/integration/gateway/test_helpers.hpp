// Small helpers shared by the gateway integration tests.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "support/tls_client.hpp"

namespace portcullis::test {

inline nlohmann::json body_json(const HttpResponse& response) {
  return nlohmann::json::parse(response.body(), nullptr, false);
}

inline std::string echo_call(int id = 1, const std::string& name = "echo") {
  return jsonrpc("tools/call", R"({"name":")" + name + R"(","arguments":{"message":"hi"}})", id);
}

}  // namespace portcullis::test
