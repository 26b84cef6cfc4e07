// GatewayMetrics: the gateway's fixed set of metric families (declared in metrics.hpp).
#include <functional>
#include <memory>
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
      audit_sink_lag_seconds(registry_.gauge(
          "portcullis_audit_sink_lag_seconds",
          "Age of the oldest audit record not yet delivered to the SIEM sink (0 = caught up).",
          {"sink"})),
      audit_sink_alarm(registry_.gauge(
          "portcullis_audit_sink_lag_alarm",
          "1 while the SIEM sink lags beyond its lag_alarm_records or lag_alarm_age, else 0.",
          {"sink"})),
      audit_sink_connected(registry_.gauge("portcullis_audit_sink_connected",
                                           "1 while the SIEM sink holds a connection, else 0.",
                                           {"sink"})),
      audit_sink_delivered(registry_.counter(
          "portcullis_audit_sink_delivered_records_total",
          "Audit records confirmed delivered to the SIEM sink (RELP: acknowledged).", {"sink"})),
      audit_sink_connects(registry_.counter(
          "portcullis_audit_sink_connects_total",
          "Successful connections to the SIEM sink (more than one = reconnects).", {"sink"})),
      audit_sink_failures(registry_.counter(
          "portcullis_audit_sink_failures_total",
          "Failed connects, sends, log reads and cursor writes of the SIEM sink.", {"sink"})),
      reloads(registry_.counter("portcullis_reloads_total",
                                "Configuration and policy reloads by result (ok, failed).",
                                {"result"})),
      handshake_failures(registry_.counter("portcullis_tls_handshake_failures_total",
                                           "TLS handshakes refused, by listener and reason.",
                                           {"listener", "reason"})),
      quarantined_agents(registry_.gauge("portcullis_quarantined_agents",
                                         "Agents currently quarantined (denied everything).")),
      restart_pending_settings(registry_.gauge(
          "portcullis_restart_pending_settings",
          "Start-only settings the last successful reload found changed (they apply at the "
          "next restart).")),
      policy_invariant_bugs(registry_.counter(
          "portcullis_policy_invariant_bugs_total",
          "Broken invariants in the decision path (the call was denied; this is a bug).")),
      decision_duration_series_(decision_duration.with({})),
      audit_append_failures_series_(audit_append_failures.with({})),
      quarantined_agents_series_(quarantined_agents.with({})),
      restart_pending_settings_series_(restart_pending_settings.with({})),
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

void GatewayMetrics::set_restart_pending_settings(std::size_t n) {
  restart_pending_settings_series_.set(static_cast<double>(n));
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

void GatewayMetrics::watch_audit_log(std::function<audit::AuditLogStats()> source) {
  using Type = Registry::CallbackType;
  using Stats = audit::AuditLogStats;
  auto read = std::make_shared<const std::function<audit::AuditLogStats()>>(std::move(source));
  const auto export_stat = [&](const char* name, const char* help, Type type,
                               double (*value)(const Stats&)) {
    registry_.callback(name, help, type, [read, value] { return value((*read)()); });
  };
  export_stat("portcullis_audit_records_total", "Audit records written and made durable.",
              Type::Counter, [](const Stats& s) { return static_cast<double>(s.appended); });
  export_stat("portcullis_audit_syncs_total",
              "fdatasync calls of the audit writer (strict group commits, batched syncs).",
              Type::Counter, [](const Stats& s) { return static_cast<double>(s.syncs); });
  export_stat("portcullis_audit_sync_seconds_total",
              "Time the audit writer spent in fdatasync (divide by syncs_total for the mean).",
              Type::Counter, [](const Stats& s) { return static_cast<double>(s.sync_micros) / 1e6; });
  export_stat("portcullis_audit_checkpoints_total", "Signed checkpoint records written.",
              Type::Counter, [](const Stats& s) { return static_cast<double>(s.checkpoints); });
  export_stat("portcullis_audit_recoveries_total",
              "Recovery records written (after an unclean stop or a write failure).",
              Type::Counter, [](const Stats& s) { return static_cast<double>(s.recoveries); });
  export_stat("portcullis_audit_rotations_total", "Audit files rotated.", Type::Counter,
              [](const Stats& s) { return static_cast<double>(s.rotations); });
  export_stat("portcullis_audit_spare_ready",
              "1 while the next audit file's preallocated spare is ready (audit.preallocate).",
              Type::Gauge, [](const Stats& s) { return s.spare_ready ? 1.0 : 0.0; });
  export_stat("portcullis_audit_spare_failures_total",
              "Preallocated spares that could not be made (a full disk, an I/O error).",
              Type::Counter, [](const Stats& s) { return static_cast<double>(s.spare_failures); });
}

void GatewayMetrics::count_policy_invariant_bug() { policy_invariant_bugs_series_.inc(); }

namespace {
// A counter that mirrors a total kept elsewhere: moves up to it, never down (a source that
// restarted from 0 leaves the series where it was rather than breaking monotonicity).
void follow_total(Counter& counter, std::uint64_t total) {
  const std::uint64_t now = counter.value();
  if (total > now) {
    counter.inc(total - now);
  }
}
}  // namespace

void GatewayMetrics::watch_audit_sinks(AuditSinkSource source) {
  const std::lock_guard lock(audit_sinks_mutex_);
  audit_sinks_ = std::move(source);
}

void GatewayMetrics::refresh_audit_sinks() const {
  // Held across the read so that two concurrent scrapes do not both add the same delta, and so
  // that watch_audit_sinks({}) returns only once no render is still reading the old source.
  const std::lock_guard lock(audit_sinks_mutex_);
  if (!audit_sinks_) {
    return;
  }
  for (const AuditSinkSnapshot& s : audit_sinks_()) {
    const std::string_view sink = s.sink;
    audit_sink_lag.with({sink}).set(static_cast<double>(s.lag_records));
    audit_sink_lag_seconds.with({sink}).set(s.lag_seconds);
    audit_sink_alarm.with({sink}).set(s.alarm ? 1.0 : 0.0);
    audit_sink_connected.with({sink}).set(s.connected ? 1.0 : 0.0);
    follow_total(audit_sink_delivered.with({sink}), s.delivered);
    follow_total(audit_sink_connects.with({sink}), s.connects);
    follow_total(audit_sink_failures.with({sink}), s.failures);
  }
}

std::string GatewayMetrics::render() const {
  refresh_audit_sinks();
  return registry_.render();
}

}  // namespace portcullis::admin
