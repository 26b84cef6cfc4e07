#include "net/exchange.hpp"

#include <boost/beast/http/field.hpp>
#include <array>
#include <chrono>
#include <spdlog/spdlog.h>

#include "net/answers.hpp"
#include "net/content_coding.hpp"
#include "net/decision.hpp"
#include "net/forwarded_headers.hpp"
#include "net/upstream_call.hpp"
#include "net/upstream_pool.hpp"
#include "portcullis/protocol/action.hpp"
#include "portcullis/protocol/agent_card.hpp"
#include "portcullis/protocol/answers.hpp"
#include "portcullis/protocol/router.hpp"

namespace portcullis::net {
namespace http = beast::http;

namespace {

using Clock = std::chrono::system_clock;

constexpr std::array<std::string_view, 3> kMethodOverrides = {
    "X-HTTP-Method-Override", "X-HTTP-Method", "X-Method-Override"};

std::int64_t epoch_ms(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

// The A2A-Version header as the upstream will read it: absent, or every copy joined by ","
// (which the extractor refuses, so two copies cannot be read two ways).
std::optional<std::string> joined_header(const Request& request, std::string_view name) {
  std::optional<std::string> out;
  for (auto range = request.equal_range(name); range.first != range.second; ++range.first) {
    if (out) {
      *out += ",";
      *out += std::string_view(range.first->value());
    } else {
      out = std::string(range.first->value());
    }
  }
  return out;
}

}  // namespace

class Exchange : public std::enable_shared_from_this<Exchange> {
 public:
  Exchange(std::shared_ptr<HttpSession> session, Request request, std::string request_id)
      : session_(std::move(session)),
        core_(session_->core()),
        request_(std::move(request)),
        request_id_(std::move(request_id)),
        runtime_(core_.current()),
        now_(Clock::now()),
        facts_(session_->request_facts()) {}

  void run() {
    // An upstream framework honouring a method override would execute another method than the
    // one decided: refuse instead of guessing which one it would pick.
    for (const std::string_view name : kMethodOverrides) {
      if (request_.count(name) > 0) {
        return session_->write_answer(
            problem_answer(400, std::string(name) + " is not accepted", request_id_),
            request_.keep_alive());
      }
    }
    const std::string_view target = request_.target();
    const std::string_view host = request_[http::field::host];
    auto match = runtime_->router->match(target, host);
    if (!match) {
      return reject(match.error());
    }
    route_ = match->route;
    upstream_target_ = match->upstream_target;
    if (route_->protocol != config::RouteProtocol::Http && !body_is_unencoded(request_)) {
      return refuse_encoded_body();
    }

    const std::optional<std::string> a2a_version = joined_header(request_, "A2A-Version");
    protocol::HttpRequestView view;
    view.method = request_.method_string();
    view.content_type = request_[http::field::content_type];
    if (a2a_version) {
      view.a2a_version = *a2a_version;
    }
    view.body = request_.body();
    auto extraction = protocol::extract_actions(*match, view, runtime_->config->limits);
    if (!extraction) {
      return reject(extraction.error());
    }
    extraction_ = std::make_shared<const protocol::Extraction>(std::move(*extraction));

    const PeerIdentity& peer = session_->peer();
    session_id_ = std::string(request_["Mcp-Session-Id"]);
    DecisionInput input;
    input.runtime = runtime_;
    input.route = route_;
    input.extraction = extraction_;
    // agent, source_ip and tls are the connection's (HttpSession::set_peer); the rest is this
    // request's, assigned into the strings' existing storage.
    facts_.time = now_;
    facts_.route = route_->name;
    admin::SessionSnapshot snapshot = core_.sessions->snapshot(session_id_, peer.id, now_);
    facts_.session.id = session_id_;
    facts_.session.tools = std::move(snapshot.tools);
    facts_.session.labels = std::move(snapshot.labels);
    input.facts = &facts_;
    input.audit.request_id = request_id_;
    input.audit.listener = session_->listener().name;
    input.audit.session_id = session_id_;
    input.audit.src = {facts_.source_ip, session_->remote().port()};
    input.audit.dst = {session_->local_address(), session_->local().port()};
    input.audit.http_method = std::string(request_.method_string());
    input.audit.http_url = std::string(target);
    input.audit.user_agent = std::string(request_[http::field::user_agent]);
    input.audit.peer = {peer.subject, peer.issuer, peer.spiffe_id, peer.serial};

    decide_and_record(core_, std::move(input), session_->stream().get_executor(),
                      [self = shared_from_this()](DecisionResult result) {
                        self->on_decided(std::move(result));
                      });
  }

 private:
  void reject(const protocol::Rejection& rejection) {
    spdlog::info("request rejected listener={} agent=\"{}\" request_id={} status={} detail=\"{}\"",
                 session_->listener().name, session_->peer().id, request_id_,
                 rejection.http_status, rejection.detail);
    answer(protocol::rejection_answer(rejection, request_id_));
  }

  // MCP and A2A bodies are decided on as JSON: a compressed body is bytes the gateway cannot
  // decide on, and forwarding it would let the upstream execute what was never decided.
  void refuse_encoded_body() {
    const protocol::Rejection rejection(
        protocol::RejectReason::UnsupportedMediaType,
        "Content-Encoding other than identity is not accepted on a " +
            std::string(config::to_string(route_->protocol)) +
            " route: the gateway decides on the JSON it receives");
    spdlog::info("request rejected listener={} agent=\"{}\" request_id={} status={} detail=\"{}\"",
                 session_->listener().name, session_->peer().id, request_id_,
                 rejection.http_status, rejection.detail);
    const protocol::Answer built = protocol::rejection_answer(rejection, request_id_);
    Answer refused = body_answer(static_cast<unsigned>(built.status), built.content_type,
                                 built.body, request_id_);
    refused.set(http::field::accept_encoding, "identity");  // RFC 9110 section 15.5.16
    session_->write_answer(std::move(refused), request_.keep_alive());
  }

  void answer(const protocol::Answer& built) {
    session_->write_answer(body_answer(static_cast<unsigned>(built.status), built.content_type,
                                       built.body, request_id_),
                           request_.keep_alive());
  }

  void on_decided(DecisionResult result) {
    switch (result.outcome) {
      case DecisionOutcome::AuditFailed:
        return answer(protocol::failure_answer(*extraction_,
                                               protocol::GatewayFailure::AuditUnavailable,
                                               request_id_));
      case DecisionOutcome::Denied:
        spdlog::info("denied listener={} route={} agent=\"{}\" request_id={}",
                     session_->listener().name, route_->name, facts_.agent, request_id_);
        return answer(protocol::denied_answer(*extraction_, result.verdicts, request_id_,
                                              runtime_->config->jsonrpc_deny_code));
      case DecisionOutcome::Forward:
        return forward_upstream(std::move(*result.permit));
    }
  }

  void forward_upstream(ForwardPermit permit) {
    receipts_ = permit.receipts();
    UpstreamPool* pool = runtime_->pool(route_->name);
    ForwardSpec spec;
    spec.session = session_;
    spec.runtime = runtime_;
    spec.route = route_;
    spec.pool = pool;
    spec.client_version = request_.version();
    spec.client_keep_alive = request_.keep_alive();
    spec.request_id = request_id_;
    spec.jsonrpc = extraction_->jsonrpc;
    spec.rewrite = response_rewrite();
    spec.extraction = extraction_;
    // The head the upstream gets is written by the call itself (forwarded_headers.hpp), from
    // the agent's fields and these facts; the views point into this Exchange, which the
    // completion below keeps alive for the whole call.
    spec.forward.upstream_host = pool->host_header();
    spec.forward.client_ip = facts_.source_ip;
    spec.forward.tls = session_->stream().is_tls();
    spec.forward.identity_header = session_->listener().identity_header;
    spec.forward.identity = facts_.agent;
    spec.forward.request_id = request_id_;
    // A rewritten answer must come back unencoded: the gateway has to read it.
    spec.forward.identity_encoding = spec.rewrite.kind != ResponseRewrite::Kind::None;
    spec.upstream_target = std::move(upstream_target_);
    spec.request = std::move(request_);

    forward(std::move(permit), std::move(spec), [self = shared_from_this()](ForwardResult r) {
      self->on_forwarded(std::move(r));
    });
  }

  ResponseRewrite response_rewrite() const {
    ResponseRewrite rewrite;
    switch (route_->protocol) {
      case config::RouteProtocol::Mcp: {
        if (!route_->filter_tools_list) {
          break;
        }
        for (const auto& action : extraction_->actions) {
          if (action.kind == protocol::ActionKind::Request && action.method == "tools/list" &&
              action.jsonrpc_id) {
            rewrite.tools_list_ids.push_back(*action.jsonrpc_id);
          }
        }
        if (!rewrite.tools_list_ids.empty()) {
          rewrite.kind = ResponseRewrite::Kind::ToolsList;
          rewrite.may_call = [core = &core_, runtime = runtime_, route = route_,
                              facts = facts_](std::string_view tool) {
            return may_call_tool(*core, *runtime, *route, facts, tool);
          };
        }
        break;
      }
      case config::RouteProtocol::A2a: {
        const config::Listener* listener = nullptr;
        for (const auto& l : runtime_->config->listeners) {
          if (l.name == session_->listener().name) {
            listener = &l;
          }
        }
        for (const auto& action : extraction_->actions) {
          if (action.action == "GetAgentCard" || action.action == "GetExtendedAgentCard") {
            rewrite.kind = action.action == "GetAgentCard" ? ResponseRewrite::Kind::AgentCard
                                                           : ResponseRewrite::Kind::ExtendedAgentCard;
            if (listener != nullptr) {
              rewrite.card = protocol::card_rewrite_for(*listener, *route_);
            }
          }
        }
        break;
      }
      case config::RouteProtocol::Http:
        break;
    }
    return rewrite;
  }

  void on_forwarded(ForwardResult result) {
    const bool ended_session = result.upstream_status >= 200 && result.upstream_status < 300 &&
                               !session_id_.empty() && extraction_->actions.size() == 1 &&
                               extraction_->actions.front().action == "mcp/end-session";
    if (ended_session) {
      core_.sessions->end_session(session_id_, facts_.agent);
    }
    const std::int64_t now_ms = epoch_ms(Clock::now());
    for (std::size_t i = 0; i < receipts_.size() && i < extraction_->actions.size(); ++i) {
      audit::OutcomeEvent e;
      e.time_ms = now_ms;
      e.correlation_uid = receipts_[i].uid;
      e.request_id = request_id_;
      e.agent = facts_.agent;
      e.session_id = session_id_;
      e.route = route_->name;
      e.protocol = std::string(config::to_string(route_->protocol));
      e.action = extraction_->actions[i].action;
      e.upstream_status = result.upstream_status;
      e.error = result.error;
      e.latency_us = result.latency_us;
      e.request_bytes = result.request_bytes;
      e.response_bytes = result.response_bytes;
      core_.audit->append(std::move(e), [metrics = core_.metrics](Result<audit::AppendReceipt> r) {
        if (!r) {
          metrics->count_audit_append_failure();
          spdlog::error("audit outcome record not written: {}", r.error().message);
        }
      });
    }
    spdlog::debug("forwarded route={} agent=\"{}\" request_id={} status={} latency_us={}",
                  route_->name, facts_.agent, request_id_, result.upstream_status,
                  result.latency_us);
    session_->exchange_done(result.client_keep_alive);
  }

  std::shared_ptr<HttpSession> session_;
  GatewayCore& core_;
  Request request_;
  std::string request_id_;
  std::shared_ptr<const Runtime> runtime_;  // the set this request started with
  Clock::time_point now_;
  const config::Route* route_ = nullptr;
  std::string upstream_target_;
  std::string session_id_;
  std::shared_ptr<const protocol::Extraction> extraction_;  // shared with the decision and the
                                                           // forward: never copied
  // The connection's facts object, with this request's parts filled in by run() (see
  // HttpSession::request_facts): valid while session_ is held, which this Exchange does.
  protocol::RequestFacts& facts_;
  std::vector<audit::AppendReceipt> receipts_;
};

void start_exchange(std::shared_ptr<HttpSession> session, Request request, std::string request_id) {
  std::make_shared<Exchange>(std::move(session), std::move(request), std::move(request_id))->run();
}

}  // namespace portcullis::net
