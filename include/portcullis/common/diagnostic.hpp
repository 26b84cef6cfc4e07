// Diagnostic: one load-time problem with its position (`file:line:column: message`).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace portcullis {

struct Diagnostic {
  std::string file;      // as the user named it; "" when there is no file (stdin, a string)
  std::uint32_t line = 0;    // 1-based; 0 = the whole file
  std::uint32_t column = 0;  // 1-based; 0 = the whole line
  std::string message;

  // "file:line:column: message" (parts that are unknown are left out: "file: message").
  [[nodiscard]] std::string to_string() const;
};

using Diagnostics = std::vector<Diagnostic>;

}  // namespace portcullis
