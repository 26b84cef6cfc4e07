#include "net/tls_stream.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <sys/socket.h>

#include <boost/asio/detail/throw_error.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/system/system_error.hpp>
#include <cerrno>
#include <climits>
#include <cstring>

namespace portcullis::net {
namespace tls_detail {

namespace {

Core* core_of(BIO* bio) { return static_cast<Core*>(BIO_get_data(bio)); }

int bio_read(BIO* bio, char* out, int size) { return core_of(bio)->bio_read(out, size); }

int bio_write(BIO* bio, const char* in, int size) { return core_of(bio)->bio_write(in, size); }

long bio_ctrl(BIO* bio, int command, long /*larg*/, void* /*parg*/) {
  switch (command) {
    case BIO_CTRL_FLUSH:  // OpenSSL flushes after each handshake flight: bytes are already out
      return 1;           // or queued in order
    case BIO_CTRL_EOF:
      return core_of(bio)->read_eof() ? 1 : 0;
    default:
      return 0;
  }
}

int bio_create(BIO* bio) {
  BIO_set_init(bio, 1);
  return 1;
}

int bio_destroy(BIO* /*bio*/) { return 1; }

// One BIO method for every connection: the Core is the BIO's data.
BIO_METHOD* socket_method() {
  static BIO_METHOD* const method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "portcullis-socket");
    if (m == nullptr || BIO_meth_set_read(m, bio_read) != 1 ||
        BIO_meth_set_write(m, bio_write) != 1 || BIO_meth_set_ctrl(m, bio_ctrl) != 1 ||
        BIO_meth_set_create(m, bio_create) != 1 || BIO_meth_set_destroy(m, bio_destroy) != 1) {
      boost::asio::detail::throw_error(
          boost::system::error_code(static_cast<int>(ERR_get_error()),
                                    boost::asio::error::get_ssl_category()),
          "TLS BIO method");
    }
    return m;
  }();
  return method;
}

bool would_block(int error) { return error == EAGAIN || error == EWOULDBLOCK || error == EINTR; }

}  // namespace

Core::Core(beast::tcp_stream tcp_stream, asio::ssl::context& context)
    : tcp(std::move(tcp_stream)), flush_turn(tcp.get_executor()) {
  flush_turn.expires_at(asio::steady_timer::time_point::max());
  ssl_ = SSL_new(context.native_handle());
  BIO* bio = ssl_ != nullptr ? BIO_new(socket_method()) : nullptr;
  if (bio == nullptr) {
    const auto error = static_cast<int>(ERR_get_error());
    SSL_free(ssl_);
    boost::asio::detail::throw_error(
        boost::system::error_code(error, boost::asio::error::get_ssl_category()), "SSL_new");
  }
  BIO_set_data(bio, this);
  SSL_set_bio(ssl_, bio, bio);
  // RELEASE_BUFFERS: OpenSSL frees its record buffers whenever they are empty, which is what
  // makes an idle connection cheap. The other two as asio::ssl::stream sets them.
  SSL_set_mode(ssl_, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE |
                         SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  // No renegotiation either way (a TLS 1.2 peer asking gets a no_renegotiation alert): with it,
  // a write could need to read while a read is pending.
  SSL_set_options(ssl_, SSL_OP_NO_RENEGOTIATION);
}

Core::~Core() { SSL_free(ssl_); }

void Core::begin_operation(Call call, asio::ssl::stream_base::handshake_type type) {
  may_recv_ = false;
  if (!non_blocking_ && tcp.socket().is_open()) {
    beast::error_code ignored;
    tcp.socket().non_blocking(true, ignored);
    non_blocking_ = !ignored;
  }
  if (call == Call::Handshake) {
    if (type == asio::ssl::stream_base::client) {
      SSL_set_connect_state(ssl_);
    } else {
      SSL_set_accept_state(ssl_);
    }
  }
}

Core::Next Core::call(Call what, void* data, std::size_t size, beast::error_code& ec,
                      std::size_t& bytes) {
  ERR_clear_error();
  io_error_ = {};
  read_eof_ = false;
  std::size_t done = 0;
  int result = 0;
  switch (what) {
    case Call::Handshake:
      result = SSL_do_handshake(ssl_);
      break;
    case Call::Shutdown:
      // As asio's engine: send close_notify, then wait for the peer's.
      result = SSL_shutdown(ssl_);
      if (result == 0) {
        result = SSL_shutdown(ssl_);
      }
      break;
    case Call::Read:
      result = SSL_read_ex(ssl_, data, size, &done);
      break;
    case Call::Write:
      result = SSL_write_ex(ssl_, data, size, &done);
      break;
  }
  const int ssl_error = SSL_get_error(ssl_, result);
  bytes = 0;
  switch (ssl_error) {
    case SSL_ERROR_NONE:
      ec = {};
      bytes = done;
      return Next::Complete;
    case SSL_ERROR_WANT_READ:
      return Next::WaitRead;
    case SSL_ERROR_ZERO_RETURN:  // the peer's close_notify
      ec = map_eof(asio::error::eof);
      return Next::Complete;
    case SSL_ERROR_SYSCALL:
    case SSL_ERROR_SSL: {
      const auto first_error = static_cast<int>(ERR_get_error());
      if (io_error_) {
        ec = io_error_;  // the socket's own error, as Asio passes the transport's through
      } else if (write_error_ && what != Call::Read) {
        ec = write_error_;
      } else if (read_eof_) {
        ec = map_eof(asio::error::eof);
      } else if (first_error != 0) {
        ec = beast::error_code(first_error, asio::error::get_ssl_category());
      } else {
        ec = asio::ssl::error::unspecified_system_error;
      }
      return Next::Complete;
    }
    default:  // WANT_WRITE cannot happen: the BIO never refuses bytes
      ec = asio::ssl::error::unexpected_result;
      return Next::Complete;
  }
}

void Core::woke(std::size_t bytes) {
  wake_begin_ = 0;
  wake_end_ = bytes;
  may_recv_ = true;
}

beast::error_code Core::map_eof(const beast::error_code& ec) const {
  if (ec != asio::error::eof) {
    return ec;
  }
  if (!unsent_.empty() || !sending_.empty()) {
    return asio::ssl::error::stream_truncated;
  }
  if ((SSL_get_shutdown(ssl_) & SSL_RECEIVED_SHUTDOWN) == 0) {
    return asio::ssl::error::stream_truncated;
  }
  return ec;
}

int Core::bio_read(char* out, int size) {
  BIO* bio = SSL_get_rbio(ssl_);
  BIO_clear_retry_flags(bio);
  if (size <= 0) {
    return 0;
  }
  auto wanted = static_cast<std::size_t>(size);
  std::size_t got = std::min(wanted, wake_end_ - wake_begin_);
  std::memcpy(out, wake_.data() + wake_begin_, got);
  wake_begin_ += got;
  if (got < wanted && may_recv_) {
    ssize_t n = 0;
    do {
      n = ::recv(tcp.socket().native_handle(), out + got, wanted - got, 0);
    } while (n < 0 && errno == EINTR);
    if (n > 0) {
      got += static_cast<std::size_t>(n);
    } else if (n == 0) {
      if (got == 0) {
        read_eof_ = true;
        return 0;
      }
    } else if (would_block(errno)) {
      may_recv_ = false;  // drained: the next bytes come through a wait (and its deadline)
    } else if (got == 0) {
      io_error_ = beast::error_code(errno, boost::system::system_category());
      return -1;
    }
  }
  if (got == 0) {
    BIO_set_retry_read(bio);
    return -1;
  }
  return static_cast<int>(got);
}

int Core::bio_write(const char* in, int size) {
  BIO* bio = SSL_get_wbio(ssl_);
  BIO_clear_retry_flags(bio);
  if (write_error_) {
    return -1;
  }
  if (size <= 0) {
    return 0;
  }
  auto length = static_cast<std::size_t>(size);
  std::size_t sent = 0;
  if (unsent_.empty() && !flushing_) {
    ssize_t n = 0;
    do {
      n = ::send(tcp.socket().native_handle(), in, length, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    if (n >= 0) {
      sent = static_cast<std::size_t>(n);
    } else if (!would_block(errno)) {
      io_error_ = beast::error_code(errno, boost::system::system_category());
      write_error_ = io_error_;
      return -1;
    }
  }
  // The rest goes out (in order) when the operation flushes the queue.
  unsent_.insert(unsent_.end(), in + sent, in + length);
  queued_total_ += length - sent;
  return size;
}

asio::const_buffer Core::start_flush() {
  flushing_ = true;
  sending_.swap(unsent_);
  return asio::buffer(sending_);
}

void Core::end_flush(const beast::error_code& ec) {
  flushing_ = false;
  std::vector<unsigned char>().swap(sending_);  // give the memory back: the socket caught up
  if (ec && !write_error_) {
    write_error_ = ec;
  }
  flush_turn.cancel();
}

}  // namespace tls_detail

TlsStream::TlsStream(boost::beast::tcp_stream tcp, boost::asio::ssl::context& context)
    : core_(std::make_shared<tls_detail::Core>(std::move(tcp), context)) {}

TlsStream::~TlsStream() {
  if (core_) {
    core_->tcp.close();
  }
}

}  // namespace portcullis::net
