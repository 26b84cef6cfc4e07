#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

#include "portcullis/admin/metrics.hpp"
#include "portcullis/admin/rate_counter.hpp"
#include "portcullis/admin/session_state.hpp"

using portcullis::admin::DecisionResult;
using portcullis::admin::GatewayMetrics;
using portcullis::admin::ReloadResult;
using portcullis::admin::UpstreamErrorKind;

namespace {

bool has_line(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos || text.starts_with(line + "\n");
}

}  // namespace

TEST_CASE("a fresh gateway registry declares every gateway metric", "[admin][metrics]") {
  GatewayMetrics metrics;
  const std::string text = metrics.render();
  for (const char* type_line : {
           "# TYPE portcullis_requests_total counter",
           "# TYPE portcullis_decisions_total counter",
           "# TYPE portcullis_decision_duration_seconds histogram",
           "# TYPE portcullis_upstream_duration_seconds histogram",
           "# TYPE portcullis_upstream_errors_total counter",
           "# TYPE portcullis_audit_append_failures_total counter",
           "# TYPE portcullis_audit_sink_lag_records gauge",
           "# TYPE portcullis_reloads_total counter",
           "# TYPE portcullis_tls_handshake_failures_total counter",
           "# TYPE portcullis_quarantined_agents gauge",
           "# TYPE portcullis_restart_pending_settings gauge",
           "# TYPE portcullis_policy_invariant_bugs_total counter",
       }) {
    INFO(type_line);
    CHECK(has_line(text, type_line));
  }
  // Series an alert needs exist at 0 before anything happened.
  CHECK(has_line(text, "portcullis_reloads_total{result=\"failed\"} 0"));
  CHECK(has_line(text, "portcullis_reloads_total{result=\"ok\"} 0"));
  CHECK(has_line(text, "portcullis_audit_append_failures_total 0"));
  CHECK(has_line(text, "portcullis_quarantined_agents 0"));
  CHECK(has_line(text, "portcullis_restart_pending_settings 0"));
  CHECK(has_line(text, "portcullis_policy_invariant_bugs_total 0"));
  CHECK(has_line(text, "portcullis_decision_duration_seconds_count 0"));
}

TEST_CASE("the gateway shorthands count into the labelled series", "[admin][metrics]") {
  GatewayMetrics metrics;
  metrics.count_request("agents", "tools", "mcp");
  metrics.count_request("agents", "tools", "mcp");
  metrics.count_decision("tools", DecisionResult::Allow);
  metrics.count_decision("tools", DecisionResult::Deny);
  metrics.count_decision("tools", DecisionResult::Error);
  metrics.observe_decision_latency(0.00002);
  metrics.observe_upstream_latency("tools", 0.2);
  metrics.count_upstream_error("tools", UpstreamErrorKind::Timeout);
  metrics.count_upstream_error("tools", UpstreamErrorKind::Connect);
  metrics.count_audit_append_failure();
  metrics.set_audit_sink_lag("siem", 42);
  metrics.count_reload(ReloadResult::Failed);
  metrics.count_handshake_failure("agents", "no_certificate");
  metrics.set_quarantined_agents(3);
  metrics.set_restart_pending_settings(2);
  metrics.count_policy_invariant_bug();

  const std::string text = metrics.render();
  for (const char* line : {
           "portcullis_requests_total{listener=\"agents\",route=\"tools\",protocol=\"mcp\"} 2",
           "portcullis_decisions_total{route=\"tools\",result=\"allow\"} 1",
           "portcullis_decisions_total{route=\"tools\",result=\"deny\"} 1",
           "portcullis_decisions_total{route=\"tools\",result=\"error\"} 1",
           "portcullis_decision_duration_seconds_bucket{le=\"1e-05\"} 0",
           "portcullis_decision_duration_seconds_bucket{le=\"2.5e-05\"} 1",
           "portcullis_decision_duration_seconds_bucket{le=\"+Inf\"} 1",
           "portcullis_decision_duration_seconds_count 1",
           "portcullis_upstream_duration_seconds_bucket{route=\"tools\",le=\"0.1\"} 0",
           "portcullis_upstream_duration_seconds_bucket{route=\"tools\",le=\"0.25\"} 1",
           "portcullis_upstream_errors_total{route=\"tools\",kind=\"connect\"} 1",
           "portcullis_upstream_errors_total{route=\"tools\",kind=\"timeout\"} 1",
           "portcullis_audit_append_failures_total 1",
           "portcullis_audit_sink_lag_records{sink=\"siem\"} 42",
           "portcullis_reloads_total{result=\"failed\"} 1",
           "portcullis_tls_handshake_failures_total{listener=\"agents\",reason=\"no_certificate\"} 1",
           "portcullis_quarantined_agents 3",
           "portcullis_restart_pending_settings 2",
           "portcullis_policy_invariant_bugs_total 1",
       }) {
    INFO(line);
    CHECK(has_line(text, line));
  }
}

TEST_CASE("watch_state exports the state's sizes and evictions at scrape time",
          "[admin][metrics]") {
  GatewayMetrics metrics;
  portcullis::admin::SessionStateOptions options;
  options.max_sessions = 1;
  portcullis::admin::SessionState sessions(options);
  portcullis::admin::RateCounter rates;
  metrics.watch_state(sessions, rates);
  const portcullis::admin::WallTime now{std::chrono::seconds(1'800'000'000)};
  const std::vector<std::string> labels{"pii"};
  sessions.record_allowed("s1", "a", "t", labels, now);
  sessions.record_allowed("s2", "a", "t", {}, now);  // evicts s1
  (void)rates.hit("a", "r", now);

  const std::string text = metrics.render();
  for (const char* line : {
           "# TYPE portcullis_sessions gauge",
           "portcullis_sessions 1",
           "portcullis_session_agents 1",
           "# TYPE portcullis_session_evictions_total counter",
           "portcullis_session_evictions_total 1",
           "portcullis_session_dropped_strings_total 0",
           "portcullis_rate_keys 2",
           "portcullis_rate_evictions_total 0",
       }) {
    INFO(line);
    CHECK(has_line(text, line));
  }
}

TEST_CASE("watch_audit_log exports the audit writer's totals at scrape time", "[admin][metrics]") {
  GatewayMetrics metrics;
  auto stats = std::make_shared<portcullis::audit::AuditLogStats>();
  metrics.watch_audit_log([stats] { return *stats; });
  CHECK(has_line(metrics.render(), "portcullis_audit_records_total 0"));
  CHECK(has_line(metrics.render(), "portcullis_audit_spare_ready 0"));
  stats->appended = 42;
  stats->syncs = 10;
  stats->sync_micros = 2'500'000;
  stats->checkpoints = 3;
  stats->recoveries = 1;
  stats->rotations = 2;
  stats->spare_ready = true;
  stats->spare_failures = 4;
  const std::string text = metrics.render();
  for (const char* line : {
           "# TYPE portcullis_audit_records_total counter",
           "portcullis_audit_records_total 42",
           "portcullis_audit_syncs_total 10",
           "portcullis_audit_sync_seconds_total 2.5",
           "portcullis_audit_checkpoints_total 3",
           "portcullis_audit_recoveries_total 1",
           "portcullis_audit_rotations_total 2",
           "# TYPE portcullis_audit_spare_ready gauge",
           "portcullis_audit_spare_ready 1",
           "portcullis_audit_spare_failures_total 4",
       }) {
    INFO(line);
    CHECK(has_line(text, line));
  }
}

TEST_CASE("watch_audit_sinks exports each sink's delivery state at scrape time",
          "[admin][metrics][siem]") {
  GatewayMetrics metrics;
  std::vector<portcullis::admin::AuditSinkSnapshot> state = {
      {.sink = "relp-a",
       .lag_records = 12,
       .lag_seconds = 2.5,
       .alarm = true,
       .connected = false,
       .delivered = 30,
       .connects = 2,
       .failures = 4},
      {.sink = "syslog-b", .lag_records = 0, .connected = true, .delivered = 42, .connects = 1},
  };
  int reads = 0;
  metrics.watch_audit_sinks([&] {
    ++reads;
    return state;
  });
  CHECK(reads == 0);  // read at scrape time, not before
  const std::string text = metrics.render();
  CHECK(reads == 1);
  for (const char* line : {
           "# TYPE portcullis_audit_sink_lag_seconds gauge",
           "# TYPE portcullis_audit_sink_lag_alarm gauge",
           "# TYPE portcullis_audit_sink_connected gauge",
           "# TYPE portcullis_audit_sink_delivered_records_total counter",
           "# TYPE portcullis_audit_sink_connects_total counter",
           "# TYPE portcullis_audit_sink_failures_total counter",
           "portcullis_audit_sink_lag_records{sink=\"relp-a\"} 12",
           "portcullis_audit_sink_lag_seconds{sink=\"relp-a\"} 2.5",
           "portcullis_audit_sink_lag_alarm{sink=\"relp-a\"} 1",
           "portcullis_audit_sink_connected{sink=\"relp-a\"} 0",
           "portcullis_audit_sink_delivered_records_total{sink=\"relp-a\"} 30",
           "portcullis_audit_sink_connects_total{sink=\"relp-a\"} 2",
           "portcullis_audit_sink_failures_total{sink=\"relp-a\"} 4",
           "portcullis_audit_sink_lag_records{sink=\"syslog-b\"} 0",
           "portcullis_audit_sink_lag_alarm{sink=\"syslog-b\"} 0",
           "portcullis_audit_sink_connected{sink=\"syslog-b\"} 1",
           "portcullis_audit_sink_delivered_records_total{sink=\"syslog-b\"} 42",
       }) {
    INFO(line);
    CHECK(has_line(text, line));
  }
}

TEST_CASE("watched sink counters follow the source's totals and never go down",
          "[admin][metrics][siem]") {
  GatewayMetrics metrics;
  portcullis::admin::AuditSinkSnapshot sink{.sink = "s", .lag_records = 5, .alarm = true,
                                            .delivered = 10, .connects = 1, .failures = 3};
  metrics.watch_audit_sinks([&] { return std::vector{sink}; });
  (void)metrics.render();
  (void)metrics.render();  // a second scrape of the same totals adds nothing
  sink.lag_records = 0;
  sink.alarm = false;
  sink.delivered = 15;
  const std::string later = metrics.render();
  CHECK(has_line(later, "portcullis_audit_sink_delivered_records_total{sink=\"s\"} 15"));
  CHECK(has_line(later, "portcullis_audit_sink_failures_total{sink=\"s\"} 3"));
  CHECK(has_line(later, "portcullis_audit_sink_lag_records{sink=\"s\"} 0"));
  CHECK(has_line(later, "portcullis_audit_sink_lag_alarm{sink=\"s\"} 0"));
  sink.delivered = 2;  // a source that restarted from zero
  CHECK(has_line(metrics.render(), "portcullis_audit_sink_delivered_records_total{sink=\"s\"} 15"));
}

TEST_CASE("an emptied sink source is no longer read and the last values stay",
          "[admin][metrics][siem]") {
  GatewayMetrics metrics;
  int reads = 0;
  metrics.watch_audit_sinks([&] {
    ++reads;
    return std::vector<portcullis::admin::AuditSinkSnapshot>{{.sink = "s", .lag_records = 7}};
  });
  (void)metrics.render();
  metrics.watch_audit_sinks({});
  const std::string text = metrics.render();
  CHECK(reads == 1);
  CHECK(has_line(text, "portcullis_audit_sink_lag_records{sink=\"s\"} 7"));
}
