#include "net/decision.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <atomic>
#include <chrono>
#include <spdlog/spdlog.h>
#include <thread>

#include "portcullis/policy/request.hpp"

namespace portcullis::net {
namespace {

using Clock = std::chrono::system_clock;

constexpr std::string_view kBatchRefused = "batch refused: another call in it was denied";
constexpr std::string_view kQuarantined = "agent is quarantined";

struct ActionDecision {
  policy::Response response;  // Decision defaults to Deny
  bool quarantined = false;
  std::string cedar_request_jcs;  // JCS text; empty when the request could not be built
  std::string deny_message;
};

struct SessionUpdate {
  std::string session_id;
  std::string agent;
  std::string tool;
  std::vector<std::string> labels;
  Clock::time_point time;
};

std::int64_t epoch_ms(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

// One audit flush per I/O thread per event-loop turn: decision records are appended deferred,
// and the flush is posted behind the handlers already ready on this thread, so the records of
// every request decided in this turn go to the file in one write(2) with one "still has a name"
// check. The slot says a flush of `log` is already on its way from this thread.
void schedule_audit_flush(audit::AuditLog& log, const boost::asio::any_io_executor& executor) {
  thread_local std::atomic<audit::AuditLog*> flush_posted{nullptr};
  if (flush_posted.load(std::memory_order_relaxed) == &log) {
    return;
  }
  flush_posted.store(&log, std::memory_order_relaxed);
  boost::asio::post(executor, [slot = &flush_posted, log = &log] {
    // Cleared first: records appended by the completions this flush runs get a flush of their own.
    slot->store(nullptr, std::memory_order_relaxed);
    log->flush();
  });
}

ActionDecision decide_one(GatewayCore& core, const Runtime& runtime,
                          const protocol::Action& action, const protocol::RequestFacts& facts) {
  ActionDecision out;
  const admin::RateCounts counts =
      core.rates->hit(facts.agent, action.resource.to_string(), facts.time);
  const protocol::RateFacts rate{counts.agent_per_minute, counts.resource_per_minute};
  if (core.quarantine->is_quarantined(facts.agent)) {
    out.quarantined = true;
    out.deny_message = std::string(kQuarantined);
    return out;
  }
  const auto& config = *runtime.config;
  auto request = protocol::build_cedar_request(action, facts, rate, config.time_zone,
                                               static_cast<int>(config.limits.max_json_depth));
  if (!request) {
    // Fail closed: a request we cannot represent is denied (and recorded as such).
    out.deny_message = "denied: request could not be evaluated: " + request.error().message;
    return out;
  }
  out.cedar_request_jcs = policy::request_to_jcs(*request);
  out.response = runtime.authorizer->is_authorized(*request);
  if (out.response.decision != policy::Decision::Allow) {
    out.deny_message =
        protocol::deny_message(out.response, runtime.authorizer->policies(), action.action);
  }
  return out;
}

}  // namespace

// Gathers the audit completions of one request's decision records (writer thread), then
// finishes on the request's strand. The only code that constructs a ForwardPermit.
class DecisionCollector : public std::enable_shared_from_this<DecisionCollector> {
 public:
  DecisionCollector(GatewayCore& core, std::size_t count, bool forward,
                    std::vector<protocol::Verdict> verdicts, std::vector<SessionUpdate> updates,
                    boost::asio::any_io_executor executor, DecisionDone done)
      : core_(core),
        results_(count),
        remaining_(count),
        forward_(forward),
        verdicts_(std::move(verdicts)),
        updates_(std::move(updates)),
        executor_(std::move(executor)),
        done_(std::move(done)) {}

  // Any thread (the appending one, another appending thread, the writer thread). Each index is
  // written by exactly one completion; the last one finishes: inline in end_appends() when it
  // arrived synchronously inside decide_and_record's appends (the common batched-mode case: one
  // trip through the executor's queue less per request), else posted to the request's strand.
  void on_append(std::size_t index, Result<audit::AppendReceipt> result) {
    results_[index] = std::move(result);
    if (remaining_.fetch_sub(1, std::memory_order_acq_rel) != 1) {
      return;
    }
    // `appending_` belongs to the initiating thread: only that thread reads it (short-circuit).
    if (std::this_thread::get_id() == initiator_ && appending_) {
      finished_inline_ = true;
      return;
    }
    // Usually inside the I/O thread's audit flush: dispatch runs finish() right there when the
    // request's strand is free (one trip through the executor's queue less); from the writer
    // thread (strict mode) it is a post.
    boost::asio::dispatch(executor_, [self = shared_from_this()] { self->finish(); });
  }

  // Bracket the appends, on the initiating thread (the request's strand).
  void begin_appends() {
    initiator_ = std::this_thread::get_id();
    appending_ = true;
  }
  void end_appends() {
    appending_ = false;
    if (finished_inline_) {
      finish();
    }
  }

 private:
  void finish() {
    DecisionResult result;
    result.verdicts = std::move(verdicts_);
    for (auto& r : results_) {
      if (!r || !*r) {
        core_.metrics->count_audit_append_failure();
        spdlog::error("audit append failed; request refused: {}",
                      r ? r->error().message : std::string("no completion"));
        result.outcome = DecisionOutcome::AuditFailed;
        return done_(std::move(result));
      }
      result.receipts.push_back(**r);
    }
    for (std::size_t i = 0; i < result.verdicts.size(); ++i) {
      result.verdicts[i].denial.audit_uid = result.receipts[i].uid;
    }
    if (forward_) {
      // Session context for later calls (tools this session used, @label values), only for
      // calls that are recorded and really go upstream.
      for (const auto& u : updates_) {
        core_.sessions->record_allowed(u.session_id, u.agent, u.tool, u.labels, u.time);
      }
      result.outcome = DecisionOutcome::Forward;
      result.permit.emplace(ForwardPermit(result.receipts));
    } else {
      result.outcome = DecisionOutcome::Denied;
    }
    done_(std::move(result));
  }

  GatewayCore& core_;
  std::vector<std::optional<Result<audit::AppendReceipt>>> results_;
  std::atomic<std::size_t> remaining_;
  bool forward_;
  std::vector<protocol::Verdict> verdicts_;
  std::vector<SessionUpdate> updates_;
  boost::asio::any_io_executor executor_;
  DecisionDone done_;
  std::thread::id initiator_;     // set before the first append (ordered by the log's lock)
  bool appending_ = false;        // initiating thread only
  bool finished_inline_ = false;  // initiating thread only
};

void decide_and_record(GatewayCore& core, DecisionInput input,
                       boost::asio::any_io_executor executor, DecisionDone done) {
  const Runtime& runtime = *input.runtime;
  const config::Route& route = *input.route;
  const auto& actions = input.extraction->actions;
  const protocol::RequestFacts& facts = *input.facts;
  const bool dry_run = runtime.config->dry_run || route.dry_run;
  const auto started = std::chrono::steady_clock::now();
  const std::string_view protocol_name = config::to_string(route.protocol);

  std::vector<ActionDecision> decisions;
  decisions.reserve(actions.size());
  bool any_denied = false;
  bool any_quarantined = false;
  for (const auto& action : actions) {
    core.metrics->count_request(input.audit.listener, route.name, protocol_name);
    decisions.push_back(decide_one(core, runtime, action, facts));
    const auto& d = decisions.back();
    const bool allowed = d.response.decision == policy::Decision::Allow;
    any_denied = any_denied || !allowed;
    any_quarantined = any_quarantined || d.quarantined;
    core.metrics->count_decision(
        route.name, allowed ? admin::DecisionResult::Allow
                            : (d.response.errors.empty() && !d.cedar_request_jcs.empty()
                                   ? admin::DecisionResult::Deny
                                   : admin::DecisionResult::Error));
  }
  core.metrics->observe_decision_latency(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());

  // All or nothing; dry-run forwards anyway, except for a quarantined agent (the kill switch
  // is never dry).
  const bool forward = !any_quarantined && (!any_denied || dry_run);

  std::vector<protocol::Verdict> verdicts(actions.size());
  std::vector<audit::DecisionEvent> events;
  events.reserve(actions.size());
  std::vector<SessionUpdate> updates;
  const std::int64_t now_ms = epoch_ms(facts.time);
  for (std::size_t i = 0; i < actions.size(); ++i) {
    const auto& action = actions[i];
    auto& d = decisions[i];
    const bool allowed = d.response.decision == policy::Decision::Allow;
    verdicts[i].allowed = allowed;
    verdicts[i].denial.message = d.deny_message;
    verdicts[i].denial.policy_ids = d.response.reasons;

    // The request's facts are copied into every record, except into the last one, which can
    // take them (one allocation less per string on the common single-action call).
    const bool last = i + 1 == actions.size();
    const auto take = [last](std::string& s) { return last ? std::move(s) : s; };

    audit::DecisionEvent e;
    e.time_ms = now_ms;
    e.request_id = take(input.audit.request_id);
    e.agent = facts.agent;
    e.session_id = input.audit.session_id;
    e.listener = input.audit.listener;
    e.route = route.name;
    e.protocol = std::string(protocol_name);
    e.action = action.action;
    e.method = action.method;
    e.resource_type = action.resource.type;
    e.resource_id = action.resource.id;
    e.jsonrpc_id = action.jsonrpc_id;
    if (input.extraction->batch) {
      e.batch_index = action.batch_index;
      e.batch_size = static_cast<std::uint32_t>(actions.size());
    }
    // The record carries the real decision (dry-run included: `dry_run` says it went upstream
    // anyway); an allowed call of a refused batch is blocked too.
    const bool executed = forward;
    e.disposition = allowed && executed ? audit::Disposition::Allowed : audit::Disposition::Blocked;
    e.deny_message = allowed ? (executed ? std::string() : std::string(kBatchRefused))
                             : d.deny_message;
    e.policy_ids = d.response.reasons;
    e.policy_errors = d.response.errors;
    e.diagnostics = d.response.diagnostics;
    e.would_deny = d.response.would_deny;
    if (allowed && executed) {
      e.labels = d.response.labels;
    }
    e.dry_run = dry_run;
    e.quarantined = d.quarantined;
    e.policy_set_hash = runtime.policy_set_hash;
    e.cedar_request_jcs = std::move(d.cedar_request_jcs);
    e.src = last ? std::move(input.audit.src) : input.audit.src;
    e.dst = last ? std::move(input.audit.dst) : input.audit.dst;
    e.http_method = take(input.audit.http_method);
    e.http_url = take(input.audit.http_url);
    e.user_agent = take(input.audit.user_agent);
    e.peer = last ? std::move(input.audit.peer) : input.audit.peer;
    events.push_back(std::move(e));

    if (allowed && executed) {
      updates.push_back({input.audit.session_id, facts.agent, action.tool_name,
                         d.response.labels, facts.time});
    }
  }

  if (events.empty()) {
    // Extraction always yields an action; if it ever did not, nothing is forwarded.
    core.metrics->count_policy_invariant_bug();
    boost::asio::post(executor, [done = std::move(done)] { done(DecisionResult{}); });
    return;
  }
  auto collector = std::make_shared<DecisionCollector>(
      core, events.size(), forward, std::move(verdicts), std::move(updates), executor,
      std::move(done));
  collector->begin_appends();
  for (std::size_t i = 0; i < events.size(); ++i) {
    // Deferred: written by this thread's next audit flush (below), with the other requests'
    // records of this turn. The completion still runs only once the record is written (batched)
    // or fdatasynced (strict), and a failed write fails it (AuditLog::append_deferred).
    core.audit->append_deferred(std::move(events[i]),
                                [collector, i](Result<audit::AppendReceipt> receipt) {
                                  collector->on_append(i, std::move(receipt));
                                });
  }
  if (core.single_connection()) {
    // The only agent connection: no other request can be decided in this turn, so no record
    // would join this one's write. Written now instead of by a flush posted behind the reactor
    // (whose turn starts with a poll: one epoll_wait per request at light load). The completion
    // then usually runs in here, and end_appends() finishes inline.
    core.audit->flush();
  } else {
    schedule_audit_flush(*core.audit, executor);
  }
  collector->end_appends();
}

bool may_call_tool(GatewayCore& core, const Runtime& runtime, const config::Route& route,
                   const protocol::RequestFacts& facts, std::string_view tool_name) {
  if (core.quarantine->is_quarantined(facts.agent)) {
    return false;
  }
  const protocol::Action probe = protocol::tools_call_probe(route, tool_name);
  auto request = protocol::build_cedar_request(probe, facts, runtime.config->time_zone,
                                               static_cast<int>(runtime.config->limits.max_json_depth));
  if (!request) {
    return false;
  }
  return runtime.authorizer->is_authorized(*request).decision == policy::Decision::Allow;
}

}  // namespace portcullis::net
