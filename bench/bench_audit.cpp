// Audit log benchmarks: appends/s and append latency (p50/p99) from 1, 4 and 16 concurrent
// callers in strict and batched mode — one thread per caller (BM_append_*), and the gateway's
// pattern of 4 or 16 logical callers driven by two threads with completion callbacks, each
// append written on its own or deferred and flushed once per driver turn
// (BM_append_*_2threads), or by one thread (BM_append_*_1thread: the configuration the gateway
// benchmark runs, `threads: 1`); beside them the raw write+fdatasync of one record on the
// same file system in the same run (the physical floor of strict mode); `audit verify`
// throughput with checkpoints on our ~3.2 KB decision records and on ~1.5 KB ones (the issue's
// target size); and the CPU cost of building and sealing one record. Figures only, never
// pass/fail.
//
// The log lives in $PORTCULLIS_BENCH_DIR (default: the system temp dir); put it on the disk
// you want to measure.
#include <fcntl.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <benchmark/benchmark.h>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "portcullis/audit/audit_log.hpp"
#include "portcullis/audit/jcs.hpp"
#include "portcullis/audit/record.hpp"
#include "portcullis/audit/verifier.hpp"
#include "portcullis/policy/request.hpp"

namespace {

using namespace portcullis::audit;
using portcullis::Result;
using Clock = std::chrono::steady_clock;

std::filesystem::path bench_root() {
  const char* env = std::getenv("PORTCULLIS_BENCH_DIR");
  std::filesystem::path base = env != nullptr ? env : std::filesystem::temp_directory_path();
  std::random_device rd;
  auto dir = base / ("portcullis-bench-audit-" + std::to_string(::getpid()) + "-" +
                     std::to_string(rd()));
  std::filesystem::create_directories(dir);
  return dir;
}

// The Cedar request of a decision as the gateway carries it: a policy::Request written as JCS
// text (policy::request_to_jcs), here from its Cedar JSON form.
std::string cedar_jcs(const nlohmann::json& request) {
  auto parsed = portcullis::policy::request_from_json(request);
  if (!parsed) {
    std::fprintf(stderr, "bench: bad Cedar request: %s\n", parsed.error().message.c_str());
    std::abort();
  }
  return portcullis::policy::request_to_jcs(*parsed);
}

// An allowed MCP tools/call with the gateway's usual context (session, TLS facts, arguments):
// about 3.2 KB once sealed, the size of our typical decision record.
DecisionEvent sample(int i) {
  DecisionEvent e;
  e.time_ms = 1764200000000 + i;
  e.request_id = "9f1c2d3e-" + std::to_string(i);
  e.agent = "spiffe://example.org/agents/billing-assistant";
  e.session_id = "mcp-session-7d1f0e2a9b";
  e.listener = "agents";
  e.route = "tools";
  e.protocol = "mcp";
  e.action = "tools/call";
  e.method = "tools/call";
  e.resource_type = "Tool";
  e.resource_id = "tools/create_refund";
  e.jsonrpc_id = i;
  e.disposition = Disposition::Allowed;
  e.policy_ids = {"allow-small-refunds"};
  e.labels = {"finance"};
  e.policy_set_hash = "sha256:4f9d3c2b1a0e9d8c7b6a5f4e3d2c1b0a";
  e.cedar_request_jcs = cedar_jcs({
      {"principal", {{"type", "Agent"}, {"id", e.agent}}},
      {"action", {{"type", "Action"}, {"id", "tools/call"}}},
      {"resource", {{"type", "Tool"}, {"id", "tools/create_refund"}}},
      {"context",
       {{"input", {{"order_id", "A-100234"}, {"amount", 42}, {"currency", "EUR"},
                   {"reason", "The parcel arrived damaged; customer sent photos."}}},
        {"route", "tools"},
        {"hour", 14},
        {"weekday", 3},
        {"session", {{"id", e.session_id}, {"labels", {"finance"}}, {"tools", {"lookup_order"}}}},
        {"tls", {{"subject", "CN=billing-assistant"}, {"issuer", "CN=agents-ca"},
                 {"spiffe_id", e.agent}, {"sans", {e.agent}}}}}}});
  e.src = {"10.20.30.40", 51544};
  e.dst = {"10.20.0.1", 8443};
  e.http_method = "POST";
  e.http_url = "/mcp";
  e.user_agent = "mcp-client/1.4";
  e.peer = {"CN=billing-assistant", "CN=agents-ca", e.agent, "4a3f"};
  return e;
}

// A denied call with a small context: about 2.6 KB once sealed. With its OCSF envelope and chain
// fields no decision record is much smaller (an empty context still makes ~2.5 KB).
DecisionEvent small_denied_sample(int i) {
  DecisionEvent e;
  e.time_ms = 1764200000000 + i;
  e.request_id = "5b2e8c1a-" + std::to_string(i);
  e.agent = "spiffe://example.org/agents/triage";
  e.listener = "agents";
  e.route = "tools";
  e.protocol = "mcp";
  e.action = "tools/call";
  e.method = "tools/call";
  e.resource_type = "Tool";
  e.resource_id = "tools/delete_repo";
  e.jsonrpc_id = i;
  e.disposition = Disposition::Blocked;
  e.deny_message = "denied by policy forbid-destructive-tools";
  e.policy_ids = {"forbid-destructive-tools"};
  e.policy_set_hash = "sha256:4f9d3c2b1a0e9d8c7b6a5f4e3d2c1b0a";
  e.cedar_request_jcs = cedar_jcs({{"principal", {{"type", "Agent"}, {"id", e.agent}}},
                                   {"action", {{"type", "Action"}, {"id", "tools/call"}}},
                                   {"resource", {{"type", "Tool"}, {"id", "tools/delete_repo"}}},
                                   {"context", {{"input", {{"repo", "infra/prod-config"}}},
                                                {"route", "tools"},
                                                {"hour", 9}}}});
  e.src = {"10.20.30.41", 40112};
  e.dst = {"10.20.0.1", 8443};
  e.http_method = "POST";
  e.http_url = "/mcp";
  return e;
}

// The outcome of a forwarded call (its second record): about 1.8 KB once sealed, the smallest
// kind of record the gateway writes per call, and the closest to the ~1.5 KB issue 4's verify
// target is stated for.
OutcomeEvent outcome_sample(int i) {
  OutcomeEvent e;
  e.time_ms = 1764200000050 + i;
  e.correlation_uid = "0d3c8a52-7c1e-4d2b-a3f4-5e6f7a8b9c0d";
  e.request_id = "9f1c2d3e-" + std::to_string(i);
  e.agent = "spiffe://example.org/agents/billing-assistant";
  e.session_id = "mcp-session-7d1f0e2a9b";
  e.route = "tools";
  e.protocol = "mcp";
  e.action = "tools/call";
  e.upstream_status = 200;
  e.latency_us = 1830;
  e.request_bytes = 621;
  e.response_bytes = 1432;
  return e;
}

struct Percentiles {
  double p50_us = 0;
  double p99_us = 0;
};

Percentiles percentiles(std::vector<double>& us) {
  std::sort(us.begin(), us.end());
  if (us.empty()) {
    return {};
  }
  return {us[us.size() / 2], us[std::min(us.size() - 1, us.size() * 99 / 100)]};
}

// One caller's "my append completed": a flag and a futex.
class Signal {
 public:
  void reset() { state_.store(0, std::memory_order_relaxed); }
  void set() {
    if (state_.exchange(1) == 2) {  // the caller sleeps
      ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&state_), FUTEX_WAKE_PRIVATE, 1,
                nullptr, nullptr, 0);
    }
  }
  void wait() {
    std::uint32_t expected = 0;
    if (!state_.compare_exchange_strong(expected, 2)) {
      return;  // already set
    }
    while (state_.load() == 2) {
      ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&state_), FUTEX_WAIT_PRIVATE, 2,
                nullptr, nullptr, 0);
    }
  }

 private:
  std::atomic<std::uint32_t> state_{0};  // 0 pending, 1 set, 2 pending and the caller sleeps
};

// One row's figures: appends/s, latency percentiles over every caller, records per write(2) and
// (strict) per fdatasync, from the log's counters between `before` and `after`.
void report_appends(benchmark::State& state, DurabilityMode mode,
                    const std::vector<std::vector<double>>& latencies, Clock::duration took,
                    int failures, const AuditLogStats& before, const AuditLogStats& after) {
  const double seconds = std::chrono::duration<double>(took).count();
  std::vector<double> all;
  for (const auto& v : latencies) {
    all.insert(all.end(), v.begin(), v.end());
  }
  const auto p = percentiles(all);
  const auto appended = static_cast<double>(after.appended - before.appended);
  state.SetIterationTime(seconds);
  state.counters["appends_per_s"] = static_cast<double>(all.size()) / seconds;
  // Every record the callers had completed, outcome records included (the gateway-mix rows).
  state.counters["records_per_s"] = appended / seconds;
  state.counters["p50_us"] = p.p50_us;
  state.counters["p99_us"] = p.p99_us;
  state.counters["failures"] = failures;
  state.counters["records_per_write"] =
      appended / static_cast<double>(std::max<std::uint64_t>(after.batches - before.batches, 1));
  // Strict mode's group commit: how many records one fdatasync made durable.
  if (mode == DurabilityMode::Strict) {
    const auto syncs = static_cast<double>(std::max<std::uint64_t>(after.syncs - before.syncs, 1));
    state.counters["records_per_sync"] = appended / syncs;
    // S of the model 16 / (S + R): the group commits' own fdatasync, as the writer timed it.
    state.counters["sync_us"] = static_cast<double>(after.sync_micros - before.sync_micros) / syncs;
  }
}

// What every closed-loop row shares: its callers (range(0)) and their appends each (range(1) in
// all), the log they append to (checkpoints every 1,000 records, as deployed), closed and removed
// when the row ends, and the 64 decision events they cycle through.
struct ClosedLoop {
  int callers = 0;
  int per_caller = 0;
  std::filesystem::path root;
  std::unique_ptr<AuditLog> log;
  std::vector<DecisionEvent> events;
  std::vector<OutcomeEvent> outcomes;  // for the rows that write the gateway's mix

  ClosedLoop() = default;
  ClosedLoop(const ClosedLoop&) = delete;
  ClosedLoop& operator=(const ClosedLoop&) = delete;
  ~ClosedLoop() {
    if (log) {
      log->close();
    }
    std::filesystem::remove_all(root);
  }
};

// Null with the benchmark marked skipped when the log cannot be opened.
// With `preallocate`, the log is opened with AuditLogOptions::preallocate and the run starts
// once the log writes to a file started over a spare of zeros (the first file of a new log is
// created before the first spare is ready) and the next spare is ready too: a burst that finds
// the disk quiet. While a spare is being written, strict mode is slower than without
// preallocation (docs/audit.md, "Preallocation").
std::unique_ptr<ClosedLoop> open_closed_loop(benchmark::State& state, DurabilityMode mode,
                                             bool preallocate = false) {
  auto loop = std::make_unique<ClosedLoop>();
  loop->callers = static_cast<int>(state.range(0));
  loop->per_caller = static_cast<int>(state.range(1)) / loop->callers;
  loop->root = bench_root();
  AuditLogOptions o;
  o.dir = loop->root;
  o.mode = mode;
  o.checkpoint_every_records = 1000;
  o.preallocate = preallocate;
  auto opened = AuditLog::open(o);
  if (!opened) {
    state.SkipWithError(opened.error().message.c_str());
    return nullptr;
  }
  loop->log = std::move(*opened);
  const auto give_up = Clock::now() + std::chrono::seconds(60);
  while (preallocate && (loop->log->stats().preallocated_files == 0 ||
                         !loop->log->stats().spare_ready)) {
    if (Clock::now() > give_up) {
      state.SkipWithError("no spare file was ready after 60 s");
      return nullptr;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  for (int i = 0; i < 64; ++i) {
    loop->events.push_back(sample(i));
    loop->outcomes.push_back(outcome_sample(i));
  }
  return loop;
}

// Closed loop: each caller appends, waits for its completion, appends again.
void run_appends(benchmark::State& state, DurabilityMode mode) {
  const auto loop = open_closed_loop(state, mode, state.range(2) != 0);
  if (!loop) {
    return;
  }
  const int callers = loop->callers;
  const int per_caller = loop->per_caller;
  AuditLog& log = *loop->log;
  const std::vector<DecisionEvent>& events = loop->events;
  for (auto _ : state) {
    std::vector<std::vector<double>> lat(static_cast<std::size_t>(callers));
    std::atomic<int> failures{0};
    const auto stats_before = log.stats();
    const auto start = Clock::now();
    std::vector<std::thread> threads;
    // Outlives the callers: a completion may still be waking one that already saw its flag.
    std::vector<Signal> signals(static_cast<std::size_t>(callers));
    for (int c = 0; c < callers; ++c) {
      threads.emplace_back([&, c] {
        auto& mine = lat[static_cast<std::size_t>(c)];
        mine.reserve(static_cast<std::size_t>(per_caller));
        // The completion wakes this caller the way a post to an idle executor would: one
        // futex wake when the caller sleeps, none when it already returned (a condition
        // variable notified under its mutex made every wake-up cost two, and std::atomic::wait
        // spins with sched_yield, which on a loaded machine gives the core away for ms).
        Signal& done = signals[static_cast<std::size_t>(c)];
        for (int i = 0; i < per_caller; ++i) {
          done.reset();
          const auto t0 = Clock::now();
          log.append(events[static_cast<std::size_t>(i % 64)], [&](Result<AppendReceipt> r) {
            if (!r) {
              ++failures;
            }
            done.set();
          });
          done.wait();
          mine.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
        }
      });
    }
    for (auto& t : threads) {
      t.join();
    }
    report_appends(state, mode, lat, Clock::now() - start, failures.load(), stats_before,
                   log.stats());
  }
}

void BM_append_strict(benchmark::State& state) { run_appends(state, DurabilityMode::Strict); }
void BM_append_batched(benchmark::State& state) { run_appends(state, DurabilityMode::Batched); }

// The callers whose turn it is on one driver thread: completions (any thread) put their caller
// back, the driver takes them all at once — an event loop's ready queue.
class ReadyCallers {
 public:
  void push(int caller) {
    std::lock_guard lock(mutex_);
    ready_.push_back(caller);
    if (sleeping_) {
      sleeping_ = false;
      wake_.notify_one();
    }
  }
  void take(std::vector<int>& out) {
    std::unique_lock lock(mutex_);
    while (ready_.empty()) {
      sleeping_ = true;
      wake_.wait(lock);
    }
    sleeping_ = false;
    out.swap(ready_);
  }

 private:
  std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<int> ready_;
  bool sleeping_ = false;
};

// The gateway's pattern: `callers` logical callers (connections) driven by `drivers` threads (I/O
// threads) with completion callbacks. Each caller has one append in flight; a driver thread
// appends for every caller that is ready, then — with `deferred` — flushes once for the whole
// turn (append_deferred + flush(), as the gateway does), else each append is written on its own
// (append()). Closed loop as above.
void run_driven_appends(benchmark::State& state, DurabilityMode mode, int drivers) {
  const auto loop = open_closed_loop(state, mode, state.range(4) != 0);
  if (!loop) {
    return;
  }
  const int callers = loop->callers;
  const int per_caller = loop->per_caller;
  const bool deferred = state.range(2) != 0;
  // The gateway's record stream: with range(3) == 1 a caller's turn also appends the outcome
  // record of its previous call (queued, written with the turn's flush; nobody waits for it),
  // so half the records are 1.85 KB outcome records, as behind a gateway. Latencies are the
  // decisions'.
  const bool gateway_mix = state.range(3) != 0;
  AuditLog& log = *loop->log;
  const std::vector<DecisionEvent>& events = loop->events;
  for (auto _ : state) {
    std::vector<std::vector<double>> lat(static_cast<std::size_t>(callers));
    std::vector<Clock::time_point> started(static_cast<std::size_t>(callers));
    std::atomic<int> failures{0};
    std::vector<ReadyCallers> queues(static_cast<std::size_t>(drivers));
    const auto stats_before = log.stats();
    const auto start = Clock::now();
    std::vector<std::thread> threads;
    for (int d = 0; d < drivers; ++d) {
      threads.emplace_back([&, d] {
        ReadyCallers& mine = queues[static_cast<std::size_t>(d)];
        std::vector<int> ready;
        std::vector<int> issued(static_cast<std::size_t>(callers), 0);
        int running = 0;
        for (int c = d; c < callers; c += drivers) {
          ready.push_back(c);
          ++running;
        }
        while (running > 0) {
          if (ready.empty()) {
            mine.take(ready);
          }
          std::vector<int> turn;
          turn.swap(ready);
          for (const int c : turn) {
            const auto uc = static_cast<std::size_t>(c);
            if (issued[uc] == per_caller) {
              --running;  // its last completion came back
              continue;
            }
            const int i = issued[uc]++;
            started[uc] = Clock::now();
            auto done = [&, c](Result<AppendReceipt> r) {
              const auto ucc = static_cast<std::size_t>(c);
              if (!r) {
                ++failures;
              }
              lat[ucc].push_back(
                  std::chrono::duration<double, std::micro>(Clock::now() - started[ucc]).count());
              queues[static_cast<std::size_t>(c % drivers)].push(c);
            };
            const DecisionEvent& e = events[static_cast<std::size_t>(i % 64)];
            if (gateway_mix && i > 0) {
              log.append(loop->outcomes[static_cast<std::size_t>(i % 64)],
                         [&failures](Result<AppendReceipt> r) {
                           if (!r) {
                             ++failures;
                           }
                         });
            }
            if (deferred) {
              log.append_deferred(e, std::move(done));
            } else {
              log.append(e, std::move(done));
            }
          }
          if (deferred) {
            log.flush();  // once per turn, after every ready caller appended
          }
        }
      });
    }
    for (auto& t : threads) {
      t.join();
    }
    report_appends(state, mode, lat, Clock::now() - start, failures.load(), stats_before,
                   log.stats());
  }
}

void BM_append_strict_2threads(benchmark::State& state) {
  run_driven_appends(state, DurabilityMode::Strict, 2);
}
void BM_append_batched_2threads(benchmark::State& state) {
  run_driven_appends(state, DurabilityMode::Batched, 2);
}
void BM_append_strict_1thread(benchmark::State& state) {
  run_driven_appends(state, DurabilityMode::Strict, 1);
}
void BM_append_batched_1thread(benchmark::State& state) {
  run_driven_appends(state, DurabilityMode::Batched, 1);
}

// The floor: one write + fdatasync after another, on the same file system: of one ~1.5 KB
// record, and of a whole strict group (16 callers' ~3.26 KB decision records in one write),
// which on some disks costs much more than a small one and bounds strict mode at 16 callers.
//
// With a third argument of 1, the same writes go over a file already filled with zeros and
// synced, so that no write changes its size or allocates a block: what an fdatasync costs
// without metadata to persist (PostgreSQL zero-fills its WAL segments for this). On this VM's
// ext4 it is a quarter to a third cheaper (docs/performance.md, "Audit log"); the audit writer
// does not preallocate (yet).
void BM_raw_write_fdatasync(benchmark::State& state) {
  const auto root = bench_root();
  const auto file = root / "raw.jsonl";
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  const std::string record(static_cast<std::size_t>(state.range(1)), 'x');
  const int n = static_cast<int>(state.range(0));
  if (state.range(2) != 0) {
    const std::string zeros(1 << 20, '\0');
    for (std::size_t done = 0; done < record.size() * static_cast<std::size_t>(n);
         done += zeros.size()) {
      if (::write(fd, zeros.data(), zeros.size()) < 0) {
        state.SkipWithError("cannot fill the file with zeros");
        break;
      }
    }
    ::fsync(fd);
  }
  off_t at = 0;
  for (auto _ : state) {
    std::vector<double> lat;
    lat.reserve(static_cast<std::size_t>(n));
    const auto start = Clock::now();
    for (int i = 0; i < n; ++i) {
      const auto t0 = Clock::now();
      if (::pwrite(fd, record.data(), record.size(), at) < 0 || ::fdatasync(fd) != 0) {
        state.SkipWithError("write/fdatasync failed");
        break;
      }
      at += static_cast<off_t>(record.size());
      lat.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
    }
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    const auto p = percentiles(lat);
    state.SetIterationTime(seconds);
    state.counters["syncs_per_s"] = static_cast<double>(lat.size()) / seconds;
    state.counters["bytes_per_write"] = static_cast<double>(record.size());
    state.counters["p50_us"] = p.p50_us;
    state.counters["p99_us"] = p.p99_us;
  }
  ::close(fd);
  std::filesystem::remove_all(root);
}

// `audit verify` on a log of `make(i)` records (batched mode to write it fast; checkpoints every
// 1000 records, as by default).
template <typename Event>
void run_verify(benchmark::State& state, Event (*make)(int)) {
  const auto root = bench_root();
  const int records = static_cast<int>(state.range(0));
  {
    AuditLogOptions o;
    o.dir = root;
    o.mode = DurabilityMode::Batched;
    auto log = AuditLog::open(o);
    if (!log) {
      state.SkipWithError(log.error().message.c_str());
      return;
    }
    std::atomic<int> pending{0};
    for (int i = 0; i < records; ++i) {
      ++pending;
      (*log)->append(make(i), [&](Result<AppendReceipt>) { --pending; });
    }
    (*log)->close();
  }
  std::uint64_t bytes = 0;
  const auto files = list_log_files(root);
  for (const auto& f : files ? *files : std::vector<std::filesystem::path>{}) {
    bytes += std::filesystem::file_size(f);
  }
  std::uint64_t verified = 0;  // over every iteration
  std::uint64_t per_run = 0;
  for (auto _ : state) {
    auto report = verify_files({root}, {});
    if (!report || !report->intact()) {
      state.SkipWithError("verify failed");
      break;
    }
    per_run = report->records;
    verified += report->records;
  }
  if (per_run > 0) {
    state.counters["records"] = static_cast<double>(per_run);
    // kIsRate divides by the CPU time of *all* iterations, so the numerator must be the records
    // of all iterations too (setting one run's count made the rate 1/iterations too low).
    state.counters["records_per_s"] =
        benchmark::Counter(static_cast<double>(verified), benchmark::Counter::kIsRate);
    state.counters["avg_record_bytes"] =
        static_cast<double>(bytes) / static_cast<double>(per_run);
  }
  std::filesystem::remove_all(root);
}

// Our typical 3.26 KB records, small denied decisions (~2.6 KB), and ~1.8 KB outcome records
// (the nearest to the ~1.5 KB the target names).
void BM_verify(benchmark::State& state) { run_verify(state, sample); }
void BM_verify_denied(benchmark::State& state) { run_verify(state, small_denied_sample); }
void BM_verify_outcome(benchmark::State& state) { run_verify(state, outcome_sample); }

// The caller-thread share of an append: OCSF record built and canonicalised (JCS).
void run_build(benchmark::State& state, const DecisionEvent& e) {
  RecordContext ctx;
  std::size_t bytes = 0;
  for (auto _ : state) {
    RecordTemplate t = make_decision_record(e, ctx);
    bytes = t.text.size();
    benchmark::DoNotOptimize(t);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.counters["template_bytes"] = static_cast<double>(bytes);
}
void BM_build_record(benchmark::State& state) { run_build(state, sample(1)); }
void BM_build_record_small(benchmark::State& state) { run_build(state, small_denied_sample(1)); }

// The writer-thread share: sequence and attestation spliced in, fingerprinted, Merkle leaf.
void run_seal(benchmark::State& state, const DecisionEvent& e) {
  const RecordTemplate t = make_decision_record(e, RecordContext{});
  Sha256 hasher;
  std::string line;
  std::optional<ChainLink> prev = ChainLink{1, "uid", sha256("x")};
  MerkleFrontier tree;
  std::uint64_t seq = 2;
  for (auto _ : state) {
    const Digest fp = seal_record(t, "chain", prev, seq++, hasher, line);
    tree.append_leaf(merkle_leaf_hash(fp));
    prev->fingerprint = fp;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.counters["record_bytes"] = static_cast<double>(line.size());
}
void BM_seal_record(benchmark::State& state) { run_seal(state, sample(1)); }
void BM_seal_record_small(benchmark::State& state) { run_seal(state, small_denied_sample(1)); }

// The gateway's share before the record builder: the decision's Cedar request as JCS text,
// written from the policy::Request (what the gateway does) and, for comparison, through an
// nlohmann tree canonicalised afterwards (what it did before).
portcullis::policy::Request sample_request() {
  const DecisionEvent e = sample(1);
  return *portcullis::policy::request_from_json(nlohmann::json::parse(e.cedar_request_jcs));
}
void BM_cedar_request_jcs(benchmark::State& state) {
  const auto request = sample_request();
  for (auto _ : state) {
    benchmark::DoNotOptimize(portcullis::policy::request_to_jcs(request));
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
void BM_cedar_request_via_json_tree(benchmark::State& state) {
  const auto request = sample_request();
  for (auto _ : state) {
    benchmark::DoNotOptimize(jcs(portcullis::policy::request_to_json(request)));
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

}  // namespace

// Every closed-loop and raw row: one run that times itself (the appends, not the set-up), in ms.
void one_timed_run(benchmark::internal::Benchmark* b) {
  b->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);
}

BENCHMARK(BM_cedar_request_jcs);
BENCHMARK(BM_cedar_request_via_json_tree);
BENCHMARK(BM_build_record);
BENCHMARK(BM_build_record_small);
BENCHMARK(BM_seal_record);
BENCHMARK(BM_seal_record_small);
BENCHMARK(BM_raw_write_fdatasync)
    ->Args({3000, 1536, 0})
    ->Args({2000, 16 * 3264, 0})  // one strict group of 16 decision records
    ->Args({3000, 1536, 1})       // the same over zeros already on disk
    ->Args({2000, 16 * 3264, 1})
    ->Apply(one_timed_run);
BENCHMARK(BM_append_strict)
    ->Args({1, 3000, 0})
    ->Args({4, 12000, 0})
    ->Args({16, 40000, 0})
    ->Args({1, 3000, 1})  // preallocate: records written over a spare's zeros
    ->Args({16, 40000, 1})
    ->Apply(one_timed_run);
BENCHMARK(BM_append_batched)
    ->Args({1, 50000, 0})
    ->Args({4, 100000, 0})
    ->Args({16, 200000, 0})
    ->Apply(one_timed_run);
// Args: logical callers, appends in all, deferred (0: append() each; 1: append_deferred() and one
// flush() per driver turn). Two driver threads in every row of *_2threads, one in *_1thread (the
// gateway's `threads: 1`: its I/O thread appends deferred and flushes once per event-loop turn),
// the gateway's mix (1: each call's outcome record too).
BENCHMARK(BM_append_strict_2threads)
    ->Args({4, 12000, 0, 0, 0})
    ->Args({4, 12000, 1, 0, 0})
    ->Args({16, 40000, 0, 0, 0})
    ->Args({16, 40000, 1, 0, 0})
    ->Apply(one_timed_run);
BENCHMARK(BM_append_batched_2threads)
    ->Args({4, 100000, 0, 0, 0})
    ->Args({4, 100000, 1, 0, 0})
    ->Args({16, 200000, 0, 0, 0})
    ->Args({16, 200000, 1, 0, 0})
    ->Apply(one_timed_run);
BENCHMARK(BM_append_strict_1thread)
    ->Args({4, 12000, 1, 0, 0})
    ->Args({16, 40000, 1, 0, 0})
    ->Args({16, 40000, 1, 1, 0})
    ->Args({16, 40000, 1, 0, 1})  // preallocate
    ->Args({16, 40000, 1, 1, 1})
    ->Apply(one_timed_run);
BENCHMARK(BM_append_batched_1thread)
    ->Args({4, 100000, 1, 0, 0})
    ->Args({16, 200000, 1, 0, 0})
    ->Args({16, 200000, 1, 1, 0})
    ->Args({16, 200000, 1, 0, 1})  // preallocate
    ->Args({16, 200000, 1, 1, 1})
    ->Apply(one_timed_run);
BENCHMARK(BM_verify)->Arg(100000)->Iterations(3)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_verify_denied)->Arg(100000)->Iterations(3)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_verify_outcome)->Arg(100000)->Iterations(3)->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
