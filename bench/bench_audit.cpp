// Audit log benchmarks: appends/s and append latency (p50/p99) from 1, 4 and 16 concurrent
// callers in strict and batched mode; beside them the raw write+fdatasync of one record on the
// same file system in the same run (the physical floor of strict mode); and `audit verify`
// throughput on ~1.5 KB records with checkpoints. Figures only, never pass/fail.
//
// The log lives in $PORTCULLIS_BENCH_DIR (default: the system temp dir); put it on the disk
// you want to measure.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <benchmark/benchmark.h>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "portcullis/audit/audit_log.hpp"
#include "portcullis/audit/record.hpp"
#include "portcullis/audit/verifier.hpp"

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

// A decision of about 1.5 KB once serialised, like a typical MCP tools/call record.
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
  e.cedar_request = {
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
                 {"spiffe_id", e.agent}, {"sans", {e.agent}}}}}}};
  e.src = {"10.20.30.40", 51544};
  e.dst = {"10.20.0.1", 8443};
  e.http_method = "POST";
  e.http_url = "/mcp";
  e.user_agent = "mcp-client/1.4";
  e.peer = {"CN=billing-assistant", "CN=agents-ca", e.agent, "4a3f"};
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

// Closed loop: each caller appends, waits for its completion, appends again.
void run_appends(benchmark::State& state, DurabilityMode mode) {
  const int callers = static_cast<int>(state.range(0));
  const int per_caller = static_cast<int>(state.range(1)) / callers;
  const auto root = bench_root();
  AuditLogOptions o;
  o.dir = root;
  o.mode = mode;
  o.checkpoint_every_records = 1000;
  auto opened = AuditLog::open(o);
  if (!opened) {
    state.SkipWithError(opened.error().message.c_str());
    return;
  }
  AuditLog& log = **opened;
  std::vector<DecisionEvent> events;
  for (int i = 0; i < 64; ++i) {
    events.push_back(sample(i));
  }
  for (auto _ : state) {
    std::vector<std::vector<double>> lat(static_cast<std::size_t>(callers));
    std::atomic<int> failures{0};
    const auto start = Clock::now();
    std::vector<std::thread> threads;
    for (int c = 0; c < callers; ++c) {
      threads.emplace_back([&, c] {
        auto& mine = lat[static_cast<std::size_t>(c)];
        mine.reserve(static_cast<std::size_t>(per_caller));
        std::mutex m;
        std::condition_variable cv;
        for (int i = 0; i < per_caller; ++i) {
          bool done = false;
          const auto t0 = Clock::now();
          log.append(events[static_cast<std::size_t>(i % 64)], [&](Result<AppendReceipt> r) {
            if (!r) {
              ++failures;
            }
            std::lock_guard lock(m);
            done = true;
            cv.notify_one();
          });
          std::unique_lock lock(m);
          cv.wait(lock, [&] { return done; });
          mine.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
        }
      });
    }
    for (auto& t : threads) {
      t.join();
    }
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    std::vector<double> all;
    for (auto& v : lat) {
      all.insert(all.end(), v.begin(), v.end());
    }
    const auto p = percentiles(all);
    state.SetIterationTime(seconds);
    state.counters["appends_per_s"] = static_cast<double>(all.size()) / seconds;
    state.counters["p50_us"] = p.p50_us;
    state.counters["p99_us"] = p.p99_us;
    state.counters["failures"] = failures.load();
    const auto stats = log.stats();
    state.counters["records_per_write"] =
        static_cast<double>(stats.appended) / static_cast<double>(std::max<std::uint64_t>(stats.batches, 1));
    // Strict mode's group commit: how many records one fdatasync made durable.
    if (mode == DurabilityMode::Strict) {
      state.counters["records_per_sync"] =
          static_cast<double>(stats.appended) / static_cast<double>(std::max<std::uint64_t>(stats.syncs, 1));
    }
  }
  log.close();
  std::filesystem::remove_all(root);
}

void BM_append_strict(benchmark::State& state) { run_appends(state, DurabilityMode::Strict); }
void BM_append_batched(benchmark::State& state) { run_appends(state, DurabilityMode::Batched); }

// The floor: one ~1.5 KB write + fdatasync after another, on the same file system.
void BM_raw_write_fdatasync(benchmark::State& state) {
  const auto root = bench_root();
  const auto file = root / "raw.jsonl";
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  const std::string record(1536, 'x');
  const int n = static_cast<int>(state.range(0));
  for (auto _ : state) {
    std::vector<double> lat;
    lat.reserve(static_cast<std::size_t>(n));
    const auto start = Clock::now();
    for (int i = 0; i < n; ++i) {
      const auto t0 = Clock::now();
      if (::write(fd, record.data(), record.size()) < 0 || ::fdatasync(fd) != 0) {
        state.SkipWithError("write/fdatasync failed");
        break;
      }
      lat.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
    }
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    const auto p = percentiles(lat);
    state.SetIterationTime(seconds);
    state.counters["syncs_per_s"] = static_cast<double>(lat.size()) / seconds;
    state.counters["p50_us"] = p.p50_us;
    state.counters["p99_us"] = p.p99_us;
  }
  ::close(fd);
  std::filesystem::remove_all(root);
}

// `audit verify` on a log of ~1.5 KB records (batched mode to write it fast; checkpoints every
// 1000 records, as by default).
void BM_verify(benchmark::State& state) {
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
      (*log)->append(sample(i), [&](Result<AppendReceipt>) { --pending; });
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

// The caller-thread share of an append: OCSF record built and canonicalised (JCS).
void BM_build_record(benchmark::State& state) {
  const DecisionEvent e = sample(1);
  RecordContext ctx;
  for (auto _ : state) {
    benchmark::DoNotOptimize(make_decision_record(e, ctx));
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

// The writer-thread share: sequence and attestation spliced in, fingerprinted, Merkle leaf.
void BM_seal_record(benchmark::State& state) {
  const RecordTemplate t = make_decision_record(sample(1), RecordContext{});
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

}  // namespace

BENCHMARK(BM_build_record);
BENCHMARK(BM_seal_record);
BENCHMARK(BM_raw_write_fdatasync)->Arg(3000)->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_append_strict)
    ->Args({1, 3000})
    ->Args({4, 12000})
    ->Args({16, 40000})
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_append_batched)
    ->Args({1, 50000})
    ->Args({4, 100000})
    ->Args({16, 200000})
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_verify)->Arg(100000)->Iterations(3)->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
