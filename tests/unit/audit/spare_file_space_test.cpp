// SpareFile never takes the space the log needs: it makes a spare only while the file system has
// twice its size free, and gives a ready spare back when the log cannot write.
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <random>
#include <string>
#include <thread>

#include "audit/spare_file.hpp"

using portcullis::audit::detail::kSpareFileName;
using portcullis::audit::detail::kSpareTempName;
using portcullis::audit::detail::SpareFile;
namespace fs = std::filesystem;

namespace {

struct ScratchDir {
  fs::path path;
  ScratchDir() {
    std::random_device rd;
    path = fs::temp_directory_path() /
           ("portcullis-spare-space-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
    fs::create_directories(path);
  }
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

// Polls `done` until it holds or 30 s have passed (generous: CI runs on 2 loaded cores).
template <typename Predicate>
bool eventually(Predicate done) {
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!done()) {
    if (std::chrono::steady_clock::now() > give_up) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

constexpr std::uint64_t kSpareBytes = 512 * 1024;

}  // namespace

TEST_CASE("no spare is made while the file system has less than twice its size free",
          "[audit][spare]") {
  ScratchDir dir;
  std::atomic<std::uint64_t> free_bytes{2 * kSpareBytes - 1};
  const auto free_space = [&](const fs::path&) -> portcullis::Result<std::uint64_t> {
    return free_bytes.load();
  };
  SpareFile spare(dir.path, kSpareBytes, {}, std::chrono::milliseconds(20), free_space);
  REQUIRE(eventually([&] { return !spare.last_error().empty(); }));
  CHECK(spare.last_error().find("not enough free space") != std::string::npos);
  CHECK(spare.failures() >= 1);
  CHECK(spare.last_error().find(dir.path.string()) != std::string::npos);
  CHECK_FALSE(spare.ready());
  CHECK_FALSE(spare.claim().has_value());
  CHECK_FALSE(fs::exists(dir.path / kSpareFileName));
  CHECK_FALSE(fs::exists(dir.path / kSpareTempName));

  free_bytes = 2 * kSpareBytes;  // exactly enough: retried after retry_after
  REQUIRE(eventually([&] { return spare.ready(); }));
  CHECK(spare.last_error().empty());
  CHECK(fs::file_size(dir.path / kSpareFileName) == kSpareBytes);
}

TEST_CASE("a file system whose free space cannot be read makes no spare, and says why",
          "[audit][spare]") {
  ScratchDir dir;
  const auto unreadable = [](const fs::path&) -> portcullis::Result<std::uint64_t> {
    return portcullis::fail("cannot read the free space of the test");
  };
  SpareFile spare(dir.path, kSpareBytes, {}, std::chrono::seconds(30), unreadable);
  REQUIRE(eventually([&] { return !spare.last_error().empty(); }));
  CHECK(spare.last_error() == "cannot read the free space of the test");
  CHECK(spare.failures() == 1);  // the next try is 30 s away
  CHECK_FALSE(fs::exists(dir.path / kSpareFileName));
}

TEST_CASE("give_back removes a ready spare and the next waits for retry_after", "[audit][spare]") {
  ScratchDir dir;
  std::atomic<int> readied{0};
  SpareFile spare(
      dir.path, kSpareBytes, [&] { ++readied; }, std::chrono::milliseconds(300));
  REQUIRE(eventually([&] { return spare.ready(); }));
  CHECK(readied == 1);
  const auto given_back = std::chrono::steady_clock::now();
  spare.give_back();
  CHECK_FALSE(spare.ready());
  CHECK_FALSE(fs::exists(dir.path / kSpareFileName));
  CHECK(spare.last_error().find("give its space back") != std::string::npos);
  REQUIRE(eventually([&] { return spare.ready(); }));
  CHECK(std::chrono::steady_clock::now() - given_back >= std::chrono::milliseconds(300));
  CHECK(readied == 2);
  CHECK(fs::exists(dir.path / kSpareFileName));
}

TEST_CASE("give_back leaves a claimed spare to its owner", "[audit][spare]") {
  ScratchDir dir;
  SpareFile spare(dir.path, kSpareBytes, {}, std::chrono::milliseconds(20));
  REQUIRE(eventually([&] { return spare.ready(); }));
  const auto claimed = spare.claim();
  REQUIRE(claimed.has_value());
  spare.give_back();  // the writer is renaming it: not ours to remove
  CHECK(fs::exists(*claimed));
  fs::rename(*claimed, dir.path / "taken");
  spare.done_with_claim();
  REQUIRE(eventually([&] { return spare.ready(); }));
  CHECK(fs::file_size(dir.path / "taken") == kSpareBytes);
}
