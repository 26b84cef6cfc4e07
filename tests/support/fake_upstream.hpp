// FakeUpstream: a plain-HTTP server on 127.0.0.1:<ephemeral> standing in for an MCP tool server,
// an A2A agent or an HTTP API. It records every request it receives (so a test can prove that a
// denied call never arrived) and answers through a handler the test sets. One thread per
// connection, blocking I/O: simple and obviously correct, which is what a test double needs.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace portcullis::test {

struct ReceivedRequest {
  std::string method;
  std::string target;
  std::vector<std::pair<std::string, std::string>> headers;  // in order, names as sent
  std::string body;

  // The first value of `name` (case-insensitive), or "" when absent.
  [[nodiscard]] std::string header(std::string_view name) const;
  // How many times `name` occurs.
  [[nodiscard]] std::size_t header_count(std::string_view name) const;
};

// Writes the answer to one request. Either respond() once, or start_stream() + chunk()... + end().
class UpstreamWriter {
 public:
  virtual ~UpstreamWriter() = default;
  virtual void respond(int status, std::string content_type, std::string body,
                       std::vector<std::pair<std::string, std::string>> headers = {}) = 0;
  virtual void start_stream(int status, std::string content_type) = 0;  // chunked
  virtual void chunk(std::string_view data) = 0;
  virtual void end() = 0;
  // Writes bytes as they are: answers a well-behaved server would not give (a lying
  // Content-Length, bytes after the answer, hop-by-hop fields).
  virtual void raw(std::string_view bytes) = 0;
  // Closes the connection without (further) answer: an upstream that died.
  virtual void close() = 0;
};

class FakeUpstream {
 public:
  using Handler = std::function<void(const ReceivedRequest&, UpstreamWriter&)>;

  // Starts listening. The default handler answers a JSON-RPC body with
  // {"jsonrpc":"2.0","id":<id>,"result":{"upstream":"ok"}} and anything else with 200 "ok".
  FakeUpstream();
  ~FakeUpstream();
  FakeUpstream(const FakeUpstream&) = delete;
  FakeUpstream& operator=(const FakeUpstream&) = delete;

  void set_handler(Handler handler);
  [[nodiscard]] std::uint16_t port() const;
  [[nodiscard]] std::vector<ReceivedRequest> received() const;
  [[nodiscard]] std::size_t count() const;
  // Waits until at least `n` requests arrived.
  bool wait_for(std::size_t n, std::chrono::milliseconds timeout) const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace portcullis::test
