// A directory fsync that fails after a rotation has named the next file: the log fails closed
// (appends fail, healthy() is false), then, once the directory syncs again, recovers by itself
// into that same file, with or without preallocation. This executable replaces glibc's fsync with
// a wrapper that fails with EIO for directories while `fail_directory_sync` is set (the audit
// library is linked statically, so its call resolves to this definition), which is why these
// cases have an executable of their own.
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cerrno>
#include <chrono>

#include "audit_test_support.hpp"
#include "portcullis/audit/log_reader.hpp"
#include "recovered_log_check.hpp"
#include "support/wait_until.hpp"

namespace {

std::atomic<bool> fail_directory_sync{false};
std::atomic<int> failed_directory_syncs{0};

}  // namespace

extern "C" int fsync(int fd) {
  struct stat st {};
  if (fail_directory_sync.load() && ::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    ++failed_directory_syncs;
    errno = EIO;
    return -1;
  }
  return static_cast<int>(::syscall(SYS_fsync, fd));
}

using namespace audit_test;

namespace {

struct FailDirectorySync {
  FailDirectorySync() {
    failed_directory_syncs = 0;
    fail_directory_sync = true;
  }
  ~FailDirectorySync() { fail_directory_sync = false; }
  FailDirectorySync(const FailDirectorySync&) = delete;
  FailDirectorySync& operator=(const FailDirectorySync&) = delete;
};

}  // namespace

TEST_CASE("a directory fsync failing at rotation fails the log closed until it syncs again, "
          "then the log recovers into the file the rotation named",
          "[audit][failure]") {
  TempDir dir;
  AuditLogOptions options;
  options.dir = dir.path();
  options.rotate_bytes = 4096;
  options.retry_interval = std::chrono::milliseconds(20);
  options.product_version = "test";
  options.preallocate = GENERATE(false, true);
  auto log = AuditLog::open(options);
  REQUIRE(log);
  if (options.preallocate) {
    // The first file is continued by appending; a ready spare starts the next one early.
    REQUIRE(portcullis::test::wait_until([&] { return (*log)->stats().rotations >= 1; },
                                         std::chrono::seconds(30)));
    REQUIRE(portcullis::test::wait_until([&] { return (*log)->stats().spare_ready; },
                                         std::chrono::seconds(30)));
  }
  const auto rotations_before = (*log)->stats().rotations;
  int appended = 0;
  {
    FailDirectorySync failing;
    // Fill the file until a rotation needs the directory synced; the log fails there.
    for (int i = 0; i < 200 && (*log)->healthy(); ++i) {
      if (append_sync(**log, sample_decision(i))) {
        ++appended;
      }
    }
    REQUIRE_FALSE((*log)->healthy());
    CHECK((*log)->stats().rotations == rotations_before);
    CHECK_FALSE(append_sync(**log, sample_decision(1000)));  // fails closed
    // The writer keeps trying (each try syncs the directory again) and keeps failing.
    REQUIRE(portcullis::test::wait_until([] { return failed_directory_syncs.load() >= 3; },
                                         std::chrono::seconds(30)));
    CHECK_FALSE((*log)->healthy());
  }
  // The directory syncs again: the next try must not trip over the name the failed try made.
  REQUIRE(portcullis::test::wait_until([&] { return (*log)->healthy(); },
                                       std::chrono::seconds(30)));
  REQUIRE(append_sync(**log, sample_decision(2000)));
  CHECK((*log)->stats().rotations == rotations_before);  // recovery opened it, not a rotation
  (*log)->close();
  check_recovered_log(dir.path());
  // One file per rotation plus the first: no second file for the name that failed to sync.
  auto files = list_audit_log_files(dir.path());
  REQUIRE(files);
  CHECK(files->size() == rotations_before + 2);
  CHECK(appended > 0);
}
