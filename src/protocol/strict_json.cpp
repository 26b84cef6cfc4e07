// Strict JSON parsing: one recursive-descent pass over RFC 8259 that checks (see the header for
// what is refused and why) and builds the nlohmann::json the rest of the gateway uses.
//
// Why by hand and not a library (issue 5, measured in bench/bench_protocol.cpp):
// - nlohmann's SAX parser, our previous implementation (kept as the reference the differential
//   test and fuzz target compare against: tests/unit/protocol/strict_json_reference.cpp),
//   copies every string and key into its token buffer, then into a std::string for the SAX
//   call, then we copied every key again to detect duplicates; its integers go through the
//   token buffer and strtoull. That was ~68k instructions per 621-byte MCP body, most of the
//   adapter's cost. It also reads a NUL byte as the end of the input, so `{}` followed by a
//   NUL and anything at all was accepted; here a NUL byte is refused like any other trailing
//   data (the only verdict that differs, and only by refusing more).
// - simdjson (Debian 12 packages 3.0.1) parses into its own tape: we would still walk that tape
//   to build the nlohmann::json and to find duplicate keys (two passes, and the allocations of
//   the DOM are the same), its errors carry no byte offset, it needs a padded copy of the body,
//   and it would be a new dependency. Not measured.
// Here strings without escapes (nearly all of them) are checked 16 bytes at a time and
// copied once, straight into the DOM; duplicate keys are found with a string_view lookup in
// the object being built; integers are accumulated with an overflow check.
#include "portcullis/protocol/strict_json.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <new>
#include <limits>
#include <locale.h>
#include <string>
#include <tuple>
#include <utility>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "portcullis/common/ascii.hpp"
#include "portcullis/common/jcs_text.hpp"
#include "portcullis/common/utf8.hpp"

namespace portcullis::protocol {
namespace {

using json = nlohmann::json;

constexpr std::size_t kMaxShownBytes = 64;

// What a byte inside a string literal is: copied as is, the end, an escape, refused (a control
// character must be escaped: RFC 8259 §7), or the lead of a UTF-8 sequence to validate.
enum class StringByte : unsigned char { Plain, Quote, Backslash, Control, NonAscii };

constexpr std::array<StringByte, 256> make_string_byte_classes() {
  std::array<StringByte, 256> classes{};
  for (std::size_t b = 0; b < 256; ++b) {
    classes[b] = b < 0x20    ? StringByte::Control
                 : b == '"'  ? StringByte::Quote
                 : b == '\\' ? StringByte::Backslash
                 : b >= 0x80 ? StringByte::NonAscii
                             : StringByte::Plain;
  }
  return classes;
}
constexpr std::array<StringByte, 256> kStringByte = make_string_byte_classes();

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Text from the input for a message: at most kMaxShownBytes, control bytes and quotes as '?',
// so a log line stays one line.
std::string printable(std::string_view text) {
  std::string out;
  for (char c : text.substr(0, kMaxShownBytes)) {
    out += (static_cast<unsigned char>(c) < 0x20 || c == '"') ? '?' : c;
  }
  return text.size() > kMaxShownBytes ? out + "..." : out;
}

std::string describe_byte(char c) {
  const auto b = static_cast<unsigned char>(c);
  if (b >= 0x21 && b < 0x7F) {
    return std::string("'") + c + "'";
  }
  static constexpr char kHex[] = "0123456789ABCDEF";
  return std::string("byte 0x") + kHex[b >> 4] + kHex[b & 15];
}

// strtod in the "C" locale, whatever the process locale: only for numbers std::from_chars
// reports out of range, to tell an underflow (a zero, accepted as nlohmann did) from an
// overflow (refused).
double strtod_c_locale(const std::string& text) {
  static const locale_t c_locale = newlocale(LC_NUMERIC_MASK, "C", locale_t{});
  return strtod_l(text.c_str(), nullptr, c_locale);
}

class StrictParser {
 public:
  StrictParser(std::string_view text, std::uint32_t max_depth)
      : begin_(text.data()), p_(text.data()), end_(text.data() + text.size()),
        max_depth_(max_depth) {}

  // Parses the whole text into `out`; false with error() set otherwise.
  bool parse_document(json& out) {
    skip_whitespace();
    if (!parse_value(out)) {
      return false;
    }
    skip_whitespace();
    if (p_ != end_) {
      return refuse_here("unexpected " + describe_byte(*p_) + " after the JSON value");
    }
    return true;
  }

  [[nodiscard]] std::string& error() { return error_; }

 private:
  // Which string is being read: refusals of U+0000 name it, as the previous parser did.
  enum class StringRole { Value, Key };

  bool parse_value(json& out) {
    if (p_ == end_) {
      return refuse_here("unexpected end of input; expected a value");
    }
    switch (*p_) {
      case '{':
        return parse_object(out);
      case '[':
        return parse_array(out);
      case '"':
        return parse_string_value(out);
      case 't':
        return parse_literal("true", json(true), out);
      case 'f':
        return parse_literal("false", json(false), out);
      case 'n':
        return parse_literal("null", json(nullptr), out);
      default:
        if (*p_ == '-' || is_digit(*p_)) {
          return parse_number(out);
        }
        return refuse_here("unexpected " + describe_byte(*p_) + "; expected a value");
    }
  }

  bool parse_object(json& out) {
    out = json(json::value_t::object);
    auto& members = *out.get_ptr<json::object_t*>();
    if (const Opened opened = open_container('}'); opened != Opened::Items) {
      return opened == Opened::Empty;  // refused: false, with error() set
    }
    for (;;) {
      if (p_ == end_ || *p_ != '"') {
        return refuse_expected("a string (object key)");
      }
      ++p_;
      std::string_view key;
      if (!scan_string(key, StringRole::Key)) {
        return false;
      }
      // Keys are compared after unescaping ("a" and "\u0061" collide), against the keys of
      // this object only. One search: emplace_hint inserts nothing when the key is there
      // already, so an unchanged size is a duplicate (the hint, the end, makes keys that come
      // in order cost one comparison).
      const std::size_t before = members.size();
      const auto slot = members.emplace_hint(members.end(), std::piecewise_construct,
                                             std::forward_as_tuple(key), std::forward_as_tuple());
      if (members.size() == before) {
        return refuse("duplicate object key \"" + printable(key) + "\"");
      }
      skip_whitespace();
      if (p_ == end_ || *p_ != ':') {
        return refuse_expected("':'");
      }
      ++p_;
      skip_whitespace();
      if (!parse_value(slot->second)) {
        return false;
      }
      switch (after_item('}', "',' or '}'")) {
        case Next::More:
          continue;
        case Next::Closed:
          return true;
        case Next::Refused:
          return false;
      }
    }
  }

  bool parse_array(json& out) {
    out = json(json::value_t::array);
    auto& items = *out.get_ptr<json::array_t*>();
    if (const Opened opened = open_container(']'); opened != Opened::Items) {
      return opened == Opened::Empty;  // refused: false, with error() set
    }
    for (;;) {
      items.emplace_back();
      if (!parse_value(items.back())) {
        return false;
      }
      switch (after_item(']', "',' or ']'")) {
        case Next::More:
          continue;
        case Next::Closed:
          return true;
        case Next::Refused:
          return false;
      }
    }
  }

  // What follows a member or an element: a ',' and more, or the closing bracket (the nesting
  // level is left), or anything else, refused.
  enum class Next { More, Closed, Refused };
  Next after_item(char close, const char* expected) {
    skip_whitespace();
    if (p_ != end_ && *p_ == ',') {
      ++p_;
      skip_whitespace();
      return Next::More;
    }
    if (p_ != end_ && *p_ == close) {
      ++p_;
      --depth_;
      return Next::Closed;
    }
    (void)refuse_expected(expected);
    return Next::Refused;
  }

  bool parse_string_value(json& out) {
    ++p_;  // '"'
    std::string_view text;
    if (!scan_string(text, StringRole::Value)) {
      return false;
    }
    // Built whole and moved in: assign() onto an empty string takes the general replace path.
    out = json::string_t(text.data(), text.size());
    return true;
  }

  // Reads a string literal from just after its opening quote to just after its closing one.
  // `text` is the decoded string: a slice of the input when it has no escape, else scratch_
  // (valid until the next string is read), which collects the text from the first escape on.
  bool scan_string(std::string_view& text, StringRole role) {
    const char* const start = p_;
    bool escaped = false;
    for (;;) {
      const char* const run = p_;
      skip_plain_ascii();
      if (escaped) {
        scratch_.append(run, p_);
      }
      if (p_ == end_) {
        return refuse_here("unexpected end of input inside a string");
      }
      switch (kStringByte[static_cast<unsigned char>(*p_)]) {
        case StringByte::Plain:  // skip_plain_ascii stops only before other bytes
          if (escaped) {
            scratch_ += *p_;
          }
          ++p_;
          break;
        case StringByte::Quote:
          text = escaped ? std::string_view(scratch_)
                         : std::string_view(start, static_cast<std::size_t>(p_ - start));
          ++p_;
          return true;
        case StringByte::Backslash:
          if (!escaped) {
            scratch_.assign(start, p_);
            escaped = true;
          }
          if (!decode_escape(role)) {
            return false;
          }
          break;
        case StringByte::Control:
          return refuse_control();
        case StringByte::NonAscii: {
          const char* const lead = p_;
          if (!skip_utf8_sequence()) {
            return false;
          }
          if (escaped) {
            scratch_.append(lead, p_);
          }
          break;
        }
      }
    }
  }

  // Advances over bytes that need no attention (not '"', '\\', a control or non-ASCII),
  // sixteen at a time with SSE2 (every x86-64), then eight at a time.
  void skip_plain_ascii() {
#if defined(__SSE2__)
    const __m128i quote = _mm_set1_epi8('"');
    const __m128i backslash = _mm_set1_epi8('\\');
    const __m128i space = _mm_set1_epi8(0x20);
    while (end_ - p_ >= 16) {
      const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p_));
      // Compared as signed bytes, 0x80..0xFF are negative: one "less than 0x20" finds both
      // the control characters and the non-ASCII bytes.
      const __m128i special =
          _mm_or_si128(_mm_cmplt_epi8(bytes, space),
                       _mm_or_si128(_mm_cmpeq_epi8(bytes, quote), _mm_cmpeq_epi8(bytes, backslash)));
      const auto mask = static_cast<unsigned>(_mm_movemask_epi8(special));
      if (mask != 0) {
        p_ += __builtin_ctz(mask);
        return;
      }
      p_ += 16;
    }
#endif
    constexpr std::uint64_t kHigh = 0x8080808080808080ull;
    while (end_ - p_ >= 8) {
      const std::uint64_t word = load_8_bytes(p_);
      const std::uint64_t special = jcs_escape_lanes(word) | (word & kHigh);
      if (special != 0) {
        // The lowest flagged lane is exact (the borrow trick only adds lanes above a true one).
        p_ += __builtin_ctzll(special) / 8;
        return;
      }
      p_ += 8;
    }
    while (p_ != end_ && kStringByte[static_cast<unsigned char>(*p_)] == StringByte::Plain) {
      ++p_;
    }
  }

  // One well-formed UTF-8 sequence (Unicode Table 3-7: no overlongs, no surrogates, nothing
  // above U+10FFFF) starting at the non-ASCII byte p_.
  bool skip_utf8_sequence() {
    const auto lead = static_cast<unsigned char>(*p_);
    std::ptrdiff_t length = 0;
    unsigned char low = 0x80;
    unsigned char high = 0xBF;
    if (lead >= 0xC2 && lead <= 0xDF) {
      length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      length = 3;
      low = lead == 0xE0 ? 0xA0 : 0x80;   // E0 80..9F would be overlong
      high = lead == 0xED ? 0x9F : 0xBF;  // ED A0..BF would be a surrogate
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      length = 4;
      low = lead == 0xF0 ? 0x90 : 0x80;   // F0 80..8F would be overlong
      high = lead == 0xF4 ? 0x8F : 0xBF;  // F4 90.. would be above U+10FFFF
    } else {
      return refuse_here("invalid UTF-8 (" + describe_byte(*p_) + " cannot start a character)");
    }
    for (std::ptrdiff_t i = 1; i < length; ++i) {
      if (end_ - p_ <= i) {
        return refuse_here("invalid UTF-8 (the input ends inside a character)");
      }
      const auto next = static_cast<unsigned char>(p_[i]);
      const unsigned char min = i == 1 ? low : 0x80;
      const unsigned char max = i == 1 ? high : 0xBF;
      if (next < min || next > max) {
        return refuse_at(p_ + i, "invalid UTF-8 (" + describe_byte(p_[i]) + " after " +
                                     describe_byte(*p_) + ")");
      }
    }
    p_ += length;
    return true;
  }

  // The escape at p_ (a backslash), decoded onto scratch_.
  bool decode_escape(StringRole role) {
    if (end_ - p_ < 2) {
      return refuse_here("unexpected end of input inside a string");
    }
    char decoded = 0;
    switch (p_[1]) {
      case '"':
        decoded = '"';
        break;
      case '\\':
        decoded = '\\';
        break;
      case '/':
        decoded = '/';
        break;
      case 'b':
        decoded = '\b';
        break;
      case 'f':
        decoded = '\f';
        break;
      case 'n':
        decoded = '\n';
        break;
      case 'r':
        decoded = '\r';
        break;
      case 't':
        decoded = '\t';
        break;
      case 'u':
        return decode_unicode_escape(role);
      default:
        return refuse_here("invalid escape \\" + printable(std::string_view(p_ + 1, 1)));
    }
    scratch_ += decoded;
    p_ += 2;
    return true;
  }

  // \uXXXX at p_, or a surrogate pair \uD8xx\uDCxx; a lone surrogate has no meaning every
  // decoder agrees on (replaced, kept, refused), so it is refused.
  bool decode_unicode_escape(StringRole role) {
    int unit = hex4(p_ + 2);
    if (unit < 0) {
      return refuse_here("\\u must be followed by four hex digits");
    }
    auto code_point = static_cast<std::uint32_t>(unit);
    std::ptrdiff_t length = 6;
    if (code_point >= 0xDC00 && code_point <= 0xDFFF) {
      return refuse_here("lone surrogate \\u" + printable(std::string_view(p_ + 2, 4)));
    }
    if (code_point >= 0xD800 && code_point <= 0xDBFF) {
      const int low = (end_ - p_ >= 8 && p_[6] == '\\' && p_[7] == 'u') ? hex4(p_ + 8) : -1;
      if (low < 0xDC00 || low > 0xDFFF) {
        return refuse_here("lone surrogate \\u" + printable(std::string_view(p_ + 2, 4)) +
                           " (not followed by \\uDC00..\\uDFFF)");
      }
      code_point = 0x10000 + ((code_point - 0xD800) << 10) + (static_cast<std::uint32_t>(low) - 0xDC00);
      length = 12;
    }
    if (code_point == 0) {
      // A C upstream would truncate at it: the policy would decide on another string.
      return refuse(role == StringRole::Key ? "object key contains U+0000"
                                            : "string contains U+0000");
    }
    append_utf8(scratch_, code_point);
    p_ += length;
    return true;
  }

  // The value of four hex digits at `at`, or -1 (also when the input ends first).
  int hex4(const char* at) const {
    if (end_ - at < 4) {
      return -1;
    }
    int value = 0;
    for (int i = 0; i < 4; ++i) {
      const int digit = hex_digit_value(at[i]);
      if (digit < 0) {
        return -1;
      }
      value = value * 16 + digit;
    }
    return value;
  }

  // RFC 8259 §6 number. Integers become number_unsigned (non-negative) or number_integer
  // (negative), as nlohmann does; an integer outside the 64-bit range is refused (another
  // parser would round it or keep it exact). Fractions and exponents become doubles, refused
  // when they overflow; an underflow reads as zero.
  bool parse_number(json& out) {
    const char* const start = p_;
    const bool negative = *p_ == '-';
    if (negative) {
      ++p_;
    }
    if (p_ == end_ || !is_digit(*p_)) {
      return refuse_here("a number needs a digit after '-'");
    }
    bool integral = true;
    if (*p_ == '0') {
      ++p_;  // no leading zeros: "01" ends the number at "0", and the '1' is then refused
    } else {
      skip_digits();
    }
    if (p_ != end_ && *p_ == '.') {
      ++p_;
      if (p_ == end_ || !is_digit(*p_)) {
        return refuse_here("a number needs a digit after '.'");
      }
      skip_digits();
      integral = false;
    }
    if (p_ != end_ && (*p_ == 'e' || *p_ == 'E')) {
      ++p_;
      if (p_ != end_ && (*p_ == '+' || *p_ == '-')) {
        ++p_;
      }
      if (p_ == end_ || !is_digit(*p_)) {
        return refuse_here("a number needs a digit in its exponent");
      }
      skip_digits();
      integral = false;
    }
    const std::string_view token(start, static_cast<std::size_t>(p_ - start));
    if (integral) {
      return make_integer(token, negative, out);
    }
    return make_double(token, out);
  }

  bool make_integer(std::string_view token, bool negative, json& out) {
    constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
    std::uint64_t magnitude = 0;
    for (char c : token.substr(negative ? 1 : 0)) {
      const auto digit = static_cast<std::uint64_t>(c - '0');
      if (magnitude > (kMax - digit) / 10) {
        return refuse_at(token.data(), "integer " + printable(token) +
                                           " is outside the 64-bit range");
      }
      magnitude = magnitude * 10 + digit;
    }
    if (!negative) {
      out = static_cast<json::number_unsigned_t>(magnitude);
      return true;
    }
    constexpr std::uint64_t kMinMagnitude = std::uint64_t{1} << 63;  // of INT64_MIN
    if (magnitude > kMinMagnitude) {
      return refuse_at(token.data(), "integer " + printable(token) +
                                         " is outside the 64-bit range");
    }
    // -magnitude in two's complement, without the signed overflow of negating INT64_MIN.
    out = static_cast<json::number_integer_t>(0 - magnitude);
    return true;
  }

  bool make_double(std::string_view token, json& out) {
    double value = 0;
    const auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), value);
    if (ec == std::errc::result_out_of_range) {
      value = strtod_c_locale(std::string(token));
    } else if (ec != std::errc() || end != token.data() + token.size()) {
      // The grammar was checked above; from_chars reads the same grammar.
      return refuse_at(token.data(), "number " + printable(token) + " cannot be read");
    }
    if (!std::isfinite(value)) {
      return refuse_at(token.data(), "number " + printable(token) + " is out of range");
    }
    out = static_cast<json::number_float_t>(value);
    return true;
  }

  void skip_digits() {
    while (p_ != end_ && is_digit(*p_)) {
      ++p_;
    }
  }

  bool parse_literal(std::string_view word, json value, json& out) {
    if (static_cast<std::size_t>(end_ - p_) < word.size() ||
        std::memcmp(p_, word.data(), word.size()) != 0) {
      return refuse_here("invalid literal; expected " + std::string(word));
    }
    p_ += word.size();
    out = std::move(value);
    return true;
  }

  // RFC 8259 whitespace only: space, tab, line feed, carriage return.
  void skip_whitespace() {
    while (p_ != end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) {
      ++p_;
    }
  }

  bool enter() {
    if (++depth_ > max_depth_) {
      return refuse_here("nesting deeper than " + std::to_string(max_depth_));
    }
    return true;
  }

  // At the '{' or '[' of an object or array: enters one nesting level and steps past the
  // bracket and any whitespace. An empty container's `close` is consumed and the level left.
  enum class Opened { Refused, Empty, Items };
  Opened open_container(char close) {
    if (!enter()) {
      return Opened::Refused;
    }
    ++p_;  // the opening bracket
    skip_whitespace();
    if (p_ != end_ && *p_ == close) {
      ++p_;
      --depth_;
      return Opened::Empty;
    }
    return Opened::Items;
  }

  bool refuse_control() {
    const auto b = static_cast<unsigned char>(*p_);
    static constexpr char kHex[] = "0123456789ABCDEF";
    return refuse_here(std::string("control character U+00") + kHex[b >> 4] + kHex[b & 15] +
                       " in a string must be escaped");
  }
  bool refuse_expected(const char* what) {
    if (p_ == end_) {
      return refuse_here(std::string("unexpected end of input; expected ") + what);
    }
    return refuse_here("unexpected " + describe_byte(*p_) + "; expected " + what);
  }
  bool refuse_here(std::string what) { return refuse_at(p_, std::move(what)); }
  bool refuse_at(const char* at, std::string what) {
    return refuse(std::move(what) + " at byte " + std::to_string(at - begin_));
  }
  // Checks whose subject names the place (the key, U+0000 in a string) keep the message the
  // previous parser gave, which callers' tests and clients' logs already know.
  bool refuse(std::string message) {
    error_ = std::move(message);
    return false;
  }

  const char* const begin_;
  const char* p_;
  const char* const end_;
  const std::uint32_t max_depth_;
  std::uint32_t depth_ = 0;
  std::string scratch_;
  std::string error_;
};

}  // namespace

void release_json(nlohmann::json& value) noexcept {
  if (auto* object = value.get_ptr<json::object_t*>()) {
    for (auto& member : *object) {
      if (member.second.is_structured()) {
        release_json(member.second);
      }
    }
    object->clear();
  } else if (auto* array = value.get_ptr<json::array_t*>()) {
    for (auto& item : *array) {
      if (item.is_structured()) {
        release_json(item);
      }
    }
    array->clear();
  }
}

Result<nlohmann::json> parse_strict_json(std::string_view text, std::uint32_t max_depth) {
  if (text.size() >= 3 && static_cast<unsigned char>(text[0]) == 0xEF &&
      static_cast<unsigned char>(text[1]) == 0xBB && static_cast<unsigned char>(text[2]) == 0xBF) {
    // RFC 8259 §8.1 lets parsers reject a byte-order mark, and some do; others skip it.
    return fail("JSON text starts with a byte-order mark");
  }
  json out;
  StrictParser parser(text, max_depth);
  try {
    if (!parser.parse_document(out)) {
      return fail("invalid JSON: " + std::move(parser.error()));
    }
  } catch (const std::bad_alloc&) {
    // The only exception building the DOM can raise; the body limit keeps it unlikely.
    return fail("invalid JSON: out of memory");
  }
  return out;
}

}  // namespace portcullis::protocol
