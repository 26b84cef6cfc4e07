// Helper process for the SIGKILL crash test: opens the audit log in argv[1] and appends from
// several threads until it is killed. argv[2] = strict|batched, argv[3] = threads, optional
// argv[4] = prealloc (AuditLogOptions::preallocate; it then says it is appending only once its
// records go to a file started over a spare and the next spare is ready).
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "audit_test_support.hpp"

namespace {

// A file over a spare is being written and the next spare is ready: the next rotation also
// starts over zeros, so the test's kill lands in a file with a NUL tail unless the log rotates
// twice before it.
bool spare_in_use_and_next_ready(audit_test::AuditLog& log) {
  const auto stats = log.stats();
  return stats.preallocated_files > 0 && stats.spare_ready;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: audit_crash_helper DIR strict|batched THREADS [prealloc]\n");
    return 2;
  }
  audit_test::AuditLogOptions o;
  o.dir = argv[1];
  o.mode = std::string(argv[2]) == "batched" ? audit_test::DurabilityMode::Batched
                                               : audit_test::DurabilityMode::Strict;
  o.rotate_bytes = 48 * 1024;  // rotations happen often, so crashes land around them too
  o.checkpoint_every_records = 16;
  o.preallocate = argc > 4 && std::string(argv[4]) == "prealloc";
  auto log = audit_test::AuditLog::open(o);
  if (!log) {
    std::fprintf(stderr, "open failed: %s\n", log.error().message.c_str());
    return 1;
  }
  const int threads = std::atoi(argv[3]);
  std::atomic<bool> told{false};
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&log, &told, &o, t] {
      for (int i = 0;; ++i) {
        if (!audit_test::append_sync(**log, audit_test::sample_decision(t * 1000000 + i))) {
          std::fprintf(stderr, "append failed\n");
          std::_Exit(1);
        }
        // Tell the test records are being appended, so its kill lands among the appends.
        if (!told.load() && (!o.preallocate || spare_in_use_and_next_ready(**log)) &&
            !told.exchange(true)) {
          std::fputs("appending\n", stdout);
          std::fflush(stdout);
        }
      }
    });
  }
  for (auto& w : workers) {
    w.join();
  }
  return 0;
}
