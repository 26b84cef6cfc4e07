#include "audit/spare_file.hpp"

#include <fcntl.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "audit/log_directory.hpp"

namespace portcullis::audit::detail {

namespace {

// One write of zeros (O_DIRECT needs aligned sizes). Small, so that a strict group's fdatasync
// queued behind it on the disk waits for at most ~0.5 ms of it.
constexpr std::uint64_t kChunk = 256 * 1024;
// After each chunk the thread sleeps this many times as long as the chunk took: the zeros get at
// most a quarter of the disk's time. Unpaced, they made a strict group's fdatasync 10x slower
// while a spare was being written (52 KB: p50 4.0 ms against 0.47 ms; paced to ~90 MB/s,
// 0.62 ms); at a quarter, a 256 MiB spare takes ~2 s on this project's disk.
constexpr int kPause = 3;

std::uint64_t round_up_to_chunk(std::uint64_t n) {
  return std::max<std::uint64_t>(kChunk, (n + kChunk - 1) / kChunk * kChunk);
}

struct FreeDeleter {
  void operator()(void* p) const { std::free(p); }
};

// Closes the descriptor on every path out of prepare().
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) {
      ::close(fd);
    }
  }
};

}  // namespace

Result<std::uint64_t> SpareFile::free_space_of(const std::filesystem::path& dir) {
  struct statvfs st {};
  if (::statvfs(dir.c_str(), &st) != 0) {
    return fail(errno_message("cannot read the free space of " + dir.string(), errno));
  }
  return static_cast<std::uint64_t>(st.f_bavail) * st.f_frsize;
}

SpareFile::SpareFile(std::filesystem::path dir, std::uint64_t size, std::function<void()> on_ready,
                     std::chrono::milliseconds retry_after, FreeSpace free_space)
    : dir_(std::move(dir)),
      size_(round_up_to_chunk(size)),
      on_ready_(std::move(on_ready)),
      retry_after_(retry_after),
      free_space_(std::move(free_space)) {
  std::error_code ec;
  std::filesystem::remove(dir_ / kSpareTempName, ec);
  std::filesystem::remove(dir_ / kSpareFileName, ec);
  thread_ = std::thread([this] { run(); });
}

void SpareFile::stop() {
  {
    std::lock_guard lock(mutex_);
    state_ = State::Stopping;
  }
  stopping_ = true;
  wake_.notify_all();
  pause_wake_.notify_all();
  if (thread_.joinable()) {
    thread_.join();
  }
  std::error_code ec;
  std::filesystem::remove(dir_ / kSpareTempName, ec);
  std::filesystem::remove(dir_ / kSpareFileName, ec);
}

SpareFile::~SpareFile() { stop(); }

std::optional<std::filesystem::path> SpareFile::claim() {
  std::lock_guard lock(mutex_);
  if (state_ != State::Ready) {
    return std::nullopt;
  }
  state_ = State::Claimed;
  return dir_ / kSpareFileName;
}

void SpareFile::done_with_claim() {
  {
    std::lock_guard lock(mutex_);
    if (state_ != State::Claimed) {
      return;
    }
    state_ = State::Preparing;
  }
  wake_.notify_all();
}

void SpareFile::give_back() {
  std::lock_guard lock(mutex_);
  if (state_ != State::Ready) {
    return;
  }
  std::error_code ec;
  std::filesystem::remove(dir_ / kSpareFileName, ec);
  last_error_ = "the spare was removed to give its space back to the log";
  not_before_ = std::chrono::steady_clock::now() + retry_after_;
  state_ = State::Preparing;
  wake_.notify_all();
}

bool SpareFile::ready() const {
  std::lock_guard lock(mutex_);
  return state_ == State::Ready;
}

std::string SpareFile::last_error() const {
  std::lock_guard lock(mutex_);
  return last_error_;
}

void SpareFile::run() {
  std::unique_lock lock(mutex_);
  while (state_ != State::Stopping) {
    if (state_ != State::Preparing) {
      wake_.wait(lock, [this] { return state_ == State::Preparing || state_ == State::Stopping; });
      continue;
    }
    if (std::chrono::steady_clock::now() < not_before_) {
      wake_.wait_until(lock, not_before_, [this] { return state_ == State::Stopping; });
      continue;
    }
    lock.unlock();
    const std::string error = prepare();
    lock.lock();
    if (state_ == State::Stopping) {
      break;
    }
    last_error_ = error;
    if (error.empty()) {
      state_ = State::Ready;
      lock.unlock();
      if (on_ready_) {
        on_ready_();
      }
      lock.lock();
      continue;
    }
    // Most likely a full disk: the writer appends to files it creates meanwhile.
    ++failures_;
    not_before_ = std::chrono::steady_clock::now() + retry_after_;
  }
}

void SpareFile::pause(std::chrono::steady_clock::duration how_long) const {
  std::unique_lock lock(mutex_);
  pause_wake_.wait_for(lock, how_long, [this] { return state_ == State::Stopping; });
}

std::string SpareFile::prepare() const {
  if (auto free = free_space_(dir_); !free) {
    return free.error().message;
  } else if (*free < 2 * size_) {
    return "not enough free space for a spare of " + std::to_string(size_) + " bytes in " +
           dir_.string() + ": " + std::to_string(*free) + " bytes free, twice its size needed";
  }
  const auto temp = dir_ / kSpareTempName;
  const auto fail_with = [&](const std::string& what, int err) {
    std::error_code ec;
    std::filesystem::remove(temp, ec);
    return errno_message(what + " " + temp.string(), err);
  };
  Fd file{::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640)};
  if (file.fd < 0) {
    return fail_with("cannot create", errno);
  }
  // O_DIRECT keeps 256 MiB of zeros out of the page cache; tmpfs and some others refuse it.
  Fd direct{::open(temp.c_str(), O_WRONLY | O_DIRECT | O_CLOEXEC)};
  const int out = direct.fd >= 0 ? direct.fd : file.fd;
  void* raw = nullptr;
  if (::posix_memalign(&raw, 4096, kChunk) != 0) {
    return fail_with("no memory for the zeros of", ENOMEM);
  }
  const std::unique_ptr<void, FreeDeleter> zeros(raw);
  std::memset(raw, 0, kChunk);
  for (std::uint64_t at = 0; at < size_; at += kChunk) {
    if (stopping_) {
      return fail_with("stopped while preparing", ECANCELED);
    }
    const auto chunk_started = std::chrono::steady_clock::now();
    std::uint64_t done = 0;
    while (done < kChunk) {
      const ssize_t n = ::pwrite(out, static_cast<const char*>(raw) + done, kChunk - done,
                                 static_cast<off_t>(at + done));
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n <= 0) {
        return fail_with("cannot write zeros to", n < 0 ? errno : ENOSPC);
      }
      done += static_cast<std::uint64_t>(n);
    }
    pause(kPause * (std::chrono::steady_clock::now() - chunk_started));
  }
  if (::fdatasync(file.fd) != 0) {
    return fail_with("cannot sync", errno);
  }
  if (::rename(temp.c_str(), (dir_ / kSpareFileName).c_str()) != 0) {
    return fail_with("cannot rename", errno);
  }
  return {};
}

}  // namespace portcullis::audit::detail
