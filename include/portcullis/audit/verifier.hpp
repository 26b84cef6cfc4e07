// Verification of an audit log: sequence continuity, every fingerprint and prev_event link,
// chaining across rotated files, every checkpoint's Merkle root and (given the public key) its
// signature. Streaming: memory does not grow with the log.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "portcullis/audit/digest.hpp"
#include "portcullis/audit/file_data.hpp"
#include "portcullis/audit/merkle.hpp"
#include "portcullis/common/result.hpp"

namespace portcullis::audit {

class VerifyingKey;

namespace detail {
class JsonTape;
}

enum class Tamper { Altered, Removed, Reordered, Inserted, Truncated, BadSignature };
const char* to_string(Tamper kind);

// The first bad record.
struct VerifyProblem {
  Tamper kind = Tamper::Altered;
  std::string file;
  std::uint64_t line = 0;                  // 1-based line in `file`
  std::optional<std::uint64_t> sequence;   // metadata.sequence, when it could be read
  std::string message;
};

struct VerifyOptions {
  const VerifyingKey* public_key = nullptr;  // null: signatures are not checked (and we say so)
  // The files are a contiguous part of a longer log: allow the first record to link to an
  // earlier one that is not given (older files deleted by retention), and the last file to
  // end with a rotation checkpoint.
  bool partial = false;
};

struct VerifyReport {
  std::optional<VerifyProblem> problem;  // empty: intact
  std::uint64_t files = 0;
  std::uint64_t records = 0;
  std::uint64_t checkpoints = 0;          // checkpoint roots checked
  std::uint64_t signatures_checked = 0;
  bool signatures_skipped = false;        // no public key was given
  std::uint64_t first_sequence = 0;
  std::uint64_t last_sequence = 0;
  std::string chain_uid;
  std::uint64_t unwritten_bytes = 0;      // NUL bytes after the data of the files (file_data.hpp):
                                          // not part of the log, not tampering
  std::vector<std::string> notes;         // things worth saying that are not tampering
  [[nodiscard]] bool intact() const { return !problem.has_value(); }
};

// The chain state after the last good record: what a writer resumes from.
struct ChainTip {
  bool started = false;
  std::string chain_uid;
  std::uint64_t sequence = 0;
  std::string uid;
  Digest fingerprint{};
  bool tree_known = false;          // false only when verifying a part of a log before its
  MerkleFrontier tree;              // first checkpoint
  std::string last_kind;            // unmapped.kind of the last record
  std::string last_checkpoint_reason;
  std::string next_file;            // set when the last record is a rotation checkpoint
  std::uint64_t records_since_checkpoint = 0;
};

// Verifies records fed to it line by line, in log order. Used by verify_files, by the writer's
// crash recovery and by the fuzzer. Once a problem is found the rest only serves to classify it
// (a missing record found later means "reordered" rather than "removed").
class ChainVerifier {
 public:
  explicit ChainVerifier(VerifyOptions options);
  ~ChainVerifier();
  ChainVerifier(const ChainVerifier&) = delete;
  ChainVerifier& operator=(const ChainVerifier&) = delete;

  void begin_file(std::string name);
  // One line without its '\n'; `complete` is false for bytes after the last newline of a file.
  // Returns false once a problem has been found.
  bool feed_line(std::string_view line, bool complete);
  // The file's data ends at byte `data_end` (its first NUL byte), but byte `at` after it is not
  // NUL: the file is damaged (reported as altered, at the line after the last complete one).
  void damaged_tail(std::uint64_t data_end, std::uint64_t at);
  // The file ends with `bytes` NUL bytes after its data (file_data.hpp): counted and noted.
  void unwritten_tail(std::uint64_t bytes);
  // Ends the input and returns the report.
  VerifyReport finish();

  // Called after every record accepted, with the new tip and the record's line.
  void set_record_observer(std::function<void(const ChainTip&, std::string_view)> observer) {
    observer_ = std::move(observer);
  }

  [[nodiscard]] bool failed() const { return report_.problem.has_value(); }
  [[nodiscard]] const ChainTip& tip() const { return tip_; }
  [[nodiscard]] std::uint64_t line() const { return line_; }

 private:
  void problem(Tamper kind, std::uint64_t line, std::optional<std::uint64_t> seq,
               std::string message, const std::string* file = nullptr);
  void look_ahead(std::string_view line);
  bool check_checkpoint(std::uint32_t checkpoint, std::uint64_t seq, std::int64_t time);

  VerifyOptions options_;
  VerifyReport report_;
  ChainTip tip_;
  std::unique_ptr<detail::JsonTape> tape_;
  Sha256 hasher_;
  std::string canonical_;
  std::string file_;
  std::uint64_t line_ = 0;
  // The record before the tip, and where the tip is: to name an earlier record as the culprit.
  std::string prev2_uid_;
  Digest prev2_fingerprint_{};
  std::string tip_file_;
  std::uint64_t tip_line_ = 0;
  std::string rotation_file_;          // the file whose rotation checkpoint named next_file
  std::optional<std::uint64_t> searching_for_;  // a missing sequence being looked for
  std::function<void(const ChainTip&, std::string_view)> observer_;
};

// Verifies the files in the order given (a directory stands for its audit-*.jsonl files in
// name order). Fails (Error) only when a file cannot be read; tampering is in the report.
Result<VerifyReport> verify_files(const std::vector<std::filesystem::path>& files,
                                  const VerifyOptions& options);

// The audit-YYYYMMDD-HHMMSS.jsonl files of a directory, oldest first.
Result<std::vector<std::filesystem::path>> list_log_files(const std::filesystem::path& dir);

// Reads `file` and feeds it to `verifier` line by line, up to the end of its data (file_data.hpp):
// a byte that is not NUL after the data is reported as damage, then the bytes after the last
// '\n' as a torn line, and the NUL tail as a note. `good_end` is set to the byte offset just
// after the last record accepted without a problem. Fails only on read errors.
Result<FileData> feed_file(ChainVerifier& verifier, const std::filesystem::path& file,
                           std::uint64_t& good_end);

}  // namespace portcullis::audit
