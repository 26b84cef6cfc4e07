#include "audit/spare_file.hpp"

#include <sys/mount.h>
#include <sys/resource.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fstream>
#include <functional>
#include <random>
#include <sstream>
#include <string>
#include <thread>

#include "support/temp_dir.hpp"
#include "support/wait_until.hpp"

using portcullis::audit::detail::kSpareFileName;
using portcullis::audit::detail::kSpareTempName;
using portcullis::audit::detail::SpareFile;
using portcullis::test::TempDir;
namespace fs = std::filesystem;

namespace {

constexpr std::uint64_t kChunk = 256 * 1024;  // SpareFile's unit of size

// Polls until `done` holds. The bound is only there so a broken SpareFile fails the test instead
// of hanging it: a spare of a few hundred KiB is ready in milliseconds, even on a loaded machine.
bool eventually(const std::function<bool()>& done) {
  return portcullis::test::wait_until(done, std::chrono::seconds(30), std::chrono::milliseconds(2));
}

std::string read_all(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool all_nul(const std::string& bytes) {
  return bytes.find_first_not_of('\0') == std::string::npos;
}

struct Unmount {
  std::filesystem::path path;
  ~Unmount() { ::umount2(path.c_str(), MNT_DETACH); }
};

}  // namespace

TEST_CASE(
    "a ready spare has the size rounded up to whole 256 KiB chunks and holds only NUL "
    "bytes",
    "[audit][spare]") {
  TempDir dir;
  SpareFile spare(dir.path(), kChunk + 1, {});
  CHECK(spare.size() == 2 * kChunk);
  REQUIRE(eventually([&] { return spare.ready(); }));
  const auto file = dir.path() / kSpareFileName;
  REQUIRE(std::filesystem::exists(file));
  CHECK(std::filesystem::file_size(file) == 2 * kChunk);
  const std::string bytes = read_all(file);
  CHECK(bytes.size() == 2 * kChunk);
  CHECK(all_nul(bytes));
  CHECK_FALSE(std::filesystem::exists(dir.path() / kSpareTempName));
  CHECK(spare.last_error().empty());
}

TEST_CASE("a size below one chunk still gives a spare of one whole chunk", "[audit][spare]") {
  TempDir dir;
  SpareFile spare(dir.path(), 4096, {});
  CHECK(spare.size() == kChunk);
  REQUIRE(eventually([&] { return spare.ready(); }));
  CHECK(std::filesystem::file_size(dir.path() / kSpareFileName) == kChunk);
}

TEST_CASE("claim hands out the ready spare once, and after done_with_claim a new one is prepared",
          "[audit][spare]") {
  TempDir dir;
  std::atomic<int> readied{0};
  SpareFile spare(dir.path(), kChunk, [&] { ++readied; });
  REQUIRE(eventually([&] { return readied.load() == 1; }));
  REQUIRE(spare.ready());

  const auto claimed = spare.claim();
  REQUIRE(claimed);
  CHECK(*claimed == dir.path() / kSpareFileName);
  CHECK_FALSE(spare.ready());
  CHECK_FALSE(spare.claim());  // the caller owns it until done_with_claim

  // The caller renames it away (as install_spare does), then says so.
  const auto taken = dir.path() / "audit-20261128-000000.jsonl";
  std::filesystem::rename(*claimed, taken);
  spare.done_with_claim();
  REQUIRE(eventually([&] { return spare.ready(); }));
  REQUIRE(eventually([&] { return readied.load() == 2; }));  // on_ready runs after ready()
  CHECK(std::filesystem::file_size(dir.path() / kSpareFileName) == kChunk);
  CHECK(all_nul(read_all(dir.path() / kSpareFileName)));
  // The file taken before is the caller's: not touched by the next preparation.
  CHECK(std::filesystem::file_size(taken) == kChunk);

  // A second round, so "each time" is more than once.
  REQUIRE(spare.claim());
  std::filesystem::rename(dir.path() / kSpareFileName, dir.path() / "taken-2");
  spare.done_with_claim();
  REQUIRE(eventually([&] { return readied.load() == 3; }));
  CHECK(spare.ready());
}

TEST_CASE("done_with_claim without a claim does not start another preparation", "[audit][spare]") {
  TempDir dir;
  std::atomic<int> readied{0};
  SpareFile spare(dir.path(), kChunk, [&] { ++readied; });
  REQUIRE(eventually([&] { return readied.load() == 1; }));
  spare.done_with_claim();  // nothing claimed: the ready spare stays ready
  CHECK(spare.ready());
  CHECK(spare.claim());
}

TEST_CASE("spares left by an earlier process are removed before a new one is prepared",
          "[audit][spare]") {
  // A stale name that is an (empty) directory makes a preparation fail for sure if it were kept
  // (open(O_CREAT) of the temporary name, or rename over the spare's name, fails with EISDIR); a
  // stale regular file is what a killed process really leaves.
  const bool as_directory = GENERATE(false, true);
  INFO((as_directory ? "stale names are directories" : "stale names are files"));
  TempDir dir;
  const auto stale_spare = dir.path() / kSpareFileName;
  const auto stale_temp = dir.path() / kSpareTempName;
  if (as_directory) {
    std::filesystem::create_directory(stale_spare);
    std::filesystem::create_directory(stale_temp);
  } else {
    std::ofstream(stale_spare, std::ios::binary) << "half made";
    std::ofstream(stale_temp, std::ios::binary) << "half made";
  }
  SpareFile spare(dir.path(), kChunk, {}, std::chrono::hours(1));
  // Removed by the constructor: nothing of the stale spare's is left, even before the new one
  // is ready (the thread makes the spare's name only by renaming a complete file to it).
  CHECK((!std::filesystem::exists(stale_spare) || all_nul(read_all(stale_spare))));
  REQUIRE(eventually([&] { return spare.ready() || !spare.last_error().empty(); }));
  INFO(spare.last_error());
  REQUIRE(spare.ready());
  CHECK(std::filesystem::is_regular_file(stale_spare));
  CHECK(std::filesystem::file_size(stale_spare) == kChunk);
  CHECK(all_nul(read_all(stale_spare)));
  CHECK_FALSE(std::filesystem::exists(stale_temp));
}

TEST_CASE("the destructor removes a ready spare", "[audit][spare]") {
  TempDir dir;
  {
    SpareFile spare(dir.path(), kChunk, {});
    REQUIRE(eventually([&] { return spare.ready(); }));
    REQUIRE(std::filesystem::exists(dir.path() / kSpareFileName));
  }
  CHECK_FALSE(std::filesystem::exists(dir.path() / kSpareFileName));
  CHECK_FALSE(std::filesystem::exists(dir.path() / kSpareTempName));
  CHECK(std::filesystem::is_empty(dir.path()));
}

TEST_CASE("the destructor stops a preparation in progress and removes its temporary file",
          "[audit][spare]") {
  TempDir dir;
  {
    // 32 MiB paced to a quarter of the disk's time takes far longer (>= 0.5 s) than this scope
    // needs. (Should this thread be starved for all that time, the spare is ready instead, and
    // the destructor must remove that.)
    SpareFile spare(dir.path(), 32ull * 1024 * 1024, {});
    REQUIRE(eventually(
        [&] { return std::filesystem::exists(dir.path() / kSpareTempName) || spare.ready(); }));
  }
  CHECK(std::filesystem::is_empty(dir.path()));
}

TEST_CASE(
    "a spare that cannot be created sets last_error naming the file, claim gives nothing, "
    "and it is tried again after retry_after",
    "[audit][spare][failure]") {
  TempDir base;
  // A regular file where the directory should be: creating the spare fails with ENOTDIR, whoever
  // runs the test (root ignores permissions, not file types).
  const auto dir = base.path() / "not-a-directory";
  std::ofstream(dir) << "x";
  std::atomic<int> readied{0};
  SpareFile spare(
      dir, kChunk, [&] { ++readied; }, std::chrono::milliseconds(20));
  REQUIRE(eventually([&] { return !spare.last_error().empty(); }));
  const std::string error = spare.last_error();
  INFO(error);
  CHECK(error.find("cannot create") != std::string::npos);
  CHECK(error.find((dir / kSpareTempName).string()) != std::string::npos);
  CHECK(error.find(std::strerror(ENOTDIR)) != std::string::npos);
  CHECK_FALSE(spare.ready());
  CHECK_FALSE(spare.claim());
  CHECK(readied.load() == 0);

  // The cause goes away: a later try succeeds on its own and clears the error.
  std::filesystem::remove(dir);
  std::filesystem::create_directory(dir);
  REQUIRE(eventually([&] { return readied.load() == 1; }));  // on_ready runs after ready()
  CHECK(spare.ready());
  CHECK(spare.last_error().empty());
  CHECK(spare.claim() == dir / kSpareFileName);
}

TEST_CASE(
    "a spare is not made when it would leave less than its size free, and takes no space "
    "trying",
    "[audit][spare][failure]") {
  // 384 KiB: a 256 KiB spare would fit, but the records would then have 128 KiB at most. And
  // 128 KiB: the spare does not fit at all (written until ENOSPC, it would fill the disk).
  const char* const tmpfs_size = GENERATE("size=384k", "size=128k");
  INFO(tmpfs_size);
  TempDir base;
  const auto mnt = base.path() / "mnt";
  std::filesystem::create_directories(mnt);
  if (::mount("tmpfs", mnt.c_str(), "tmpfs", 0, tmpfs_size) != 0) {
    WARN("cannot mount a tmpfs here (" << std::strerror(errno) << "); test not run");
    return;
  }
  Unmount unmount{mnt};
  {
    // One hour between tries: the checks below see the state after the failed one.
    SpareFile spare(mnt, kChunk, {}, std::chrono::hours(1));
    REQUIRE(eventually([&] { return !spare.last_error().empty(); }));
    const std::string error = spare.last_error();
    INFO(error);
    CHECK(error.find("not enough free space for a spare of " + std::to_string(kChunk) +
                     " bytes in " + mnt.string()) != std::string::npos);
    CHECK(error.find("twice its size needed") != std::string::npos);
    CHECK_FALSE(spare.ready());
    CHECK_FALSE(spare.claim());
    CHECK(std::filesystem::is_empty(mnt));  // the temporary file is gone
  }
  CHECK(std::filesystem::is_empty(mnt));
}

TEST_CASE(
    "a write of the zeros that fails (RLIMIT_FSIZE) sets last_error and leaves no "
    "temporary file",
    "[audit][spare][failure]") {
  TempDir dir;
  ::signal(SIGXFSZ, SIG_IGN);  // EFBIG instead of a signal
  rlimit old{};
  REQUIRE(::getrlimit(RLIMIT_FSIZE, &old) == 0);
  struct Restore {
    rlimit limit;
    ~Restore() { ::setrlimit(RLIMIT_FSIZE, &limit); }
  } restore{old};
  rlimit tight = old;
  tight.rlim_cur = kChunk + 4096;  // the second chunk of zeros does not fit
  REQUIRE(::setrlimit(RLIMIT_FSIZE, &tight) == 0);
  {
    SpareFile spare(dir.path(), 2 * kChunk, {}, std::chrono::hours(1));
    REQUIRE(eventually([&] { return !spare.last_error().empty(); }));
    const std::string error = spare.last_error();
    INFO(error);
    CHECK(error.find("cannot write zeros to " + (dir.path() / kSpareTempName).string()) !=
          std::string::npos);
    CHECK(error.find(std::strerror(EFBIG)) != std::string::npos);
    CHECK_FALSE(spare.ready());
    CHECK_FALSE(spare.claim());
    CHECK(std::filesystem::is_empty(dir.path()));
  }
  CHECK(std::filesystem::is_empty(dir.path()));
}

// The writer's side of free space: a spare never takes the space the log needs.
constexpr std::uint64_t kSpareBytes = 2 * kChunk;

TEST_CASE("no spare is made while the file system has less than twice its size free",
          "[audit][spare]") {
  TempDir dir;
  std::atomic<std::uint64_t> free_bytes{2 * kSpareBytes - 1};
  const auto free_space = [&](const fs::path&) -> portcullis::Result<std::uint64_t> {
    return free_bytes.load();
  };
  SpareFile spare(dir.path(), kSpareBytes, {}, std::chrono::milliseconds(20), free_space);
  REQUIRE(eventually([&] { return !spare.last_error().empty(); }));
  CHECK(spare.last_error().find("not enough free space") != std::string::npos);
  CHECK(spare.failures() >= 1);
  CHECK(spare.last_error().find(dir.path().string()) != std::string::npos);
  CHECK_FALSE(spare.ready());
  CHECK_FALSE(spare.claim().has_value());
  CHECK_FALSE(fs::exists(dir.path() / kSpareFileName));
  CHECK_FALSE(fs::exists(dir.path() / kSpareTempName));

  free_bytes = 2 * kSpareBytes;  // exactly enough: retried after retry_after
  REQUIRE(eventually([&] { return spare.ready(); }));
  CHECK(spare.last_error().empty());
  CHECK(fs::file_size(dir.path() / kSpareFileName) == kSpareBytes);
}

TEST_CASE("a file system whose free space cannot be read makes no spare, and says why",
          "[audit][spare]") {
  TempDir dir;
  const auto unreadable = [](const fs::path&) -> portcullis::Result<std::uint64_t> {
    return portcullis::fail("cannot read the free space of the test");
  };
  SpareFile spare(dir.path(), kSpareBytes, {}, std::chrono::seconds(30), unreadable);
  REQUIRE(eventually([&] { return !spare.last_error().empty(); }));
  CHECK(spare.last_error() == "cannot read the free space of the test");
  CHECK(spare.failures() == 1);  // the next try is 30 s away
  CHECK_FALSE(fs::exists(dir.path() / kSpareFileName));
}

TEST_CASE("give_back removes a ready spare and the next waits for retry_after", "[audit][spare]") {
  TempDir dir;
  std::atomic<int> readied{0};
  SpareFile spare(
      dir.path(), kSpareBytes, [&] { ++readied; }, std::chrono::milliseconds(300));
  REQUIRE(eventually([&] { return spare.ready(); }));
  REQUIRE(eventually([&] { return readied == 1; }));  // called just after ready() turns true
  const auto given_back = std::chrono::steady_clock::now();
  spare.give_back();
  CHECK_FALSE(spare.ready());
  CHECK_FALSE(fs::exists(dir.path() / kSpareFileName));
  CHECK(spare.last_error().find("give its space back") != std::string::npos);
  REQUIRE(eventually([&] { return spare.ready(); }));
  CHECK(std::chrono::steady_clock::now() - given_back >= std::chrono::milliseconds(300));
  REQUIRE(eventually([&] { return readied == 2; }));
  CHECK(fs::exists(dir.path() / kSpareFileName));
}

TEST_CASE("give_back leaves a claimed spare to its owner", "[audit][spare]") {
  TempDir dir;
  SpareFile spare(dir.path(), kSpareBytes, {}, std::chrono::milliseconds(20));
  REQUIRE(eventually([&] { return spare.ready(); }));
  const auto claimed = spare.claim();
  REQUIRE(claimed.has_value());
  spare.give_back();  // the writer is renaming it: not ours to remove
  CHECK(fs::exists(*claimed));
  fs::rename(*claimed, dir.path() / "taken");
  spare.done_with_claim();
  REQUIRE(eventually([&] { return spare.ready(); }));
  CHECK(fs::file_size(dir.path() / "taken") == kSpareBytes);
}
