// Preallocation where a spare cannot be installed: renameat2(RENAME_NOREPLACE) refused, as on file
// systems without it (some NFS, CIFS and FUSE mounts answer EINVAL). This executable replaces
// glibc's renameat2 with a wrapper that refuses RENAME_NOREPLACE while `refuse_noreplace` is set
// (the audit library is linked statically, so its call resolves to this definition), which is
// why these cases have an executable of their own.
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <functional>
#include <thread>

#include "audit_test_support.hpp"
#include "support/wait_until.hpp"
#include "portcullis/audit/verifier.hpp"

namespace {

std::atomic<bool> refuse_noreplace{false};
std::atomic<int> refused{0};

}  // namespace

extern "C" int renameat2(int old_dir, const char* old_path, int new_dir, const char* new_path,
                         unsigned int flags) noexcept {
  if (refuse_noreplace.load() && (flags & RENAME_NOREPLACE) != 0) {
    ++refused;
    errno = EINVAL;
    return -1;
  }
  return static_cast<int>(::syscall(SYS_renameat2, old_dir, old_path, new_dir, new_path, flags));
}

using namespace audit_test;

namespace {

bool eventually(const std::function<bool()>& done) {
  return portcullis::test::wait_until(done, std::chrono::seconds(30), std::chrono::milliseconds(2));
}

AuditLogOptions preallocating(const std::filesystem::path& dir) {
  AuditLogOptions o;
  o.dir = dir;
  o.preallocate = true;
  o.rotate_bytes = 64 * 1024;
  o.product_version = "test";
  return o;
}

void check_closed_log(const std::filesystem::path& dir) {
  auto report = verify_files({dir}, {});
  REQUIRE(report);
  if (report->problem) {
    FAIL(report->problem->line << ": " << report->problem->message);
  }
  CHECK(report->unwritten_bytes == 0);
  CHECK_FALSE(std::filesystem::exists(dir / ".portcullis-audit.spare"));
  CHECK_FALSE(std::filesystem::exists(dir / ".portcullis-audit.spare.tmp"));
}

struct RefuseNoReplace {
  RefuseNoReplace() {
    refused = 0;
    refuse_noreplace = true;
  }
  ~RefuseNoReplace() { refuse_noreplace = false; }
  RefuseNoReplace(const RefuseNoReplace&) = delete;
  RefuseNoReplace& operator=(const RefuseNoReplace&) = delete;
};

}  // namespace

TEST_CASE("preallocate: a spare that cannot be installed does not make the log rotate at every "
          "ready spare; files are created and appended to",
          "[audit][preallocate][failure]") {
  TempDir dir;
  RefuseNoReplace refuse;
  auto log = AuditLog::open(preallocating(dir.path()));
  REQUIRE(log);
  // The new log's first file has no zeros: the writer tries to move into the first ready spare.
  REQUIRE(eventually([] { return refused.load() >= 1; }));
  REQUIRE(eventually([&] { return (*log)->stats().rotations >= 1; }));
  // The spare is prepared anew and is ready again ...
  REQUIRE(eventually([&] { return (*log)->stats().spare_ready; }));
  // ... and must not start another early rotation (and another failed install, and another
  // spare, ...). A bounded wait for something that must not happen: it cannot fail by being
  // slow; a writer that rotated at every ready spare did ~20 rotations in this time here.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  CHECK(refused.load() == 1);
  CHECK((*log)->stats().rotations == 1);
  CHECK((*log)->stats().preallocated_files == 0);

  // Records are appended to created files; rotation by size still works.
  for (int i = 0; i < 60; ++i) {
    REQUIRE(append_sync(**log, sample_decision(i)));
  }
  CHECK((*log)->stats().rotations >= 2);
  CHECK((*log)->stats().preallocated_files == 0);
  CHECK((*log)->healthy());
  (*log)->close();
  check_closed_log(dir.path());
}

TEST_CASE("preallocate: after a spare could not be installed once, the next rotation by size "
          "uses a spare again",
          "[audit][preallocate][failure]") {
  TempDir dir;
  std::optional<RefuseNoReplace> refuse;
  refuse.emplace();
  auto log = AuditLog::open(preallocating(dir.path()));
  REQUIRE(log);
  REQUIRE(eventually([] { return refused.load() >= 1; }));
  REQUIRE(eventually([&] { return (*log)->stats().rotations >= 1; }));
  refuse.reset();  // the cause went away (say, someone had taken the file's name)
  REQUIRE(eventually([&] { return (*log)->stats().spare_ready; }));
  int i = 0;
  while ((*log)->stats().rotations < 2) {
    REQUIRE(i < 2000);
    REQUIRE(append_sync(**log, sample_decision(i++)));
  }
  CHECK((*log)->stats().preallocated_files == 1);
  (*log)->close();
  check_closed_log(dir.path());
}
