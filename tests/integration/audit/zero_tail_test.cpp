// Every reader of audit files against a file that ends with NUL bytes (the unwritten tail a
// preallocating writer keeps ahead of its records; portcullis/audit/file_data.hpp): verify,
// start-up recovery, scan_records and inclusion proofs. The files are written by the real writer,
// closed, and then given a NUL tail by hand (with a torn record before it, or garbage after it).
#include <catch2/catch.hpp>

#include "audit/log_recovery.hpp"
#include "audit_test_support.hpp"
#include "portcullis/audit/proof.hpp"
#include "portcullis/audit/scan.hpp"
#include "portcullis/audit/verifier.hpp"

using namespace audit_test;
using nlohmann::json;
using portcullis::audit::detail::recover_log;

namespace {

constexpr std::size_t kTail = 4096;

std::string nuls(std::size_t n) { return std::string(n, '\0'); }

void append_bytes(const std::filesystem::path& file, const std::string& bytes) {
  std::ofstream(file, std::ios::binary | std::ios::app) << bytes;
}

// A closed log of a few records in one file (no rotation), its newest file, and how to make it
// look like a writer that crashed: the close checkpoint removed.
struct Log {
  TempDir dir;
  std::filesystem::path file;

  Log() {
    AuditLogOptions o;
    o.dir = dir.path();
    o.product_version = "test";
    o.checkpoint_every_records = 4;
    auto log = AuditLog::open(o);
    REQUIRE(log);
    for (int i = 0; i < 6; ++i) {
      REQUIRE(append_sync(**log, sample_decision(i)));
    }
    (*log)->close();
    auto files = list_log_files(dir.path());
    REQUIRE(files);
    REQUIRE(files->size() == 1);
    file = files->front();
  }

  [[nodiscard]] AuditLogOptions options() const {
    AuditLogOptions o;
    o.dir = dir.path();
    o.product_version = "test";
    o.checkpoint_every_records = 4;
    return o;
  }

  // Drops the close checkpoint: the file now ends as a crashed writer's does. Returns the
  // sequence of the last record left.
  std::uint64_t crash() const {
    auto lines = read_lines(file);
    REQUIRE(json::parse(lines.back())["unmapped"]["checkpoint"]["reason"] == "close");
    lines.pop_back();
    write_lines(file, lines);
    return json::parse(lines.back())["metadata"]["sequence"].get<std::uint64_t>();
  }

  [[nodiscard]] VerifyReport verify() const {
    auto report = verify_files({dir.path()}, VerifyOptions{});
    REQUIRE(report);
    return *report;
  }

  [[nodiscard]] std::vector<json> records() const {
    std::vector<json> out;
    auto n = scan_records(dir.path(), [&](const json& r) { out.push_back(r); });
    REQUIRE(n);
    return out;
  }
};

const json* recovery_record(const std::vector<json>& records) {
  const json* found = nullptr;
  for (const auto& r : records) {
    if (r["unmapped"]["kind"] == "recovery") {
      found = &r;
    }
  }
  return found;
}

// The part of a record line a write cut short leaves behind.
std::string torn_record(const Log& log) {
  const auto lines = read_lines(log.file);
  return lines[1].substr(0, 50);
}

}  // namespace

TEST_CASE("verify: a log whose newest file ends with NUL bytes is intact, and the tail is noted",
          "[audit][zero_tail]") {
  Log log;
  const auto lines = read_lines(log.file);
  append_bytes(log.file, nuls(kTail));
  const auto report = log.verify();
  INFO((report.problem ? report.problem->message : std::string()));
  CHECK(report.intact());
  CHECK(report.records == lines.size());
  CHECK(report.unwritten_bytes == kTail);
  bool noted = false;
  for (const auto& note : report.notes) {
    noted = noted || note.find("unwritten tail of 4096 NUL bytes") != std::string::npos;
  }
  CHECK(noted);
}

TEST_CASE("verify: a torn record followed by NUL bytes is reported exactly as the torn record "
          "alone",
          "[audit][zero_tail]") {
  Log log;
  append_bytes(log.file, torn_record(log));
  const auto torn = log.verify();
  REQUIRE(torn.problem);
  REQUIRE(torn.problem->kind == Tamper::Truncated);
  append_bytes(log.file, nuls(kTail));
  const auto with_tail = log.verify();
  REQUIRE(with_tail.problem);
  CHECK(with_tail.problem->kind == Tamper::Truncated);
  CHECK(with_tail.problem->file == torn.problem->file);
  CHECK(with_tail.problem->line == torn.problem->line);
  CHECK(with_tail.problem->message == torn.problem->message);
  CHECK(with_tail.records == torn.records);
}

TEST_CASE("verify: a byte that is not NUL after the first NUL is damage, named with its file and "
          "byte offset",
          "[audit][zero_tail]") {
  struct Case {
    const char* what;
    bool torn_before;
    std::string after_nuls;
  };
  const auto c = GENERATE(values<Case>({
      {"one stray byte", false, "x"},
      {"a complete line", false, "{\"a\":1}\n"},
      {"after a torn record", true, "x"},
  }));
  INFO(c.what);
  Log log;
  const auto lines = read_lines(log.file);
  const std::string torn = c.torn_before ? torn_record(log) : std::string();
  append_bytes(log.file, torn + nuls(kTail) + c.after_nuls + nuls(10));
  const std::uint64_t data_end = std::filesystem::file_size(log.file) - kTail -
                                 c.after_nuls.size() - 10;
  const auto report = log.verify();
  REQUIRE(report.problem);
  INFO(report.problem->message);
  CHECK(report.problem->kind == Tamper::Altered);
  CHECK(report.problem->file == log.file.string());
  CHECK(report.problem->line == lines.size() + 1);
  CHECK(report.problem->message.find("damaged: byte offset " + std::to_string(data_end + kTail)) !=
        std::string::npos);
  CHECK(report.problem->message.find("data ends at byte offset " + std::to_string(data_end)) !=
        std::string::npos);
}

TEST_CASE("recovery: after a NUL tail the chain continues and no record bytes are counted as cut",
          "[audit][zero_tail][recovery]") {
  Log log;
  const std::uint64_t last_good = log.crash();
  const std::uint64_t data = std::filesystem::file_size(log.file);
  append_bytes(log.file, nuls(kTail));

  auto recovered = recover_log({log.file});
  REQUIRE(recovered);
  CHECK(recovered->good_end == data);
  CHECK(recovered->data_end == data);
  CHECK(recovered->file_size == data + kTail);
  CHECK(recovered->unwritten_bytes == kTail);
  CHECK(recovered->torn_bytes() == 0);
  CHECK(recovered->torn_reason.empty());
  CHECK(recovered->tip.sequence == last_good);

  auto opened = AuditLog::open(log.options());
  REQUIRE(opened);
  REQUIRE(append_sync(**opened, sample_decision(42)));
  (*opened)->close();
  CHECK(log.verify().intact());
  CHECK(read_all(log.file).find('\0') == std::string::npos);
  const auto records = log.records();
  const json* recovery = recovery_record(records);
  REQUIRE(recovery != nullptr);
  CHECK((*recovery)["unmapped"]["recovery"]["last_good_sequence"] == last_good);
}

TEST_CASE("recovery: a torn record followed by NUL bytes is cut, and the cut leaves out the NULs",
          "[audit][zero_tail][recovery]") {
  Log log;
  const std::uint64_t last_good = log.crash();
  const std::uint64_t data = std::filesystem::file_size(log.file);
  const std::string torn = torn_record(log);
  append_bytes(log.file, torn + nuls(kTail));

  auto recovered = recover_log({log.file});
  REQUIRE(recovered);
  CHECK(recovered->good_end == data);
  CHECK(recovered->data_end == data + torn.size());
  CHECK(recovered->unwritten_bytes == kTail);
  CHECK(recovered->torn_bytes() == torn.size());
  CHECK(recovered->torn_reason.find("truncated") == 0);
  CHECK(recovered->torn_reason.find(std::to_string(torn.size()) + " bytes") != std::string::npos);

  auto opened = AuditLog::open(log.options());
  REQUIRE(opened);
  REQUIRE(append_sync(**opened, sample_decision(42)));
  (*opened)->close();
  CHECK(log.verify().intact());
  CHECK(read_all(log.file).find('\0') == std::string::npos);
  const auto records = log.records();
  const json* recovery = recovery_record(records);
  REQUIRE(recovery != nullptr);
  CHECK((*recovery)["unmapped"]["recovery"]["last_good_sequence"] == last_good);
}

TEST_CASE("recovery: a newest file holding only NUL bytes (reserved, then a crash) continues the "
          "chain from the file before it",
          "[audit][zero_tail][recovery]") {
  Log log;
  const auto lines = read_lines(log.file);
  const std::uint64_t last_sequence =
      json::parse(lines.back())["metadata"]["sequence"].get<std::uint64_t>();
  const auto reserved = log.dir.path() / "audit-29991231-235959.jsonl";
  append_bytes(reserved, nuls(kTail));

  auto recovered = recover_log({log.file, reserved});
  REQUIRE(recovered);
  CHECK(recovered->last_file == reserved);
  CHECK(recovered->good_end == 0);
  CHECK(recovered->data_end == 0);
  CHECK(recovered->unwritten_bytes == kTail);
  CHECK(recovered->torn_bytes() == 0);
  CHECK(recovered->tip.sequence == last_sequence);

  auto opened = AuditLog::open(log.options());
  REQUIRE(opened);
  REQUIRE(append_sync(**opened, sample_decision(42)));
  (*opened)->close();
  CHECK(log.verify().intact());
  const std::string written = read_all(reserved);
  CHECK(written.find('\0') == std::string::npos);
  CHECK(json::parse(read_lines(reserved).front())["metadata"]["sequence"] == last_sequence + 1);
}

TEST_CASE("recovery: bytes that are not NUL after the NUL tail are damage: open refuses and "
          "leaves the file as it was",
          "[audit][zero_tail][recovery]") {
  struct Case {
    const char* what;
    bool torn_before;
    bool record_after;  // a copy of a complete record after the NULs, else one stray byte
  };
  const auto c = GENERATE(values<Case>({
      {"a stray byte", false, false},
      {"a complete record", false, true},
      {"a torn record, then a stray byte", true, false},
  }));
  INFO(c.what);
  Log log;
  log.crash();
  const auto lines = read_lines(log.file);
  const std::string after = c.record_after ? lines.back() + "\n" : std::string("x");
  append_bytes(log.file,
               (c.torn_before ? torn_record(log) : std::string()) + nuls(kTail) + after);
  const std::string before = read_all(log.file);

  auto recovered = recover_log({log.file});
  REQUIRE_FALSE(recovered);
  CHECK(recovered.error().message.find("damaged") != std::string::npos);
  auto opened = AuditLog::open(log.options());
  REQUIRE_FALSE(opened);
  INFO(opened.error().message);
  CHECK(opened.error().message.find("damaged") != std::string::npos);
  CHECK(opened.error().message.find(log.file.filename().string()) != std::string::npos);
  CHECK(opened.error().message.find("byte offset") != std::string::npos);
  CHECK(read_all(log.file) == before);
}

// The writer's start() reports RecoveredLog::torn_bytes() as cut_bytes, and cuts the file to
// good_end whenever anything (a torn record, NULs) follows it.
TEST_CASE("recovery records report as cut only the torn bytes, never the NUL tail",
          "[audit][zero_tail][recovery]") {
  SECTION("NUL tail only: an unclean shutdown with nothing cut") {
    Log log;
    log.crash();
    append_bytes(log.file, nuls(kTail));
    auto opened = AuditLog::open(log.options());
    REQUIRE(opened);
    (*opened)->close();
    const auto records = log.records();
    const json* recovery = recovery_record(records);
    REQUIRE(recovery != nullptr);
    CHECK((*recovery)["unmapped"]["recovery"]["reason"] == "unclean shutdown");
    CHECK((*recovery)["unmapped"]["recovery"]["cut_bytes"] == 0);
    CHECK(read_all(log.file).find('\0') == std::string::npos);
  }
  SECTION("a torn record and a NUL tail: only the torn record is cut") {
    Log log;
    log.crash();
    const std::string torn = torn_record(log);
    append_bytes(log.file, torn + nuls(kTail));
    auto opened = AuditLog::open(log.options());
    REQUIRE(opened);
    (*opened)->close();
    const auto records = log.records();
    const json* recovery = recovery_record(records);
    REQUIRE(recovery != nullptr);
    CHECK((*recovery)["unmapped"]["recovery"]["reason"] == "torn tail cut");
    CHECK((*recovery)["unmapped"]["recovery"]["cut_bytes"] == torn.size());
    CHECK(read_all(log.file).find('\0') == std::string::npos);
  }
  SECTION("a clean close followed by a NUL tail needs no recovery record, and the tail goes") {
    Log log;
    append_bytes(log.file, nuls(kTail));
    auto opened = AuditLog::open(log.options());
    REQUIRE(opened);
    CHECK((*opened)->stats().recoveries == 0);
    (*opened)->close();
    const auto records = log.records();
    CHECK(recovery_record(records) == nullptr);
    CHECK(log.verify().intact());
  }
}

TEST_CASE("scan_records reads the records before the NUL tail and nothing after it",
          "[audit][zero_tail]") {
  Log log;
  const auto lines = read_lines(log.file);
  const auto expected = log.records().size();
  REQUIRE(expected == lines.size());
  // A record after the first NUL is not data (damage, or a write in flight over the tail).
  append_bytes(log.file, torn_record(log) + nuls(kTail) + "\n" + lines[2] + "\n");
  CHECK(log.records().size() == expected);
}

TEST_CASE("an inclusion proof is built from a log with a NUL tail, and not from a damaged one",
          "[audit][zero_tail]") {
  Log log;
  append_bytes(log.file, nuls(kTail));
  auto proof = build_inclusion_proof({log.file}, 3);
  REQUIRE(proof);
  CHECK(verify_inclusion_proof(*proof, nullptr, read_lines(log.file)[2]).valid);
  append_bytes(log.file, "x");
  auto damaged = build_inclusion_proof({log.file}, 3);
  REQUIRE_FALSE(damaged);
  CHECK(damaged.error().message.find("damaged") != std::string::npos);
}
