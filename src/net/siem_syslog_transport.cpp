#include "net/siem_syslog_transport.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include "net/siem_syslog_format.hpp"

namespace portcullis::net::detail {
namespace {

using Clock = std::chrono::steady_clock;

std::string errno_text(int err) { return std::system_category().message(err); }

// The OpenSSL error queue as one line (and emptied, so the next failure starts clean).
std::string openssl_errors() {
  std::string out;
  while (const unsigned long code = ERR_get_error()) {
    char buffer[256];
    ERR_error_string_n(code, buffer, sizeof buffer);
    if (!out.empty()) {
      out += "; ";
    }
    out += buffer;
  }
  return out.empty() ? "unknown TLS error" : out;
}

bool is_ip_literal(const std::string& host) {
  in6_addr v6{};
  in_addr v4{};
  return inet_pton(AF_INET, host.c_str(), &v4) == 1 || inet_pton(AF_INET6, host.c_str(), &v6) == 1;
}

// Waits for `events` on fd until `deadline`. false on timeout or poll error.
bool wait_fd(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      return false;
    }
    pollfd pfd{fd, events, 0};
    const int rc = ::poll(&pfd, 1, static_cast<int>(left.count()));
    if (rc > 0) {
      return true;
    }
    if (rc < 0 && errno != EINTR) {
      return false;
    }
  }
}

}  // namespace

SyslogTransport::~SyslogTransport() { disconnect(); }

Result<void> SyslogTransport::fail_and_disconnect(std::string message) {
  disconnect();
  return fail(std::move(message));
}

Result<void> SyslogTransport::connect() {
  disconnect();
  sent_ = 0;
  if (auto tcp = connect_tcp(); !tcp) {
    return tcp;
  }
  if (options_.tls.enabled) {
    return handshake();
  }
  return {};
}

Result<void> SyslogTransport::connect_tcp() {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (const int rc = ::getaddrinfo(options_.host.c_str(), options_.port.c_str(), &hints, &found);
      rc != 0) {
    return fail("resolve " + options_.host + ": " + gai_strerror(rc));
  }
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> addresses(found, &::freeaddrinfo);
  std::string last_error = "no address";
  const auto deadline = Clock::now() + options_.connect_timeout;
  for (const addrinfo* ai = addresses.get(); ai != nullptr; ai = ai->ai_next) {
    const int fd =
        ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
      last_error = "socket: " + errno_text(errno);
      continue;
    }
    int rc = ::connect(fd, ai->ai_addr, ai->ai_addrlen);
    if (rc != 0 && errno == EINPROGRESS) {
      if (wait_fd(fd, POLLOUT, deadline)) {
        int err = 0;
        socklen_t len = sizeof err;
        ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
        rc = err == 0 ? 0 : -1;
        errno = err;
      } else {
        rc = -1;
        errno = ETIMEDOUT;
      }
    }
    if (rc == 0) {
      fd_ = fd;
      return {};
    }
    last_error = errno_text(errno);
    ::close(fd);
  }
  return fail("connect to " + options_.host + ":" + options_.port + ": " + last_error);
}

Result<void> SyslogTransport::handshake() {
  ERR_clear_error();
  ctx_ = SSL_CTX_new(TLS_client_method());
  if (ctx_ == nullptr) {
    return fail_and_disconnect("TLS: " + openssl_errors());
  }
  SSL_CTX_set_min_proto_version(ctx_, TLS1_2_VERSION);
  SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
  const auto& tls = options_.tls;
  const bool trusted = tls.ca.empty()
                           ? SSL_CTX_set_default_verify_paths(ctx_) == 1
                           : SSL_CTX_load_verify_locations(ctx_, tls.ca.c_str(), nullptr) == 1;
  if (!trusted) {
    return fail_and_disconnect("TLS: CA " +
                               (tls.ca.empty() ? std::string("(system store)") : tls.ca.string()) +
                               ": " + openssl_errors());
  }
  if (!tls.cert.empty() &&
      (SSL_CTX_use_certificate_chain_file(ctx_, tls.cert.c_str()) != 1 ||
       SSL_CTX_use_PrivateKey_file(ctx_, tls.key.c_str(), SSL_FILETYPE_PEM) != 1 ||
       SSL_CTX_check_private_key(ctx_) != 1)) {
    return fail_and_disconnect("TLS: client certificate " + tls.cert.string() + " / key " +
                               tls.key.string() + ": " + openssl_errors());
  }
  ssl_ = SSL_new(ctx_);
  if (ssl_ == nullptr || SSL_set_fd(ssl_, fd_) != 1) {
    return fail_and_disconnect("TLS: " + openssl_errors());
  }
  if (is_ip_literal(tls.server_name)) {
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_), tls.server_name.c_str());
  } else {
    // SSL_set_tlsext_host_name() is a macro with a C cast; this is what it expands to.
    SSL_ctrl(ssl_, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
             const_cast<char*>(tls.server_name.c_str()));
    SSL_set1_host(ssl_, tls.server_name.c_str());
  }
  const auto deadline = Clock::now() + options_.io_timeout;
  for (;;) {
    const int rc = SSL_connect(ssl_);
    if (rc == 1) {
      return {};
    }
    const int err = SSL_get_error(ssl_, rc);
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
      if (!wait_fd(fd_, err == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline)) {
        return fail_and_disconnect("TLS handshake with " + options_.host + ": timed out");
      }
      continue;
    }
    std::string why;
    if (const long verify = SSL_get_verify_result(ssl_); verify != X509_V_OK) {
      why =
          std::string("certificate verification failed: ") + X509_verify_cert_error_string(verify);
    } else {
      why = openssl_errors();
    }
    return fail_and_disconnect("TLS handshake with " + options_.host + ": " + why);
  }
}

bool SyslogTransport::peer_closed() {
  char buffer[512];
  for (;;) {
    if (ssl_ != nullptr) {
      ERR_clear_error();
      const int n = SSL_read(ssl_, buffer, sizeof buffer);
      if (n > 0) {
        continue;  // a receiver has nothing to say; discard
      }
      const int err = SSL_get_error(ssl_, n);
      return err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE;
    }
    const ssize_t n = ::recv(fd_, buffer, sizeof buffer, MSG_DONTWAIT);
    if (n > 0) {
      continue;
    }
    return n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
  }
}

Result<void> SyslogTransport::write_all(std::string_view data) {
  const auto deadline = Clock::now() + options_.io_timeout;
  while (!data.empty()) {
    if (ssl_ != nullptr) {
      ERR_clear_error();
      const int n = SSL_write(ssl_, data.data(), static_cast<int>(data.size()));
      if (n > 0) {
        data.remove_prefix(static_cast<std::size_t>(n));
        continue;
      }
      const int err = SSL_get_error(ssl_, n);
      if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
        if (!wait_fd(fd_, err == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline)) {
          return fail("TLS write: timed out");
        }
        continue;
      }
      return fail("TLS write: " +
                  (err == SSL_ERROR_SYSCALL ? errno_text(errno) : openssl_errors()));
    }
    const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
    if (n > 0) {
      data.remove_prefix(static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
      if (!wait_fd(fd_, POLLOUT, deadline)) {
        return fail("write: timed out");
      }
      continue;
    }
    return fail("write: " + errno_text(errno));
  }
  return {};
}

Result<void> SyslogTransport::send(std::string_view message) {
  if (fd_ < 0) {
    return fail("syslog: not connected");
  }
  if (peer_closed()) {
    return fail_and_disconnect("syslog receiver " + options_.host + ":" + options_.port +
                               " closed the connection");
  }
  if (auto written = write_all(frame_octet_counted(message)); !written) {
    return fail_and_disconnect(written.error().message);
  }
  ++sent_;
  return {};
}

Result<void> SyslogTransport::flush() {
  if (fd_ >= 0 && peer_closed()) {
    return fail_and_disconnect("syslog receiver " + options_.host + ":" + options_.port +
                               " closed the connection");
  }
  return {};
}

void SyslogTransport::disconnect() {
  if (ssl_ != nullptr) {
    // Best effort close_notify; never wait for the receiver's.
    SSL_shutdown(ssl_);
    SSL_free(ssl_);
    ssl_ = nullptr;
  }
  if (ctx_ != nullptr) {
    SSL_CTX_free(ctx_);
    ctx_ = nullptr;
  }
  if (fd_ >= 0) {
    // Unread input would turn close() into a reset that can discard what we sent last.
    char buffer[512];
    while (::recv(fd_, buffer, sizeof buffer, MSG_DONTWAIT) > 0) {
    }
    ::shutdown(fd_, SHUT_WR);
    ::close(fd_);
    fd_ = -1;
  }
  ERR_clear_error();
}

}  // namespace portcullis::net::detail
