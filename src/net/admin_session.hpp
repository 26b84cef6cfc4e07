// AdminSession: one connection on the admin listener. Reads a request (small limits), hands it
// to admin::AdminHandler with the verified mTLS identity (none on a plain admin listener or when
// the client presented no certificate), writes the answer, keeps the connection alive.
//
// Threading: the connection's strand; the handler's `respond` may run on another thread (audit
// writer, control thread) and is posted back to the strand.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <memory>
#include <optional>
#include <string>

#include "net/any_stream.hpp"
#include "portcullis/admin/admin_handler.hpp"
#include "portcullis/admin/metrics.hpp"

namespace portcullis::net {

class AdminSession : public std::enable_shared_from_this<AdminSession> {
 public:
  AdminSession(asio::ip::tcp::socket socket, std::shared_ptr<asio::ssl::context> tls,
               std::shared_ptr<const admin::AdminHandler> handler, admin::GatewayMetrics& metrics);
  void run();

 private:
  void on_run();
  void on_handshake(beast::error_code ec);
  void do_read();
  void on_read(beast::error_code ec, std::size_t bytes);
  void on_respond(admin::AdminResponse response);
  void on_write(bool keep_alive, beast::error_code ec, std::size_t bytes);

  // Before stream_, so it outlives it: the SSL object uses this context (and its verify
  // callback), and a reload may publish another one while this connection lives.
  std::shared_ptr<asio::ssl::context> tls_;
  AnyStream stream_;
  std::shared_ptr<const admin::AdminHandler> handler_;
  admin::GatewayMetrics& metrics_;
  beast::flat_buffer buffer_;
  std::optional<beast::http::request_parser<beast::http::string_body>> parser_;
  std::optional<std::string> identity_;
  bool keep_alive_ = false;
  std::shared_ptr<beast::http::response<beast::http::string_body>> answer_;
};

}  // namespace portcullis::net
