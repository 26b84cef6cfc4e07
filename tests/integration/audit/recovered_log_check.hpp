// check_recovered_log: what a log that failed and recovered by itself must look like, for the
// Catch2 cases that make it fail (a full disk, an unwritable directory, a failed directory fsync).
#pragma once

#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "portcullis/audit/scan.hpp"
#include "portcullis/audit/verifier.hpp"

namespace audit_test {

// The log in `dir` verifies as one chain and holds a recovery record for a write failure.
inline void check_recovered_log(const std::filesystem::path& dir) {
  auto report = portcullis::audit::verify_files({dir}, {});
  REQUIRE(report);
  if (report->problem) {
    FAIL(report->problem->line << ": " << report->problem->message);
  }
  bool saw = false;
  REQUIRE(portcullis::audit::scan_records(dir, [&](const nlohmann::json& r) {
    saw = saw || (r["unmapped"]["kind"] == "recovery" &&
                  r["unmapped"]["recovery"]["reason"] == "write failure");
  }));
  CHECK(saw);
}

}  // namespace audit_test
