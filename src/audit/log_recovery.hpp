// Start-up recovery of an audit directory: find the last complete, valid record, tell a torn
// tail (a crash in the middle of a write) from damage elsewhere, and give the writer the chain
// state to resume from. Private to the audit module.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "portcullis/audit/verifier.hpp"
#include "portcullis/common/result.hpp"

namespace portcullis::audit::detail {

// The newest file is laid out as: [0, good_end) the good records, [good_end, data_end) a torn
// tail (torn_bytes(): what recovery cuts and reports), [data_end, file_size) the unwritten tail of
// NUL bytes a preallocating writer left (unwritten_bytes: never part of the log, not "cut"; see
// portcullis/audit/file_data.hpp). The writer truncates the file to good_end when file_size >
// good_end, and reports torn_bytes() as the recovery record's cut_bytes.
struct RecoveredLog {
  ChainTip tip;                       // state after the last good record
  std::filesystem::path last_file;    // the newest file
  std::uint64_t good_end = 0;         // its length up to the last good record
  std::uint64_t data_end = 0;         // where its data ends: its first NUL byte, or file_size
  std::uint64_t unwritten_bytes = 0;  // file_size - data_end: its NUL tail
  std::uint64_t file_size = 0;        // its length on disk
  std::string torn_reason;            // why the bytes after good_end are being cut ("" if none)

  // The bytes of a torn record (or of garbage with no complete record in it) after the last good
  // record, NUL tail not counted: what a recovery record reports as cut.
  [[nodiscard]] std::uint64_t torn_bytes() const { return data_end - good_end; }
};

// Reads the newest files of `files` (oldest first, non-empty). Fails when the log is damaged
// anywhere but a torn tail of the newest file: that is evidence, and is never cut. Bytes that are
// not NUL after the NUL tail of the newest file are damage too.
Result<RecoveredLog> recover_log(const std::vector<std::filesystem::path>& files);

}  // namespace portcullis::audit::detail
