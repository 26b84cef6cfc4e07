// Fail closed on a full disk and an unwritable directory: appends fail, healthy() says so, and
// the log recovers by itself once the disk does. The full disk is a real 512 KiB tmpfs when the
// test may mount one (root); otherwise RLIMIT_FSIZE stands in for it (both run when possible).
#include <fcntl.h>
#include <linux/fs.h>
#include <signal.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "audit_test_support.hpp"
#include "recovered_log_check.hpp"
#include "support/wait_until.hpp"
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

// Preallocation on a full disk. The spare file (a full rotate_bytes of zeros) is the first thing
// to hit ENOSPC; it must never take a record with it: the writer appends to files it creates, and
// fails closed and recovers exactly as without preallocation.
namespace {

constexpr const char* kSpare = ".portcullis-audit.spare";
constexpr const char* kSpareTemp = ".portcullis-audit.spare.tmp";

bool spare_files_left(const std::filesystem::path& dir) {
  return std::filesystem::exists(dir / kSpare) || std::filesystem::exists(dir / kSpareTemp);
}

bool has_nul(const std::filesystem::path& dir) {
  auto files = list_log_files(dir);
  REQUIRE(files);
  for (const auto& file : *files) {
    if (read_all(file).find('\0') != std::string::npos) {
      return true;
    }
  }
  return false;
}

// Watches `dir` for the removal of the spare's temporary file: how the test learns, without
// guessing a delay, that a preparation failed (SpareFile removes its half-made file then).
class RemovalWatch {
 public:
  explicit RemovalWatch(const std::filesystem::path& dir)
      : fd_(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) {
    REQUIRE(fd_ >= 0);
    REQUIRE(::inotify_add_watch(fd_, dir.c_str(), IN_DELETE) >= 0);
  }
  ~RemovalWatch() { ::close(fd_); }
  RemovalWatch(const RemovalWatch&) = delete;
  RemovalWatch& operator=(const RemovalWatch&) = delete;

  // True once `name` was removed (30 s bound: only so that a broken writer fails, not hangs).
  bool wait_for(const std::string& name) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    alignas(inotify_event) char buffer[4096];
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 100) != 1) {
        continue;
      }
      const ssize_t n = ::read(fd_, buffer, sizeof buffer);
      for (ssize_t at = 0; at < n;) {
        const auto* event = reinterpret_cast<const inotify_event*>(buffer + at);
        if (event->len > 0 && name == event->name) {
          return true;
        }
        at += static_cast<ssize_t>(sizeof(inotify_event) + event->len);
      }
    }
    return false;
  }

 private:
  int fd_;
};

// True once the log counts a spare it could not make (30 s bound only so that a broken writer
// fails, not hangs).
bool wait_for_spare_failure(AuditLog& log) {
  return portcullis::test::wait_until([&log] { return log.stats().spare_failures > 0; },
                                      std::chrono::seconds(30), std::chrono::milliseconds(10));
}

AuditLogOptions preallocating(const std::filesystem::path& dir) {
  AuditLogOptions o = fast_retry(dir);
  o.preallocate = true;
  o.rotate_bytes = 64 * 1024;  // a spare of 256 KiB (whole 256 KiB chunks)
  return o;
}

// Writes `bytes` into `file` (or until the file system is full when `bytes` is 0).
void fill(const std::filesystem::path& file, std::size_t bytes) {
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  REQUIRE(fd >= 0);
  const std::string chunk(4096, 'x');
  std::size_t written = 0;
  while (bytes == 0 || written < bytes) {
    const ssize_t n = ::write(fd, chunk.data(), chunk.size());
    if (n <= 0) {
      break;
    }
    written += static_cast<std::size_t>(n);
  }
  if (bytes == 0) {
    while (::write(fd, "x", 1) > 0) {
    }
  }
  ::close(fd);
}

}  // namespace

TEST_CASE("preallocate: when the disk has no room for a spare the log appends to files it "
          "creates, leaves no spare behind, and fails closed and recovers as without",
          "[audit][failure][preallocate]") {
  TempDir base;
  const auto mnt = base.path() / "mnt";
  std::filesystem::create_directories(mnt);
  if (::mount("tmpfs", mnt.c_str(), "tmpfs", 0, "size=1m") != 0) {
    WARN("cannot mount a tmpfs here (" << std::strerror(errno)
                                       << "); the RLIMIT_FSIZE test covers a spare that does not "
                                          "fit instead");
    return;
  }
  Unmount unmount{mnt};
  const auto dir = mnt / "log";
  std::filesystem::create_directories(dir);
  fill(mnt / "filler", 880 * 1024);  // ~140 KiB stay free: records fit, a 256 KiB spare does not
  auto log = AuditLog::open(preallocating(dir));
  REQUIRE(log);
  REQUIRE(wait_for_spare_failure(**log));  // not enough free space: no file was even made
  CHECK_FALSE(spare_files_left(dir));
  CHECK_FALSE((*log)->stats().spare_ready);
  CHECK((*log)->stats().preallocated_files == 0);
  for (int i = 0; i < 5; ++i) {
    REQUIRE(append_sync(**log, sample_decision(i)));
  }
  CHECK((*log)->healthy());
  CHECK_FALSE(has_nul(dir));

  // Now the disk is full for the records too: fail closed, as without preallocation.
  fill(mnt / "filler-2", 0);
  Result<AppendReceipt> r;
  for (int i = 0; i < 200 && r; ++i) {
    r = append_sync(**log, sample_decision(100 + i));
  }
  REQUIRE_FALSE(r);
  CHECK(r.error().message.find("No space left") != std::string::npos);
  CHECK_FALSE((*log)->healthy());
  CHECK_FALSE(append_sync(**log, sample_decision(300)));
  std::filesystem::remove(mnt / "filler-2");
  CHECK(wait_healthy(**log));
  REQUIRE(append_sync(**log, sample_decision(400)));
  (*log)->close();
  check_recovered_log(dir);
  CHECK_FALSE(spare_files_left(dir));
  CHECK_FALSE(has_nul(dir));
}

TEST_CASE("preallocate: records go over a ready spare's zeros on a full disk, then the log fails "
          "closed where it must grow, and recovers when space is freed",
          "[audit][failure][preallocate]") {
  TempDir base;
  const auto mnt = base.path() / "mnt";
  std::filesystem::create_directories(mnt);
  if (::mount("tmpfs", mnt.c_str(), "tmpfs", 0, "size=2m") != 0) {
    WARN("cannot mount a tmpfs here (" << std::strerror(errno) << "); test not run");
    return;
  }
  Unmount unmount{mnt};
  const auto dir = mnt / "log";
  auto options = preallocating(dir);
  options.rotate_bytes = 256 * 1024;  // the spare's size: the file must grow past its zeros
  auto log = AuditLog::open(options);
  REQUIRE(log);
  // A file over a spare is active and the next spare is ready: nothing is being prepared while
  // the disk is filled below.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!((*log)->stats().preallocated_files >= 1 && (*log)->stats().spare_ready)) {
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  fill(mnt / "filler", 0);
  int over_zeros = 0;
  Result<AppendReceipt> r;
  for (int i = 0; i < 1000 && r; ++i) {
    r = append_sync(**log, sample_decision(i));
    over_zeros += r ? 1 : 0;
  }
  REQUIRE_FALSE(r);
  INFO(r.error().message);
  CHECK(r.error().message.find("No space left") != std::string::npos);
  // 256 KiB of zeros hold ~100 records: a full disk did not stop those (without preallocation
  // the first append fails).
  CHECK(over_zeros >= 50);
  std::filesystem::remove(mnt / "filler");
  CHECK(wait_healthy(**log));
  REQUIRE(append_sync(**log, sample_decision(2000)));
  (*log)->close();
  check_recovered_log(dir);
  CHECK_FALSE(spare_files_left(dir));
  CHECK_FALSE(has_nul(dir));
}

TEST_CASE("preallocate: a spare larger than RLIMIT_FSIZE is not made, and the log appends",
          "[audit][failure][preallocate]") {
  TempDir dir;
  ::signal(SIGXFSZ, SIG_IGN);  // EFBIG instead of a signal
  rlimit old{};
  REQUIRE(::getrlimit(RLIMIT_FSIZE, &old) == 0);
  struct Restore {
    rlimit limit;
    ~Restore() { ::setrlimit(RLIMIT_FSIZE, &limit); }
  } restore{old};
  rlimit tight = old;
  tight.rlim_cur = 128 * 1024;  // files of 64 KiB fit; a 256 KiB spare does not
  REQUIRE(::setrlimit(RLIMIT_FSIZE, &tight) == 0);
  RemovalWatch watch(dir.path());
  auto log = AuditLog::open(preallocating(dir.path()));
  REQUIRE(log);
  REQUIRE(watch.wait_for(kSpareTemp));
  CHECK(wait_for_spare_failure(**log));
  CHECK_FALSE(spare_files_left(dir.path()));
  CHECK((*log)->stats().preallocated_files == 0);
  for (int i = 0; i < 60; ++i) {  // more than one 64 KiB file
    REQUIRE(append_sync(**log, sample_decision(i)));
  }
  CHECK((*log)->stats().rotations >= 1);
  CHECK((*log)->stats().preallocated_files == 0);
  CHECK((*log)->healthy());
  (*log)->close();
  REQUIRE(::setrlimit(RLIMIT_FSIZE, &old) == 0);
  auto report = verify_files({dir.path()}, {});
  REQUIRE(report);
  CHECK(report->intact());
  CHECK_FALSE(spare_files_left(dir.path()));
  CHECK_FALSE(has_nul(dir.path()));
}
