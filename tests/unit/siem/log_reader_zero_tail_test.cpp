// The SIEM log reader against a file with an unwritten tail of NUL bytes
// (portcullis/audit/file_data.hpp): it reads up to the first NUL as up to the end of the file,
// and reads the records a writer writes over the NULs later, although the file's size does not
// change.
#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <stop_token>

#include "log_files.hpp"
#include "portcullis/audit/log_reader.hpp"

using portcullis::audit::LogReader;
using portcullis::test::siem_unit::append_bytes;
using portcullis::test::siem_unit::append_records;
using portcullis::test::siem_unit::record_line;
using portcullis::test::siem_unit::TempDir;

namespace {

constexpr const char* kFirst = "audit-20261127-010000.jsonl";
constexpr const char* kSecond = "audit-20261127-020000.jsonl";
constexpr std::size_t kTail = 4096;

std::string nuls(std::size_t n) { return std::string(n, '\0'); }

// Writes `bytes` at `offset` of dir/name in place (over the NUL tail), as a preallocating writer
// does: the file's size does not change.
void write_over(const std::filesystem::path& dir, const std::string& name, std::uint64_t offset,
                const std::string& bytes) {
  const int fd = ::open((dir / name).c_str(), O_WRONLY | O_CLOEXEC);
  REQUIRE(fd >= 0);
  const ssize_t n = ::pwrite(fd, bytes.data(), bytes.size(), static_cast<off_t>(offset));
  ::close(fd);
  REQUIRE(n == static_cast<ssize_t>(bytes.size()));
}

std::vector<std::uint64_t> sequences(const std::vector<portcullis::audit::LogRecord>& records) {
  std::vector<std::uint64_t> out;
  for (const auto& r : records) {
    out.push_back(r.sequence);
  }
  return out;
}

std::uint64_t size_of(const std::filesystem::path& dir, const std::string& name) {
  return std::filesystem::file_size(dir / name);
}

}  // namespace

TEST_CASE("The reader stops at a NUL tail as at the end of the file and reads the records "
          "written over it later",
          "[siem][log_reader][zero_tail]") {
  using namespace std::chrono_literals;
  TempDir dir;
  append_records(dir.path(), kFirst, 1, 2);
  const std::uint64_t data_end = size_of(dir.path(), kFirst);
  append_bytes(dir.path(), kFirst, nuls(kTail));
  const std::uint64_t size = size_of(dir.path(), kFirst);

  LogReader reader(dir.path());
  auto records = reader.read();
  REQUIRE(records);
  CHECK(sequences(*records) == std::vector<std::uint64_t>{1, 2});
  CHECK(reader.position().offset == data_end);
  records = reader.read();
  REQUIRE(records);
  CHECK(records->empty());
  std::stop_source never;
  CHECK_FALSE(reader.wait_for_records(30ms, 10ms, never.get_token()));  // nothing new yet

  const std::string third = record_line(3) + "\n";
  write_over(dir.path(), kFirst, data_end, third);
  REQUIRE(size_of(dir.path(), kFirst) == size);
  // No timing: the byte at the data end is already written when the wait starts.
  CHECK(reader.wait_for_records(5s, 10ms, never.get_token()));
  records = reader.read();
  REQUIRE(records);
  REQUIRE(sequences(*records) == std::vector<std::uint64_t>{3});
  CHECK(records->front().line == record_line(3));
  CHECK(reader.position().offset == data_end + third.size());
}

TEST_CASE("A record being written over the NUL tail is returned once its newline is written",
          "[siem][log_reader][zero_tail]") {
  TempDir dir;
  append_records(dir.path(), kFirst, 1, 1);
  const std::uint64_t data_end = size_of(dir.path(), kFirst);
  append_bytes(dir.path(), kFirst, nuls(kTail));
  LogReader reader(dir.path());
  REQUIRE(reader.read());

  const std::string second = record_line(2);
  write_over(dir.path(), kFirst, data_end, second.substr(0, 10));
  auto records = reader.read();
  REQUIRE(records);
  CHECK(records->empty());
  write_over(dir.path(), kFirst, data_end + 10, second.substr(10));
  records = reader.read();
  REQUIRE(records);
  CHECK(records->empty());  // still no newline
  write_over(dir.path(), kFirst, data_end + second.size(), "\n");
  records = reader.read();
  REQUIRE(records);
  CHECK(sequences(*records) == std::vector<std::uint64_t>{2});
}

TEST_CASE("Bytes after the first NUL are not read until the bytes before them are written",
          "[siem][log_reader][zero_tail]") {
  // A reader can see a write over the tail in flight: a later part already copied, an earlier
  // part still NUL. That is not a record yet (and not an error): the record comes once whole.
  TempDir dir;
  append_records(dir.path(), kFirst, 1, 1);
  const std::uint64_t data_end = size_of(dir.path(), kFirst);
  append_bytes(dir.path(), kFirst, nuls(kTail));
  LogReader reader(dir.path());
  REQUIRE(reader.read());

  const std::string rest = record_line(2) + "\n" + record_line(3) + "\n";
  write_over(dir.path(), kFirst, data_end + 20, rest.substr(20));
  auto records = reader.read();
  REQUIRE(records);
  CHECK(records->empty());
  std::stop_source never;
  using namespace std::chrono_literals;
  CHECK_FALSE(reader.wait_for_records(30ms, 10ms, never.get_token()));
  write_over(dir.path(), kFirst, data_end, rest.substr(0, 20));
  CHECK(reader.wait_for_records(5s, 10ms, never.get_token()));
  records = reader.read();
  REQUIRE(records);
  CHECK(sequences(*records) == std::vector<std::uint64_t>{2, 3});
}

TEST_CASE("A torn record before a NUL tail left in a rotated file counts only its own bytes",
          "[siem][log_reader][zero_tail]") {
  TempDir dir;
  append_records(dir.path(), kFirst, 1, 2);
  append_bytes(dir.path(), kFirst, "{\"metadata\":" + nuls(kTail));
  append_records(dir.path(), kSecond, 3, 4);
  LogReader reader(dir.path());
  auto records = reader.read();
  REQUIRE(records);
  CHECK(sequences(*records) == std::vector<std::uint64_t>{1, 2, 3, 4});
  CHECK(reader.abandoned_tail_bytes() == 12);
}

TEST_CASE("Seeking to a sequence counts only the lines before the NUL tail",
          "[siem][log_reader][zero_tail]") {
  TempDir dir;
  append_records(dir.path(), kFirst, 1, 3);
  const std::uint64_t data_end = size_of(dir.path(), kFirst);
  // Lines after the NULs are not data: seeking past the end must not count them, also when
  // they start the next read (of 256 KiB) after the one that met the first NUL.
  append_bytes(dir.path(), kFirst,
               nuls(256 * 1024 - data_end) + "\n" + record_line(9) + "\n");
  LogReader reader(dir.path());
  REQUIRE(reader.seek_to_sequence(10));
  CHECK(reader.position().offset == data_end);
  CHECK(reader.position().sequence == 3);
  REQUIRE(reader.seek_to_sequence(2));
  auto records = reader.read();
  REQUIRE(records);
  CHECK(sequences(*records) == std::vector<std::uint64_t>{2, 3});
}

TEST_CASE("The last record of the log is the last complete one before the NUL tail",
          "[siem][log_reader][zero_tail]") {
  TempDir dir;
  append_records(dir.path(), kFirst, 1, 3);
  const std::uint64_t data_end = size_of(dir.path(), kFirst);
  // A torn record, a tail longer than one backward read, and a record written after the
  // NULs (a write in flight over them): none of them is the last record yet.
  append_bytes(dir.path(), kFirst,
               "{\"metadata\":" + nuls(200 * 1024) + record_line(5).substr(5) + "\n" + nuls(kTail));
  auto last = portcullis::audit::read_last_audit_record(dir.path());
  REQUIRE(last);
  CHECK(last->sequence == 3);
  CHECK(last->end.file == kFirst);
  CHECK(last->end.offset == data_end);
}
