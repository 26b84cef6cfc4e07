// Strict JSON text parsing for entities and requests: syntax errors with line:column, duplicate
// object keys refused (a later key must not silently win), nesting depth bounded.
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace portcullis::policy {

struct JsonError {
  std::uint32_t line = 0;  // 0 when the position is unknown
  std::uint32_t column = 0;
  std::string message;
};

// Parses `text` into `out`; on failure fills `error` and returns false. Never throws. Every
// failure has a position: syntax errors where nlohmann stopped, too-deep nesting at the bracket
// that went over `max_depth`, a duplicate key at its second occurrence.
bool parse_json_text(std::string_view text, int max_depth, nlohmann::json& out, JsonError& error);

// Byte offsets of the parts of a JSON text that parse_json_text accepted, for diagnostics that
// name a position inside a value nlohmann has already parsed (nlohmann keeps no positions).
// It scans on demand, so only error paths pay; on text that is not valid JSON the offsets are
// meaningless but stay within the text. Views `text`, which must outlive it.
class JsonTextMap {
 public:
  struct Member {
    std::string key;  // decoded, as nlohmann has it
    std::size_t key_offset = 0;
    std::size_t value_offset = 0;
  };

  explicit JsonTextMap(std::string_view text) : text_(text) {}

  // The first byte of the document's value (after a UTF-8 byte order mark and white space).
  [[nodiscard]] std::size_t root() const;
  // The first byte of each element of the array whose '[' is at `offset`.
  [[nodiscard]] std::vector<std::size_t> elements(std::size_t offset) const;
  // Each member of the object whose '{' is at `offset`, in text order.
  [[nodiscard]] std::vector<Member> members(std::size_t offset) const;
  // Sets `out` to the member `key` of the object at `offset`; false when there is none.
  [[nodiscard]] bool find_member(std::size_t offset, std::string_view key, Member& out) const;
  // 1-based line and column (counted in bytes, as nlohmann counts them) of `offset`.
  void line_column(std::size_t offset, std::uint32_t& line, std::uint32_t& column) const;

 private:
  [[nodiscard]] std::size_t skip_ws(std::size_t offset) const;
  [[nodiscard]] std::size_t skip_string(std::size_t offset) const;
  [[nodiscard]] std::size_t skip_value(std::size_t offset) const;
  // Calls visit(key_offset or npos, value_offset) for each part of the container at `offset`.
  template <typename Visit>
  void for_each_part(std::size_t offset, Visit visit) const;

  std::string_view text_;
};

}  // namespace portcullis::policy
