// LogReader: reads complete audit records from a log directory in order, following rotation.
//
// The SIEM sinks use it to ship the durable log (DESIGN.md "Audit record", sinks): it depends
// only on the on-disk format — files `audit-YYYYMMDD-HHMMSS.jsonl` whose lexical order is their
// chronological order, one record per line, `metadata.sequence` 1, 2, … with no gaps across
// files, files only ever appended to — never on the writer's internals. A last line without its
// '\n' is a record still being written (or a torn tail the writer cuts at recovery): it is not a
// record yet and the reader waits for it. A file's data ends at its first NUL byte: the NUL tail a
// preallocating writer keeps ahead of its records (portcullis/audit/file_data.hpp) is read as the
// end of the file, and records written over it later are read then, although the file's size did
// not change.
//
// Threading: a LogReader is used by one thread at a time (each sink owns one). It never writes.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "portcullis/common/result.hpp"

namespace portcullis::audit {

// Where a reader stands: just after the record numbered `sequence`, whose '\n' ends at byte
// `offset` - 1 of `file` (a bare file name inside the log directory). The default value means
// "before the first record of the log".
struct LogPosition {
  std::string file;            // "" = before the first file
  std::uint64_t offset = 0;    // bytes of `file` already consumed (always at a line boundary)
  std::uint64_t sequence = 0;  // metadata.sequence of the last record consumed; 0 = none

  bool operator==(const LogPosition&) const = default;
};

// One complete record as the file holds it, with the few fields a sink needs.
struct LogRecord {
  std::string line;            // the JSON text, without its '\n'
  std::uint64_t sequence = 0;  // metadata.sequence
  std::string uid;             // metadata.uid
  std::int64_t time_ms = 0;    // `time` (Unix epoch ms); 0 when the record has none
  LogPosition end;             // the position just after this record
};

struct LogReaderLimits {
  std::size_t max_records = 512;                   // records per read()
  std::size_t max_bytes = 4u * 1024 * 1024;        // record bytes per read() (at least one record)
  std::size_t max_line_bytes = 16u * 1024 * 1024;  // longer "lines" are reported as corrupt
};

// True for the names the audit writer gives its files: "audit-" … ".jsonl".
[[nodiscard]] bool is_audit_log_file_name(std::string_view name);

// The log files in `dir`, sorted (= chronological). A missing directory is an empty log.
[[nodiscard]] Result<std::vector<std::string>> list_audit_log_files(
    const std::filesystem::path& dir);

// Extracts metadata.sequence (> 0), metadata.uid (non-empty string) and time from one line.
[[nodiscard]] Result<LogRecord> parse_audit_record_line(std::string_view line);

// The last complete record of the log (sequence 0 when the log is empty), for lag figures.
[[nodiscard]] Result<LogRecord> read_last_audit_record(const std::filesystem::path& dir);

class LogReader {
 public:
  // Reads `dir` starting just after `after` (the default position = from the first record).
  explicit LogReader(std::filesystem::path dir, LogPosition after = {});
  ~LogReader();
  LogReader(const LogReader&) = delete;
  LogReader& operator=(const LogReader&) = delete;
  LogReader(LogReader&& other) noexcept;
  LogReader& operator=(LogReader&& other) noexcept;

  // The complete records available now after position(), across rotated files, up to `limits`;
  // position() moves past them. An empty result means the reader has caught up.
  // Errors (position() stays before the offending record, so a retry sees it again):
  //   - a file cannot be opened or read (other than removed, below);
  //   - a complete line is not an audit record, or is longer than limits.max_line_bytes;
  //   - a sequence does not follow the previous one (records removed, reordered or inserted);
  //   - the current file is now shorter than position().offset (it was rewritten).
  // A file removed before it was read (retention) is skipped with the records it held counted in
  // skipped_records(); the next file's first sequence is then accepted as it is.
  [[nodiscard]] Result<std::vector<LogRecord>> read(const LogReaderLimits& limits = {});

  // Sleeps until the current file grows (or its NUL tail is written over), a newer file appears,
  // `timeout` passes or `stop` is requested, checking every `poll_interval`. True when there may
  // be something to read().
  bool wait_for_records(std::chrono::milliseconds timeout, std::chrono::milliseconds poll_interval,
                        std::stop_token stop);

  // Moves so that `after` is the last record consumed (the persisted cursor of a sink).
  void seek(const LogPosition& after);

  // Moves so that the next record read() returns is `sequence`; when the files that held it
  // have been removed, to the earliest record still present (counted in skipped_records()), and
  // past the end of the log when `sequence` was not written yet.
  [[nodiscard]] Result<void> seek_to_sequence(std::uint64_t sequence);

  [[nodiscard]] const LogPosition& position() const { return position_; }
  [[nodiscard]] const std::filesystem::path& directory() const { return dir_; }
  // Records the reader could not deliver because their file was gone before it got there.
  [[nodiscard]] std::uint64_t skipped_records() const { return skipped_records_; }
  // Bytes of an incomplete last line left behind in a file that was rotated away (a torn tail
  // the writer never finished; a NUL tail after it is not counted); they are not records and are
  // not delivered.
  [[nodiscard]] std::uint64_t abandoned_tail_bytes() const { return abandoned_tail_bytes_; }

 private:
  struct ReadState;
  // false when position_.file no longer exists.
  [[nodiscard]] Result<bool> open_current();
  // true when a limit was reached, false when the file has no further complete line.
  [[nodiscard]] Result<bool> read_current_file(std::vector<LogRecord>& out,
                                               const LogReaderLimits& limits, ReadState& state);
  [[nodiscard]] Result<std::uint64_t> current_size() const;
  // The first log file after position_.file, if any.
  [[nodiscard]] Result<std::optional<std::string>> next_file() const;
  // True when the current file changed size since read() caught up, or a newer file exists.
  [[nodiscard]] bool has_news();
  void move_to_file(const std::string& name);
  void close_current();

  std::filesystem::path dir_;
  LogPosition position_;
  int fd_ = -1;                            // open descriptor of position_.file, or -1
  std::string open_name_;                  // the file fd_ refers to
  bool accept_any_next_sequence_ = false;  // after a removed file: no continuity check once
  std::uint64_t skipped_records_ = 0;
  std::uint64_t abandoned_tail_bytes_ = 0;
  std::uint64_t observed_size_ = 0;  // size of the current file when read() last caught up
  std::uint64_t observed_data_end_ = 0;  // where its data ended then (its first NUL byte, or
                                         // observed_size_)
};

}  // namespace portcullis::audit
