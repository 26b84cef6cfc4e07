#include "portcullis/audit/log_reader.hpp"

#include <catch2/catch.hpp>
#include <thread>

#include "log_files.hpp"

using portcullis::audit::LogPosition;
using portcullis::audit::LogReader;
using portcullis::audit::LogReaderLimits;
using portcullis::test::siem_unit::append_bytes;
using portcullis::test::siem_unit::append_records;
using portcullis::test::siem_unit::record_line;
using portcullis::test::siem_unit::TempDir;

namespace {

constexpr const char* kFirst = "audit-20261127-010000.jsonl";
constexpr const char* kSecond = "audit-20261127-020000.jsonl";
constexpr const char* kThird = "audit-20261127-030000.jsonl";

std::vector<std::uint64_t> sequences(const std::vector<portcullis::audit::LogRecord>& records) {
  std::vector<std::uint64_t> out;
  for (const auto& r : records) {
    out.push_back(r.sequence);
  }
  return out;
}

std::vector<std::uint64_t> range(std::uint64_t first, std::uint64_t last) {
  std::vector<std::uint64_t> out;
  for (auto s = first; s <= last; ++s) {
    out.push_back(s);
  }
  return out;
}

}  // namespace

TEST_CASE("Audit log file names are recognised by prefix and suffix", "[siem][log_reader]") {
  CHECK(portcullis::audit::is_audit_log_file_name("audit-20261127-010000.jsonl"));
  CHECK_FALSE(portcullis::audit::is_audit_log_file_name("audit-.jsonl"));
  CHECK_FALSE(portcullis::audit::is_audit_log_file_name("audit-20261127-010000.jsonl.tmp"));
  CHECK_FALSE(portcullis::audit::is_audit_log_file_name("other-20261127-010000.jsonl"));
  CHECK_FALSE(portcullis::audit::is_audit_log_file_name("audit.lock"));
}

TEST_CASE("A record line yields its sequence, uid and time", "[siem][log_reader]") {
  auto record = portcullis::audit::parse_audit_record_line(record_line(42, 1234));
  REQUIRE(record);
  CHECK(record->sequence == 42);
  CHECK(record->uid == "uid-42");
  CHECK(record->time_ms == 1234);
  CHECK(record->line == record_line(42, 1234));
}

TEST_CASE("Lines that are not audit records are rejected with the reason", "[siem][log_reader]") {
  struct Case {
    std::string line;
    std::string reason;
  };
  const auto c = GENERATE(values<Case>({
      {"not json", "not a JSON object"},
      {"[1,2]", "not a JSON object"},
      {R"({"time":1})", "no metadata object"},
      {R"({"metadata":{"uid":"u"}})", "metadata.sequence is not a positive integer"},
      {R"({"metadata":{"sequence":0,"uid":"u"}})", "metadata.sequence is not a positive integer"},
      {R"({"metadata":{"sequence":"1","uid":"u"}})", "metadata.sequence is not a positive integer"},
      {R"({"metadata":{"sequence":1}})", "metadata.uid is not a non-empty string"},
      {R"({"metadata":{"sequence":1,"uid":""}})", "metadata.uid is not a non-empty string"},
  }));
  auto record = portcullis::audit::parse_audit_record_line(c.line);
  REQUIRE_FALSE(record);
  CHECK(record.error().message == c.reason);
}

TEST_CASE("The reader returns every complete record in order across rotated files",
          "[siem][log_reader]") {
  TempDir dir;
  append_records(dir.path(), kFirst, 1, 3);
  append_records(dir.path(), kSecond, 4, 5);
  append_bytes(dir.path(), "audit.lock", "not a log file\n");
  LogReader reader(dir.path());
  auto records = reader.read();
  REQUIRE(records);
  CHECK(sequences(*records) == range(1, 5));
  CHECK(records->at(2).end.file == kFirst);
  CHECK(records->at(3).end.file == kSecond);
  CHECK(records->at(3).line == record_line(4));
  CHECK(reader.position() == records->back().end);
  auto again = reader.read();
  REQUIRE(again);
  CHECK(again->empty());
}

TEST_CASE("A torn last line is not returned until its newline is written", "[siem][log_reader]") {
  TempDir dir;
  append_records(dir.path(), kFirst, 1, 2);
  const auto third = record_line(3);
  append_bytes(dir.path(), kFirst, third.substr(0, 10));
  LogReader reader(dir.path());
  auto records = reader.read();
  REQUIRE(records);
  CHECK(sequences(*records) == range(1, 2));
  append_bytes(dir.path(), kFirst, third.substr(10));
  records = reader.read();
  REQUIRE(records);
  CHECK(records->empty());  // still no newline
  append_bytes(dir.path(), kFirst, "\n");
  records = reader.read();
  REQUIRE(records);
  REQUIRE(sequences(*records) == range(3, 3));
  CHECK(records->front().line == third);
}

TEST_CASE("A torn tail left in a rotated file is skipped and counted", "[siem][log_reader]") {
  TempDir dir;
  append_records(dir.path(), kFirst, 1, 2);
  append_bytes(dir.path(), kFirst, "{\"metadata\":");  // the writer crashed mid-record
  append_records(dir.path(), kSecond, 3, 4);
  LogReader reader(dir.path());
  auto records = reader.read();
  REQUIRE(records);
  CHECK(sequences(*records) == range(1, 4));
  CHECK(reader.abandoned_tail_bytes() == 12);
}

TEST_CASE("The reader resumes after a position and honours its limits", "[siem][log_reader]") {
  TempDir dir;
  append_records(dir.path(), kFirst, 1, 10);
  LogReader first(dir.path());
  LogReaderLimits limits;
  limits.max_records = 4;
  auto records = first.read(limits);
  REQUIRE(records);
  CHECK(sequences(*records) == range(1, 4));
  LogReader resumed(dir.path(), records->back().end);
  records = resumed.read();
  REQUIRE(records);
  CHECK(sequences(*records) == range(5, 10));
  LogReaderLimits bytes;
  bytes.max_bytes = 1;  // still one record per read
  LogReader tiny(dir.path());
  records = tiny.read(bytes);
  REQUIRE(records);
  CHECK(sequences(*records) == range(1, 1));
}

TEST_CASE("A sequence gap is reported and the reader stays before it", "[siem][log_reader]") {
  TempDir dir;
  append_records(dir.path(), kFirst, 1, 2);
  append_records(dir.path(), kFirst, 4, 4);
  LogReader reader(dir.path());
  auto records = reader.read();
  REQUIRE(records);
  CHECK(sequences(*records) == range(1, 2));  // what came before the gap is delivered
  auto error = reader.read();
  REQUIRE_FALSE(error);
  CHECK_THAT(error.error().message, Catch::Contains("sequence 4 where 3 was expected"));
  CHECK(reader.position().sequence == 2);
}

TEST_CASE("A complete line that is not a record is an error naming the file and byte",
          "[siem][log_reader]") {
  TempDir dir;
  append_records(dir.path(), kFirst, 1, 1);
  append_bytes(dir.path(), kFirst, "garbage\n");
  LogReader reader(dir.path(), LogPosition{kFirst, record_line(1).size() + 1, 1});
  auto error = reader.read();
  REQUIRE_FALSE(error);
  CHECK_THAT(error.error().message,
             Catch::Contains(kFirst) &&
                 Catch::Contains("byte " + std::to_string(record_line(1).size() + 1)));
}

TEST_CASE("A line longer than the limit is an error", "[siem][log_reader]") {
  TempDir dir;
  append_bytes(dir.path(), kFirst, std::string(5000, 'x'));
  LogReaderLimits limits;
  limits.max_line_bytes = 1000;
  LogReader reader(dir.path());
  auto error = reader.read(limits);
  REQUIRE_FALSE(error);
  CHECK_THAT(error.error().message, Catch::Contains("longer than 1000"));
}

TEST_CASE("A file shorter than the position was rewritten and is an error", "[siem][log_reader]") {
  TempDir dir;
  append_records(dir.path(), kFirst, 1, 1);
  LogReader reader(dir.path(), LogPosition{kFirst, 100000, 1});
  auto error = reader.read();
  REQUIRE_FALSE(error);
  CHECK_THAT(error.error().message, Catch::Contains("rewritten"));
}

TEST_CASE("A file removed before it was read is skipped and its records counted",
          "[siem][log_reader]") {
  TempDir dir;
  append_records(dir.path(), kThird, 8, 9);
  // The cursor points into kFirst, which retention removed together with kSecond (3..7).
  LogReader reader(dir.path(), LogPosition{kFirst, 50, 2});
  auto records = reader.read();
  REQUIRE(records);
  CHECK(sequences(*records) == range(8, 9));
  CHECK(reader.skipped_records() == 5);
}

TEST_CASE("Seeking to a sequence finds it in the right file", "[siem][log_reader]") {
  TempDir dir;
  append_records(dir.path(), kFirst, 1, 5);
  append_records(dir.path(), kSecond, 6, 9);
  LogReader reader(dir.path());
  const auto target = GENERATE(as<std::uint64_t>{}, 1, 3, 5, 6, 9);
  REQUIRE(reader.seek_to_sequence(target));
  CHECK(reader.position().sequence == target - 1);
  auto records = reader.read();
  REQUIRE(records);
  CHECK(sequences(*records) == range(target, 9));
}

TEST_CASE("Seeking past the end waits for the next record", "[siem][log_reader]") {
  TempDir dir;
  append_records(dir.path(), kFirst, 1, 3);
  LogReader reader(dir.path());
  REQUIRE(reader.seek_to_sequence(4));
  auto records = reader.read();
  REQUIRE(records);
  CHECK(records->empty());
  append_records(dir.path(), kFirst, 4, 4);
  records = reader.read();
  REQUIRE(records);
  CHECK(sequences(*records) == range(4, 4));
}

TEST_CASE("Seeking before the earliest file on disk starts there and counts the loss",
          "[siem][log_reader]") {
  TempDir dir;
  append_records(dir.path(), kSecond, 6, 7);
  LogReader reader(dir.path());
  REQUIRE(reader.seek_to_sequence(2));
  CHECK(reader.skipped_records() == 4);
  auto records = reader.read();
  REQUIRE(records);
  CHECK(sequences(*records) == range(6, 7));
}

TEST_CASE("The last complete record of the log is found from the end", "[siem][log_reader]") {
  TempDir dir;
  auto empty = portcullis::audit::read_last_audit_record(dir.path());
  REQUIRE(empty);
  CHECK(empty->sequence == 0);
  append_records(dir.path(), kFirst, 1, 3);
  append_bytes(dir.path(), kSecond, "{\"torn");  // the new file has no complete record yet
  auto last = portcullis::audit::read_last_audit_record(dir.path());
  REQUIRE(last);
  CHECK(last->sequence == 3);
  CHECK(last->end.file == kFirst);
  append_bytes(dir.path(), kSecond, "\n");
  auto bad = portcullis::audit::read_last_audit_record(dir.path());
  CHECK_FALSE(bad);
}

TEST_CASE("Waiting for records returns when the file grows or on timeout or stop",
          "[siem][log_reader]") {
  using namespace std::chrono_literals;
  TempDir dir;
  append_records(dir.path(), kFirst, 1, 1);
  LogReader reader(dir.path());
  REQUIRE(reader.read());
  std::stop_source never;
  const auto start = std::chrono::steady_clock::now();
  CHECK_FALSE(reader.wait_for_records(60ms, 10ms, never.get_token()));
  CHECK(std::chrono::steady_clock::now() - start >= 60ms);

  std::thread writer([&] {
    std::this_thread::sleep_for(30ms);
    append_records(dir.path(), kFirst, 2, 2);
  });
  CHECK(reader.wait_for_records(5s, 10ms, never.get_token()));
  writer.join();

  REQUIRE(reader.read());
  std::stop_source stop;
  stop.request_stop();
  CHECK_FALSE(reader.wait_for_records(5s, 10ms, stop.get_token()));
}

TEST_CASE("A newer file wakes a waiting reader", "[siem][log_reader]") {
  using namespace std::chrono_literals;
  TempDir dir;
  append_records(dir.path(), kFirst, 1, 1);
  LogReader reader(dir.path());
  REQUIRE(reader.read());
  append_records(dir.path(), kSecond, 2, 2);
  std::stop_source never;
  CHECK(reader.wait_for_records(1s, 10ms, never.get_token()));
  auto records = reader.read();
  REQUIRE(records);
  CHECK(sequences(*records) == range(2, 2));
}
