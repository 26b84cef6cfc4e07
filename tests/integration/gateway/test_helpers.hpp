// Small helpers shared by the gateway integration tests.
#pragma once

#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "support/tls_client.hpp"
#include "support/wait_until.hpp"

namespace portcullis::test {

inline nlohmann::json body_json(const HttpResponse& response) {
  return nlohmann::json::parse(response.body(), nullptr, false);
}

inline std::string echo_call(int id = 1, const std::string& name = "echo") {
  return jsonrpc("tools/call", R"({"name":")" + name + R"(","arguments":{"message":"hi"}})", id);
}

// True once `condition` holds, polling every 10 ms for up to `timeout`. For facts the gateway
// records on its own threads just after the client saw the effect (a metric counted after the
// TLS alert went out).
inline bool eventually(const std::function<bool()>& condition,
                       std::chrono::milliseconds timeout = std::chrono::seconds(3)) {
  return wait_until(condition, timeout, std::chrono::milliseconds(10));
}

// True when the Prometheus text holds exactly this sample line.
inline bool has_metric_line(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos || text.rfind(line + "\n", 0) == 0;
}

}  // namespace portcullis::test
