// TlsStream: TLS over a beast::tcp_stream that drives OpenSSL directly on the socket, without
// Asio's per-stream buffers, so that an idle connection costs only OpenSSL's own state.
//
// Why not asio::ssl::stream: every asio::ssl::stream allocates and zero-fills two 17 KiB record
// buffers and an OpenSSL BIO pair of two more for its whole life (~68 KiB per connection, idle or
// not). Here OpenSSL reads and writes the socket itself through a small BIO (tls_stream.cpp) and
// runs with SSL_MODE_RELEASE_BUFFERS, so its record buffers are freed between records. What an
// idle connection still holds: the SSL object and session (peer certificate), this stream's
// state and a kWakeBytes buffer for the pending read that waits for the peer.
//
// How I/O works:
//  - Reads: OpenSSL asks the BIO for bytes. Bytes come from the "wake" buffer (filled by the last
//    tcp_stream::async_read_some, the only way this stream waits for the peer) and, right after a
//    wake-up, straight from the non-blocking socket. When neither has bytes, the operation waits
//    with tcp_stream::async_read_some into the wake buffer, so tcp_stream's expiry (header, body
//    and idle timeouts, handshake timeout) bounds every wait exactly as it did under
//    asio::ssl::stream, and an expired deadline fails the next wait with beast::error::timeout.
//  - Writes: the BIO sends ciphertext straight to the socket; what the socket does not take is
//    queued, and the operation does not complete before the queue is flushed with
//    asio::async_write on the tcp_stream (bounded by its expiry). A write operation hands
//    OpenSSL at most 16 KiB at a time (one record; small buffer sequences are flattened first,
//    as beast::flat_stream does), so the queue stays below one record plus alerts.
//  - Errors are mapped as Asio's ssl::detail::engine maps them: SSL_ERROR_SSL → the OpenSSL error
//    in asio::error::get_ssl_category(), a close_notify → asio::error::eof, end of stream without
//    close_notify → asio::ssl::error::stream_truncated, socket errors unchanged, tcp_stream's
//    timeout → beast::error::timeout. Alerts OpenSSL produced are flushed before the failing
//    operation completes (the peer sees e.g. "certificate required").
//
// Handlers run through the handler's associated executor (else this stream's: the connection's
// strand) and never inside the initiating function. Like asio::ssl::stream: one read-side
// operation (read, handshake or shutdown) and one write at a time. Renegotiation is disabled, so
// a write never needs to read. Operations keep the stream's state alive (shared), so destroying
// the TlsStream while an operation is pending only closes the socket (the operation completes
// with operation_aborted).
//
// Threading: not thread-safe; used from the connection's strand.
#pragma once

#include <openssl/ssl.h>

#include <algorithm>
#include <array>
#include <boost/asio/async_result.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream_base.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/async_base.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <cstddef>
#include <cstring>
#include <memory>
#include <vector>

namespace portcullis::net {

namespace tls_detail {

namespace asio = boost::asio;
namespace beast = boost::beast;

enum class Call { Handshake, Read, Write, Shutdown };

// Bytes of the read that waits for the peer (kept for the connection's life, so small; a
// request of up to this size arrives in one recv).
inline constexpr std::size_t kWakeBytes = 1024;
// Largest plaintext handed to SSL_write per write operation (one TLS record).
inline constexpr std::size_t kMaxWrite = 16 * 1024;

// The state of one TLS connection, shared by the TlsStream and its pending operations.
class Core {
 public:
  // What an operation does after one OpenSSL call.
  enum class Next { Complete, WaitRead };

  Core(beast::tcp_stream tcp, asio::ssl::context& context);
  ~Core();
  Core(const Core&) = delete;
  Core& operator=(const Core&) = delete;

  beast::tcp_stream tcp;
  SSL* ssl() const { return ssl_; }

  // Called when an operation starts: the socket is made non-blocking and bytes are read straight
  // from it only after this operation's first wait (so every new operation's first read goes
  // through tcp_stream and its deadline).
  void begin_operation(Call call, asio::ssl::stream_base::handshake_type type);
  // One OpenSSL call; on Complete, `ec` and `bytes` hold the result.
  Next call(Call call, void* data, std::size_t size, beast::error_code& ec, std::size_t& bytes);

  // The wait for the peer: read into the wake buffer, then woke() with what arrived.
  asio::mutable_buffer wake_buffer() { return asio::buffer(wake_); }
  void woke(std::size_t bytes);
  void set_reading(bool reading) { reading_ = reading; }
  [[nodiscard]] bool reading() const { return reading_; }
  // asio::error::eof from the transport as Asio's engine maps it: stream_truncated unless the
  // peer's close_notify was received (and nothing of ours is left unsent).
  [[nodiscard]] beast::error_code map_eof(const beast::error_code& ec) const;

  // Output the socket did not take yet (in order), and its flushing.
  [[nodiscard]] std::size_t queued_total() const { return queued_total_; }
  [[nodiscard]] bool has_unsent() const { return !unsent_.empty(); }
  [[nodiscard]] bool flushing() const { return flushing_; }
  [[nodiscard]] const beast::error_code& write_error() const { return write_error_; }
  asio::const_buffer start_flush();
  void end_flush(const beast::error_code& ec);
  // Operations whose output another operation is flushing wait here; end_flush wakes them.
  asio::steady_timer flush_turn;

  // BIO callbacks (tls_stream.cpp).
  int bio_read(char* out, int size);
  int bio_write(const char* in, int size);
  [[nodiscard]] bool read_eof() const { return read_eof_; }

 private:
  SSL* ssl_ = nullptr;
  std::array<unsigned char, kWakeBytes> wake_{};
  std::size_t wake_begin_ = 0;
  std::size_t wake_end_ = 0;
  bool may_recv_ = false;   // a wait completed in the current operation
  bool read_eof_ = false;   // the socket reported end of stream during the current call
  bool reading_ = false;    // an operation is waiting for the peer
  bool non_blocking_ = false;
  beast::error_code io_error_;     // the socket error behind the current call's failure
  beast::error_code write_error_;  // sticky: the connection cannot be written any more
  std::vector<unsigned char> unsent_;   // ciphertext not taken by the socket yet
  std::vector<unsigned char> sending_;  // ciphertext being flushed by asio::async_write
  bool flushing_ = false;
  std::size_t queued_total_ = 0;
};

// Finds the first non-empty buffer (what asio::ssl::stream reads into).
template <class Buffers>
asio::mutable_buffer first_buffer(const Buffers& buffers) {
  for (auto it = asio::buffer_sequence_begin(buffers); it != asio::buffer_sequence_end(buffers);
       ++it) {
    asio::mutable_buffer b(*it);
    if (b.size() != 0) {
      return b;
    }
  }
  return {};
}

// The bytes one write operation hands OpenSSL: the first buffer (up to kMaxWrite), or, as
// beast::flat_stream does, the leading buffers copied into `scratch` when several fit in it.
template <class Buffers>
asio::const_buffer write_buffer(const Buffers& buffers,
                                std::array<unsigned char, kMaxWrite>& scratch) {
  auto it = asio::buffer_sequence_begin(buffers);
  const auto end = asio::buffer_sequence_end(buffers);
  while (it != end && asio::const_buffer(*it).size() == 0) {
    ++it;
  }
  if (it == end) {
    return {};
  }
  const asio::const_buffer first(*it);
  std::size_t total = first.size();
  std::size_t count = 1;
  for (auto next = std::next(it); total < kMaxWrite && next != end; ++next) {
    const std::size_t n = asio::const_buffer(*next).size();
    if (total + n > kMaxWrite) {
      break;
    }
    if (n != 0) {
      total += n;
      ++count;
    }
  }
  if (count == 1) {
    return asio::const_buffer(first.data(), std::min(first.size(), kMaxWrite));
  }
  std::size_t at = 0;
  for (; count > 0; ++it) {
    const asio::const_buffer b(*it);
    if (b.size() == 0) {
      continue;
    }
    std::memcpy(scratch.data() + at, b.data(), b.size());
    at += b.size();
    --count;
  }
  return asio::const_buffer(scratch.data(), at);
}

}  // namespace tls_detail

class TlsStream {
 public:
  using executor_type = boost::beast::tcp_stream::executor_type;
  using next_layer_type = boost::beast::tcp_stream;

  TlsStream(boost::beast::tcp_stream tcp, boost::asio::ssl::context& context);
  TlsStream(TlsStream&&) noexcept = default;
  TlsStream& operator=(TlsStream&&) = delete;
  TlsStream(const TlsStream&) = delete;
  TlsStream& operator=(const TlsStream&) = delete;
  // Closes the socket: a pending operation completes with operation_aborted.
  ~TlsStream();

  [[nodiscard]] executor_type get_executor() { return core_->tcp.get_executor(); }
  [[nodiscard]] boost::beast::tcp_stream& next_layer() { return core_->tcp; }
  // The connection's SSL object (peer certificate, verify result, SNI, host name check).
  [[nodiscard]] SSL* native_handle() { return core_->ssl(); }

  // Token: void(error_code).
  template <class Token>
  auto async_handshake(boost::asio::ssl::stream_base::handshake_type type, Token&& token) {
    return start<void(boost::beast::error_code), tls_detail::Call::Handshake>(
        type, NoBuffers{}, std::forward<Token>(token));
  }
  // Sends close_notify and waits for the peer's, like asio::ssl::stream. Token: void(error_code).
  template <class Token>
  auto async_shutdown(Token&& token) {
    return start<void(boost::beast::error_code), tls_detail::Call::Shutdown>(
        boost::asio::ssl::stream_base::server, NoBuffers{}, std::forward<Token>(token));
  }
  // Token: void(error_code, std::size_t).
  template <class MutableBuffers, class Token>
  auto async_read_some(const MutableBuffers& buffers, Token&& token) {
    return start<void(boost::beast::error_code, std::size_t), tls_detail::Call::Read>(
        boost::asio::ssl::stream_base::server, buffers, std::forward<Token>(token));
  }
  // Also flushes ciphertext an earlier write_now() left queued before completing (an empty
  // `buffers` only flushes).
  template <class ConstBuffers, class Token>
  auto async_write_some(const ConstBuffers& buffers, Token&& token) {
    return start<void(boost::beast::error_code, std::size_t), tls_detail::Call::Write>(
        boost::asio::ssl::stream_base::server, buffers, std::forward<Token>(token));
  }

  // Writes the leading bytes of `buffers` (one record, at most kMaxWrite) now, without waiting
  // and without a completion handler: OpenSSL encrypts them and the socket is offered the
  // ciphertext. Returns the plaintext bytes taken (0 when OpenSSL would need to read first,
  // which renegotiation being off rules out). Ciphertext the socket did not take stays queued
  // (has_queued_output()) until a write operation flushes it. Not while a write operation is in
  // progress (one write at a time, as for async_write_some).
  template <class ConstBuffers>
  std::size_t write_now(const ConstBuffers& buffers, boost::beast::error_code& ec) {
    ec = {};
    core_->begin_operation(tls_detail::Call::Write, boost::asio::ssl::stream_base::server);
    std::array<unsigned char, tls_detail::kMaxWrite> scratch;  // NOLINT: filled before use
    const boost::asio::const_buffer b = tls_detail::write_buffer(buffers, scratch);
    if (b.size() == 0) {
      return 0;
    }
    std::size_t bytes = 0;
    // SSL_write reads the bytes during the call only (the BIO never asks to retry).
    if (core_->call(tls_detail::Call::Write, const_cast<void*>(b.data()), b.size(), ec, bytes) !=
        tls_detail::Core::Next::Complete) {
      return 0;
    }
    return ec ? 0 : bytes;
  }
  // Ciphertext is waiting to be sent (by an operation's flush, or queued by write_now()).
  [[nodiscard]] bool has_queued_output() const { return core_->has_unsent() || core_->flushing(); }

 private:
  struct NoBuffers {};
  template <class Handler, class Buffers, class Signature, tls_detail::Call C>
  class Op;

  template <class Signature, tls_detail::Call C, class Buffers, class Token>
  auto start(boost::asio::ssl::stream_base::handshake_type type, const Buffers& buffers,
             Token&& token) {
    return boost::asio::async_initiate<Token, Signature>(
        [core = core_, type](auto handler, const Buffers& b) {
          using Handler = std::decay_t<decltype(handler)>;
          Op<Handler, Buffers, Signature, C>(std::move(handler), core, type, b);
        },
        token, buffers);
  }

  std::shared_ptr<tls_detail::Core> core_;
};

// One operation: OpenSSL calls until it completes, waits for the peer when it must, flushes
// queued output before completing.
template <class Handler, class Buffers, class Signature, tls_detail::Call C>
class TlsStream::Op : public boost::beast::async_base<Handler, executor_type> {
  using Base = boost::beast::async_base<Handler, executor_type>;
  using Core = tls_detail::Core;
  enum class Wait { None, Read, Flush, Turn };

 public:
  Op(Handler&& handler, std::shared_ptr<Core> core,
     boost::asio::ssl::stream_base::handshake_type role, const Buffers& buffers)
      : Base(std::move(handler), core->tcp.get_executor()), core_(std::move(core)), buffers_(buffers) {
    core_->begin_operation(C, role);
    if constexpr (C == tls_detail::Call::Write) {
      // What write_now() left queued goes out before this write completes.
      owes_flush_ = core_->has_unsent() || core_->flushing();
    }
    resume(false);
  }

  Op(Op&&) = default;

  // Completion of the current wait (tcp read, flush write, or flush turn timer).
  void operator()(boost::beast::error_code ec, std::size_t bytes = 0) {
    const Wait wait = wait_;
    wait_ = Wait::None;
    switch (wait) {
      case Wait::Read:
        core_->set_reading(false);
        if (ec) {
          // As in Asio's io_op: a transport error ends the operation as it is.
          return finish(true, core_->map_eof(ec), 0);
        }
        core_->woke(bytes);
        break;
      case Wait::Flush:
        core_->end_flush(ec);
        if (ec) {
          // The first error wins (an alert's flush failing keeps the handshake's error).
          return finish(true, done_ && ec_ ? ec_ : ec, 0);
        }
        break;
      case Wait::Turn:
      case Wait::None:
        break;
    }
    resume(true);
  }

 private:
  void resume(bool continuation) {
    while (!done_) {
      const std::size_t queued_before = core_->queued_total();
      const Core::Next next = call();
      owes_flush_ = owes_flush_ || core_->queued_total() != queued_before;
      if (next == Core::Next::Complete) {
        done_ = true;
        break;
      }
      // OpenSSL needs the peer's bytes; what it wrote for the peer (a handshake flight) goes
      // out first.
      if (owes_flush_) {
        return flush(continuation);
      }
      if (core_->reading()) {
        // Only a write can get here (renegotiation is disabled, so it never should).
        return finish(continuation, boost::asio::error::operation_not_supported, 0);
      }
      wait_ = Wait::Read;
      core_->set_reading(true);
      return core_->tcp.async_read_some(core_->wake_buffer(), std::move(*this));
    }
    if (owes_flush_) {
      return flush(continuation);
    }
    finish(continuation, ec_, ec_ ? 0 : bytes_);
  }

  // Flushes the queue (ours and whatever else was queued), or waits for the operation already
  // flushing it; resume() runs again afterwards.
  void flush(bool continuation) {
    if (core_->flushing()) {
      wait_ = Wait::Turn;
      return core_->flush_turn.async_wait(std::move(*this));
    }
    if (!core_->has_unsent()) {
      // Someone else flushed it (or failed to).
      owes_flush_ = false;
      if (core_->write_error()) {
        return finish(continuation, done_ && ec_ ? ec_ : core_->write_error(), 0);
      }
      return resume(continuation);
    }
    owes_flush_ = false;
    wait_ = Wait::Flush;
    boost::asio::async_write(core_->tcp, core_->start_flush(), std::move(*this));
  }

  Core::Next call() {
    if constexpr (C == tls_detail::Call::Handshake || C == tls_detail::Call::Shutdown) {
      return core_->call(C, nullptr, 0, ec_, bytes_);
    } else if constexpr (C == tls_detail::Call::Read) {
      const boost::asio::mutable_buffer b = tls_detail::first_buffer(buffers_);
      if (b.size() == 0) {
        ec_ = {};
        bytes_ = 0;
        return Core::Next::Complete;
      }
      return core_->call(C, b.data(), b.size(), ec_, bytes_);
    } else {
      std::array<unsigned char, tls_detail::kMaxWrite> scratch;  // NOLINT: filled before use
      const boost::asio::const_buffer b = tls_detail::write_buffer(buffers_, scratch);
      if (b.size() == 0) {
        ec_ = {};
        bytes_ = 0;
        return Core::Next::Complete;
      }
      // SSL_write reads the bytes during the call only (the BIO never asks to retry).
      return core_->call(C, const_cast<void*>(b.data()), b.size(), ec_, bytes_);
    }
  }

  void finish(bool continuation, boost::beast::error_code ec, std::size_t bytes) {
    done_ = true;
    if constexpr (std::is_same_v<Signature, void(boost::beast::error_code)>) {
      (void)bytes;
      this->complete(continuation, ec);
    } else {
      this->complete(continuation, ec, bytes);
    }
  }

  std::shared_ptr<Core> core_;
  Buffers buffers_;
  Wait wait_ = Wait::None;
  bool done_ = false;        // the OpenSSL call finished; only flushing is left
  bool owes_flush_ = false;  // this operation queued output that is not on the socket yet
  boost::beast::error_code ec_;
  std::size_t bytes_ = 0;
};

}  // namespace portcullis::net
