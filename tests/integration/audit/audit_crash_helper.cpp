// Helper process for the SIGKILL crash test: opens the audit log in argv[1] and appends from
// several threads until it is killed. argv[2] = strict|batched, argv[3] = threads.
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "audit_test_support.hpp"

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: audit_crash_helper DIR strict|batched THREADS\n");
    return 2;
  }
  audit_test::AuditLogOptions o;
  o.dir = argv[1];
  o.mode = std::string(argv[2]) == "batched" ? audit_test::DurabilityMode::Batched
                                               : audit_test::DurabilityMode::Strict;
  o.rotate_bytes = 48 * 1024;  // rotations happen often, so crashes land around them too
  o.checkpoint_every_records = 16;
  auto log = audit_test::AuditLog::open(o);
  if (!log) {
    std::fprintf(stderr, "open failed: %s\n", log.error().message.c_str());
    return 1;
  }
  const int threads = std::atoi(argv[3]);
  std::atomic<bool> told{false};
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&log, &told, t] {
      for (int i = 0;; ++i) {
        if (!audit_test::append_sync(**log, audit_test::sample_decision(t * 1000000 + i))) {
          std::fprintf(stderr, "append failed\n");
          std::_Exit(1);
        }
        // Tell the test records are being appended, so its kill lands among the appends.
        if (!told.exchange(true)) {
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
