// RelpTransport: RELP over librelp (Debian librelp-dev), optionally over TLS (OpenSSL backend)
// with server verification by name and a client certificate.
//
// librelp's client API does not report which frame an acknowledgement was for. Two facts of its
// implementation give an exact lower bound instead (librelp relpsess.c):
//   - relpCltSendSyslog() sends a frame only once fewer than `window` frames are unacknowledged,
//     and receivers acknowledge in order, so after the k-th send the first k - window frames are
//     acknowledged;
//   - closing the client sends RELP `close` and waits for its reply, which the receiver sends
//     after replying to every earlier frame; any failure on the way reports through the engine's
//     error callback.
// So confirmed() = max(0, sent - window) while the session is open, and flush() closes the
// session and confirms everything when no error was reported. Frames not confirmed when a
// session fails are re-sent by the runner from its cursor (duplicates carry the same uid).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "net/siem_transport.hpp"
#include "portcullis/net/siem_sink.hpp"

struct relpEngine_s;
struct relpClt_s;

namespace portcullis::net::detail {

struct RelpTransportOptions {
  std::string host;
  std::string port;
  SiemTlsOptions tls;  // tls.server_name already resolved (never "")
  int window = 128;
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds io_timeout{10000};
};

class RelpTransport final : public SiemTransport {
 public:
  [[nodiscard]] static Result<std::unique_ptr<RelpTransport>> create(RelpTransportOptions options);
  ~RelpTransport() override;
  RelpTransport(const RelpTransport&) = delete;
  RelpTransport& operator=(const RelpTransport&) = delete;

  [[nodiscard]] Result<void> connect() override;
  [[nodiscard]] bool connected() const override { return client_ != nullptr; }
  [[nodiscard]] Result<void> send(std::string_view message) override;
  [[nodiscard]] std::uint64_t confirmed() const override { return confirmed_; }
  [[nodiscard]] Result<void> flush() override;
  void disconnect() override;
  [[nodiscard]] bool acknowledges() const override { return true; }

  // librelp callbacks (C linkage is not needed: librelp stores plain function pointers).
  void note_error(const char* what, const char* message, int code);

 private:
  explicit RelpTransport(RelpTransportOptions options) : options_(std::move(options)) {}
  void destroy_client();

  RelpTransportOptions options_;
  relpEngine_s* engine_ = nullptr;
  relpClt_s* client_ = nullptr;
  std::uint64_t sent_ = 0;
  std::uint64_t confirmed_ = 0;
  std::uint64_t errors_ = 0;  // errors librelp reported through its callbacks
  std::string last_error_;
};

}  // namespace portcullis::net::detail
