// Reading the audit log back at start-up: the gateway rebuilds its quarantine list and the
// session/agent labels from the records (DESIGN.md "Audit record").
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>

#include "portcullis/common/result.hpp"

namespace portcullis::audit {

// Calls `on_record` with every complete record of every audit-*.jsonl file in `dir`, oldest
// first (decision, outcome, admin, checkpoint and recovery records alike; tell them apart by
// record["unmapped"]["kind"]). Lines that are not JSON objects (a torn tail) are skipped, and a
// file's data ends at its first NUL byte (the unwritten tail, portcullis/audit/file_data.hpp). Does
// not verify the chain (that is `portcullis audit verify`) and takes no lock: call it after
// AuditLog::open() (which has cut any torn tail) or on a copy. Files are only ever appended to,
// so reading while the log writes is safe; records appended meanwhile may or may not be seen.
// Returns the number of records passed; fails only when the directory or a file is unreadable.
Result<std::uint64_t> scan_records(const std::filesystem::path& dir,
                                   const std::function<void(const nlohmann::json&)>& on_record);

}  // namespace portcullis::audit
