#include "net/http_session.hpp"

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <spdlog/spdlog.h>

#include "net/answers.hpp"
#include "net/exchange.hpp"
#include "net/request_id.hpp"
#include "net/tls_context.hpp"
#include "portcullis/net/request_head_check.hpp"

namespace portcullis::net {
namespace http = beast::http;

namespace {
// A head must fit in max_header_bytes; the flat buffer is capped a little above it so that
// the head read fails (431) instead of growing without bound.
constexpr std::size_t kBufferSlack = 4096;
}  // namespace

HttpSession::HttpSession(asio::ip::tcp::socket socket,
                         std::shared_ptr<const ListenerContext> listener,
                         std::shared_ptr<GatewayCore> core)
    : listener_(std::move(listener)),
      stream_(listener_->tls ? AnyStream(beast::tcp_stream(std::move(socket)), *listener_->tls)
                             : AnyStream(beast::tcp_stream(std::move(socket)))),
      watchdog_(stream_.get_executor()),
      core_(std::move(core)) {
  beast::error_code ec;
  remote_ = stream_.tcp().socket().remote_endpoint(ec);
  local_ = stream_.tcp().socket().local_endpoint(ec);
  remote_address_ = remote_.address().to_string();
  local_address_ = local_.address().to_string();
  ++core_->connections;
}

HttpSession::~HttpSession() {
  --core_->connections;
  if (core_->registry != nullptr) {
    core_->registry->remove(this);
  }
}

void HttpSession::run() {
  asio::dispatch(stream_.get_executor(),
                 beast::bind_front_handler(&HttpSession::on_run, shared_from_this()));
}

void HttpSession::on_run() {
  limits_runtime_ = core_->current();
  const auto& limits = limits_runtime_->config->limits;
  buffer_ = beast::flat_buffer(limits.max_header_bytes + kBufferSlack);
  if (TlsStream* tls = stream_.tls()) {
    stream_.tcp().expires_after(limits.header_timeout);
    tls->async_handshake(asio::ssl::stream_base::server,
                         beast::bind_front_handler(&HttpSession::on_handshake, shared_from_this()));
    return;
  }
  set_peer(plaintext_identity(listener_->plaintext_identity));
  do_read_head();
}

void HttpSession::on_handshake(beast::error_code ec) {
  if (ec) {
    const std::string reason =
        handshake_failure_reason(ec, SSL_get_verify_result(stream_.tls()->native_handle()));
    core_->metrics->count_handshake_failure(listener_->name, reason);
    spdlog::info("tls handshake failed listener={} peer={} reason={} error=\"{}\"",
                 listener_->name, remote_.address().to_string(), reason, ec.message());
    return stream_.close();
  }
  // The verify callback already refused certificates without an identity; read it again
  // from the verified leaf (never from anything the client sends later).
  X509* cert = SSL_get1_peer_certificate(stream_.tls()->native_handle());
  auto identity = identity_from_certificate(cert);
  X509_free(cert);
  if (!identity) {
    core_->metrics->count_handshake_failure(listener_->name, "no_identity");
    spdlog::info("tls peer refused listener={} peer={} reason=no_identity", listener_->name,
                 remote_.address().to_string());
    return stream_.close();
  }
  set_peer(std::move(*identity));
  do_read_head();
}

void HttpSession::set_peer(PeerIdentity peer) {
  peer_ = std::move(peer);
  request_facts_.agent = peer_.id;
  request_facts_.source_ip = remote_address_;
  request_facts_.tls = {peer_.subject, peer_.issuer, peer_.spiffe_id, peer_.sans,
                        std::chrono::system_clock::from_time_t(
                            static_cast<std::time_t>(peer_.not_after))};
}

void HttpSession::do_read_head() {
  if (core_->draining.load()) {
    return do_close();
  }
  limits_runtime_ = core_->current();
  const auto& limits = limits_runtime_->config->limits;
  // The first request must arrive within header_timeout; later ones may idle up to idle_timeout.
  // Either way the whole head must be complete by the deadline (no slow-loris). The watchdog
  // keeps it instead of tcp_stream's per-read timer, whose cancellation would cost a trip
  // through the executor's queue (and a reactor poll) per request.
  stream_.tcp().expires_never();
  watchdog_.arm(stream_.tcp(), first_request_ ? limits.header_timeout : limits.idle_timeout);
  continue_head();
}

// Reads until the blank line ending the head is in buffer_ (it may already be there: pipelined
// requests). The deadline set in do_read_head covers the whole head, however it trickles in.
void HttpSession::continue_head() {
  const std::string_view data(static_cast<const char*>(buffer_.data().data()), buffer_.size());
  if (const std::size_t end = data.find("\r\n\r\n"); end != std::string_view::npos) {
    return on_read_head({}, end + 4);
  }
  // A head with bare LF line ends never shows "\r\n\r\n": refuse it as soon as one is seen
  // (everything buffered is still head) instead of waiting for the header timeout in silence.
  if (has_bare_line_feed(data)) {
    return refuse_head(HeadProblem::BareLineFeed);
  }
  if (buffer_.size() >= buffer_.max_size()) {
    return on_read_head(asio::error::not_found, 0);
  }
  const std::size_t room = std::min<std::size_t>(4096, buffer_.max_size() - buffer_.size());
  stream_.async_read_some(buffer_.prepare(room),
                          beast::bind_front_handler(&HttpSession::on_head_bytes, shared_from_this()));
}

void HttpSession::on_head_bytes(beast::error_code ec, std::size_t bytes) {
  if (watchdog_.timed_out()) {
    ec = beast::error::timeout;  // even if these bytes were on their way when it fired
  }
  if (ec) {
    return on_read_head(ec, 0);
  }
  buffer_.commit(bytes);
  continue_head();
}

void HttpSession::on_read_head(beast::error_code ec, std::size_t head_bytes) {
  watchdog_.disarm();  // the head is complete, or the wait for it failed
  if (ec == asio::error::not_found) {
    return refuse(431, "request head larger than max_header_bytes");
  }
  if (ec) {
    return do_close();  // timeout, reset or the client closed: nothing to answer
  }
  const auto& limits = limits_runtime_->config->limits;
  if (head_bytes > limits.max_header_bytes) {
    return refuse(431, "request head larger than max_header_bytes");
  }
  const std::string_view head(static_cast<const char*>(buffer_.data().data()), head_bytes);
  if (const HeadProblem problem = check_request_head(head); problem != HeadProblem::None) {
    return refuse_head(problem);
  }
  first_request_ = false;
  parser_.emplace();
  parser_->header_limit(limits.max_header_bytes + kBufferSlack);
  parser_->body_limit(limits.max_body_bytes);
  // The head is buffered, and usually the whole body with it (an MCP call fits one TLS record):
  // parse what is there now and read only what is missing. An http::async_read that needs no
  // I/O still completes through the executor's queue, one trip (and a reactor poll) per request.
  parser_->eager(true);
  beast::error_code parsed;
  const std::size_t used = parser_->put(buffer_.data(), parsed);
  buffer_.consume(used);
  if (parsed == http::error::need_more) {
    parsed = {};  // the head is complete (continue_head saw its end): more body is to come
  }
  if (parsed || parser_->is_done()) {
    return on_read_body(parsed, used);  // complete, or refused as http::async_read refuses it
  }
  stream_.tcp().expires_after(limits.body_timeout);
  http::async_read(stream_, buffer_, *parser_,
                   beast::bind_front_handler(&HttpSession::on_read_body, shared_from_this()));
}

void HttpSession::on_read_body(beast::error_code ec, std::size_t /*bytes*/) {
  if (ec == http::error::body_limit) {
    return refuse(413, "request body larger than max_body_bytes");
  }
  if (ec == beast::error::timeout || ec == http::error::end_of_stream ||
      ec == asio::error::eof || ec == asio::error::connection_reset) {
    return do_close();
  }
  if (ec) {
    return refuse(400, "malformed request: " + ec.message());
  }
  in_exchange_ = true;
  ++core_->exchanges;
  Request request = parser_->release();
  parser_.reset();
  start_exchange(shared_from_this(), std::move(request), make_request_id());
}

void HttpSession::write_answer(Answer answer, bool keep_alive) {
  const auto& limits = core_->current()->config->limits;
  answer.keep_alive(keep_alive && !core_->draining.load());
  answer.prepare_payload();
  answer_ = std::make_shared<Answer>(std::move(answer));
  stream_.tcp().expires_after(limits.body_timeout);
  http::async_write(stream_, *answer_,
                    beast::bind_front_handler(&HttpSession::on_write_answer, shared_from_this(),
                                              answer_->keep_alive()));
}

void HttpSession::on_write_answer(bool keep_alive, beast::error_code ec, std::size_t /*bytes*/) {
  answer_.reset();
  exchange_done(keep_alive && !ec);
}

void HttpSession::exchange_done(bool keep_alive) {
  if (in_exchange_) {
    in_exchange_ = false;
    --core_->exchanges;
  }
  if (!keep_alive || closing_ || core_->draining.load()) {
    return do_close();
  }
  do_read_head();
}

void HttpSession::refuse_head(HeadProblem problem) {
  watchdog_.disarm();
  spdlog::warn("request refused listener={} agent=\"{}\" peer={} reason=\"{}\"",
               listener_->name, peer_.id, remote_.address().to_string(), describe(problem));
  refuse(400, describe(problem));
}

void HttpSession::refuse(unsigned status, std::string_view detail) {
  in_exchange_ = true;
  ++core_->exchanges;
  write_answer(problem_answer(status, detail, make_request_id()), false);
}

void HttpSession::drain() {
  asio::post(stream_.get_executor(),
             beast::bind_front_handler(&HttpSession::on_drain, shared_from_this()));
}

void HttpSession::on_drain() {
  if (!in_exchange_) {
    // Idle between requests (or still in the handshake): cancel the pending read.
    closing_ = true;
    stream_.close();
  }
}

void HttpSession::do_close() {
  if (closing_) {
    return;
  }
  closing_ = true;
  if (TlsStream* tls = stream_.tls()) {
    // close_notify, bounded; the socket is closed either way.
    stream_.tcp().expires_after(std::chrono::seconds(1));
    tls->async_shutdown(beast::bind_front_handler(&HttpSession::on_shutdown, shared_from_this()));
    return;
  }
  stream_.close();
}

void HttpSession::on_shutdown(beast::error_code /*ec*/) { stream_.close(); }

void SessionRegistry::add(const std::shared_ptr<HttpSession>& session) {
  const std::lock_guard lock(mutex_);
  sessions_.emplace(session.get(), session);
}

void SessionRegistry::remove(const HttpSession* session) {
  const std::lock_guard lock(mutex_);
  sessions_.erase(session);
}

void SessionRegistry::drain_all() {
  std::vector<std::shared_ptr<HttpSession>> live;
  {
    const std::lock_guard lock(mutex_);
    for (auto& [key, weak] : sessions_) {
      if (auto session = weak.lock()) {
        live.push_back(std::move(session));
      }
    }
  }
  for (auto& session : live) {
    session->drain();
  }
}

std::size_t SessionRegistry::size() {
  const std::lock_guard lock(mutex_);
  return sessions_.size();
}

}  // namespace portcullis::net
