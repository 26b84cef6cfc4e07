#include "net/upstream_pool.hpp"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <utility>

#include "net/connection_executor.hpp"

namespace portcullis::net {

using tcp = asio::ip::tcp;

UpstreamPool::UpstreamPool(asio::any_io_executor executor, bool strand_per_connection,
                           const config::Route& route, std::shared_ptr<asio::ssl::context> tls)
    : executor_(std::move(executor)),
      strand_per_connection_(strand_per_connection),
      url_(route.upstream),
      connect_timeout_(route.connect_timeout),
      response_timeout_(route.response_timeout),
      max_idle_(route.pool_size),
      tls_(std::move(tls)) {
  const bool default_port = (url_.scheme == "https" && url_.port == 443) ||
                            (url_.scheme == "http" && url_.port == 80);
  const bool v6 = url_.host.find(':') != std::string::npos;
  const std::string host = v6 ? "[" + url_.host + "]" : url_.host;
  host_header_ = default_port ? host : host + ":" + std::to_string(url_.port);
  server_name_ = route.upstream_tls && !route.upstream_tls->server_name.empty()
                     ? route.upstream_tls->server_name
                     : url_.host;
}

std::unique_ptr<UpstreamConnection> UpstreamPool::take_idle() {
  const std::lock_guard lock(mutex_);
  if (idle_.empty()) {
    return nullptr;
  }
  auto connection = std::move(idle_.back());
  idle_.pop_back();
  return connection;
}

void UpstreamPool::give_back(std::unique_ptr<UpstreamConnection> connection) {
  if (!connection || !connection->stream.tcp().socket().is_open() ||
      connection->input.size() != 0) {
    return;
  }
  const std::lock_guard lock(mutex_);
  if (idle_.size() < max_idle_) {
    idle_.push_back(std::move(connection));
  }
}

// One connection attempt: resolve → connect → (TLS handshake). Owns itself via shared_ptr.
class UpstreamPool::ConnectOp : public std::enable_shared_from_this<ConnectOp> {
 public:
  ConnectOp(UpstreamPool& pool, asio::any_io_executor handler_executor, ConnectDone done)
      : pool_(pool),
        io_executor_(connection_executor(pool.executor_, pool.strand_per_connection_)),
        resolver_(io_executor_),
        handler_executor_(std::move(handler_executor)),
        done_(std::move(done)) {}

  void run() {
    resolver_.async_resolve(pool_.url_.host, std::to_string(pool_.url_.port),
                            beast::bind_front_handler(&ConnectOp::on_resolve, shared_from_this()));
  }

 private:
  void on_resolve(beast::error_code ec, const tcp::resolver::results_type& results) {
    if (ec) {
      return finish(admin::UpstreamErrorKind::Connect, "resolve " + pool_.url_.host + ": " + ec.message());
    }
    beast::tcp_stream tcp_stream(io_executor_);
    tcp_stream.expires_after(pool_.connect_timeout_);
    if (pool_.url_.scheme == "https") {
      connection_ = std::make_unique<UpstreamConnection>(std::move(tcp_stream), *pool_.tls_);
    } else {
      connection_ = std::make_unique<UpstreamConnection>(std::move(tcp_stream));
    }
    connection_->stream.tcp().async_connect(
        results, beast::bind_front_handler(&ConnectOp::on_connect, shared_from_this()));
  }

  void on_connect(beast::error_code ec, const tcp::endpoint& /*endpoint*/) {
    if (ec) {
      return finish(ec == beast::error::timeout ? admin::UpstreamErrorKind::Timeout
                                                : admin::UpstreamErrorKind::Connect,
                    "connect " + pool_.host_header_ + ": " + ec.message());
    }
    beast::error_code ignored;
    connection_->stream.tcp().socket().set_option(tcp::no_delay(true), ignored);
    TlsStream* tls = connection_->stream.tls();
    if (tls == nullptr) {
      return finish(admin::UpstreamErrorKind::Connect, "");
    }
    SSL* ssl = tls->native_handle();
    // SNI, and the name the upstream certificate must carry (RFC 6125 via OpenSSL).
    // SSL_set_tlsext_host_name is a macro with a C cast; this is what it expands to.
    SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
             const_cast<char*>(pool_.server_name_.c_str()));
    SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    if (SSL_set1_host(ssl, pool_.server_name_.c_str()) != 1) {
      return finish(admin::UpstreamErrorKind::Tls, "cannot verify host name " + pool_.server_name_);
    }
    connection_->stream.tcp().expires_after(pool_.connect_timeout_);
    tls->async_handshake(asio::ssl::stream_base::client,
                         beast::bind_front_handler(&ConnectOp::on_handshake, shared_from_this()));
  }

  void on_handshake(beast::error_code ec) {
    if (ec) {
      return finish(ec == beast::error::timeout ? admin::UpstreamErrorKind::Timeout
                                                : admin::UpstreamErrorKind::Tls,
                    "TLS handshake with " + pool_.host_header_ + ": " + ec.message());
    }
    finish(admin::UpstreamErrorKind::Connect, "");
  }

  // An empty message means success.
  void finish(admin::UpstreamErrorKind kind, std::string message) {
    std::unique_ptr<UpstreamConnection> connection;
    if (message.empty()) {
      connection = std::move(connection_);
    } else if (connection_) {
      connection_->stream.close();
      connection_.reset();
    }
    asio::post(handler_executor_,
               [done = std::move(done_), connection = std::move(connection),
                error = ConnectError{kind, std::move(message)}]() mutable {
                 done(std::move(connection), std::move(error));
               });
  }

  UpstreamPool& pool_;
  asio::any_io_executor io_executor_;  // the connection's own strand, or the io_context's executor
  tcp::resolver resolver_;
  asio::any_io_executor handler_executor_;
  ConnectDone done_;
  std::unique_ptr<UpstreamConnection> connection_;
};

void UpstreamPool::connect(asio::any_io_executor handler_executor, ConnectDone done) {
  std::make_shared<ConnectOp>(*this, std::move(handler_executor), std::move(done))->run();
}

}  // namespace portcullis::net
