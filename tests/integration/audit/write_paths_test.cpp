// The writer's two paths (docs: src/audit/log_writer.hpp): records that only have to be written
// are written by the appending thread itself; strict-mode decision and admin records wait for
// the writer thread's pipelined group commit (fdatasync, then completion).
#include <catch2/catch.hpp>
#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "audit_test_support.hpp"
#include "portcullis/audit/verifier.hpp"

using namespace audit_test;

namespace {

AuditLogOptions options_for(const std::filesystem::path& dir, DurabilityMode mode) {
  AuditLogOptions o;
  o.dir = dir;
  o.mode = mode;
  o.product_version = "test";
  o.checkpoint_every_records = 10;
  return o;
}

bool intact(const std::filesystem::path& dir) {
  auto report = verify_files({dir}, VerifyOptions{});
  REQUIRE(report);
  return report->intact();
}

}  // namespace

TEST_CASE("in batched mode an append completes on the appending thread before append returns",
          "[audit][writer][paths]") {
  TempDir dir;
  auto log = AuditLog::open(options_for(dir.path(), DurabilityMode::Batched));
  REQUIRE(log);
  const auto caller = std::this_thread::get_id();
  bool completed = false;
  std::thread::id completed_on;
  (*log)->append(sample_decision(1), [&](Result<AppendReceipt> r) {
    REQUIRE(r);
    completed = true;
    completed_on = std::this_thread::get_id();
  });
  CHECK(completed);
  CHECK(completed_on == caller);
  (*log)->close();
  CHECK(intact(dir.path()));
}

TEST_CASE("in strict mode a decision completes only after an fdatasync, an outcome without one",
          "[audit][writer][paths]") {
  TempDir dir;
  auto options = options_for(dir.path(), DurabilityMode::Strict);
  options.sync_interval = std::chrono::milliseconds(60000);  // no periodic sync in this test
  auto log = AuditLog::open(options);
  REQUIRE(log);
  const std::uint64_t syncs_at_start = (*log)->stats().syncs;
  auto decision = append_sync(**log, sample_decision(1));
  REQUIRE(decision);
  const std::uint64_t syncs_after_decision = (*log)->stats().syncs;
  CHECK(syncs_after_decision > syncs_at_start);

  // Not gated (DESIGN.md: the outcome may be batched): queued, no write and no fdatasync of its
  // own; the next decision takes it along and its group's fdatasync covers it.
  std::atomic<bool> outcome_done{false};
  (*log)->append(sample_outcome(decision->uid), [&](Result<AppendReceipt> r) {
    CHECK(r);
    outcome_done = true;
  });
  CHECK_FALSE(outcome_done);
  CHECK((*log)->stats().syncs == syncs_after_decision);
  REQUIRE(append_sync(**log, sample_decision(2)));
  CHECK(outcome_done);
  CHECK((*log)->stats().syncs == syncs_after_decision + 1);
  (*log)->close();
  CHECK(intact(dir.path()));
}

TEST_CASE("strict group commit: concurrent decisions share fdatasyncs and every one is durable",
          "[audit][writer][paths]") {
  TempDir dir;
  auto options = options_for(dir.path(), DurabilityMode::Strict);
  options.checkpoint_every_records = 1000;
  auto log = AuditLog::open(options);
  REQUIRE(log);
  constexpr int kThreads = 8;
  constexpr int kPerThread = 40;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        auto r = append_sync(**log, sample_decision(t * kPerThread + i));
        if (!r) {
          ++failures;
        }
      }
    });
  }
  for (auto& th : threads) {
    th.join();
  }
  CHECK(failures == 0);
  const auto stats = (*log)->stats();
  CHECK(stats.appended == static_cast<std::uint64_t>(kThreads * kPerThread));
  // Grouping happened: fewer syncs than records (8 callers share each one).
  CHECK(stats.syncs < stats.appended);
  (*log)->close();
  CHECK(intact(dir.path()));
}

TEST_CASE("strict group commit: a lone decision after a large group is synced without waiting "
          "for the group to come back",
          "[audit][writer][paths]") {
  TempDir dir;
  auto options = options_for(dir.path(), DurabilityMode::Strict);
  options.checkpoint_every_records = 1000;
  options.sync_interval = std::chrono::milliseconds(60000);  // no periodic sync to rescue it
  auto log = AuditLog::open(options);
  REQUIRE(log);
  // Eight decisions appended at once: written while the first one's fdatasync runs, they form
  // a group, and the writer then waits for a group that size to come back.
  constexpr int kBurst = 8;
  std::atomic<int> done{0};
  std::atomic<int> failures{0};
  for (int i = 0; i < kBurst; ++i) {
    (*log)->append(sample_decision(i), [&](Result<AppendReceipt> r) {
      failures += r ? 0 : 1;
      ++done;
    });
  }
  const auto burst_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (done.load() < kBurst && std::chrono::steady_clock::now() < burst_deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  REQUIRE(done.load() == kBurst);
  CHECK(failures == 0);

  // Only one comes back: it is synced once the writer's patience (at most one fdatasync, capped
  // at 1 ms) has passed, not when the next housekeeping deadline (1 s and more) wakes it.
  const std::uint64_t syncs_before = (*log)->stats().syncs;
  const std::uint64_t sync_micros_before = (*log)->stats().sync_micros;
  const auto started = std::chrono::steady_clock::now();
  auto lone = append_sync(**log, sample_decision(kBurst));
  const auto took = std::chrono::steady_clock::now() - started;
  REQUIRE(lone);
  CHECK((*log)->stats().syncs > syncs_before);
  // Time not spent in fdatasync (which a busy disk can stretch to hundreds of ms): far below
  // the housekeeping wake-up it must not have waited for.
  const std::chrono::microseconds in_sync((*log)->stats().sync_micros - sync_micros_before);
  CHECK(took - in_sync < std::chrono::milliseconds(500));
  (*log)->close();
  CHECK(intact(dir.path()));
}

TEST_CASE("in batched mode a removed audit file fails the next decision append",
          "[audit][writer][paths][failure]") {
  TempDir dir;
  auto options = options_for(dir.path(), DurabilityMode::Batched);
  options.retry_interval = std::chrono::milliseconds(50);
  // No periodic sync during the test: it checks the name too, and could notice the removal (and
  // recover into a new file) before decision 2, which this case wants to see fail.
  options.sync_interval = std::chrono::seconds(60);
  auto log = AuditLog::open(options);
  REQUIRE(log);
  REQUIRE(append_sync(**log, sample_decision(1)));
  auto files = list_log_files(dir.path());
  REQUIRE(files);
  std::filesystem::remove(files->back());
  auto failed = append_sync(**log, sample_decision(2));
  REQUIRE_FALSE(failed);
  CHECK(failed.error().message.find("removed") != std::string::npos);
  // healthy() was false from the failure until the writer's next try (which may already have
  // happened): last_error() keeps the reason, and the recovery is counted.
  CHECK((*log)->last_error().find("removed") != std::string::npos);
  auto again = append_sync(**log, sample_decision(3));
  REQUIRE(again);
  CHECK((*log)->healthy());
  CHECK((*log)->stats().recoveries >= 1);
  (*log)->close();
}

TEST_CASE("batched appends from many threads at once keep one gap-free chain",
          "[audit][writer][paths]") {
  TempDir dir;
  auto options = options_for(dir.path(), DurabilityMode::Batched);
  options.rotate_bytes = 64 * 1024;  // rotations are requested by inline writers
  auto log = AuditLog::open(options);
  REQUIRE(log);
  constexpr int kThreads = 8;
  constexpr int kPerThread = 200;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        auto decision = append_sync(**log, sample_decision(t * kPerThread + i));
        if (!decision || !append_sync(**log, sample_outcome(decision->uid))) {
          ++failures;
        }
      }
    });
  }
  for (auto& th : threads) {
    th.join();
  }
  CHECK(failures == 0);
  CHECK((*log)->stats().appended == static_cast<std::uint64_t>(2 * kThreads * kPerThread));
  (*log)->close();
  CHECK((*log)->stats().rotations > 0);
  CHECK(intact(dir.path()));
}
