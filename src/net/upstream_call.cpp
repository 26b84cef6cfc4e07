#include "net/upstream_call.hpp"

#include <array>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/buffers_suffix.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>  // the decoded relay and the whole-body read
#include <boost/beast/http/write.hpp>
#include <charconv>
#include <chrono>
#include <span>
#include <spdlog/spdlog.h>
#include <vector>

#include "net/answers.hpp"
#include "net/forwarded_headers.hpp"
#include "net/upstream_pool.hpp"
#include "portcullis/protocol/answers.hpp"
#include "portcullis/protocol/sse.hpp"
#include "portcullis/protocol/strict_json.hpp"

namespace portcullis::net {
namespace http = beast::http;

namespace {

// Bound on an upstream body the gateway must read whole to rewrite (tools/list JSON, agent card).
constexpr std::uint64_t kMaxRewrittenBody = 16ull * 1024 * 1024;
// The unit of back-pressure: the most body bytes one relay step reads before writing them.
constexpr std::size_t kRelayBytes = 16 * 1024;
// A Content-Length answer up to this size (not an event stream) is read to its end before the
// agent gets anything, then written with its head in one write. Larger ones are relayed as they
// come: the gateway never holds more than this of an answer it does not rewrite.
constexpr std::uint64_t kCoalesceBytes = 64 * 1024;

constexpr std::string_view kCrlf = "\r\n";
constexpr std::string_view kLastChunk = "0\r\n\r\n";

bool starts_with_icase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) {
    return false;
  }
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
    if (c != prefix[i]) {
      return false;
    }
  }
  return true;
}

bool is_retryable(const beast::error_code& ec) {
  return ec == asio::error::eof || ec == http::error::end_of_stream ||
         ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
         ec == asio::error::connection_aborted;
}

}  // namespace

class UpstreamCall : public std::enable_shared_from_this<UpstreamCall> {
 public:
  UpstreamCall(ForwardPermit permit, ForwardSpec spec, ForwardDone done)
      : permit_(std::move(permit)),
        spec_(std::move(spec)),
        done_(std::move(done)),
        started_(std::chrono::steady_clock::now()) {}

  void start() {
    conn_ = spec_.pool->take_idle();
    if (conn_) {
      reused_ = true;
      return send();
    }
    connect();
  }

 private:
  using Self = UpstreamCall;

  // How the answer's body travels from the upstream to the agent.
  enum class Relay {
    None,     // no body (HEAD, 1xx, 204, 304)
    Raw,      // Content-Length: the bytes as they are, counted down
    Decoded,  // chunked or close-delimited (or filtered): parsed, then framed for the agent
  };

  // Upstream completions run on the agent connection's strand, like everything else here.
  template <class Handler>
  auto on_strand(Handler&& handler) {
    return asio::bind_executor(spec_.session->stream().get_executor(),
                               std::forward<Handler>(handler));
  }

  AnyStream& client() { return spec_.session->stream(); }
  AnyStream& upstream() { return conn_->stream; }
  beast::flat_buffer& input() { return conn_->input; }
  const config::Limits& limits() const { return spec_.runtime->config->limits; }

  void connect() {
    spec_.pool->connect(client().get_executor(),
                        [self = shared_from_this()](std::unique_ptr<UpstreamConnection> connection,
                                                    ConnectError error) {
                          self->on_connect(std::move(connection), std::move(error));
                        });
  }

  void on_connect(std::unique_ptr<UpstreamConnection> connection, ConnectError error) {
    if (!connection) {
      return fail_before_response(error.kind, error.message);
    }
    conn_ = std::move(connection);
    send();
  }

  // The request: our head and the decided body in one gather write.
  void send() {
    const Request& request = spec_.request;
    std::string& head = conn_->head;
    head.clear();
    const AgentRequestHead agent{request.method_string(), spec_.upstream_target, &request,
                                 request.body().size()};
    if (!write_upstream_request_head(head, agent, spec_.forward)) {
      return fail_before_response(admin::UpstreamErrorKind::Protocol,
                                  "request head: a forwarded header value contains CR, LF or NUL");
    }
    result_.request_bytes = head.size() + request.body().size();
    std::array<asio::const_buffer, 2> buffers{asio::buffer(head), asio::buffer(request.body())};
    // A plain upstream socket is offered the request right away: a request of a few KiB nearly
    // always fits its send buffer, and the composed async write would cost a deadline timer armed
    // and cancelled, a trip through the executor's queue and a strand dispatch for nothing. What
    // the socket does not take now goes out with the async write (under the response timeout);
    // a send error is handled exactly as the async write's (on_sent: one retry on a fresh
    // connection when pooled, else 502).
    if (!upstream().is_tls()) {
      auto& socket = upstream().tcp().socket();
      beast::error_code ec;
      if (!socket.non_blocking()) {
        // Once per connection (an ioctl). It affects sync calls only: asio's async operations
        // run the socket non-blocking anyway. Should it fail, the async write does it all.
        socket.non_blocking(true, ec);
      }
      if (!ec) {
        std::size_t sent = socket.write_some(buffers, ec);
        if (ec == asio::error::would_block || ec == asio::error::try_again) {
          ec = {};
          sent = 0;
        }
        if (ec || sent == result_.request_bytes) {
          return on_sent(ec, sent);
        }
        for (auto& buffer : buffers) {  // drop what the socket took
          const std::size_t taken = std::min(sent, buffer.size());
          buffer += taken;
          sent -= taken;
        }
      }
    }
    upstream().tcp().expires_after(spec_.pool->response_timeout());
    asio::async_write(upstream(), buffers,
                      on_strand(beast::bind_front_handler(&Self::on_sent, shared_from_this())));
  }

  // A pooled connection the upstream closed while idle fails on first use: retry once on a new
  // connection (the request has not been seen by the upstream: no response byte came back).
  bool retry_on_fresh_connection(const beast::error_code& ec) {
    if (!reused_ || retried_ || !is_retryable(ec)) {
      return false;
    }
    retried_ = true;
    reused_ = false;
    upstream().close();
    conn_.reset();
    connect();
    return true;
  }

  void on_sent(beast::error_code ec, std::size_t /*bytes*/) {
    if (ec) {
      if (retry_on_fresh_connection(ec)) {
        return;
      }
      return fail_before_response(ec == beast::error::timeout ? admin::UpstreamErrorKind::Timeout
                                                              : admin::UpstreamErrorKind::Closed,
                                  "send: " + ec.message());
    }
    up_parser_.emplace();
    up_parser_->body_limit(boost::none);  // streamed: the agent takes what the upstream sends
    if (spec_.request.method() == http::verb::head) {
      up_parser_->skip(true);
    }
    read_head();
  }

  // The answer's head: read straight from the socket and handed to the parser, as
  // http::async_read_header does, without its two composed operations and work guard per
  // request. The parser bounds the head (header_limit) however many reads it takes.
  // The response timeout is kept by the agent session's watchdog (one exchange at a time runs on
  // a session, so it guards nothing else now) instead of tcp_stream's per-read timer, whose
  // cancellation would cost a trip through the executor's queue and a reactor poll per request.
  void read_head() {
    upstream().tcp().expires_never();
    spec_.session->watchdog().arm(upstream().tcp(), spec_.pool->response_timeout());
    upstream().async_read_some(
        input().prepare(kRelayBytes),
        on_strand(beast::bind_front_handler(&Self::on_head_bytes, shared_from_this())));
  }

  void on_head_bytes(beast::error_code ec, std::size_t bytes) {
    Watchdog& watchdog = spec_.session->watchdog();
    if (watchdog.timed_out()) {
      ec = beast::error::timeout;  // even if these bytes were on their way when it fired
    }
    watchdog.disarm();
    input().commit(bytes);
    if (ec == asio::error::eof) {
      // As Beast reports it: nothing at all (an idle connection the upstream closed: retried
      // when pooled) or a head cut short.
      ec = up_parser_->got_some() || input().size() > 0 ? http::error::partial_message
                                                        : http::error::end_of_stream;
    } else if (!ec) {
      const std::size_t used = up_parser_->put(input().data(), ec);
      input().consume(used);
      if (ec == http::error::need_more || (!ec && !up_parser_->is_header_done())) {
        return read_head();
      }
    }
    on_header(ec);
  }

  void on_header(beast::error_code ec) {
    if (ec) {
      if (retry_on_fresh_connection(ec)) {
        return;
      }
      return fail_before_response(ec == beast::error::timeout ? admin::UpstreamErrorKind::Timeout
                                                              : admin::UpstreamErrorKind::Protocol,
                                  ec == beast::error::timeout ? "timeout" : "response: " + ec.message());
    }
    const auto& head = up_parser_->get();
    result_.upstream_status = static_cast<int>(head.result_int());
    upstream_keep_alive_ = up_parser_->keep_alive();
    spec_.session->core().metrics->observe_upstream_latency(
        spec_.route->name, std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count());
    const std::string_view content_type = head[http::field::content_type];
    sse_ = starts_with_icase(content_type, "text/event-stream");
    const bool success = head.result_int() >= 200 && head.result_int() < 300;
    if (spec_.rewrite.kind != ResponseRewrite::Kind::None) {
      const std::string_view encoding = head[http::field::content_encoding];
      if (!encoding.empty() && !starts_with_icase(encoding, "identity")) {
        // We asked for identity; a compressed body could not be filtered or rewritten.
        return fail_after_header("upstream answered with Content-Encoding the gateway cannot rewrite");
      }
    }
    switch (spec_.rewrite.kind) {
      case ResponseRewrite::Kind::None:
        return start_relay(false);
      case ResponseRewrite::Kind::ToolsList:
        if (sse_) {
          sse_parser_.emplace();
          return start_relay(true);
        }
        return success ? read_whole_body() : start_relay(false);
      case ResponseRewrite::Kind::AgentCard:
      case ResponseRewrite::Kind::ExtendedAgentCard:
        if (sse_) {
          // A card is never a stream: refuse rather than pass URLs we cannot rewrite.
          return fail_after_header("agent card answered as an event stream");
        }
        return success ? read_whole_body() : start_relay(false);
    }
  }

  // ---- relay: the answer's head, then its body as it arrives --------------------------------

  // `transformed`: the body is rewritten on the way (its length changes; it must be decoded).
  void start_relay(bool transformed) {
    const auto& head = up_parser_->get();
    const unsigned status = head.result_int();
    const bool no_body = spec_.request.method() == http::verb::head || status / 100 == 1 ||
                         status == 204 || status == 304;
    const auto length = up_parser_->content_length();
    AnswerFraming framing;
    if (no_body) {
      relay_ = Relay::None;
      if (length && !transformed) {
        framing.content_length = *length;  // HEAD keeps the entity's length
      }
    } else if (length && !up_parser_->chunked() && !transformed) {
      relay_ = Relay::Raw;
      framing.content_length = *length;
      remaining_ = *length;
      coalesce_ = !sse_ && *length <= kCoalesceBytes;
    } else {
      relay_ = Relay::Decoded;
      chunked_out_ = spec_.client_version == 11;
      framing.chunked = chunked_out_;  // HTTP/1.0 agent: the body ends when we close
    }
    const bool framed = relay_ != Relay::Decoded || chunked_out_;
    client_keep_alive_ = spec_.client_keep_alive && framed;
    prepare_answer_head(status, head, framing);
    switch (relay_) {
      case Relay::None:
        return write_to_agent({}, true);
      case Relay::Raw:
        return relay_raw();
      case Relay::Decoded:
        if (sse_ || (input().size() == 0 && !up_parser_->is_done())) {
          // No body bytes yet: the head goes out alone now. An event stream's head always does:
          // the agent must see the stream open before the first event.
          return write_to_agent({}, false);
        }
        // The body (or its start) came with the head: send them together (one TLS record, one
        // sendmsg instead of two).
        return read_decoded();
    }
  }

  // The agent's answer head, into the connection's head string (the request's head is sent).
  void prepare_answer_head(unsigned status, const http::fields& upstream_fields,
                           const AnswerFraming& framing) {
    conn_->head.clear();
    write_agent_answer_head(conn_->head, {.status = status,
                                          .version = spec_.client_version == 10 ? 10U : 11U,
                                          .upstream_fields = &upstream_fields,
                                          .request_id = spec_.request_id,
                                          .framing = framing,
                                          .keep_alive = client_keep_alive_});
  }

  // Raw relay: what is buffered goes out, or more is read first — until the whole body is
  // there when coalescing, or when nothing is buffered.
  void relay_raw() {
    const std::size_t have =
        static_cast<std::size_t>(std::min<std::uint64_t>(input().size(), remaining_));
    if (have < remaining_ && (coalesce_ || (have == 0 && head_sent_))) {
      return read_raw(have);
    }
    write_to_agent(std::string_view(static_cast<const char*>(input().data().data()), have),
                   have == remaining_);
  }

  void read_raw(std::size_t have) {
    const std::uint64_t missing = remaining_ - have;
    const std::size_t want = coalesce_ ? static_cast<std::size_t>(missing)
                                       : static_cast<std::size_t>(std::min<std::uint64_t>(
                                             missing, kRelayBytes));
    // Quiet event streams are normal (a server waiting to push): they get the long SSE limit.
    upstream().tcp().expires_after(sse_ ? limits().sse_idle_timeout : spec_.pool->response_timeout());
    upstream().async_read_some(
        input().prepare(want),
        on_strand(beast::bind_front_handler(&Self::on_raw_read, shared_from_this())));
  }

  void on_raw_read(beast::error_code ec, std::size_t bytes) {
    input().commit(bytes);
    if (ec) {
      // The upstream closed (or stalled) before the length it announced: a lie or a crash.
      return upstream_body_failed(ec);
    }
    relay_raw();
  }

  // Decoded relay: the parser turns the upstream's framing into body bytes in the relay buffer.
  void read_decoded() {
    if (up_parser_->is_done()) {
      return relay_decoded(0, true);
    }
    if (!conn_->relay) {
      conn_->relay = std::make_unique_for_overwrite<char[]>(kRelayBytes);
    }
    auto& body = up_parser_->get().body();
    body.data = conn_->relay.get();
    body.size = kRelayBytes;
    if (input().size() > 0) {
      // Body bytes that came with the head (or a previous read) are parsed now, as
      // http::async_read_some would parse them first — but without its trip through the
      // executor's queue. Only a parse that made progress or failed completes here; one that
      // needs more bytes reads them below.
      beast::error_code ec;
      const std::size_t used = up_parser_->put(input().data(), ec);
      input().consume(used);
      const bool waiting = ec == http::error::need_more ||
                           (used == 0 && (!ec || ec == http::error::need_buffer));
      if (!waiting) {
        return on_decoded(ec, used);
      }
    }
    upstream().tcp().expires_after(sse_ ? limits().sse_idle_timeout : spec_.pool->response_timeout());
    http::async_read_some(
        upstream(), input(), *up_parser_,
        on_strand(beast::bind_front_handler(&Self::on_decoded, shared_from_this())));
  }

  void on_decoded(beast::error_code ec, std::size_t /*bytes*/) {
    if (ec == http::error::need_buffer) {
      ec = {};
    }
    if (ec) {
      return upstream_body_failed(ec);
    }
    const std::size_t got = kRelayBytes - up_parser_->get().body().size;
    result_.response_bytes += got;  // the upstream's body bytes, before any filtering
    const bool last = up_parser_->is_done();
    if (!sse_parser_) {
      return relay_decoded(got, last);
    }
    // tools/list over SSE: forward complete events, filtered; keep partial ones for later.
    events_.clear();
    if (auto fed = sse_parser_->feed(std::string_view(conn_->relay.get(), got), events_); !fed) {
      return abort("upstream event stream: " + fed.error().message);
    }
    filtered_.clear();
    for (auto& event : events_) {
      // An event with empty data is never dispatched as a message (WHATWG SSE): the MCP
      // priming event ("id: <id>" + "data: ") and keep-alives. It carries no tools list, so it
      // passes as sent; parsing "" as JSON would fail and abort every tools/list stream.
      if (!event.has_data || event.data.empty()) {
        filtered_ += event.raw;
        continue;
      }
      auto result = protocol::filter_tools_list(event.data, spec_.rewrite.tools_list_ids,
                                                spec_.rewrite.may_call, limits().max_json_depth);
      if (!result) {
        // Fail closed: a tools list we could not read is not passed on.
        return abort("tools/list event not filterable: " + result.error().message);
      }
      if (result->changed) {
        event.data = std::move(result->body);
        filtered_ += protocol::SseParser::serialize(event);
      } else {
        filtered_ += event.raw;
      }
    }
    if (last) {
      filtered_ += sse_parser_->pending();
    }
    relay_decoded(filtered_.size(), last);
  }

  void relay_decoded(std::size_t size, bool last) {
    if (size == 0 && !last) {
      return read_decoded();
    }
    const char* data = sse_parser_ ? filtered_.data() : conn_->relay.get();
    write_to_agent(std::string_view(size == 0 ? nullptr : data, size), last);
  }

  // One write to the agent: the answer's head (until it went out), then `body` in the agent's
  // framing (a chunk for a chunked relay), then the last chunk when `last` ends a chunked body.
  void write_to_agent(std::string_view body, bool last) {
    std::size_t count = 0;
    if (!head_sent_) {
      out_[count++] = asio::buffer(conn_->head);
    }
    const bool chunked = relay_ == Relay::Decoded && chunked_out_;
    if (chunked && !body.empty()) {
      char* const end = std::to_chars(chunk_size_.data(), chunk_size_.data() + chunk_size_.size() - 2,
                                      body.size(), 16)
                            .ptr;
      end[0] = '\r';
      end[1] = '\n';
      out_[count++] = asio::buffer(chunk_size_.data(), static_cast<std::size_t>(end + 2 - chunk_size_.data()));
      out_[count++] = asio::buffer(body.data(), body.size());
      out_[count++] = asio::buffer(kCrlf.data(), kCrlf.size());
    } else if (!body.empty()) {
      out_[count++] = asio::buffer(body.data(), body.size());
    }
    if (chunked && last) {
      out_[count++] = asio::buffer(kLastChunk.data(), kLastChunk.size());
    }
    in_flight_ = body.size();
    last_ = last;
    const std::span<const asio::const_buffer> out(out_.data(), count);
    beast::buffers_suffix<std::span<const asio::const_buffer>> rest(out);
    if (last && spec_.session->core().single_connection()) {
      // The answer's last write (usually its only one: head and body together) is offered to
      // the socket right away, as the upstream request is: it nearly always fits the send
      // buffer, and an async write that completes at once still goes through the executor's
      // queue (a reactor poll). Only the last write, so that a relay never loops on itself: what
      // follows (finish) hands the connection back and reads the next request asynchronously.
      // And only with a single agent connection: with more, the queue's other handlers run
      // first, which gives the agent time to send its next request before this connection's
      // read starts (its speculative recv then fails with EAGAIN less often).
      beast::error_code ec;
      const std::size_t sent = client().write_now(out, ec);
      if (ec || (sent == asio::buffer_size(out) && !client().has_queued_output())) {
        return on_agent_written(ec, sent);
      }
      rest.consume(sent);  // what the socket took
    }
    // An empty `rest` still flushes the TLS records write_now() left queued.
    client().tcp().expires_after(limits().body_timeout);
    asio::async_write(client(), rest,
                      beast::bind_front_handler(&Self::on_agent_written, shared_from_this()));
  }

  void on_agent_written(beast::error_code ec, std::size_t /*bytes*/) {
    if (ec) {
      return abort("agent connection: " + ec.message());
    }
    head_sent_ = true;
    switch (relay_) {
      case Relay::None:
        upstream_complete_ = up_parser_->is_done();
        return finish();
      case Relay::Raw:
        input().consume(in_flight_);
        remaining_ -= in_flight_;
        result_.response_bytes += in_flight_;
        if (remaining_ == 0) {
          upstream_complete_ = true;
          return finish();
        }
        return relay_raw();
      case Relay::Decoded:
        if (last_) {
          upstream_complete_ = true;
          return finish();
        }
        return read_decoded();
    }
  }

  // The upstream's body failed mid-way: a 502 when the agent has nothing yet, else a close.
  void upstream_body_failed(const beast::error_code& ec) {
    upstream_failed_ = true;
    if (!head_sent_) {
      return fail_after_header("upstream body: " + ec.message());
    }
    abort("upstream body: " + ec.message());
  }

  // ---- whole-body rewrite (tools/list JSON, agent card) -----------------------------------

  void read_whole_body() {
    whole_.emplace(std::move(*up_parser_));
    up_parser_.reset();
    whole_->body_limit(kMaxRewrittenBody);
    upstream().tcp().expires_after(spec_.pool->response_timeout());
    http::async_read(upstream(), input(), *whole_,
                     on_strand(beast::bind_front_handler(&Self::on_whole_body, shared_from_this())));
  }

  void on_whole_body(beast::error_code ec, std::size_t /*bytes*/) {
    if (ec) {
      upstream_failed_ = true;
      return fail_after_header("upstream body: " + ec.message());
    }
    auto& message = whole_->get();
    result_.response_bytes = message.body().size();
    Result<std::string> rewritten = rewrite_body(message.body());
    if (!rewritten) {
      return fail_after_header(rewritten.error().message);
    }
    rewritten_ = std::move(*rewritten);
    const unsigned status = message.result_int();
    AnswerFraming framing;
    if (status != 204 && status != 304) {  // only 2xx answers are read whole
      framing.content_length = rewritten_.size();
    }
    client_keep_alive_ = spec_.client_keep_alive;
    prepare_answer_head(status, message, framing);
    out_[0] = asio::buffer(conn_->head);
    out_[1] = asio::buffer(rewritten_);
    client().tcp().expires_after(limits().body_timeout);
    asio::async_write(client(), std::span<const asio::const_buffer>(out_.data(), 2),
                      beast::bind_front_handler(&Self::on_rewritten_written, shared_from_this()));
  }

  Result<std::string> rewrite_body(std::string& body) {
    switch (spec_.rewrite.kind) {
      case ResponseRewrite::Kind::ToolsList: {
        auto filtered = protocol::filter_tools_list(body, spec_.rewrite.tools_list_ids,
                                                    spec_.rewrite.may_call, limits().max_json_depth);
        if (!filtered) {
          return fail("tools/list answer not filterable: " + filtered.error().message);
        }
        return filtered->changed ? std::move(filtered->body) : std::move(body);
      }
      case ResponseRewrite::Kind::AgentCard:
        return protocol::rewrite_agent_card_body(body, spec_.rewrite.card, limits().max_json_depth);
      case ResponseRewrite::Kind::ExtendedAgentCard: {
        auto json = protocol::parse_strict_json(body, limits().max_json_depth);
        if (!json) {
          return fail("extended agent card answer: " + json.error().message);
        }
        if (json->is_object() && json->contains("result") && (*json)["result"].is_object()) {
          if (auto rewritten = protocol::rewrite_agent_card((*json)["result"], spec_.rewrite.card);
              !rewritten) {
            return fail("extended agent card: " + rewritten.error().message);
          }
          return json->dump();
        }
        return std::move(body);  // a JSON-RPC error: no card in it
      }
      case ResponseRewrite::Kind::None:
        break;
    }
    return std::move(body);
  }

  void on_rewritten_written(beast::error_code ec, std::size_t /*bytes*/) {
    if (ec) {
      return abort("agent connection: " + ec.message());
    }
    upstream_complete_ = whole_->is_done();
    finish();
  }

  // ---- endings --------------------------------------------------------------------------

  // No response byte has reached the agent: answer 502/504 ourselves.
  void fail_before_response(admin::UpstreamErrorKind kind, std::string message) {
    spec_.session->core().metrics->count_upstream_error(spec_.route->name, kind);
    spdlog::warn("upstream failed route={} request_id={} error=\"{}\"", spec_.route->name,
                 spec_.request_id, message);
    result_.error = message;
    close_upstream();
    const auto failure = kind == admin::UpstreamErrorKind::Timeout
                             ? protocol::GatewayFailure::UpstreamTimeout
                             : protocol::GatewayFailure::UpstreamUnreachable;
    const protocol::Answer built =
        !spec_.extraction || spec_.extraction->actions.empty()
            ? protocol::failure_answer(spec_.jsonrpc, failure, spec_.request_id)
            : protocol::failure_answer(*spec_.extraction, failure, spec_.request_id);
    Answer answer = body_answer(static_cast<unsigned>(built.status), built.content_type,
                                built.body, spec_.request_id);
    client_keep_alive_ = spec_.client_keep_alive;
    answer.keep_alive(client_keep_alive_);
    answer_ = std::make_shared<Answer>(std::move(answer));
    client().tcp().expires_after(limits().body_timeout);
    http::async_write(client(), *answer_,
                      beast::bind_front_handler(&Self::on_failure_written, shared_from_this()));
  }

  void on_failure_written(beast::error_code ec, std::size_t /*bytes*/) {
    answer_.reset();
    if (ec) {
      return abort("agent connection: " + ec.message());
    }
    finish();
  }

  // The upstream answered but its answer cannot be passed on (and nothing was sent yet): 502.
  void fail_after_header(std::string message) {
    upstream_failed_ = true;
    fail_before_response(admin::UpstreamErrorKind::Protocol, std::move(message));
  }

  // Mid-response failure: the agent already has part of the answer; all we can do is close.
  void abort(std::string message) {
    if (upstream_failed_) {
      spec_.session->core().metrics->count_upstream_error(spec_.route->name,
                                                          admin::UpstreamErrorKind::Closed);
    }
    spdlog::info("exchange aborted route={} request_id={} reason=\"{}\"", spec_.route->name,
                 spec_.request_id, message);
    result_.error = std::move(message);
    close_upstream();
    client_keep_alive_ = false;
    finish();
  }

  void close_upstream() {
    if (conn_) {
      upstream().close();
      conn_.reset();
    }
  }

  void finish() {
    if (conn_) {
      // Reusable only after a whole answer the upstream wants to keep the connection for, with
      // nothing after it: extra bytes would be read as the next request's answer.
      const bool clean = !upstream_failed_ && upstream_complete_ && upstream_keep_alive_ &&
                         input().size() == 0;
      if (clean) {
        spec_.pool->give_back(std::move(conn_));
      } else {
        close_upstream();
      }
    }
    result_.latency_us = std::chrono::duration_cast<std::chrono::microseconds>(
                             std::chrono::steady_clock::now() - started_)
                             .count();
    result_.client_keep_alive = client_keep_alive_;
    auto done = std::move(done_);
    done(std::move(result_));
  }

  ForwardPermit permit_;  // held for the life of the call: this forward was decided and recorded
  ForwardSpec spec_;
  ForwardDone done_;
  std::chrono::steady_clock::time_point started_;
  ForwardResult result_;

  std::unique_ptr<UpstreamConnection> conn_;  // with its reusable input buffer and head string
  bool reused_ = false;
  bool retried_ = false;
  bool upstream_failed_ = false;
  bool upstream_keep_alive_ = false;
  bool upstream_complete_ = false;  // the upstream's answer was read to its end
  bool sse_ = false;
  bool client_keep_alive_ = false;
  std::optional<http::response_parser<http::buffer_body>> up_parser_;
  std::optional<http::response_parser<http::string_body>> whole_;

  Relay relay_ = Relay::None;
  bool head_sent_ = false;       // the agent has the answer's head: a failure can only close
  bool chunked_out_ = false;     // Decoded relay to an HTTP/1.1 agent: chunked framing
  bool coalesce_ = false;        // Raw relay: read the whole body before the first write
  std::uint64_t remaining_ = 0;  // Raw relay: body bytes not yet written to the agent
  std::size_t in_flight_ = 0;    // body bytes of the write in progress
  bool last_ = false;            // the write in progress ends the body
  std::array<asio::const_buffer, 5> out_;
  std::array<char, 20> chunk_size_{};  // hex size + CRLF

  std::optional<protocol::SseParser> sse_parser_;
  std::vector<protocol::SseEvent> events_;
  std::string filtered_;
  std::string rewritten_;
  std::shared_ptr<Answer> answer_;
};

void forward(ForwardPermit permit, ForwardSpec spec, ForwardDone done) {
  std::make_shared<UpstreamCall>(std::move(permit), std::move(spec), std::move(done))->start();
}

}  // namespace portcullis::net
