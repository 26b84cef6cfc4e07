// Fail closed on a full disk and an unwritable directory: appends fail, healthy() says so, and
// the log recovers by itself once the disk does. The full disk is a real 512 KiB tmpfs when the
// test may mount one (root); otherwise RLIMIT_FSIZE stands in for it (both run when possible).
#include <fcntl.h>
#include <linux/fs.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "audit_test_support.hpp"
#include "portcullis/audit/scan.hpp"
#include "portcullis/audit/verifier.hpp"

using namespace audit_test;

namespace {

AuditLogOptions fast_retry(const std::filesystem::path& dir) {
  AuditLogOptions o;
  o.dir = dir;
  o.retry_interval = std::chrono::milliseconds(50);
  return o;
}

bool wait_healthy(AuditLog& log) {
  for (int i = 0; i < 100 && !log.healthy(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return log.healthy();
}

void check_recovered_log(const std::filesystem::path& dir) {
  auto report = verify_files({dir}, {});
  REQUIRE(report);
  if (report->problem) {
    FAIL(report->problem->line << ": " << report->problem->message);
  }
  bool saw = false;
  REQUIRE(scan_records(dir, [&](const nlohmann::json& r) {
    saw = saw || (r["unmapped"]["kind"] == "recovery" &&
                  r["unmapped"]["recovery"]["reason"] == "write failure");
  }));
  CHECK(saw);
}

struct Unmount {
  std::filesystem::path path;
  ~Unmount() { ::umount2(path.c_str(), MNT_DETACH); }
};

}  // namespace

TEST_CASE("a full tmpfs fails appends and the log recovers when space is freed",
          "[audit][failure]") {
  TempDir base;
  const auto mnt = base.path() / "mnt";
  std::filesystem::create_directories(mnt);
  if (::mount("tmpfs", mnt.c_str(), "tmpfs", 0, "size=512k") != 0) {
    WARN("cannot mount a tmpfs here (" << std::strerror(errno)
                                       << "); the RLIMIT_FSIZE test covers a full disk instead");
    return;
  }
  Unmount unmount{mnt};
  const auto dir = mnt / "log";
  auto log = AuditLog::open(fast_retry(dir));
  REQUIRE(log);
  REQUIRE(append_sync(**log, sample_decision(1)));
  {
    // Fill the file system.
    const int fd = ::open((mnt / "filler").c_str(), O_WRONLY | O_CREAT, 0600);
    REQUIRE(fd >= 0);
    const std::string chunk(4096, 'x');
    while (::write(fd, chunk.data(), chunk.size()) > 0) {
    }
    while (::write(fd, "x", 1) > 0) {
    }
    ::close(fd);
  }
  Result<AppendReceipt> r;
  for (int i = 0; i < 50 && r; ++i) {
    r = append_sync(**log, sample_decision(100 + i));
  }
  REQUIRE_FALSE(r);
  CHECK(r.error().message.find("No space left") != std::string::npos);
  CHECK_FALSE((*log)->healthy());
  CHECK((*log)->stats().failed >= 1);
  // Still full: appends keep failing (fail closed), nothing is acknowledged.
  CHECK_FALSE(append_sync(**log, sample_decision(200)));
  std::filesystem::remove(mnt / "filler");
  CHECK(wait_healthy(**log));  // recovers on its own, without an append
  REQUIRE(append_sync(**log, sample_decision(300)));
  (*log)->close();
  check_recovered_log(dir);
}

TEST_CASE("a file size limit (RLIMIT_FSIZE) fails appends and the log recovers when lifted",
          "[audit][failure]") {
  TempDir dir;
  auto log = AuditLog::open(fast_retry(dir.path()));
  REQUIRE(log);
  REQUIRE(append_sync(**log, sample_decision(1)));
  auto files = list_log_files(dir.path());
  REQUIRE(files);
  const auto size = std::filesystem::file_size(files->back());
  ::signal(SIGXFSZ, SIG_IGN);  // get EFBIG instead of a signal
  rlimit old{};
  REQUIRE(::getrlimit(RLIMIT_FSIZE, &old) == 0);
  rlimit tight = old;
  tight.rlim_cur = size + 100;  // the next record does not fit
  REQUIRE(::setrlimit(RLIMIT_FSIZE, &tight) == 0);
  auto r = append_sync(**log, sample_decision(2));
  const bool healthy_while_limited = (*log)->healthy();
  REQUIRE(::setrlimit(RLIMIT_FSIZE, &old) == 0);
  REQUIRE_FALSE(r);
  CHECK(r.error().message.find("too large") != std::string::npos);
  CHECK_FALSE(healthy_while_limited);
  REQUIRE(append_sync(**log, sample_decision(3)));
  CHECK((*log)->healthy());
  (*log)->close();
  check_recovered_log(dir.path());
}

namespace {

// Makes `dir` refuse new entries: the immutable flag for root (who ignores permissions),
// mode 0500 for everyone else. Returns false when neither is possible here.
bool make_unwritable(const std::filesystem::path& dir, bool on) {
  if (::geteuid() != 0) {
    return ::chmod(dir.c_str(), on ? 0500 : 0700) == 0;
  }
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) {
    return false;
  }
  int flags = 0;
  bool ok = ::ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0;
  if (ok) {
    flags = on ? (flags | FS_IMMUTABLE_FL) : (flags & ~FS_IMMUTABLE_FL);
    ok = ::ioctl(fd, FS_IOC_SETFLAGS, &flags) == 0;
  }
  ::close(fd);
  return ok;
}

}  // namespace

TEST_CASE("an unwritable directory fails appends at rotation and the log recovers after",
          "[audit][failure]") {
  TempDir dir;
  auto options = fast_retry(dir.path());
  options.rotate_bytes = 6 * 1024;
  auto log = AuditLog::open(options);
  REQUIRE(log);
  if (!make_unwritable(dir.path(), true)) {
    WARN("cannot make a directory unwritable on this file system; test not run");
    return;
  }
  Result<AppendReceipt> r;
  for (int i = 0; i < 50 && r; ++i) {
    r = append_sync(**log, sample_decision(i));
  }
  const bool healthy_while_unwritable = (*log)->healthy();
  REQUIRE(make_unwritable(dir.path(), false));
  REQUIRE_FALSE(r);
  CHECK(r.error().message.find("cannot create") != std::string::npos);
  CHECK_FALSE(healthy_while_unwritable);
  CHECK(wait_healthy(**log));
  REQUIRE(append_sync(**log, sample_decision(99)));
  (*log)->close();
  check_recovered_log(dir.path());
}
