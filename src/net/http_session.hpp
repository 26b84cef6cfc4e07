// HttpSession: one client connection on a data listener (Beast async-ssl server structure).
//
//   TLS handshake (client certificate verified, identity taken from it) → read the request head
//   (header_timeout, max_header_bytes) → raw smuggling checks → read the body (body_timeout,
//   max_body_bytes) → hand the request to an Exchange → next request (keep-alive) or close.
//
// Threading: everything runs on the connection's strand (the socket's executor); handlers are
// bound with bind_front_handler + shared_from_this. The Exchange uses stream() only between
// start and exchange_done(), while the session itself does no I/O.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "net/any_stream.hpp"
#include "net/gateway_core.hpp"
#include "net/watchdog.hpp"
#include "portcullis/net/identity.hpp"
#include "portcullis/net/request_head_check.hpp"
#include "portcullis/protocol/cedar_request.hpp"

namespace portcullis::net {

using Request = boost::beast::http::request<boost::beast::http::string_body>;
using Answer = boost::beast::http::response<boost::beast::http::string_body>;

class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(asio::ip::tcp::socket socket, std::shared_ptr<const ListenerContext> listener,
              std::shared_ptr<GatewayCore> core);
  ~HttpSession();
  HttpSession(const HttpSession&) = delete;
  HttpSession& operator=(const HttpSession&) = delete;

  // Starts the connection on its strand.
  void run();
  // SIGTERM: close now if idle; a session in an exchange closes when it ends. Any thread.
  void drain();

  // --- for the Exchange (on the strand) ---
  [[nodiscard]] AnyStream& stream() { return stream_; }
  [[nodiscard]] const PeerIdentity& peer() const { return peer_; }
  [[nodiscard]] const ListenerContext& listener() const { return *listener_; }
  [[nodiscard]] GatewayCore& core() { return *core_; }
  [[nodiscard]] const asio::ip::tcp::endpoint& remote() const { return remote_; }
  [[nodiscard]] const asio::ip::tcp::endpoint& local() const { return local_; }
  // The endpoints' addresses as text, formatted once per connection (inet_ntop goes through
  // snprintf: a few thousand instructions a request when formatted per request).
  [[nodiscard]] const std::string& remote_address() const { return remote_address_; }
  [[nodiscard]] const std::string& local_address() const { return local_address_; }
  // The Cedar facts of the request being decided on this connection. The connection's own parts
  // (agent, source_ip, tls) are set once, when the peer is known; the request's parts (time,
  // route, session) are overwritten by each Exchange before it decides. One Exchange at a time
  // runs on a connection (the next head is read only after exchange_done), so they never mix,
  // and the TLS strings are not copied per request.
  [[nodiscard]] protocol::RequestFacts& request_facts() { return request_facts_; }
  // The deadline of the connection's current wait: the next request head, then (during an
  // exchange) the upstream's answer head (watchdog.hpp). On the strand.
  [[nodiscard]] Watchdog& watchdog() { return watchdog_; }
  // Writes an answer the gateway produced itself, then continues like exchange_done().
  void write_answer(Answer answer, bool keep_alive);
  // The exchange has finished writing its answer: read the next request or close.
  void exchange_done(bool keep_alive);

 private:
  void on_run();
  void on_handshake(beast::error_code ec);
  // The connection's verified peer, and the parts of request_facts_ that come from it.
  void set_peer(PeerIdentity peer);
  void do_read_head();
  void continue_head();
  void on_head_bytes(beast::error_code ec, std::size_t bytes);
  void on_read_head(beast::error_code ec, std::size_t head_bytes);
  void on_read_body(beast::error_code ec, std::size_t bytes);
  void on_write_answer(bool keep_alive, beast::error_code ec, std::size_t bytes);
  void on_drain();
  // Answers 4xx without running the pipeline (malformed request) and closes.
  void refuse(unsigned status, std::string_view detail);
  // A smuggling-shaped head: logged, answered 400, closed.
  void refuse_head(HeadProblem problem);
  void do_close();
  void on_shutdown(beast::error_code ec);

  // Declared before stream_ so it outlives it: the TLS stream's SSL object uses the listener's
  // ssl::context (its verify callback), which a reload may otherwise have let go.
  std::shared_ptr<const ListenerContext> listener_;
  AnyStream stream_;
  Watchdog watchdog_;  // after stream_: destroyed first (it may guard stream_)
  std::shared_ptr<GatewayCore> core_;
  std::shared_ptr<const Runtime> limits_runtime_;  // the runtime whose limits this read uses
  asio::ip::tcp::endpoint remote_;
  asio::ip::tcp::endpoint local_;
  std::string remote_address_;
  std::string local_address_;
  PeerIdentity peer_;
  protocol::RequestFacts request_facts_;
  beast::flat_buffer buffer_;
  std::optional<beast::http::request_parser<beast::http::string_body>> parser_;
  std::shared_ptr<Answer> answer_;  // the answer being written (kept alive for the write)
  bool first_request_ = true;
  bool in_exchange_ = false;
  bool closing_ = false;
};

// Keeps every live session reachable for drain(); sessions add and remove themselves.
class SessionRegistry {
 public:
  void add(const std::shared_ptr<HttpSession>& session);
  void remove(const HttpSession* session);
  // Calls drain() on every live session.
  void drain_all();
  [[nodiscard]] std::size_t size();

 private:
  std::mutex mutex_;
  std::unordered_map<const HttpSession*, std::weak_ptr<HttpSession>> sessions_;
};

}  // namespace portcullis::net
