#include "audit/log_directory.hpp"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include "support/temp_dir.hpp"

using portcullis::audit::detail::next_log_file_name;
using portcullis::test::TempDir;

TEST_CASE("log file names carry the UTC start time", "[audit][files]") {
  const auto t = std::chrono::system_clock::from_time_t(1764201600);  // 2025-11-27 00:00:00 UTC
  CHECK(next_log_file_name(t, "") == "audit-20251127-000000.jsonl");
}

TEST_CASE("a file started within the same second as the previous one still sorts after it",
          "[audit][files]") {
  const auto t = std::chrono::system_clock::from_time_t(1764201600);
  const std::string first = next_log_file_name(t, "");
  const std::string second = next_log_file_name(t, first);
  const std::string third = next_log_file_name(t, second);
  CHECK(second == "audit-20251127-000001.jsonl");
  CHECK(first < second);
  CHECK(second < third);
  // A clock that went backwards does not reorder files either.
  CHECK(next_log_file_name(t - std::chrono::hours(1), third) > third);
}

namespace {

namespace detail = portcullis::audit::detail;

std::string read_all(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

TEST_CASE("install_spare renames the spare to the log file's name and opens it for writing",
          "[audit][files][preallocate]") {
  TempDir dir;
  const auto spare = dir.path() / ".portcullis-audit.spare";
  const auto file = dir.path() / "audit-20261128-000000.jsonl";
  std::ofstream(spare, std::ios::binary) << std::string(8192, '\0');
  auto fd = detail::install_spare(spare, file);
  REQUIRE(fd);
  CHECK_FALSE(std::filesystem::exists(spare));
  auto size = detail::file_size_of(*fd);
  REQUIRE(size);
  CHECK(*size == 8192);
  auto links = detail::link_count(*fd);
  REQUIRE(links);
  CHECK(*links == 1);
  // Not O_APPEND: a write at offset 0 goes over the zeros, the size stays.
  REQUIRE(detail::write_all_at(*fd, "{}\n", 0));
  size = detail::file_size_of(*fd);
  REQUIRE(size);
  CHECK(*size == 8192);
  std::filesystem::remove(file);
  links = detail::link_count(*fd);
  REQUIRE(links);
  CHECK(*links == 0);
  ::close(*fd);
}

TEST_CASE("install_spare never replaces an existing file: it fails and leaves both as they were",
          "[audit][files][preallocate]") {
  TempDir dir;
  const auto spare = dir.path() / ".portcullis-audit.spare";
  const auto file = dir.path() / "audit-20261128-000000.jsonl";
  std::ofstream(spare, std::ios::binary) << std::string(4096, '\0');
  std::ofstream(file, std::ios::binary) << "{\"a record\":1}\n";
  auto fd = detail::install_spare(spare, file);
  REQUIRE_FALSE(fd);
  INFO(fd.error().message);
  CHECK(fd.error().message.find("cannot rename " + spare.string() + " to " + file.string()) !=
        std::string::npos);
  CHECK(fd.error().message.find(std::strerror(EEXIST)) != std::string::npos);
  CHECK(read_all(file) == "{\"a record\":1}\n");
  CHECK(std::filesystem::file_size(spare) == 4096);
}
