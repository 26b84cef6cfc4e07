// Strict JSON text parsing for entities and requests: syntax errors with line:column, duplicate
// object keys refused (a later key must not silently win), nesting depth bounded.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace portcullis::policy {

struct JsonError {
  std::uint32_t line = 0;  // 0 when the position is unknown
  std::uint32_t column = 0;
  std::string message;
};

// Parses `text` into `out`; on failure fills `error` and returns false. Never throws.
bool parse_json_text(std::string_view text, int max_depth, nlohmann::json& out, JsonError& error);

}  // namespace portcullis::policy
