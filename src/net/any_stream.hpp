// AnyStream: one connection that is either plain TCP or TLS over TCP, behind a single
// AsyncReadStream/AsyncWriteStream type, so the session and the proxy code are written once
// (instead of a template instantiated per stream kind, which doubles the slow Beast builds).
//
// Threading: like the streams it wraps, not thread-safe; used from one strand at a time.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <cstddef>
#include <optional>
#include <span>
#include <utility>

#include "net/tls_stream.hpp"

namespace portcullis::net {

namespace asio = boost::asio;
namespace beast = boost::beast;

class AnyStream {
 public:
  using executor_type = beast::tcp_stream::executor_type;

  // A plain TCP connection.
  explicit AnyStream(beast::tcp_stream tcp);
  // TLS over `tcp`; the handshake is the owner's job (tls()->async_handshake).
  AnyStream(beast::tcp_stream tcp, asio::ssl::context& context);

  AnyStream(AnyStream&&) = default;
  // Not assignable: beast::tcp_stream has no move assignment (clang: -Wdefaulted-function-deleted).
  AnyStream& operator=(AnyStream&&) = delete;
  AnyStream(const AnyStream&) = delete;
  AnyStream& operator=(const AnyStream&) = delete;
  ~AnyStream() = default;

  [[nodiscard]] executor_type get_executor() { return tcp().get_executor(); }
  [[nodiscard]] bool is_tls() const { return tls_.has_value(); }
  // The TCP layer (timeouts, close, endpoints).
  [[nodiscard]] beast::tcp_stream& tcp();
  // The TLS layer, or nullptr on a plain connection.
  [[nodiscard]] TlsStream* tls() { return tls_ ? &*tls_ : nullptr; }

  template <class MutableBuffers, class Token>
  auto async_read_some(const MutableBuffers& buffers, Token&& token) {
    return asio::async_initiate<Token, void(beast::error_code, std::size_t)>(
        [this](auto handler, const MutableBuffers& b) {
          if (tls_) {
            tls_->async_read_some(b, std::move(handler));
          } else {
            plain_->async_read_some(b, std::move(handler));
          }
        },
        token, buffers);
  }

  template <class ConstBuffers, class Token>
  auto async_write_some(const ConstBuffers& buffers, Token&& token) {
    return asio::async_initiate<Token, void(beast::error_code, std::size_t)>(
        [this](auto handler, const ConstBuffers& b) {
          if (tls_) {
            tls_->async_write_some(b, std::move(handler));
          } else {
            plain_->async_write_some(b, std::move(handler));
          }
        },
        token, buffers);
  }

  // Writes what the socket takes now, without waiting and without a completion handler: the
  // leading bytes of `buffers` (TLS: record by record while the socket takes every record
  // whole). Returns the bytes of `buffers` taken; a would-block is not an error. The rest —
  // and, on TLS, ciphertext still queued (has_queued_output()) — goes out with an async write
  // (an empty one only flushes). Not while a write operation is in progress.
  std::size_t write_now(std::span<const asio::const_buffer> buffers, beast::error_code& ec);
  [[nodiscard]] bool has_queued_output() const { return tls_ && tls_->has_queued_output(); }

  // Closes the socket (no TLS close_notify: callers that want one shut TLS down first).
  void close();

 private:
  std::optional<beast::tcp_stream> plain_;
  std::optional<TlsStream> tls_;
};

}  // namespace portcullis::net
