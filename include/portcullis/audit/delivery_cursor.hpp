// DeliveryCursor: the persisted position of one SIEM sink in the audit log.
//
// One small file per sink, `<dir>/<sink>.cursor`, holding the last record the sink delivered
// (file, byte offset after it, its sequence). It is replaced atomically — a temporary file is
// written and fsynced, renamed over the old one, and the directory fsynced — so after a crash or
// power loss the cursor is either the old or the new position, never a torn mix. A cursor that
// lags behind what was delivered only causes records to be sent again (receivers de-duplicate
// by metadata.uid); it never runs ahead of delivery.
//
// Threading: one sink thread owns a cursor; nothing is shared.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "portcullis/audit/log_reader.hpp"
#include "portcullis/common/result.hpp"

namespace portcullis::audit {

// The cursor file's content: one JSON object,
// {"version":1,"file":"audit-….jsonl","offset":1234,"sequence":56}.
[[nodiscard]] std::string format_delivery_cursor(const LogPosition& position);
[[nodiscard]] Result<LogPosition> parse_delivery_cursor(std::string_view text);

// Sink names become file names: 1–64 characters of [A-Za-z0-9._-], not starting with '.'.
[[nodiscard]] bool is_valid_sink_name(std::string_view name);

class DeliveryCursor {
 public:
  // Creates `dir` if needed and loads `<dir>/<sink_name>.cursor`; a missing file is the start of
  // the log. A cursor file that cannot be read or parsed is an error, not a silent restart (delete
  // it to deliver the whole log again).
  [[nodiscard]] static Result<DeliveryCursor> open(const std::filesystem::path& dir,
                                                   std::string_view sink_name);

  [[nodiscard]] const LogPosition& position() const { return position_; }
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

  // Durably replaces the stored position (write temp + fsync + rename + fsync directory). On
  // failure the previous file is intact and position() is unchanged.
  [[nodiscard]] Result<void> store(const LogPosition& position);

 private:
  DeliveryCursor(std::filesystem::path path, LogPosition position)
      : path_(std::move(path)), position_(std::move(position)) {}

  std::filesystem::path path_;
  LogPosition position_;
};

}  // namespace portcullis::audit
