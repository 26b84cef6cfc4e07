// GatewayMetrics: the gateway's fixed set of metric families (declared in metrics.hpp).
#include <string>

#include "portcullis/admin/metrics.hpp"
#include "portcullis/admin/rate_counter.hpp"
#include "portcullis/admin/session_state.hpp"

namespace portcullis::admin {

std::string_view to_string(DecisionResult r) {
  switch (r) {
    case DecisionResult::Allow:
      return "allow";
    case DecisionResult::Deny:
      return "deny";
    case DecisionResult::Error:
      return "error";
  }
  return "error";
}

std::string_view to_string(UpstreamErrorKind k) {
  switch (k) {
    case UpstreamErrorKind::Connect:
      return "connect";
    case UpstreamErrorKind::Tls:
      return "tls";
    case UpstreamErrorKind::Timeout:
      return "timeout";
    case UpstreamErrorKind::Protocol:
      return "protocol";
    case UpstreamErrorKind::Closed:
      return "closed";
  }
  return "protocol";
}

std::string_view to_string(ReloadResult r) {
  switch (r) {
    case ReloadResult::Ok:
      return "ok";
    case ReloadResult::Failed:
      return "failed";
  }
  return "failed";
}

GatewayMetrics::GatewayMetrics()
    : requests(registry_.counter("portcullis_requests_total",
                                 "Actions that reached a route (one per JSON-RPC element, A2A "
                                 "call or HTTP request).",
                                 {"listener", "route", "protocol"})),
      decisions(registry_.counter("portcullis_decisions_total",
                                  "Policy decisions by route and result (allow, deny, error).",
                                  {"route", "result"})),
      decision_duration(registry_.histogram("portcullis_decision_duration_seconds",
                                            "Time to decide one action against the policy set.",
                                            {},
                                            std::vector<double>(kDecisionLatencyBuckets.begin(),
                                                                kDecisionLatencyBuckets.end()))),
      upstream_duration(registry_.histogram(
          "portcullis_upstream_duration_seconds",
          "Time from forwarding a call to the end of the upstream's response.", {"route"},
          std::vector<double>(kUpstreamLatencyBuckets.begin(), kUpstreamLatencyBuckets.end()))),
      upstream_errors(registry_.counter("portcullis_upstream_errors_total",
                                        "Forwarded calls that got no valid upstream answer.",
                                        {"route", "kind"})),
      audit_append_failures(
          registry_.counter("portcullis_audit_append_failures_total",
                            "Audit records that could not be written (the call was refused).")),
      audit_sink_lag(registry_.gauge(
          "portcullis_audit_sink_lag_records",
          "Audit records written to the log but not yet delivered to the SIEM sink.", {"sink"})),
      reloads(registry_.counter("portcullis_reloads_total",
                                "Configuration and policy reloads by result (ok, failed).",
                                {"result"})),
      handshake_failures(registry_.counter("portcullis_tls_handshake_failures_total",
                                           "TLS handshakes refused, by listener and reason.",
                                           {"listener", "reason"})),
      quarantined_agents(registry_.gauge("portcullis_quarantined_agents",
                                         "Agents currently quarantined (denied everything).")),
      policy_invariant_bugs(registry_.counter(
          "portcullis_policy_invariant_bugs_total",
          "Broken invariants in the decision path (the call was denied; this is a bug).")),
      decision_duration_series_(decision_duration.with({})),
      audit_append_failures_series_(audit_append_failures.with({})),
      quarantined_agents_series_(quarantined_agents.with({})),
      policy_invariant_bugs_series_(policy_invariant_bugs.with({})) {
  // Both reload results show 0 from the start, so an alert on `failed` has a series to watch.
  reloads.with({to_string(ReloadResult::Ok)});
  reloads.with({to_string(ReloadResult::Failed)});
}

void GatewayMetrics::count_request(std::string_view listener, std::string_view route,
                                   std::string_view protocol) {
  requests.with({listener, route, protocol}).inc();
}

void GatewayMetrics::count_decision(std::string_view route, DecisionResult result) {
  decisions.with({route, to_string(result)}).inc();
}

void GatewayMetrics::observe_decision_latency(double seconds) {
  decision_duration_series_.observe(seconds);
}

void GatewayMetrics::observe_upstream_latency(std::string_view route, double seconds) {
  upstream_duration.with({route}).observe(seconds);
}

void GatewayMetrics::count_upstream_error(std::string_view route, UpstreamErrorKind kind) {
  upstream_errors.with({route, to_string(kind)}).inc();
}

void GatewayMetrics::count_audit_append_failure() { audit_append_failures_series_.inc(); }

void GatewayMetrics::set_audit_sink_lag(std::string_view sink, double records) {
  audit_sink_lag.with({sink}).set(records);
}

void GatewayMetrics::count_reload(ReloadResult result) { reloads.with({to_string(result)}).inc(); }

void GatewayMetrics::count_handshake_failure(std::string_view listener, std::string_view reason) {
  handshake_failures.with({listener, reason}).inc();
}

void GatewayMetrics::set_quarantined_agents(std::size_t n) {
  quarantined_agents_series_.set(static_cast<double>(n));
}

void GatewayMetrics::watch_state(const SessionState& sessions, const RateCounter& rates) {
  using Type = Registry::CallbackType;
  const auto* s = &sessions;
  const auto* r = &rates;
  registry_.callback("portcullis_sessions", "MCP sessions (agent, session id) kept for context.",
                     Type::Gauge, [s] { return static_cast<double>(s->stats().sessions); });
  registry_.callback("portcullis_session_agents", "Agents with live @label labels.", Type::Gauge,
                     [s] { return static_cast<double>(s->stats().agents); });
  registry_.callback(
      "portcullis_session_evictions_total",
      "Sessions and agents forgotten because the caps were reached (least recently used).",
      Type::Counter, [s] {
        const auto stats = s->stats();
        return static_cast<double>(stats.evicted_sessions + stats.evicted_agents);
      });
  registry_.callback("portcullis_session_dropped_strings_total",
                     "Tools and labels not kept because an entry reached its cap.", Type::Counter,
                     [s] { return static_cast<double>(s->stats().dropped_strings); });
  registry_.callback("portcullis_rate_keys", "Agent and agent+resource rate windows kept.",
                     Type::Gauge,
                     [r] { return static_cast<double>(r->agent_keys() + r->resource_keys()); });
  registry_.callback("portcullis_rate_evictions_total",
                     "Active rate windows evicted because the caps were reached.", Type::Counter,
                     [r] { return static_cast<double>(r->evicted()); });
}

void GatewayMetrics::count_policy_invariant_bug() { policy_invariant_bugs_series_.inc(); }

}  // namespace portcullis::admin
