// The decision step: decide every action of a request, append one durable decision record per
// action, and only then — if every action is allowed (or the route is in dry-run and the agent is
// not quarantined) and every record is durable — hand out a ForwardPermit.
//
// ForwardPermit is the proof the forwarding code demands (upstream_call.hpp: forward() takes one
// by value). Its constructor is private and only decide_and_record's completion can call it, so
// there is no path to an upstream that skips decide → audit → forward.
//
// Threading: decide_and_record() runs the policy evaluation inline on the caller's strand, then
// appends to the audit log (deferred: this I/O thread's audit flush, posted behind the turn's
// other handlers, writes them; with a single agent connection there are none, and it flushes
// at once) and calls `done` on the caller's strand, never on the writer
// thread: at the end of decide_and_record itself when every append completed synchronously on
// the calling thread, else dispatched through `executor`. Callers must therefore call decide_and_record last, with nothing after it that
// `done` could invalidate.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "net/gateway_core.hpp"
#include "portcullis/audit/event.hpp"
#include "portcullis/protocol/action.hpp"
#include "portcullis/protocol/answers.hpp"
#include "portcullis/protocol/cedar_request.hpp"

namespace portcullis::net {

class ForwardPermit {
 public:
  ForwardPermit(ForwardPermit&&) noexcept = default;
  ForwardPermit& operator=(ForwardPermit&&) noexcept = default;
  ForwardPermit(const ForwardPermit&) = delete;
  ForwardPermit& operator=(const ForwardPermit&) = delete;
  ~ForwardPermit() = default;

  // The durable decision records that allowed this forward (one per action, in order).
  [[nodiscard]] const std::vector<audit::AppendReceipt>& receipts() const { return receipts_; }

 private:
  friend class DecisionCollector;  // decision.cpp: the only creator
  explicit ForwardPermit(std::vector<audit::AppendReceipt> receipts)
      : receipts_(std::move(receipts)) {}
  std::vector<audit::AppendReceipt> receipts_;
};

// The per-request facts the audit record carries besides the decision.
struct AuditFacts {
  std::string request_id;
  std::string listener;
  std::string session_id;
  audit::Endpoint src;
  audit::Endpoint dst;
  std::string http_method;
  std::string http_url;
  std::string user_agent;
  audit::PeerCertificate peer;
};

struct DecisionInput {
  std::shared_ptr<const Runtime> runtime;
  const config::Route* route = nullptr;  // points into runtime->config
  // Shared with the exchange (which answers and forwards from it): never copied per request.
  std::shared_ptr<const protocol::Extraction> extraction;
  // The caller's facts, read during decide_and_record only (not by `done`); their `rate` is
  // ignored: each action's rate counters are taken here.
  const protocol::RequestFacts* facts = nullptr;
  AuditFacts audit;
};

enum class DecisionOutcome {
  Forward,      // permit set: every action allowed (or dry-run), every record durable
  Denied,       // at least one action denied; every record durable
  AuditFailed,  // a decision record could not be written: nothing may be forwarded (503)
};

struct DecisionResult {
  DecisionOutcome outcome = DecisionOutcome::AuditFailed;
  std::optional<ForwardPermit> permit;     // only for Forward
  std::vector<protocol::Verdict> verdicts;  // one per action (audit_uid filled when durable)
  std::vector<audit::AppendReceipt> receipts;  // one per action when every append succeeded
};

using DecisionDone = std::function<void(DecisionResult)>;

void decide_and_record(GatewayCore& core, DecisionInput input,
                       boost::asio::any_io_executor executor, DecisionDone done);

// Whether `agent` may call `tool_name` on `route` now (the tools/list filter's predicate): the
// same decision a tools/call with empty arguments would get, quarantine included. Not recorded.
[[nodiscard]] bool may_call_tool(GatewayCore& core, const Runtime& runtime,
                                 const config::Route& route, const protocol::RequestFacts& facts,
                                 std::string_view tool_name);

}  // namespace portcullis::net
