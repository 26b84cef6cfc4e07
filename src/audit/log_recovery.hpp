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

struct RecoveredLog {
  ChainTip tip;                         // state after the last good record
  std::filesystem::path last_file;      // the newest file
  std::uint64_t good_end = 0;           // its length up to the last good record
  std::uint64_t file_size = 0;          // its length on disk
  std::string torn_reason;              // why the bytes after good_end are being cut ("" if none)
};

// Reads the newest files of `files` (oldest first, non-empty). Fails when the log is damaged
// anywhere but a torn tail of the newest file: that is evidence, and is never cut.
Result<RecoveredLog> recover_log(const std::vector<std::filesystem::path>& files);

}  // namespace portcullis::audit::detail
