// RFC 8785 (JCS) text primitives shared by the audit module's canonicaliser and verifier and the
// policy module's Cedar-request writer (portcullis/common/jcs_text.hpp).
#include "portcullis/common/jcs_text.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace portcullis {
namespace {

// Integers up to 2^53 are exact doubles, so their ECMAScript form is their decimal form.
constexpr std::uint64_t kMaxSafeInteger = 9007199254740992ull;

// Decodes one UTF-8 sequence at `s[i]` into a code point (input is valid UTF-8).
char32_t decode_utf8(std::string_view s, std::size_t& i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) {
    ++i;
    return b0;
  }
  int len = (b0 >= 0xF0) ? 4 : (b0 >= 0xE0) ? 3 : 2;
  char32_t cp = b0 & (0x3F >> (len - 1));
  for (int k = 1; k < len && i + static_cast<std::size_t>(k) < s.size(); ++k) {
    cp = (cp << 6) | (static_cast<unsigned char>(s[i + static_cast<std::size_t>(k)]) & 0x3F);
  }
  i += static_cast<std::size_t>(len);
  return cp;
}

// The first UTF-16 code unit of a code point (enough to order two differing code points,
// since a surrogate pair's first unit decides).
std::uint32_t first_unit(char32_t cp) {
  if (cp < 0x10000) {
    return cp;
  }
  return 0xD800 + ((cp - 0x10000) >> 10);
}

std::uint32_t second_unit(char32_t cp) { return 0xDC00 + ((cp - 0x10000) & 0x3FF); }

// True when one of the 8 bytes at `p` needs escaping in JCS: '"', '\\' or a control character
// (SWAR: every lane tested at once). Bytes from 0x80 up are written as they are.
bool has_byte_to_escape(const char* p) { return jcs_escape_lanes(load_8_bytes(p)) != 0; }

bool needs_escape(unsigned char c) { return c < 0x20 || c == '"' || c == '\\'; }

// An integer as ECMAScript prints the nearest double: its decimal digits when `exact` (its
// magnitude is at most 2^53, so the double is the integer itself), else the double's form.
template <typename Integer>
void append_integer_as_number(std::string& out, Integer value, bool exact) {
  if (exact) {
    char buf[24];
    auto res = std::to_chars(buf, buf + sizeof buf, value);
    out.append(buf, static_cast<std::size_t>(res.ptr - buf));
    return;
  }
  append_jcs_number(out, static_cast<double>(value));
}

}  // namespace

bool needs_utf16_order(std::string_view key) {
  return std::any_of(key.begin(), key.end(),
                     [](char c) { return static_cast<unsigned char>(c) >= 0xEE; });
}

bool utf16_less(std::string_view a, std::string_view b) {
  std::size_t i = 0;
  std::size_t j = 0;
  while (i < a.size() && j < b.size()) {
    if (a[i] == b[j] && static_cast<unsigned char>(a[i]) < 0x80) {
      ++i;
      ++j;
      continue;
    }
    const char32_t ca = decode_utf8(a, i);
    const char32_t cb = decode_utf8(b, j);
    if (ca == cb) {
      continue;
    }
    const std::uint32_t ua = first_unit(ca);
    const std::uint32_t ub = first_unit(cb);
    if (ua != ub) {
      return ua < ub;
    }
    return second_unit(ca) < second_unit(cb);
  }
  return (a.size() - i) == 0 && (b.size() - j) != 0;
}

void append_jcs_string(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  const char* const p = text.data();
  const std::size_t n = text.size();
  std::size_t run = 0;  // start of the pending run of bytes that need no escaping
  std::size_t i = 0;
  while (true) {
    // Skip plain bytes, 8 at a time while possible: most strings have nothing to escape.
    while (i + 8 <= n && !has_byte_to_escape(p + i)) {
      i += 8;
    }
    while (i < n && !needs_escape(static_cast<unsigned char>(p[i]))) {
      ++i;
    }
    if (i == n) {
      break;
    }
    const auto c = static_cast<unsigned char>(p[i]);
    out.append(p + run, i - run);
    run = ++i;
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        out += "\\u00";
        out.push_back(kHex[c >> 4]);
        out.push_back(kHex[c & 0xf]);
        break;
    }
  }
  out.append(p + run, n - run);
  out.push_back('"');
}

bool append_jcs_number(std::string& out, double value) {
  if (!std::isfinite(value)) {
    return false;
  }
  if (value == 0) {
    out.push_back('0');  // also for -0 (ECMAScript prints "0")
    return true;
  }
  // Shortest round-trip digits, in scientific form: "-d.ddde+XX".
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, value, std::chars_format::scientific);
  std::string_view sci(buf, static_cast<std::size_t>(res.ptr - buf));
  if (sci.front() == '-') {
    out.push_back('-');
    sci.remove_prefix(1);
  }
  const std::size_t epos = sci.find('e');
  char digits[32];
  std::size_t k = 0;
  for (std::size_t i = 0; i < epos; ++i) {
    if (sci[i] != '.') {
      digits[k++] = sci[i];
    }
  }
  int exp10 = 0;
  std::from_chars(sci.data() + epos + (sci[epos + 1] == '+' ? 2 : 1), sci.data() + sci.size(),
                  exp10);
  // ECMA-262 Number::toString: value = digits × 10^(n−k).
  const int n = exp10 + 1;
  const int ki = static_cast<int>(k);
  if (ki <= n && n <= 21) {
    out.append(digits, k);
    out.append(static_cast<std::size_t>(n - ki), '0');
  } else if (0 < n && n <= 21) {
    out.append(digits, static_cast<std::size_t>(n));
    out.push_back('.');
    out.append(digits + n, k - static_cast<std::size_t>(n));
  } else if (-6 < n && n <= 0) {
    out += "0.";
    out.append(static_cast<std::size_t>(-n), '0');
    out.append(digits, k);
  } else {
    out.push_back(digits[0]);
    if (k > 1) {
      out.push_back('.');
      out.append(digits + 1, k - 1);
    }
    out.push_back('e');
    const int e = n - 1;
    out.push_back(e < 0 ? '-' : '+');
    char ebuf[8];
    auto er = std::to_chars(ebuf, ebuf + sizeof ebuf, e < 0 ? -e : e);
    out.append(ebuf, static_cast<std::size_t>(er.ptr - ebuf));
  }
  return true;
}

void append_jcs_integer(std::string& out, std::int64_t value) {
  const std::uint64_t magnitude =
      value < 0 ? static_cast<std::uint64_t>(-(value + 1)) + 1 : static_cast<std::uint64_t>(value);
  append_integer_as_number(out, value, magnitude <= kMaxSafeInteger);
}

void append_jcs_unsigned(std::string& out, std::uint64_t value) {
  append_integer_as_number(out, value, value <= kMaxSafeInteger);
}

}  // namespace portcullis
