#include "audit/log_directory.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>

namespace portcullis::audit::detail {

std::string errno_message(const std::string& what, int err) {
  return what + ": " + std::strerror(err);
}

Result<DirectoryLock> DirectoryLock::acquire(const std::filesystem::path& dir) {
  const auto path = dir / kLockFileName;
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    return fail(errno_message("cannot open the audit lock file " + path.string(), errno));
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    char pid[32] = {};
    const ssize_t n = ::pread(fd, pid, sizeof pid - 1, 0);
    ::close(fd);
    if (err == EWOULDBLOCK) {
      std::string holder = n > 0 ? std::string(pid, static_cast<std::size_t>(n)) : "";
      while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' ')) {
        holder.pop_back();
      }
      return fail("the audit directory " + dir.string() +
                  " is in use by another writer" +
                  (holder.empty() ? std::string() : " (pid " + holder + ")") +
                  "; only one process may write an audit log directory");
    }
    return fail(errno_message("cannot lock " + path.string(), err));
  }
  const std::string me = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, me.data(), me.size(), 0) < 0) {
    // The pid is only a hint for the error message of a second writer; the lock is what counts.
  }
  return DirectoryLock(fd);
}

DirectoryLock::DirectoryLock(DirectoryLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }

DirectoryLock& DirectoryLock::operator=(DirectoryLock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) {
      ::close(fd_);
    }
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}

DirectoryLock::~DirectoryLock() {
  if (fd_ >= 0) {
    ::close(fd_);  // releases the flock
  }
}

namespace {

std::string format_name(std::time_t t) {
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "audit-%Y%m%d-%H%M%S.jsonl", &tm);
  return buf;
}

// The time encoded in a file name, or -1.
std::time_t parse_name(const std::string& name) {
  std::tm tm{};
  if (name.size() != 27 || ::strptime(name.c_str(), "audit-%Y%m%d-%H%M%S.jsonl", &tm) == nullptr) {
    return -1;
  }
  return ::timegm(&tm);
}

}  // namespace

std::string next_log_file_name(std::chrono::system_clock::time_point now,
                               const std::string& after) {
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  const std::time_t previous = parse_name(after);
  if (previous >= 0 && t <= previous) {
    t = previous + 1;
  }
  return format_name(t);
}

Result<void> sync_directory(const std::filesystem::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    return fail(errno_message("cannot open " + dir.string(), errno));
  }
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) {
    return fail(errno_message("cannot sync " + dir.string(), err));
  }
  return {};
}

Result<int> create_log_file(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
  if (fd < 0) {
    return fail(errno_message("cannot create " + path.string(), errno));
  }
  return fd;
}

Result<int> open_log_file(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) {
    return fail(errno_message("cannot open " + path.string(), errno));
  }
  return fd;
}

Result<int> install_spare(const std::filesystem::path& spare, const std::filesystem::path& path) {
  // RENAME_NOREPLACE: a log file is never replaced, whatever the names say.
  if (::renameat2(AT_FDCWD, spare.c_str(), AT_FDCWD, path.c_str(), RENAME_NOREPLACE) != 0) {
    return fail(errno_message("cannot rename " + spare.string() + " to " + path.string(), errno));
  }
  return open_log_file(path);
}

namespace {
Result<struct statx> statx_of(int fd, unsigned int mask) {
  struct statx st {};
  if (::statx(fd, "", AT_EMPTY_PATH, mask, &st) != 0) {
    return fail(errno_message("statx", errno));
  }
  if ((st.stx_mask & mask) != mask) {
    return fail("statx: the file system did not report the field asked for");
  }
  return st;
}
}  // namespace

Result<std::uint64_t> link_count(int fd) {
  auto st = statx_of(fd, STATX_NLINK);
  if (!st) {
    return tl::unexpected(st.error());
  }
  return st->stx_nlink;
}

bool lost_its_name(int fd) {
  const auto links = link_count(fd);
  return !links || *links == 0;
}

Result<std::uint64_t> file_size_of(int fd) {
  auto st = statx_of(fd, STATX_SIZE);
  if (!st) {
    return tl::unexpected(st.error());
  }
  return st->stx_size;
}

Result<void> write_all_at(int fd, std::string_view data, std::uint64_t offset) {
  while (!data.empty()) {
    const ssize_t n = ::pwrite(fd, data.data(), data.size(), static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return fail(errno_message("write", errno));
    }
    data.remove_prefix(static_cast<std::size_t>(n));
    offset += static_cast<std::uint64_t>(n);
  }
  return {};
}

}  // namespace portcullis::audit::detail
