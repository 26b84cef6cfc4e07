// SyslogTransport: RFC 5424 messages in RFC 6587 octet-counted framing over TCP, or over TLS
// (RFC 5425) with OpenSSL: the receiver's certificate is verified against `tls.ca` and must name
// `tls.server_name`; we present `tls.cert`.
//
// Syslog has no acknowledgement. confirmed() counts messages handed to the kernel; before each
// send the socket is checked for the receiver's close (a syslog receiver never sends data, so a
// readable socket means EOF, an alert or a reset), which narrows the loss window to what sat in
// socket buffers when the connection died. The runner covers that window by re-sending
// `resend_window` records after every connect().
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "net/siem_transport.hpp"
#include "portcullis/net/siem_sink.hpp"

struct ssl_st;
struct ssl_ctx_st;

namespace portcullis::net::detail {

struct SyslogTransportOptions {
  std::string host;
  std::string port;
  SiemTlsOptions tls;  // tls.server_name already resolved (never "")
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds io_timeout{10000};
};

class SyslogTransport final : public SiemTransport {
 public:
  explicit SyslogTransport(SyslogTransportOptions options) : options_(std::move(options)) {}
  ~SyslogTransport() override;
  SyslogTransport(const SyslogTransport&) = delete;
  SyslogTransport& operator=(const SyslogTransport&) = delete;

  [[nodiscard]] Result<void> connect() override;
  [[nodiscard]] bool connected() const override { return fd_ >= 0; }
  [[nodiscard]] Result<void> send(std::string_view message) override;
  [[nodiscard]] std::uint64_t confirmed() const override { return sent_; }
  [[nodiscard]] Result<void> flush() override;
  void disconnect() override;
  [[nodiscard]] bool acknowledges() const override { return false; }

 private:
  [[nodiscard]] Result<void> connect_tcp();
  [[nodiscard]] Result<void> handshake();
  [[nodiscard]] Result<void> write_all(std::string_view data);
  // Non-blocking check: did the receiver close (or reset) the connection?
  [[nodiscard]] bool peer_closed();
  [[nodiscard]] Result<void> fail_and_disconnect(std::string message);

  SyslogTransportOptions options_;
  int fd_ = -1;
  ssl_ctx_st* ctx_ = nullptr;
  ssl_st* ssl_ = nullptr;
  std::uint64_t sent_ = 0;
};

}  // namespace portcullis::net::detail
