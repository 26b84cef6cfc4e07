#include "net/admin_session.hpp"

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <chrono>
#include <spdlog/spdlog.h>

#include "net/tls_context.hpp"
#include "portcullis/net/identity.hpp"

namespace portcullis::net {
namespace http = beast::http;

namespace {
constexpr auto kAdminTimeout = std::chrono::seconds(10);
constexpr std::uint32_t kAdminHeaderLimit = 16 * 1024;
constexpr std::uint64_t kAdminBodyLimit = 64 * 1024;
}  // namespace

AdminSession::AdminSession(asio::ip::tcp::socket socket, std::shared_ptr<asio::ssl::context> tls,
                           std::shared_ptr<const admin::AdminHandler> handler,
                           admin::GatewayMetrics& metrics)
    : tls_(std::move(tls)),
      stream_(tls_ ? AnyStream(beast::tcp_stream(std::move(socket)), *tls_)
                   : AnyStream(beast::tcp_stream(std::move(socket)))),
      handler_(std::move(handler)),
      metrics_(metrics) {}

void AdminSession::run() {
  asio::dispatch(stream_.get_executor(),
                 beast::bind_front_handler(&AdminSession::on_run, shared_from_this()));
}

void AdminSession::on_run() {
  if (TlsStream* tls = stream_.tls()) {
    stream_.tcp().expires_after(kAdminTimeout);
    tls->async_handshake(asio::ssl::stream_base::server,
                         beast::bind_front_handler(&AdminSession::on_handshake, shared_from_this()));
    return;
  }
  do_read();
}

void AdminSession::on_handshake(beast::error_code ec) {
  if (ec) {
    metrics_.count_handshake_failure(
        "admin",
        handshake_failure_reason(ec, SSL_get_verify_result(stream_.tls()->native_handle())));
    return stream_.close();
  }
  // A client certificate is optional here; when one was presented it has been verified.
  if (X509* cert = SSL_get1_peer_certificate(stream_.tls()->native_handle())) {
    if (SSL_get_verify_result(stream_.tls()->native_handle()) == X509_V_OK) {
      if (auto identity = identity_from_certificate(cert)) {
        identity_ = identity->id;
      }
    }
    X509_free(cert);
  }
  do_read();
}

void AdminSession::do_read() {
  parser_.emplace();
  parser_->header_limit(kAdminHeaderLimit);
  parser_->body_limit(kAdminBodyLimit);
  stream_.tcp().expires_after(kAdminTimeout);
  http::async_read(stream_, buffer_, *parser_,
                   beast::bind_front_handler(&AdminSession::on_read, shared_from_this()));
}

void AdminSession::on_read(beast::error_code ec, std::size_t /*bytes*/) {
  if (ec) {
    return stream_.close();
  }
  auto request = parser_->release();
  keep_alive_ = request.keep_alive();
  admin::AdminRequest admin_request;
  admin_request.method = std::string(request.method_string());
  admin_request.target = std::string(request.target());
  admin_request.body = std::move(request.body());
  // Identity only from a verified certificate on a TLS admin listener.
  admin_request.identity = identity_;
  auto self = shared_from_this();
  handler_->handle(std::move(admin_request), [self](admin::AdminResponse response) {
    asio::post(self->stream_.get_executor(),
               [self, response = std::move(response)]() mutable {
                 self->on_respond(std::move(response));
               });
  });
}

void AdminSession::on_respond(admin::AdminResponse response) {
  auto answer = std::make_shared<http::response<http::string_body>>(
      static_cast<http::status>(response.status), 11);
  answer->set(http::field::server, "portcullis");
  if (!response.content_type.empty()) {
    answer->set(http::field::content_type, response.content_type);
  }
  for (const auto& [name, value] : response.headers) {
    answer->set(name, value);
  }
  answer->body() = std::move(response.body);
  answer->keep_alive(keep_alive_);
  answer->prepare_payload();
  answer_ = answer;
  stream_.tcp().expires_after(kAdminTimeout);
  http::async_write(stream_, *answer_,
                    beast::bind_front_handler(&AdminSession::on_write, shared_from_this(),
                                              keep_alive_));
}

void AdminSession::on_write(bool keep_alive, beast::error_code ec, std::size_t /*bytes*/) {
  answer_.reset();
  if (ec || !keep_alive) {
    return stream_.close();
  }
  do_read();
}

}  // namespace portcullis::net
