// Whole-file reads shared by the commands: a named file, or standard input for "-".
#pragma once

#include <istream>
#include <optional>
#include <string>

namespace portcullis::cli {

// The bytes of the file at `path` (binary), or nullopt when it cannot be opened.
[[nodiscard]] std::optional<std::string> read_file(const std::string& path);

// Everything left in `in`.
[[nodiscard]] std::string read_stream(std::istream& in);

// read_file(path), except that "-" reads standard input to its end.
[[nodiscard]] std::optional<std::string> read_input(const std::string& path);

}  // namespace portcullis::cli
