// Where the data of an audit file ends: the one rule every reader of audit files applies to a
// file that may end with an unwritten tail of NUL bytes.
//
// The writer may extend the file it is writing with NUL bytes ahead of its data (preallocation:
// records are then written over blocks that already exist, so fdatasync need not update the
// file's size), and cuts the file back to its data when it closes or rotates it. So the newest
// file of a running or crashed writer can end with a run of NUL bytes. A record line never
// contains a NUL byte (JSON escapes U+0000), which gives the rule:
//   - the data of a file ends at its first NUL byte (or at the end of the file);
//   - everything from there to the end of the file is NUL: the **unwritten tail**, never part of
//     the log;
//   - data that does not end with '\n' ends with an incomplete (torn) line, exactly as a file
//     without a NUL tail that ends without '\n';
//   - a byte that is not NUL after the first NUL means the file is **damaged**.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "portcullis/common/result.hpp"

namespace portcullis::audit {

// The length of the data at the start of `bytes`: the offset of its first NUL byte, or
// bytes.size() when it has none.
[[nodiscard]] std::size_t data_length(std::string_view bytes) noexcept;

// What read_lines() does once it reaches the first NUL byte.
enum class TailCheck {
  // Read on to the end of the file and report the first byte that is not NUL (damage). For
  // readers that judge a file at rest: verify, proof, start-up recovery.
  Check,
  // Stop there. For readers that follow a file while it is written (the SIEM reader, `audit tail
  // --follow`) or that do not judge it (scan): bytes after the first NUL may be a write still in
  // flight, which becomes data once the bytes before it are written.
  Stop,
};

// What read_lines() found. Offsets are from the start of the file.
struct FileData {
  std::uint64_t lines_end = 0;  // just after the last '\n' before data_end (= the `from` given
                                // when there is none)
  std::uint64_t data_end = 0;   // the first NUL byte at or after `from`, or the end of the file
  std::uint64_t end = 0;        // the end of the file as read (TailCheck::Stop: data_end)
  std::optional<std::uint64_t> damaged_at;  // TailCheck::Check: the first byte after data_end
                                            // that is not NUL
  std::string torn;  // the bytes from lines_end to data_end: an incomplete last line, or empty

  // NUL bytes after the data (TailCheck::Check; 0 with Stop).
  [[nodiscard]] std::uint64_t unwritten_bytes() const { return end - data_end; }
};

// Reads `fd` (with pread: its file offset is neither used nor moved) from `from`, which must be
// the start of a line, and calls `on_line` with every complete line before the data end, without
// its '\n', in order. The string_view is valid only during the call. `name` names the file in
// errors. Fails only when the file cannot be read. Memory: about one line (buffer of 1 MiB, grown
// for longer lines).
[[nodiscard]] Result<FileData> read_lines(int fd, std::uint64_t from, TailCheck tail,
                                          const std::function<void(std::string_view)>& on_line,
                                          const std::string& name);

// The same for a file by name ("cannot read <file>: <reason>" when it cannot be opened or read).
[[nodiscard]] Result<FileData> read_lines(const std::filesystem::path& file, std::uint64_t from,
                                          TailCheck tail,
                                          const std::function<void(std::string_view)>& on_line);

}  // namespace portcullis::audit
