// bench_platform: what the operating system charges for the steps every proxied request takes
// on this machine, beside which the gateway's own work is measured (docs/performance.md,
// "What the platform costs"). Not a benchmark of Portcullis: the floor under it.
//
//   - a trivial system call (getppid): the entry/exit toll every read, write, send and poll pays;
//   - fstat of an open file: the audit writer's "does the file still have a name" check;
//   - an append of 1,500 / 5,600 / 52,000 bytes to a file in the page cache (no sync): the
//     audit log's write(2) of one outcome record, of one decision record plus the previous call's
//     outcome record, and of one strict group of 16 decision records;
//   - a one-byte round trip through a pipe between two threads: one thread hand-off and back
//     (futex/poll wake-up, two context switches), what handing a record to the writer thread
//     and its completion back to an I/O thread costs at the least;
//   - the latency of waking a thread that sleeps on a condition variable, right after it went
//     to sleep and after 200 µs of sleep (when both CPUs may have gone idle): what the audit
//     writer thread pays to start a strict group's fdatasync, and an I/O thread to run the
//     group's completions. Run it without taskset for the cross-CPU figure.
//
// The file benchmarks write under PORTCULLIS_BENCH_DIR (default: the system temp directory);
// point it at the file system of the audit directory. Pin it for stable figures:
//   taskset -c 1 build/release/bench/bench_platform --benchmark_min_time=0.5
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

std::filesystem::path bench_dir() {
  const char* dir = std::getenv("PORTCULLIS_BENCH_DIR");
  return dir != nullptr ? std::filesystem::path(dir) : std::filesystem::temp_directory_path();
}

// A scratch file that is removed when the benchmark ends.
class ScratchFile {
 public:
  explicit ScratchFile(int flags) {
    path_ = bench_dir() / ("bench-platform-" + std::to_string(::getpid()) + ".tmp");
    fd_ = ::open(path_.c_str(), flags | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  }
  ~ScratchFile() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
    std::filesystem::remove(path_);
  }
  ScratchFile(const ScratchFile&) = delete;
  ScratchFile& operator=(const ScratchFile&) = delete;
  [[nodiscard]] int fd() const { return fd_; }
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  int fd_ = -1;
};

void BM_syscall_getppid(benchmark::State& state) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(::syscall(SYS_getppid));
  }
}
BENCHMARK(BM_syscall_getppid);

void BM_fstat(benchmark::State& state) {
  ScratchFile file(O_WRONLY);
  if (file.fd() < 0) {
    state.SkipWithError(("cannot create " + file.path().string()).c_str());
    return;
  }
  struct stat st {};
  for (auto _ : state) {
    benchmark::DoNotOptimize(::fstat(file.fd(), &st));
  }
}
BENCHMARK(BM_fstat);

// Appends `range(0)` bytes per iteration to a growing file, as the audit log does; the file is
// truncated every 64 MiB so the benchmark does not fill the disk (a truncation is one of
// thousands of iterations and is timed with them).
void BM_append(benchmark::State& state) {
  ScratchFile file(O_WRONLY | O_APPEND);
  if (file.fd() < 0) {
    state.SkipWithError(("cannot create " + file.path().string()).c_str());
    return;
  }
  const std::string bytes(static_cast<std::size_t>(state.range(0)), 'x');
  std::size_t written = 0;
  for (auto _ : state) {
    if (::write(file.fd(), bytes.data(), bytes.size()) != static_cast<ssize_t>(bytes.size())) {
      state.SkipWithError("write failed");
      return;
    }
    written += bytes.size();
    if (written >= (64u << 20)) {
      if (::ftruncate(file.fd(), 0) != 0) {
        state.SkipWithError("ftruncate failed");
        return;
      }
      written = 0;
    }
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_append)->Arg(1500)->Arg(5600)->Arg(52000);

// One byte to a second thread and back through two pipes: a thread hand-off and its answer.
void BM_thread_round_trip(benchmark::State& state) {
  int there[2];
  int back[2];
  if (::pipe(there) != 0 || ::pipe(back) != 0) {
    state.SkipWithError("pipe failed");
    return;
  }
  std::thread echo([&] {
    char c = 0;
    while (::read(there[0], &c, 1) == 1 && c != 'q') {
      if (::write(back[1], &c, 1) != 1) {
        return;
      }
    }
  });
  char c = 'x';
  for (auto _ : state) {
    if (::write(there[1], &c, 1) != 1 || ::read(back[0], &c, 1) != 1) {
      state.SkipWithError("pipe round trip failed");
      break;
    }
  }
  c = 'q';
  (void)!::write(there[1], &c, 1);
  echo.join();
  for (const int fd : {there[0], there[1], back[0], back[1]}) {
    ::close(fd);
  }
}
BENCHMARK(BM_thread_round_trip)->UseRealTime();

// A thread sleeping on a condition variable is notified `range(0)` µs after it went to sleep;
// the figure is the time from notify_one() to the moment it runs again (p50/p99 counters),
// the way the audit writer thread is woken for a strict group and an I/O thread for its
// completions.
void BM_wake_sleeping_thread(benchmark::State& state) {
  using Clock = std::chrono::steady_clock;
  const auto gap = std::chrono::microseconds(state.range(0));
  std::mutex mutex;
  std::condition_variable to_sleeper;
  std::condition_variable to_waker;
  bool go = false;
  bool stop = false;
  bool sleeping = false;
  Clock::time_point notified;
  std::vector<double> latencies;
  std::thread sleeper([&] {
    std::unique_lock lock(mutex);
    while (true) {
      sleeping = true;
      to_waker.notify_one();
      to_sleeper.wait(lock, [&] { return go || stop; });
      if (stop) {
        return;
      }
      latencies.push_back(std::chrono::duration<double, std::micro>(Clock::now() - notified).count());
      go = false;
      sleeping = false;
    }
  });
  for (auto _ : state) {
    {
      std::unique_lock lock(mutex);
      to_waker.wait(lock, [&] { return sleeping && !go; });  // back asleep after the last wake
    }
    std::this_thread::sleep_for(gap);
    {
      std::lock_guard lock(mutex);
      go = true;
      notified = Clock::now();
    }
    to_sleeper.notify_one();
  }
  {
    std::unique_lock lock(mutex);
    to_waker.wait(lock, [&] { return sleeping && !go; });
    stop = true;
  }
  to_sleeper.notify_one();
  sleeper.join();
  std::sort(latencies.begin(), latencies.end());
  if (!latencies.empty()) {
    state.counters["wake_p50_us"] = latencies[latencies.size() / 2];
    state.counters["wake_p99_us"] = latencies[latencies.size() * 99 / 100];
  }
}
BENCHMARK(BM_wake_sleeping_thread)->Arg(0)->Arg(200)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
