// Helpers for the audit integration tests: temp dirs, sample events, synchronous appends.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "portcullis/audit/audit_log.hpp"
#include "portcullis/audit/event.hpp"
#include "portcullis/audit/jcs.hpp"

namespace audit_test {

using namespace portcullis;
using namespace portcullis::audit;

class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() /
            ("portcullis-audit-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

inline DecisionEvent sample_decision(int i, bool allowed = true) {
  DecisionEvent e;
  e.time_ms = 1764200000000 + i;
  e.request_id = "req-" + std::to_string(i);
  e.agent = "spiffe://example.org/agent/" + std::to_string(i % 3);
  e.session_id = "session-" + std::to_string(i % 5);
  e.listener = "agents";
  e.route = "tools";
  e.protocol = "mcp";
  e.action = "tools/call";
  e.method = "tools/call";
  e.resource_type = "Tool";
  e.resource_id = "tools/echo";
  e.jsonrpc_id = nlohmann::json(i);
  e.disposition = allowed ? Disposition::Allowed : Disposition::Blocked;
  if (!allowed) {
    e.deny_message = "no policy permits tools/call";
  }
  e.policy_ids = {allowed ? "allow-echo" : "deny-all"};
  e.labels = {"pii"};
  e.policy_set_hash = "sha256:0123";
  e.cedar_request_jcs = jcs(nlohmann::json{
      {"principal", {{"type", "Agent"}, {"id", e.agent}}},
      {"action", {{"type", "Action"}, {"id", "tools/call"}}},
      {"resource", {{"type", "Tool"}, {"id", "tools/echo"}}},
      {"context", {{"input", {{"text", "hello " + std::to_string(i)}, {"n", i}}}}}});
  e.src = {"10.1.2.3", 40000};
  e.dst = {"127.0.0.1", 8443};
  e.http_method = "POST";
  e.http_url = "/mcp";
  e.user_agent = "test-agent/1.0";
  e.peer = {"CN=agent", "CN=ca", e.agent, "01"};
  return e;
}

inline OutcomeEvent sample_outcome(const std::string& correlation_uid) {
  OutcomeEvent e;
  e.time_ms = 1764200000500;
  e.correlation_uid = correlation_uid;
  e.request_id = "req-1";
  e.agent = "spiffe://example.org/agent/1";
  e.route = "tools";
  e.protocol = "mcp";
  e.action = "tools/call";
  e.upstream_status = 200;
  e.latency_us = 1500;
  return e;
}

template <typename Event>
Result<AppendReceipt> append_sync(AuditLog& log, Event event) {
  std::promise<Result<AppendReceipt>> promise;
  auto future = promise.get_future();
  log.append(std::move(event), [&promise](Result<AppendReceipt> r) { promise.set_value(std::move(r)); });
  return future.get();
}

inline std::vector<std::string> read_lines(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(in, line)) {
    lines.push_back(line);
  }
  return lines;
}

inline void write_lines(const std::filesystem::path& file, const std::vector<std::string>& lines) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  for (const auto& l : lines) {
    out << l << '\n';
  }
}

inline std::string read_all(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace audit_test
