#include "support/tls_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <poll.h>

#include <stdexcept>

namespace portcullis::test {
namespace asio = boost::asio;
namespace ssl = asio::ssl;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {
constexpr std::chrono::milliseconds kDefaultTimeout{5000};
}  // namespace

struct TlsClient::Impl {
  asio::io_context ioc;
  ssl::context ctx{ssl::context::tls_client};
  tcp::socket socket{ioc};
  std::unique_ptr<ssl::stream<tcp::socket&>> tls;
  std::uint16_t port;
  bool use_tls;
  bool connected = false;
  beast::flat_buffer buffer;
  std::chrono::milliseconds read_timeout = kDefaultTimeout;

  void set_timeout(std::chrono::milliseconds timeout) { read_timeout = timeout; }

  // One read of whatever is available, waiting at most read_timeout (then timed_out). The socket
  // is non-blocking only for the read: the attempt comes first, so bytes the TLS layer already
  // buffered are returned without touching the socket; poll() waits only when it would block.
  template <class Buffers>
  std::size_t read_some(const Buffers& b, beast::error_code& ec) {
    const auto deadline = std::chrono::steady_clock::now() + read_timeout;
    socket.non_blocking(true, ec);
    std::size_t n = 0;
    for (;;) {
      ec = {};
      n = use_tls ? tls->read_some(b, ec) : socket.read_some(b, ec);
      if (ec != asio::error::would_block && ec != asio::error::try_again) {
        break;
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      pollfd fd{socket.native_handle(), POLLIN, 0};
      if (left.count() <= 0 || ::poll(&fd, 1, static_cast<int>(left.count())) <= 0) {
        ec = asio::error::timed_out;
        n = 0;
        break;
      }
    }
    beast::error_code ignored;
    socket.non_blocking(false, ignored);
    return n;
  }
  template <class Buffers>
  void write(const Buffers& b) {
    if (use_tls) {
      asio::write(*tls, b);
    } else {
      asio::write(socket, b);
    }
  }
};

namespace {

// Beast's synchronous HTTP read over Impl::read_some, so response reads have the deadline too.
class DeadlineStream {
 public:
  explicit DeadlineStream(TlsClient::Impl& impl) : impl_(impl) {}
  template <class Buffers>
  std::size_t read_some(const Buffers& b) {
    beast::error_code ec;
    const std::size_t n = read_some(b, ec);
    if (ec) {
      throw beast::system_error(ec);
    }
    return n;
  }
  template <class Buffers>
  std::size_t read_some(const Buffers& b, beast::error_code& ec) {
    return impl_.read_some(b, ec);
  }

 private:
  TlsClient::Impl& impl_;
};

// A request with Host and, when there is a body, its Content-Type and Content-Length.
http::request<http::string_body> make_request(const std::string& method,
                                              const std::string& target,
                                              const std::string& body,
                                              const std::string& content_type) {
  http::request<http::string_body> req{http::string_to_verb(method), target, 11};
  req.set(http::field::host, "localhost");
  if (!body.empty()) {
    req.set(http::field::content_type, content_type);
  }
  req.body() = body;
  req.prepare_payload();
  return req;
}

// Writes `req` and reads one answer into `out`. A failed write does not stop the read: a server
// that refused us may have closed before our request went out, and its alert, still waiting to
// be read, says more than the broken pipe. An answer to a request that was not sent whole is a
// failure, not a response.
void exchange(TlsClient::Impl& impl, const http::request<http::string_body>& req,
              TlsClient::Attempt& out) {
  beast::error_code ec;
  if (impl.use_tls) {
    http::write(*impl.tls, req, ec);
  } else {
    http::write(impl.socket, req, ec);
  }
  if (ec) {
    out.failure = "write: " + ec.message() + "; ";
  }
  HttpResponse res;
  DeadlineStream stream(impl);
  http::read(stream, impl.buffer, res, ec);
  if (ec) {
    out.failure += "read: " + ec.message();
    return;
  }
  if (!out.failure.empty()) {
    out.failure += "read: an answer to a request that was not sent whole";
    return;
  }
  out.response = std::move(res);
}

}  // namespace

TlsClient::TlsClient(std::uint16_t port, std::filesystem::path ca, std::optional<IssuedCert> cert,
                     bool tls)
    : impl_(std::make_unique<Impl>()) {
  impl_->port = port;
  impl_->use_tls = tls;
  impl_->ctx.set_verify_mode(ssl::verify_peer);
  impl_->ctx.load_verify_file(ca.string());
  if (cert) {
    impl_->ctx.use_certificate_chain_file(cert->cert.string());
    impl_->ctx.use_private_key_file(cert->key.string(), ssl::context::pem);
  }
}

TlsClient::~TlsClient() {
  beast::error_code ec;
  impl_->socket.shutdown(tcp::socket::shutdown_both, ec);
  impl_->socket.close(ec);
}

std::string TlsClient::connect() {
  beast::error_code ec;
  impl_->socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), impl_->port), ec);
  if (ec) {
    return "connect: " + ec.message();
  }
  impl_->set_timeout(kDefaultTimeout);
  if (!impl_->use_tls) {
    impl_->connected = true;
    return "";
  }
  impl_->tls = std::make_unique<ssl::stream<tcp::socket&>>(impl_->socket, impl_->ctx);
  static char kServerName[] = "localhost";
  SSL_ctrl(impl_->tls->native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
           kServerName);
  impl_->tls->handshake(ssl::stream_base::client, ec);
  if (ec) {
    return "handshake: " + ec.message();
  }
  impl_->connected = true;
  return "";
}

TlsClient::Attempt TlsClient::attempt(const std::string& method, const std::string& target,
                                      const std::string& body) {
  Attempt out;
  if (!impl_->connected) {
    if (std::string error = connect(); !error.empty()) {
      out.failure = std::move(error);
      return out;
    }
  }
  exchange(*impl_, make_request(method, target, body, "application/json"), out);
  return out;
}

HttpResponse TlsClient::request(const std::string& method, const std::string& target,
                                const std::string& body,
                                const std::vector<std::pair<std::string, std::string>>& headers,
                                const std::string& content_type) {
  auto req = make_request(method, target, body, content_type);
  req.set(http::field::accept, "application/json, text/event-stream");
  for (const auto& [name, value] : headers) {
    req.insert(name, value);
  }
  Attempt out;
  exchange(*impl_, req, out);
  if (!out.response) {
    throw std::runtime_error(out.failure);
  }
  return std::move(*out.response);
}

void TlsClient::send_raw(const std::string& bytes) { impl_->write(asio::buffer(bytes)); }

std::string TlsClient::read_until_close(std::chrono::milliseconds timeout) {
  return read_until(std::string(1, '\0') + "\x01never", timeout);
}

std::string TlsClient::read_until(const std::string& needle, std::chrono::milliseconds timeout) {
  std::string out(static_cast<const char*>(impl_->buffer.data().data()), impl_->buffer.size());
  impl_->buffer.consume(impl_->buffer.size());
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  char data[4096];
  while (out.find(needle) == std::string::npos) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      break;
    }
    impl_->set_timeout(left);
    beast::error_code ec;
    const std::size_t n = impl_->read_some(asio::buffer(data), ec);
    out.append(data, n);
    if (ec) {
      break;
    }
  }
  impl_->set_timeout(kDefaultTimeout);
  return out;
}

bool TlsClient::closed_by_peer(std::chrono::milliseconds timeout) {
  impl_->set_timeout(timeout);
  char data[4096];
  bool closed = false;
  for (;;) {
    beast::error_code ec;
    impl_->read_some(asio::buffer(data), ec);
    if (ec == asio::error::eof || ec == ssl::error::stream_truncated ||
        ec == asio::error::connection_reset) {
      closed = true;
      break;
    }
    if (ec) {
      break;  // timeout: still open
    }
  }
  impl_->set_timeout(kDefaultTimeout);
  return closed;
}

std::string jsonrpc(const std::string& method, const std::string& params_json, int id) {
  return R"({"jsonrpc":"2.0","id":)" + std::to_string(id) + R"(,"method":")" + method +
         R"(","params":)" + params_json + "}";
}

}  // namespace portcullis::test
