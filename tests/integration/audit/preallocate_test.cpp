// AuditLogOptions::preallocate end to end on the real file system: files start over a spare of
// NUL bytes, the NUL tail is never part of the log (verify, rotation, close, restart, crash), and
// the hidden spare is never a log file (listing, retention).
#include <catch2/catch.hpp>
#include <chrono>
#include <functional>
#include <thread>

#include "audit_test_support.hpp"
#include "support/wait_until.hpp"
#include "portcullis/audit/log_reader.hpp"
#include "portcullis/audit/scan.hpp"
#include "portcullis/audit/verifier.hpp"

using namespace audit_test;
using nlohmann::json;

namespace {

constexpr const char* kSpare = ".portcullis-audit.spare";
constexpr const char* kSpareTemp = ".portcullis-audit.spare.tmp";
// Rotation is due at 64 KiB; a spare is at least one 256 KiB chunk, so a preallocated file has a
// NUL tail of at least 192 KiB when it rotates.
constexpr std::uint64_t kRotateBytes = 64 * 1024;
constexpr std::uint64_t kSpareBytes = 256 * 1024;

AuditLogOptions prealloc_options(const std::filesystem::path& dir,
                                 DurabilityMode mode = DurabilityMode::Strict) {
  AuditLogOptions o;
  o.dir = dir;
  o.mode = mode;
  o.preallocate = true;
  o.rotate_bytes = kRotateBytes;
  o.product_version = "test";
  o.checkpoint_every_records = 16;
  return o;
}

// Polls until `done` holds. The bound only turns a hang into a failure: a 256 KiB spare is ready
// in milliseconds even on a loaded machine.
bool eventually(const std::function<bool()>& done) {
  return portcullis::test::wait_until(done, std::chrono::seconds(30), std::chrono::milliseconds(2));
}

std::vector<std::filesystem::path> log_files(const std::filesystem::path& dir) {
  auto files = list_log_files(dir);
  REQUIRE(files);
  return *files;
}

bool has_nul(const std::filesystem::path& file) {
  return read_all(file).find('\0') != std::string::npos;
}

// The NUL tail of a file: everything from its first NUL byte (0 when it has none).
std::uint64_t nul_tail(const std::filesystem::path& file) {
  const std::string bytes = read_all(file);
  const auto first = bytes.find('\0');
  if (first == std::string::npos) {
    return 0;
  }
  REQUIRE(bytes.find_first_not_of('\0', first) == std::string::npos);
  REQUIRE((first == 0 || bytes[first - 1] == '\n'));  // the data ends with a whole record
  return bytes.size() - first;
}

bool spare_files_left(const std::filesystem::path& dir) {
  return std::filesystem::exists(dir / kSpare) || std::filesystem::exists(dir / kSpareTemp);
}

VerifyReport verify_intact(const std::filesystem::path& dir) {
  auto report = verify_files({dir}, VerifyOptions{});
  REQUIRE(report);
  if (report->problem) {
    FAIL(report->problem->file << ":" << report->problem->line << ": "
                               << to_string(report->problem->kind) << ": "
                               << report->problem->message);
  }
  return *report;
}

std::vector<json> records_of(const std::filesystem::path& dir) {
  std::vector<json> out;
  REQUIRE(scan_records(dir, [&](const json& r) { out.push_back(r); }));
  return out;
}

std::vector<json> recovery_records(const std::filesystem::path& dir) {
  std::vector<json> out;
  for (auto& r : records_of(dir)) {
    if (r["unmapped"]["kind"] == "recovery") {
      out.push_back(std::move(r));
    }
  }
  return out;
}

// Waits for the writer's first file over a spare (a new log's first file is created by start(),
// then the writer rotates early into the first ready spare), and for that rotation to be counted
// (preallocated_files is counted when the spare is installed, rotations once it is done).
void wait_preallocated(AuditLog& log) {
  REQUIRE(eventually([&] {
    const auto stats = log.stats();
    return stats.preallocated_files >= 1 && stats.rotations >= 1;
  }));
}

// Appends until the log has rotated `rotations` more times, each time into a ready spare: before
// every append it waits until the next spare is ready, so every rotation finds one.
void append_until_rotated(AuditLog& log, std::uint64_t rotations, int first_id) {
  const std::uint64_t target = log.stats().rotations + rotations;
  int id = first_id;
  while (log.stats().rotations < target) {
    REQUIRE(id - first_id < 5000);
    REQUIRE(eventually([&] { return log.stats().spare_ready; }));
    REQUIRE(append_sync(log, sample_decision(id++)));
  }
}

}  // namespace

TEST_CASE("preallocate: the active file ends in NUL bytes, and the open log verifies intact with "
          "the tail reported as unwritten",
          "[audit][preallocate]") {
  const auto mode = GENERATE(DurabilityMode::Strict, DurabilityMode::Batched);
  INFO((mode == DurabilityMode::Strict ? "strict" : "batched"));
  TempDir dir;
  auto log = AuditLog::open(prealloc_options(dir.path(), mode));
  REQUIRE(log);
  wait_preallocated(**log);
  for (int i = 0; i < 8; ++i) {
    REQUIRE(append_sync(**log, sample_decision(i)));
  }
  const auto stats = (*log)->stats();
  CHECK(stats.preallocated_files == 1);
  CHECK(stats.appended == 8);
  const auto files = log_files(dir.path());
  REQUIRE(files.size() == 2);  // start()'s first file, and the one it rotated early into
  CHECK_FALSE(has_nul(files.front()));
  const auto active = files.back();
  CHECK(std::filesystem::file_size(active) == kSpareBytes);
  const std::uint64_t tail = nul_tail(active);
  CHECK(tail > 0);
  CHECK(tail < kSpareBytes);

  const auto open_report = verify_intact(dir.path());
  CHECK(open_report.unwritten_bytes == tail);
  CHECK(open_report.files == 2);
  CHECK(open_report.records == read_lines(files.front()).size() + read_lines(active).size() - 1);

  (*log)->close();
  CHECK_FALSE(has_nul(active));
  CHECK_FALSE(spare_files_left(dir.path()));
  const auto closed_report = verify_intact(dir.path());
  CHECK(closed_report.unwritten_bytes == 0);
  CHECK(closed_report.last_sequence > open_report.last_sequence);  // the close checkpoint
}

TEST_CASE("preallocate: files finished by size rotation have no NUL byte and the set verifies",
          "[audit][preallocate]") {
  TempDir dir;
  auto log = AuditLog::open(prealloc_options(dir.path(), DurabilityMode::Batched));
  REQUIRE(log);
  wait_preallocated(**log);
  append_until_rotated(**log, 3, 0);
  const auto stats = (*log)->stats();
  CHECK(stats.preallocated_files == stats.rotations);  // every rotation found a ready spare
  const auto files = log_files(dir.path());
  REQUIRE(files.size() == stats.rotations + 1);
  for (std::size_t i = 0; i + 1 < files.size(); ++i) {
    INFO(files[i]);
    CHECK_FALSE(has_nul(files[i]));
    CHECK(std::filesystem::file_size(files[i]) < kSpareBytes);
  }
  CHECK(has_nul(files.back()));
  const auto report = verify_intact(dir.path());
  CHECK(report.unwritten_bytes == nul_tail(files.back()));
  (*log)->close();
  for (const auto& file : log_files(dir.path())) {
    INFO(file);
    CHECK_FALSE(has_nul(file));
  }
  CHECK_FALSE(spare_files_left(dir.path()));
  CHECK(verify_intact(dir.path()).unwritten_bytes == 0);
}

TEST_CASE("preallocate: a file whose records outgrow its zeros goes on by appending, and is "
          "whole",
          "[audit][preallocate]") {
  // rotate_bytes equal to the spare's size: the write that reaches rotate_bytes covers the last
  // zeros and extends the file past them.
  TempDir dir;
  auto options = prealloc_options(dir.path(), DurabilityMode::Batched);
  options.rotate_bytes = kSpareBytes;
  auto log = AuditLog::open(options);
  REQUIRE(log);
  wait_preallocated(**log);
  append_until_rotated(**log, 2, 0);
  const auto files = log_files(dir.path());
  REQUIRE(files.size() == 4);  // start()'s, the early rotation's, and two filled
  for (std::size_t i = 1; i + 1 < files.size(); ++i) {
    INFO(files[i]);
    CHECK_FALSE(has_nul(files[i]));
    CHECK(std::filesystem::file_size(files[i]) > kSpareBytes);
    CHECK(read_all(files[i]).back() == '\n');
  }
  (*log)->close();
  CHECK(verify_intact(dir.path()).unwritten_bytes == 0);
  CHECK_FALSE(spare_files_left(dir.path()));
}

TEST_CASE("preallocate: strict records from several threads are written over the zeros and "
          "rotate through spares",
          "[audit][preallocate]") {
  TempDir dir;
  auto log = AuditLog::open(prealloc_options(dir.path(), DurabilityMode::Strict));
  REQUIRE(log);
  wait_preallocated(**log);
  std::vector<std::thread> threads;
  std::atomic<int> failed{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 40; ++i) {
        if (!append_sync(**log, sample_decision(t * 1000 + i))) {
          ++failed;
        }
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  CHECK(failed == 0);
  const auto stats = (*log)->stats();
  CHECK(stats.appended == 160);
  CHECK(stats.rotations >= 2);  // 160 records of ~1-2 KB: more than one 64 KiB file
  CHECK(stats.preallocated_files >= 1);
  // (Not verified while open: the last append may have filled a file whose rotation is still
  // under way, and its checkpoint then names a next file that does not exist yet.)
  (*log)->close();
  for (const auto& file : log_files(dir.path())) {
    INFO(file);
    CHECK_FALSE(has_nul(file));
  }
  CHECK_FALSE(spare_files_left(dir.path()));
  const auto report = verify_intact(dir.path());
  CHECK(report.unwritten_bytes == 0);
  CHECK(recovery_records(dir.path()).empty());
}

TEST_CASE("preallocate: a log closed cleanly reopens without a recovery record and the chain "
          "continues",
          "[audit][preallocate]") {
  TempDir dir;
  std::uint64_t closed_sequence = 0;
  std::string chain_uid;
  {
    auto log = AuditLog::open(prealloc_options(dir.path()));
    REQUIRE(log);
    wait_preallocated(**log);
    for (int i = 0; i < 5; ++i) {
      REQUIRE(append_sync(**log, sample_decision(i)));
    }
    (*log)->close();
    const auto report = verify_intact(dir.path());
    closed_sequence = report.last_sequence;
    chain_uid = report.chain_uid;
  }
  auto log = AuditLog::open(prealloc_options(dir.path()));
  REQUIRE(log);
  CHECK((*log)->stats().recoveries == 0);
  // The reopened file has no zeros left: the writer moves on to a spare as soon as one is ready.
  wait_preallocated(**log);
  const auto receipt = append_sync(**log, sample_decision(100));
  REQUIRE(receipt);
  CHECK(receipt->sequence > closed_sequence);
  (*log)->close();
  const auto report = verify_intact(dir.path());
  CHECK(report.chain_uid == chain_uid);
  CHECK(report.first_sequence == 1);
  CHECK(report.unwritten_bytes == 0);
  CHECK(recovery_records(dir.path()).empty());
  CHECK_FALSE(spare_files_left(dir.path()));
}

TEST_CASE("preallocate: a crash leaves a NUL tail that the next start cuts, reported as an "
          "unclean shutdown with nothing cut",
          "[audit][preallocate][recovery]") {
  const auto mode = GENERATE(DurabilityMode::Strict, DurabilityMode::Batched);
  INFO((mode == DurabilityMode::Strict ? "strict" : "batched"));
  TempDir live;
  TempDir crashed;
  std::uint64_t last_sequence = 0;
  std::filesystem::path newest;
  {
    auto log = AuditLog::open(prealloc_options(live.path(), mode));
    REQUIRE(log);
    wait_preallocated(**log);
    for (int i = 0; i < 6; ++i) {
      const auto receipt = append_sync(**log, sample_decision(i));
      REQUIRE(receipt);
      last_sequence = receipt->sequence;
    }
    // What a crash now would leave on disk: the files as they are, the newest with its NUL tail
    // and no close checkpoint (batched records are in the page cache, which a process crash
    // keeps).
    for (const auto& file : log_files(live.path())) {
      std::filesystem::copy_file(file, crashed.path() / file.filename());
    }
    (*log)->close();
  }
  const auto files = log_files(crashed.path());
  REQUIRE(files.size() == 2);
  newest = files.back();
  REQUIRE(nul_tail(newest) > 0);
  CHECK(verify_intact(crashed.path()).last_sequence == last_sequence);

  auto log = AuditLog::open(prealloc_options(crashed.path(), mode));
  REQUIRE(log);
  CHECK((*log)->stats().recoveries == 1);
  // start() cut the tail before writing its recovery record after the data.
  CHECK_FALSE(has_nul(newest));
  const auto receipt = append_sync(**log, sample_decision(100));
  REQUIRE(receipt);
  (*log)->close();
  const auto recoveries = recovery_records(crashed.path());
  REQUIRE(recoveries.size() == 1);
  const json& r = recoveries.front()["unmapped"]["recovery"];
  CHECK(r["reason"] == "unclean shutdown");
  CHECK(r["cut_bytes"] == 0);
  CHECK(r["last_good_sequence"] == last_sequence);
  CHECK(recoveries.front()["metadata"]["sequence"] == last_sequence + 1);
  for (const auto& file : log_files(crashed.path())) {
    INFO(file);
    CHECK_FALSE(has_nul(file));
  }
  const auto report = verify_intact(crashed.path());
  CHECK(report.unwritten_bytes == 0);
  CHECK(report.last_sequence > receipt->sequence);
  CHECK_FALSE(spare_files_left(crashed.path()));
}

TEST_CASE("preallocate: the spare is never a log file, for listing or for retention",
          "[audit][preallocate][retention]") {
  TempDir dir;
  auto options = prealloc_options(dir.path(), DurabilityMode::Batched);
  options.retention_files = 2;
  auto log = AuditLog::open(options);
  REQUIRE(log);
  wait_preallocated(**log);
  append_until_rotated(**log, 4, 0);
  // The next spare is ready (and on disk) while retention has run at every rotation.
  REQUIRE(eventually([&] { return (*log)->stats().spare_ready; }));
  REQUIRE(std::filesystem::exists(dir.path() / kSpare));
  // Retention runs just after a rotation is counted: wait for it.
  REQUIRE(eventually([&] { return log_files(dir.path()).size() == 2; }));
  const auto files = log_files(dir.path());
  CHECK(files.size() == 2);
  for (const auto& file : files) {
    INFO(file);
    CHECK(file.filename().string().rfind("audit-", 0) == 0);
  }
  std::size_t entries = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    (void)entry;
    ++entries;
  }
  CHECK(entries == 4);  // two log files, the spare, the directory lock
  (*log)->close();
  CHECK(log_files(dir.path()).size() == 2);
  CHECK_FALSE(spare_files_left(dir.path()));
}

TEST_CASE("preallocate: a LogReader following the live log reads every record once and in order, "
          "and wakes for a record written over the zeros",
          "[audit][preallocate][log_reader]") {
  TempDir dir;
  auto log = AuditLog::open(prealloc_options(dir.path(), DurabilityMode::Batched));
  REQUIRE(log);
  wait_preallocated(**log);
  LogReader reader(dir.path());
  std::vector<std::uint64_t> sequences;
  const auto read_all_available = [&] {
    for (;;) {
      auto records = reader.read();
      REQUIRE(records);
      if (records->empty()) {
        return;
      }
      for (const auto& r : *records) {
        sequences.push_back(r.sequence);
      }
    }
  };
  read_all_available();
  const std::stop_source never;
  // Caught up at the NUL tail of a file over a spare: nothing to read, and nothing new ...
  REQUIRE(nul_tail(log_files(dir.path()).back()) > 0);
  CHECK_FALSE(reader.wait_for_records(std::chrono::milliseconds(0),
                                      std::chrono::milliseconds(1), never.get_token()));
  // ... until a record is written over the zeros (the file's size does not change).
  const auto size_before = std::filesystem::file_size(log_files(dir.path()).back());
  const auto receipt = append_sync(**log, sample_decision(0));
  REQUIRE(receipt);
  CHECK(std::filesystem::file_size(log_files(dir.path()).back()) == size_before);
  CHECK(reader.wait_for_records(std::chrono::seconds(30), std::chrono::milliseconds(1),
                                never.get_token()));
  auto one = reader.read();
  REQUIRE(one);
  REQUIRE(one->size() == 1);
  CHECK(one->front().sequence == receipt->sequence);
  sequences.push_back(one->front().sequence);

  // Across rotations into spares (each cutting the previous file's NUL tail), read as it goes.
  int id = 1;
  const std::uint64_t rotations = (*log)->stats().rotations;
  while ((*log)->stats().rotations < rotations + 3) {
    REQUIRE(id < 5000);
    REQUIRE(eventually([&] { return (*log)->stats().spare_ready; }));
    for (int i = 0; i < 10; ++i) {
      REQUIRE(append_sync(**log, sample_decision(id++)));
    }
    read_all_available();
  }
  (*log)->close();
  read_all_available();
  CHECK(reader.skipped_records() == 0);
  CHECK(reader.abandoned_tail_bytes() == 0);
  const auto report = verify_intact(dir.path());
  REQUIRE(sequences.size() == report.last_sequence);
  for (std::size_t i = 0; i < sequences.size(); ++i) {
    REQUIRE(sequences[i] == i + 1);
  }
}
