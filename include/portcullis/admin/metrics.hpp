// Metrics: a small Prometheus registry (counters, gauges, fixed-bucket histograms, with labels)
// rendered in the text exposition format 0.0.4.
//
// Threading: every member function of Counter, Gauge, Histogram, Family and Registry may be
// called from any thread at any time. The hot path (inc / add / set / observe) is lock-free:
// counters and histograms are sharded over cache-line-padded atomics, so N I/O threads do not
// fight over one cache line. Family::with() looks the child up in the calling thread's shard
// of the index under that shard's own mutex (uncontended unless more threads than shards), and
// takes the family's mutex only the first time a thread meets a label combination; callers on
// the hot path may instead look a child up once (at config load) and keep the reference.
//
// Lifetime: a child returned by Family::with() is never removed, so the reference stays valid
// as long as the Registry lives. Memory is bounded: each family holds at most `max_series`
// children; label combinations beyond that all land in one child whose label values are all
// "overflow" (and are still counted), so a bug that puts unbounded values in a label cannot
// exhaust memory.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "portcullis/audit/audit_log.hpp"

namespace portcullis::admin {

class SessionState;
class RateCounter;

namespace detail {
// Number of shards for hot counters. A power of two; threads pick a shard once (round robin).
inline constexpr std::size_t kShards = 8;
// The calling thread's shard index, in [0, kShards).
std::size_t this_thread_shard() noexcept;

struct alignas(64) PaddedU64 {
  std::atomic<std::uint64_t> value{0};
};
struct alignas(64) PaddedDouble {
  std::atomic<double> value{0.0};
};
}  // namespace detail

// A monotonically increasing count.
class Counter {
 public:
  void inc(std::uint64_t n = 1) noexcept;
  [[nodiscard]] std::uint64_t value() const noexcept;

 private:
  std::array<detail::PaddedU64, detail::kShards> shards_{};
};

// A value that goes up and down (set by whoever owns the fact: queue length, lag, list size).
class Gauge {
 public:
  void set(double v) noexcept;
  void add(double delta) noexcept;
  [[nodiscard]] double value() const noexcept;

 private:
  std::atomic<double> value_{0.0};
};

// A histogram with fixed upper bounds (Prometheus `le`), plus the implicit +Inf bucket.
class Histogram {
 public:
  // `upper_bounds` must be finite and strictly increasing (checked by Registry::histogram).
  explicit Histogram(std::vector<double> upper_bounds);

  void observe(double v) noexcept;

  struct Snapshot {
    std::vector<double> upper_bounds;           // without +Inf
    std::vector<std::uint64_t> cumulative;      // one per bound, then +Inf (== count)
    double sum = 0.0;
    std::uint64_t count = 0;
  };
  [[nodiscard]] Snapshot snapshot() const;

 private:
  struct alignas(64) Shard {
    std::unique_ptr<std::atomic<std::uint64_t>[]> buckets;  // bounds + 1 (+Inf), not cumulative
    std::atomic<double> sum{0.0};
  };
  std::vector<double> upper_bounds_;
  std::array<Shard, detail::kShards> shards_;
};

// All children of one metric name, keyed by their label values (in label-name order).
template <typename Metric>
class Family {
 public:
  using Factory = std::function<std::unique_ptr<Metric>()>;

  Family(std::vector<std::string> label_names, std::size_t max_series, Factory factory);

  // The child for these label values (created on first use). The number of values must equal
  // the number of label names; a mismatch is a programming error and lands in the overflow
  // child (and asserts in debug builds).
  Metric& with(std::initializer_list<std::string_view> label_values);
  Metric& with(std::span<const std::string_view> label_values);

  [[nodiscard]] const std::vector<std::string>& label_names() const { return label_names_; }

  // Calls `visit(label_values, metric)` for every child, sorted by label values (byte order).
  void for_each(
      const std::function<void(const std::vector<std::string>&, const Metric&)>& visit) const;

 private:
  struct KeyLess {
    using is_transparent = void;
    bool operator()(const std::vector<std::string>& a, const std::vector<std::string>& b) const;
    bool operator()(const std::vector<std::string>& a, std::span<const std::string_view> b) const;
    bool operator()(std::span<const std::string_view> a, const std::vector<std::string>& b) const;
  };

  using Index = std::map<std::vector<std::string>, Metric*, KeyLess>;
  // A per-thread-shard copy of the lookup index, filled lazily from children_: a thread takes
  // only its own shard's (uncontended) mutex on the hot path, so threads do not bounce one lock
  // word between cores. Bounded: a shard caches only keys of existing children (not overflow).
  struct alignas(64) Shard {
    std::mutex mutex;
    Index index;
  };

  std::vector<std::string> label_names_;
  std::size_t max_series_;
  Factory factory_;
  mutable std::mutex mutex_;  // guards children_ and overflow_
  std::map<std::vector<std::string>, std::unique_ptr<Metric>, KeyLess> children_;
  Metric* overflow_ = nullptr;  // created lazily under mutex_
  std::array<Shard, detail::kShards> shards_;
};

extern template class Family<Counter>;
extern template class Family<Gauge>;
extern template class Family<Histogram>;

// Owns metric families and renders them. Register every family at start-up (registration is
// not for the hot path); render() may run concurrently with updates and registrations.
class Registry {
 public:
  static constexpr std::size_t kDefaultMaxSeries = 10000;

  Registry();
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;
  Registry(Registry&&) = delete;
  Registry& operator=(Registry&&) = delete;

  // Metric names must match [a-zA-Z_:][a-zA-Z0-9_:]* and be unique; label names must match
  // [a-zA-Z_][a-zA-Z0-9_]*, must not start with "__" and (for histograms) must not be "le";
  // histogram bounds must be finite and strictly increasing. A violation is a programming
  // error: these throw std::invalid_argument (start-up only, never on the hot path).
  Family<Counter>& counter(std::string name, std::string help,
                           std::vector<std::string> label_names = {},
                           std::size_t max_series = kDefaultMaxSeries);
  Family<Gauge>& gauge(std::string name, std::string help,
                       std::vector<std::string> label_names = {},
                       std::size_t max_series = kDefaultMaxSeries);
  Family<Histogram>& histogram(std::string name, std::string help,
                               std::vector<std::string> label_names, std::vector<double> upper_bounds,
                               std::size_t max_series = kDefaultMaxSeries);

  // A single unlabelled series whose value is read by `read` at each render() (for state that
  // already counts itself, e.g. cache sizes). `read` runs on the scraping thread, under the
  // registry's lock: it must be cheap, must not throw and must not call back into the registry.
  // Whatever it reads must outlive the registry's renders.
  enum class CallbackType { Counter, Gauge };
  void callback(std::string name, std::string help, CallbackType type,
                std::function<double()> read);

  // The Prometheus text exposition format 0.0.4: per family `# HELP`, `# TYPE`, then samples;
  // families in registration order, children sorted by label values. Content type:
  // kPrometheusContentType.
  [[nodiscard]] std::string render() const;

 private:
  struct Entry;
  // Adds `entry`; throws std::invalid_argument if its name is taken.
  void insert(std::unique_ptr<Entry> entry);
  // Registers a family whose children `make_child` creates (defined and used in metrics.cpp).
  template <class Metric, class MakeChild>
  Family<Metric>& add_family(std::string name, std::string help,
                             std::vector<std::string> label_names, std::size_t max_series,
                             MakeChild make_child);

  mutable std::shared_mutex mutex_;
  std::vector<std::unique_ptr<Entry>> entries_;
};

inline constexpr std::string_view kPrometheusContentType = "text/plain; version=0.0.4; charset=utf-8";

// Escaping rules of the text format (exposed for tests and for other renderers).
std::string escape_help(std::string_view help);          // `\` → `\\`, newline → `\n`
std::string escape_label_value(std::string_view value);  // also `"` → `\"`
// A sample value as Prometheus writes it: integers without a fraction, "+Inf", "-Inf", "NaN",
// otherwise the shortest text that reads back to the same double.
std::string format_value(double v);

// ---------------------------------------------------------------------------------------------
// The gateway's metrics, pre-registered with fixed names (all prefixed `portcullis_`).

enum class DecisionResult { Allow, Deny, Error };
enum class UpstreamErrorKind { Connect, Tls, Timeout, Protocol, Closed };
enum class ReloadResult { Ok, Failed };

std::string_view to_string(DecisionResult r);      // "allow" | "deny" | "error"
std::string_view to_string(UpstreamErrorKind k);   // "connect" | "tls" | "timeout" | "protocol" | "closed"
std::string_view to_string(ReloadResult r);        // "ok" | "failed"

// One SIEM sink's delivery state as its owner reports it (the net module maps
// net::SiemDelivery::status() onto this; admin knows nothing of sockets). The counts are
// totals since the sink started and only grow.
struct AuditSinkSnapshot {
  std::string sink{};             // its name (label value); `{}` lets designated inits omit it
  std::uint64_t lag_records = 0;    // records in the log not yet delivered
  double lag_seconds = 0;           // age of the oldest undelivered record; 0 when caught up
  bool alarm = false;               // over the sink's lag_alarm_records or lag_alarm_age
  bool connected = false;
  std::uint64_t delivered = 0;      // records confirmed delivered (RELP: acknowledged)
  std::uint64_t connects = 0;       // successful connections (the first one and reconnects)
  std::uint64_t failures = 0;       // failed connects, sends, log reads, cursor writes
};
// Called at every render() on the scraping thread; must be cheap and must not throw.
using AuditSinkSource = std::function<std::vector<AuditSinkSnapshot>()>;

// Thread-safe like the Registry. The named functions are shorthands over the public families;
// hot paths may cache `requests.with({...})` children per listener/route at config load.
class GatewayMetrics {
 public:
  GatewayMetrics();
  ~GatewayMetrics() = default;
  GatewayMetrics(const GatewayMetrics&) = delete;
  GatewayMetrics& operator=(const GatewayMetrics&) = delete;
  GatewayMetrics(GatewayMetrics&&) = delete;
  GatewayMetrics& operator=(GatewayMetrics&&) = delete;

  // Every action that reached a route (one per JSON-RPC element / A2A call / HTTP request).
  void count_request(std::string_view listener, std::string_view route, std::string_view protocol);
  // One per decision; Error = the decision path itself failed (policy error under deny, bug).
  void count_decision(std::string_view route, DecisionResult result);
  void observe_decision_latency(double seconds);
  void observe_upstream_latency(std::string_view route, double seconds);
  void count_upstream_error(std::string_view route, UpstreamErrorKind kind);
  void count_audit_append_failure();
  // Records written to the file but not yet delivered to that SIEM sink (watch_audit_sinks
  // keeps it current; this setter is for owners that push instead).
  void set_audit_sink_lag(std::string_view sink, double records);
  // Counted by the reload implementation (SIGHUP and POST /reload alike), not by the handler.
  void count_reload(ReloadResult result);
  // `reason` must come from a small fixed set (e.g. "no_certificate", "unknown_ca", "expired",
  // "no_identity", "protocol", "timeout"): it is a label value.
  void count_handshake_failure(std::string_view listener, std::string_view reason);
  void set_quarantined_agents(std::size_t n);
  // After a successful reload: how many start-only settings the file changes (they keep their
  // values until a restart; 0 = everything in the file is in force).
  void set_restart_pending_settings(std::size_t n);
  // A broken invariant in the decision path (CONVENTIONS "Errors" 3): denied, logged, counted.
  void count_policy_invariant_bug();

  // Exports the bounded in-memory state's sizes and evictions (read at scrape time):
  //   portcullis_sessions, portcullis_session_agents (gauges),
  //   portcullis_session_evictions_total, portcullis_session_dropped_strings_total,
  //   portcullis_rate_keys (gauge), portcullis_rate_evictions_total.
  // Call once; `sessions` and `rates` must outlive this object.
  void watch_state(const SessionState& sessions, const RateCounter& rates);

  // Exports the audit log writer's own totals (AuditLogStats), read from `source` at scrape time:
  //   portcullis_audit_records_total, portcullis_audit_syncs_total,
  //   portcullis_audit_sync_seconds_total (time in fdatasync), portcullis_audit_checkpoints_total,
  //   portcullis_audit_recoveries_total, portcullis_audit_rotations_total,
  //   portcullis_audit_spare_failures_total (counters), portcullis_audit_spare_ready (gauge, 0/1;
  //   audit.preallocate). `source` runs under the registry's lock: it must be cheap, must not
  //   throw, and what it reads must outlive the renders (capture the log by shared_ptr). Call
  //   once.
  void watch_audit_log(std::function<audit::AuditLogStats()> source);

  // Reads the SIEM sinks' delivery state at every render() and exports, per sink:
  //   portcullis_audit_sink_lag_records, portcullis_audit_sink_lag_seconds,
  //   portcullis_audit_sink_lag_alarm (0/1), portcullis_audit_sink_connected (0/1) (gauges),
  //   portcullis_audit_sink_delivered_records_total, portcullis_audit_sink_connects_total,
  //   portcullis_audit_sink_failures_total (counters; they follow the source's totals and
  //   never go down). Replaces any earlier source; an empty function stops reading (call it
  //   before whatever the source reads is destroyed). Any thread.
  void watch_audit_sinks(AuditSinkSource source);

  // The Prometheus text; refreshes the watched SIEM sinks first.
  [[nodiscard]] std::string render() const;
  [[nodiscard]] Registry& registry() { return registry_; }

 private:
  Registry registry_;

 public:
  // portcullis_requests_total{listener,route,protocol}
  Family<Counter>& requests;
  // portcullis_decisions_total{route,result}
  Family<Counter>& decisions;
  // portcullis_decision_duration_seconds (buckets 10 µs … 100 ms)
  Family<Histogram>& decision_duration;
  // portcullis_upstream_duration_seconds{route} (buckets 1 ms … 30 s)
  Family<Histogram>& upstream_duration;
  // portcullis_upstream_errors_total{route,kind}
  Family<Counter>& upstream_errors;
  // portcullis_audit_append_failures_total
  Family<Counter>& audit_append_failures;
  // portcullis_audit_sink_lag_records{sink}
  Family<Gauge>& audit_sink_lag;
  // portcullis_audit_sink_lag_seconds{sink}, _lag_alarm{sink}, _connected{sink}
  Family<Gauge>& audit_sink_lag_seconds;
  Family<Gauge>& audit_sink_alarm;
  Family<Gauge>& audit_sink_connected;
  // portcullis_audit_sink_delivered_records_total{sink}, _connects_total, _failures_total
  Family<Counter>& audit_sink_delivered;
  Family<Counter>& audit_sink_connects;
  Family<Counter>& audit_sink_failures;
  // portcullis_reloads_total{result}
  Family<Counter>& reloads;
  // portcullis_tls_handshake_failures_total{listener,reason}
  Family<Counter>& handshake_failures;
  // portcullis_quarantined_agents
  Family<Gauge>& quarantined_agents;
  // portcullis_restart_pending_settings
  Family<Gauge>& restart_pending_settings;
  // portcullis_policy_invariant_bugs_total
  Family<Counter>& policy_invariant_bugs;

 private:
  // The unlabelled series, looked up once: their shorthands touch no lock at all.
  Histogram& decision_duration_series_;
  Counter& audit_append_failures_series_;
  Gauge& quarantined_agents_series_;
  Gauge& restart_pending_settings_series_;
  Counter& policy_invariant_bugs_series_;

  void refresh_audit_sinks() const;
  mutable std::mutex audit_sinks_mutex_;  // guards audit_sinks_ and serialises refreshes
  AuditSinkSource audit_sinks_;
};

// The bucket bounds used above, in seconds (also for tests and dashboards).
// Decisions take microseconds; the top bucket is where something is badly wrong.
inline constexpr std::array<double, 13> kDecisionLatencyBuckets = {
    0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001,
    0.0025,  0.005,    0.01,    0.025,  0.05,    0.1};
// Upstream calls range from a local tool (ms) to an LLM-backed agent (tens of seconds).
inline constexpr std::array<double, 14> kUpstreamLatencyBuckets = {
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};

}  // namespace portcullis::admin
