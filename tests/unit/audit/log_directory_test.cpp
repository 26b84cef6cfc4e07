#include "audit/log_directory.hpp"

#include <catch2/catch.hpp>
#include <chrono>

using portcullis::audit::detail::next_log_file_name;

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
