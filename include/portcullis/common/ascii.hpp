// ASCII-only text helpers for protocol elements (HTTP field names and values, media types,
// content codings, URL schemes and hosts).
//
// Why not <cctype>: std::tolower and friends depend on the C locale and take an int that must be
// representable as unsigned char, so a byte >= 0x80 in a header is undefined behaviour with a
// plain `char`. Protocol elements are case-insensitive in ASCII only (RFC 9110 §5.1, §8.3.1),
// and a byte outside ASCII must never compare equal to an ASCII letter.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace portcullis {

[[nodiscard]] constexpr char ascii_lower(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

// `s` with every ASCII capital letter lowered; other bytes are copied unchanged.
[[nodiscard]] inline std::string ascii_lowercase(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    c = ascii_lower(c);
  }
  return out;
}

// True when `a` and `b` are equal ignoring ASCII case (and only ASCII case).
[[nodiscard]] constexpr bool ascii_iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (ascii_lower(a[i]) != ascii_lower(b[i])) {
      return false;
    }
  }
  return true;
}

// `s` without leading and trailing optional whitespace: RFC 9110 §5.6.3 OWS is SP and HTAB only
// (not CR, LF, VT or FF, which must stay visible to whoever validates the value).
[[nodiscard]] constexpr std::string_view trim_ows(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

// The value of one hexadecimal digit (either case), or -1 when `c` is not one.
[[nodiscard]] constexpr int hex_digit_value(char c) noexcept {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

// RFC 9110 §5.6.2 tchar: the characters of a token (field names, methods, codings).
[[nodiscard]] constexpr bool is_tchar(char c) noexcept {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
    return true;
  }
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+':
    case '-': case '.': case '^': case '_': case '`': case '|': case '~':
      return true;
    default:
      return false;
  }
}

}  // namespace portcullis
