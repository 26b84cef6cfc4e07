// SiemTransport: one SIEM connection as the sink runner sees it — connect, send messages, learn
// how many of them the receiver is known to hold. Implemented by RELP (librelp) and syslog
// (TCP/TLS with OpenSSL); faked in tests.
//
// Threading: used only by its sink's thread; every call may block up to the configured
// connect/io timeouts, which is why a sink has a thread of its own.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "portcullis/common/result.hpp"

namespace portcullis::net::detail {

class SiemTransport {
 public:
  virtual ~SiemTransport() = default;

  // Opens a new connection (TCP connect, TLS handshake with verification, RELP open).
  [[nodiscard]] virtual Result<void> connect() = 0;
  [[nodiscard]] virtual bool connected() const = 0;

  // Hands one message to the connection. An error leaves the transport disconnected.
  [[nodiscard]] virtual Result<void> send(std::string_view message) = 0;

  // How many of the messages sent since connect() (counted from the first) the receiver is
  // known to hold.
  [[nodiscard]] virtual std::uint64_t confirmed() const = 0;

  // Confirms every message sent so far, or fails and disconnects. RELP does this by closing the
  // session (its close reply comes after every earlier reply), so the transport may be
  // disconnected afterwards without any failure: the next send needs connect().
  [[nodiscard]] virtual Result<void> flush() = 0;

  // Drops the connection; nothing more is confirmed.
  virtual void disconnect() = 0;

  // True when confirmed() counts receiver acknowledgements (RELP). False when it only counts
  // bytes handed to the kernel (syslog): the runner then re-sends a window of records after
  // every connect().
  [[nodiscard]] virtual bool acknowledges() const = 0;
};

// "host:port" or "[v6]:port" split in two; the port must be 1..65535.
struct HostPort {
  std::string host;
  std::string port;
};
[[nodiscard]] Result<HostPort> split_host_port(std::string_view address);

}  // namespace portcullis::net::detail
