// RFC 8785 JSON Canonicalization Scheme (JCS): the text primitives — strings, numbers and the
// UTF-16 order of member names — shared by the audit module (canonicaliser, verifier) and the
// policy module (the Cedar request written straight as canonical text), which must not depend
// on each other. The nlohmann-based canonicaliser itself is portcullis/audit/jcs.hpp.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace portcullis {

// A JSON string literal (with quotes) for UTF-8 `text`, JCS escaping: \" \\ \b \f \n \r \t,
// other controls as \u00xx, everything else as is.
void append_jcs_string(std::string& out, std::string_view text);

// A number in ECMAScript Number.prototype.toString form. Returns false for NaN/infinity.
bool append_jcs_number(std::string& out, double value);
// An integer as ECMAScript prints the nearest double (exact up to 2^53; beyond, the double's
// shortest digits padded with zeros).
void append_jcs_integer(std::string& out, std::int64_t value);
void append_jcs_unsigned(std::string& out, std::uint64_t value);

// True when `a` sorts before `b` comparing UTF-16 code units (both valid UTF-8).
bool utf16_less(std::string_view a, std::string_view b);
// False when byte order of `key` is certainly its UTF-16 order against any other key: UTF-8 byte
// order is code point order, which differs from UTF-16 order only when a supplementary
// character (lead byte F0-F4) meets U+E000..U+FFFF (lead byte EE or EF).
bool needs_utf16_order(std::string_view key);

// Eight bytes of `p` as one word, for the SWAR scans below.
[[nodiscard]] inline std::uint64_t load_8_bytes(const char* p) {
  std::uint64_t v = 0;
  std::memcpy(&v, p, sizeof v);
  return v;
}
// Bit 7 of a byte lane is set where that byte of `v` must be escaped in a JCS string: '"', '\\'
// or a control character (every lane tested at once, no per-byte branch). Bytes from 0x80 up
// are written as they are.
[[nodiscard]] constexpr std::uint64_t jcs_escape_lanes(std::uint64_t v) {
  constexpr std::uint64_t kOnes = 0x0101010101010101ull;
  constexpr std::uint64_t kHigh = 0x8080808080808080ull;
  const auto has_zero = [](std::uint64_t x) { return (x - kOnes) & ~x & kHigh; };
  const std::uint64_t quote = has_zero(v ^ (kOnes * '"'));
  const std::uint64_t backslash = has_zero(v ^ (kOnes * '\\'));
  const std::uint64_t control = (v - kOnes * 0x20) & ~v & kHigh;  // some byte < 0x20
  return quote | backslash | control;
}

}  // namespace portcullis
