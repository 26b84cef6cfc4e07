#include "net/upstream_call.hpp"

#include <boost/asio/bind_executor.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/write.hpp>
#include <chrono>
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
// One relay buffer: the unit of back-pressure.
constexpr std::size_t kChunkBytes = 16 * 1024;

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
        started_(std::chrono::steady_clock::now()),
        chunk_(new char[kChunkBytes]) {}  // not zeroed: every byte is written before it is read

  void start() {
    upstream_ = spec_.pool->take_idle();
    if (upstream_) {
      reused_ = true;
      return send();
    }
    connect();
  }

 private:
  using Self = UpstreamCall;

  // Upstream completions run on the agent connection's strand, like everything else here.
  template <class Handler>
  auto on_strand(Handler&& handler) {
    return asio::bind_executor(spec_.session->stream().get_executor(),
                               std::forward<Handler>(handler));
  }

  AnyStream& client() { return spec_.session->stream(); }
  const config::Limits& limits() const { return spec_.runtime->config->limits; }

  void connect() {
    spec_.pool->connect(client().get_executor(),
                        [self = shared_from_this()](std::unique_ptr<AnyStream> stream,
                                                    ConnectError error) {
                          self->on_connect(std::move(stream), std::move(error));
                        });
  }

  void on_connect(std::unique_ptr<AnyStream> stream, ConnectError error) {
    if (!stream) {
      return fail_before_response(error.kind, error.message);
    }
    upstream_ = std::move(stream);
    send();
  }

  void send() {
    upstream_->tcp().expires_after(spec_.pool->response_timeout());
    http::async_write(*upstream_, spec_.request,
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
    upstream_->close();
    upstream_.reset();
    up_buffer_.clear();
    connect();
    return true;
  }

  void on_sent(beast::error_code ec, std::size_t bytes) {
    if (ec) {
      if (retry_on_fresh_connection(ec)) {
        return;
      }
      return fail_before_response(ec == beast::error::timeout ? admin::UpstreamErrorKind::Timeout
                                                              : admin::UpstreamErrorKind::Closed,
                                  "send: " + ec.message());
    }
    result_.request_bytes = bytes;
    up_parser_.emplace();
    up_parser_->body_limit(boost::none);  // streamed: the agent takes what the upstream sends
    if (spec_.request.method() == http::verb::head) {
      up_parser_->skip(true);
    }
    upstream_->tcp().expires_after(spec_.pool->response_timeout());
    http::async_read_header(
        *upstream_, up_buffer_, *up_parser_,
        on_strand(beast::bind_front_handler(&Self::on_header, shared_from_this())));
  }

  void on_header(beast::error_code ec, std::size_t /*bytes*/) {
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

  // ---- streaming relay --------------------------------------------------------------------

  void start_relay(bool transformed) {
    const auto& head = up_parser_->get();
    down_.result(head.result_int());
    down_.version(spec_.client_version == 10 ? 10 : 11);
    for (const auto& field : head) {
      down_.insert(field.name_string(), field.value());
    }
    strip_hop_by_hop(down_);
    down_.set("X-Request-Id", spec_.request_id);
    const unsigned status = head.result_int();
    const bool no_body = spec_.request.method() == http::verb::head || status / 100 == 1 ||
                         status == 204 || status == 304;
    bool framed = true;
    if (no_body) {
      if (auto length = up_parser_->content_length(); length && !transformed) {
        down_.content_length(*length);  // HEAD keeps the entity's length
      }
    } else if (auto length = up_parser_->content_length(); length && !transformed) {
      down_.content_length(*length);
    } else if (spec_.client_version == 11) {
      down_.chunked(true);
    } else {
      framed = false;  // HTTP/1.0 agent: the body ends when we close
    }
    client_keep_alive_ = spec_.client_keep_alive && framed;
    down_.keep_alive(client_keep_alive_);
    down_.body().data = nullptr;
    down_.body().more = true;
    down_sr_.emplace(down_);
    client().tcp().expires_after(limits().body_timeout);
    if (!sse_ && (up_parser_->is_done() || up_buffer_.size() > 0)) {
      // The body (or its start) came with the head: send the head together with the first
      // body bytes — one TLS record and one sendmsg instead of two. An event stream's head
      // goes out at once instead: the agent must see the stream open before the first event.
      return read_chunk();
    }
    http::async_write_header(client(), *down_sr_,
                             beast::bind_front_handler(&Self::on_client_header, shared_from_this()));
  }

  void on_client_header(beast::error_code ec, std::size_t /*bytes*/) {
    if (ec) {
      return abort("agent connection: " + ec.message());
    }
    if (down_sr_->is_done()) {
      return finish();
    }
    read_chunk();
  }

  void read_chunk() {
    if (up_parser_->is_done()) {
      return write_out(0, true);
    }
    auto& body = up_parser_->get().body();
    body.data = chunk_.get();
    body.size = kChunkBytes;
    if (up_buffer_.size() > 0) {
      // Body bytes that came with the head (or a previous read) are parsed now, as
      // http::async_read_some would parse them first — but without its trip through the
      // executor's queue. Only a parse that made progress or failed completes here; one that
      // needs more bytes reads them below.
      beast::error_code ec;
      const std::size_t used = up_parser_->put(up_buffer_.data(), ec);
      up_buffer_.consume(used);
      const bool waiting = ec == http::error::need_more ||
                           (used == 0 && (!ec || ec == http::error::need_buffer));
      if (!waiting) {
        return on_chunk(ec, used);
      }
    }
    // Quiet event streams are normal (a server waiting to push): they get the long SSE limit.
    upstream_->tcp().expires_after(sse_ ? limits().sse_idle_timeout : spec_.pool->response_timeout());
    http::async_read_some(
        *upstream_, up_buffer_, *up_parser_,
        on_strand(beast::bind_front_handler(&Self::on_chunk, shared_from_this())));
  }

  void on_chunk(beast::error_code ec, std::size_t /*bytes*/) {
    if (ec == http::error::need_buffer) {
      ec = {};
    }
    if (ec) {
      upstream_failed_ = true;
      if (!down_sr_->is_header_done()) {
        return fail_after_header("upstream body: " + ec.message());  // nothing sent yet: 502
      }
      return abort("upstream body: " + ec.message());
    }
    const std::size_t got = kChunkBytes - up_parser_->get().body().size;
    result_.response_bytes += got;
    const bool last = up_parser_->is_done();
    if (!sse_parser_) {
      return write_out(got, last);
    }
    // tools/list over SSE: forward complete events, filtered; keep partial ones for later.
    events_.clear();
    if (auto fed = sse_parser_->feed(std::string_view(chunk_.get(), got), events_); !fed) {
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
    write_out(filtered_.size(), last);
  }

  void write_out(std::size_t size, bool last) {
    if (size == 0 && !last) {
      return read_chunk();
    }
    auto& out = down_.body();
    out.data = size == 0 ? nullptr : (sse_parser_ ? filtered_.data() : chunk_.get());
    out.size = size;
    out.more = !last;
    client().tcp().expires_after(limits().body_timeout);
    http::async_write(client(), *down_sr_,
                      beast::bind_front_handler(&Self::on_written, shared_from_this()));
  }

  void on_written(beast::error_code ec, std::size_t /*bytes*/) {
    if (ec == http::error::need_buffer) {
      ec = {};
    }
    if (ec) {
      return abort("agent connection: " + ec.message());
    }
    if (down_sr_->is_done()) {
      return finish();
    }
    read_chunk();
  }

  // ---- whole-body rewrite (tools/list JSON, agent card) -----------------------------------

  void read_whole_body() {
    whole_.emplace(std::move(*up_parser_));
    up_parser_.reset();
    whole_->body_limit(kMaxRewrittenBody);
    upstream_->tcp().expires_after(spec_.pool->response_timeout());
    http::async_read(*upstream_, up_buffer_, *whole_,
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
    Answer answer{message.result(), spec_.client_version == 10 ? 10U : 11U};
    for (const auto& field : message) {
      answer.insert(field.name_string(), field.value());
    }
    strip_hop_by_hop(answer);
    answer.set("X-Request-Id", spec_.request_id);
    answer.body() = std::move(*rewritten);
    answer.prepare_payload();
    client_keep_alive_ = spec_.client_keep_alive;
    answer.keep_alive(client_keep_alive_);
    answer_ = std::make_shared<Answer>(std::move(answer));
    client().tcp().expires_after(limits().body_timeout);
    http::async_write(client(), *answer_,
                      beast::bind_front_handler(&Self::on_answer_written, shared_from_this()));
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

  void on_answer_written(beast::error_code ec, std::size_t /*bytes*/) {
    answer_.reset();
    if (ec) {
      return abort("agent connection: " + ec.message());
    }
    finish();
  }

  // ---- endings --------------------------------------------------------------------------

  // No response byte has reached the agent: answer 502/504 ourselves.
  void fail_before_response(admin::UpstreamErrorKind kind, std::string message) {
    spec_.session->core().metrics->count_upstream_error(spec_.route->name, kind);
    spdlog::warn("upstream failed route={} request_id={} error=\"{}\"", spec_.route->name,
                 spec_.request_id, message);
    result_.error = message;
    if (upstream_) {
      upstream_->close();
      upstream_.reset();
    }
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
                      beast::bind_front_handler(&Self::on_answer_written, shared_from_this()));
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
    if (upstream_) {
      upstream_->close();
      upstream_.reset();
    }
    client_keep_alive_ = false;
    finish();
  }

  void finish() {
    if (upstream_) {
      const bool clean = !upstream_failed_ &&
                         ((up_parser_ && up_parser_->is_done() && up_parser_->keep_alive()) ||
                          (whole_ && whole_->is_done() && whole_->keep_alive()));
      if (clean) {
        spec_.pool->give_back(std::move(upstream_));
      } else {
        upstream_->close();
      }
      upstream_.reset();
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

  std::unique_ptr<AnyStream> upstream_;
  bool reused_ = false;
  bool retried_ = false;
  bool upstream_failed_ = false;
  bool sse_ = false;
  bool client_keep_alive_ = false;
  beast::flat_buffer up_buffer_;
  std::optional<http::response_parser<http::buffer_body>> up_parser_;
  std::optional<http::response_parser<http::string_body>> whole_;
  std::unique_ptr<char[]> chunk_;
  http::response<http::buffer_body> down_;
  std::optional<http::response_serializer<http::buffer_body>> down_sr_;
  std::optional<protocol::SseParser> sse_parser_;
  std::vector<protocol::SseEvent> events_;
  std::string filtered_;
  std::shared_ptr<Answer> answer_;
};

void forward(ForwardPermit permit, ForwardSpec spec, ForwardDone done) {
  std::make_shared<UpstreamCall>(std::move(permit), std::move(spec), std::move(done))->start();
}

}  // namespace portcullis::net
