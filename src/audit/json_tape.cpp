#include "audit/json_tape.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>

#include "portcullis/audit/jcs.hpp"
#include "portcullis/common/utf8.hpp"

namespace portcullis::audit::detail {

namespace {

int hex4(std::string_view s, std::size_t at) {
  if (at + 4 > s.size()) {
    return -1;
  }
  int v = 0;
  for (std::size_t k = 0; k < 4; ++k) {
    const char c = s[at + k];
    int d = 0;
    if (c >= '0' && c <= '9') {
      d = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      d = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      d = c - 'A' + 10;
    } else {
      return -1;
    }
    v = v * 16 + d;
  }
  return v;
}

// Length of the valid UTF-8 sequence starting at s[i] (lead byte >= 0x80), or 0 if invalid.
std::size_t utf8_sequence(std::string_view s, std::size_t i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  auto cont = [&](std::size_t k) {
    return i + k < s.size() && (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80;
  };
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    return cont(1) ? 2 : 0;
  }
  if (b0 >= 0xE0 && b0 <= 0xEF) {
    if (!cont(1) || !cont(2)) {
      return 0;
    }
    const auto b1 = static_cast<unsigned char>(s[i + 1]);
    if ((b0 == 0xE0 && b1 < 0xA0) || (b0 == 0xED && b1 >= 0xA0)) {
      return 0;  // overlong, or a UTF-16 surrogate encoded in UTF-8
    }
    return 3;
  }
  if (b0 >= 0xF0 && b0 <= 0xF4) {
    if (!cont(1) || !cont(2) || !cont(3)) {
      return 0;
    }
    const auto b1 = static_cast<unsigned char>(s[i + 1]);
    if ((b0 == 0xF0 && b1 < 0x90) || (b0 == 0xF4 && b1 >= 0x90)) {
      return 0;
    }
    return 4;
  }
  return 0;
}

// True when one of the 8 bytes at `p` ends the fast scan of a string: '"', '\\', a control
// character or a non-ASCII byte (SWAR: every lane tested at once, no per-byte branch).
bool has_special_byte(const char* p) {
  constexpr std::uint64_t kHigh = 0x8080808080808080ull;
  const std::uint64_t v = load_8_bytes(p);
  return (jcs_escape_lanes(v) | (v & kHigh)) != 0;
}

// A number literal JCS would write as it is: an integer of at most 15 digits (exact as a double,
// so its ECMAScript form is itself), other than "-0". Anything else (fractions, exponents, longer
// integers) is left to write_number's full conversion.
bool is_canonical_number(std::string_view lit) {
  const std::string_view digits = lit.front() == '-' ? lit.substr(1) : lit;
  return digits.size() <= 15 && lit != "-0" &&
         std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// The four hex digits of a \\u escape of `u` are JCS's own: a control character without a short
// escape (\\b \\t \\n \\f \\r), written in lowercase.
bool is_canonical_u_escape(std::string_view hex4_text, int u) {
  static constexpr char kHex[] = "0123456789abcdef";
  if (u >= 0x20 || u == '\b' || u == '\t' || u == '\n' || u == '\f' || u == '\r') {
    return false;
  }
  return hex4_text[0] == '0' && hex4_text[1] == '0' && hex4_text[2] == kHex[u >> 4] &&
         hex4_text[3] == kHex[u & 0xf];
}

}  // namespace

bool JsonTape::fail(const char* message) {
  error_ = message;
  error_ += " at byte ";
  error_ += std::to_string(pos_);
  return false;
}

void JsonTape::skip_ws() {
  while (pos_ < text_.size()) {
    const char c = text_[pos_];
    if (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
      return;
    }
    ++pos_;
    canonical_ = false;  // JCS has no white space
  }
}

bool JsonTape::parse(std::string_view text) {
  text_ = text;
  pos_ = 0;
  nodes_.clear();
  arena_.clear();
  error_.clear();
  canonical_ = true;
  if (text.size() >= kNone) {
    return fail("document too large");
  }
  skip_ws();
  if (!parse_value(0)) {
    return false;
  }
  skip_ws();
  if (pos_ != text_.size()) {
    return fail("unexpected data after the JSON value");
  }
  return true;
}

bool JsonTape::parse_value(int depth) {
  if (pos_ >= text_.size()) {
    return fail("unexpected end of input");
  }
  const char c = text_[pos_];
  switch (c) {
    case '{':
      return parse_container(depth, NodeType::Object);
    case '[':
      return parse_container(depth, NodeType::Array);
    case '"':
      return parse_string();
    case 't':
      return parse_literal("true", NodeType::True);
    case 'f':
      return parse_literal("false", NodeType::False);
    case 'n':
      return parse_literal("null", NodeType::Null);
    default:
      return parse_number();
  }
}

// An object or an array, from its opening bracket: the same loop, objects reading a member name
// and ':' before each value.
bool JsonTape::parse_container(int depth, NodeType type) {
  if (depth >= kMaxDepth) {
    return fail("nesting too deep");
  }
  const bool object = type == NodeType::Object;
  const char close = object ? '}' : ']';
  const auto self = static_cast<std::uint32_t>(nodes_.size());
  nodes_.push_back(Node{type});
  const std::size_t start = pos_;
  ++pos_;
  skip_ws();
  std::uint32_t count = 0;
  std::uint32_t previous_key = kNone;
  if (pos_ < text_.size() && text_[pos_] == close) {
    ++pos_;
  } else {
    while (true) {
      skip_ws();
      if (object) {
        const auto key = static_cast<std::uint32_t>(nodes_.size());
        if (!parse_member_name()) {
          return false;
        }
        // Canonical members are in strictly increasing order; UTF-16 order is left to the
        // writer (keys from U+E000 up), so such a key makes the text "not known canonical".
        if (canonical_ && ((last_string_non_ascii_ && needs_utf16_order(string(key))) ||
                           (previous_key != kNone && !(string(previous_key) < string(key))))) {
          canonical_ = false;
        }
        previous_key = key;
      }
      if (!parse_value(depth + 1)) {
        return false;
      }
      ++count;
      skip_ws();
      if (pos_ < text_.size() && text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < text_.size() && text_[pos_] == close) {
        ++pos_;
        break;
      }
      return fail(object ? "expected ',' or '}'" : "expected ',' or ']'");
    }
  }
  nodes_[self].count = count;
  nodes_[self].end = static_cast<std::uint32_t>(nodes_.size());
  nodes_[self].off = static_cast<std::uint32_t>(start);
  nodes_[self].len = static_cast<std::uint32_t>(pos_ - start);
  return true;
}

// A member name, the ':' after it and the white space before the value.
bool JsonTape::parse_member_name() {
  if (pos_ >= text_.size() || text_[pos_] != '"') {
    return fail("expected a member name");
  }
  if (!parse_string()) {
    return false;
  }
  skip_ws();
  if (pos_ >= text_.size() || text_[pos_] != ':') {
    return fail("expected ':'");
  }
  ++pos_;
  skip_ws();
  return true;
}

bool JsonTape::parse_literal(std::string_view word, NodeType type) {
  if (text_.substr(pos_, word.size()) != word) {
    return fail("invalid literal");
  }
  Node n{type};
  n.off = static_cast<std::uint32_t>(pos_);
  n.len = static_cast<std::uint32_t>(word.size());
  pos_ += word.size();
  n.end = static_cast<std::uint32_t>(nodes_.size() + 1);
  nodes_.push_back(n);
  return true;
}

bool JsonTape::parse_number() {
  const std::size_t start = pos_;
  auto digit = [&](std::size_t p) { return p < text_.size() && text_[p] >= '0' && text_[p] <= '9'; };
  if (pos_ < text_.size() && text_[pos_] == '-') {
    ++pos_;
  }
  if (!digit(pos_)) {
    return fail("invalid value");
  }
  if (text_[pos_] == '0') {
    ++pos_;
  } else {
    while (digit(pos_)) {
      ++pos_;
    }
  }
  if (pos_ < text_.size() && text_[pos_] == '.') {
    ++pos_;
    if (!digit(pos_)) {
      return fail("invalid number");
    }
    while (digit(pos_)) {
      ++pos_;
    }
  }
  if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
    ++pos_;
    if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-')) {
      ++pos_;
    }
    if (!digit(pos_)) {
      return fail("invalid number");
    }
    while (digit(pos_)) {
      ++pos_;
    }
  }
  Node n{NodeType::Number};
  n.off = static_cast<std::uint32_t>(start);
  n.len = static_cast<std::uint32_t>(pos_ - start);
  if (canonical_ && !is_canonical_number(text_.substr(start, pos_ - start))) {
    canonical_ = false;
  }
  n.end = static_cast<std::uint32_t>(nodes_.size() + 1);
  nodes_.push_back(n);
  return true;
}

bool JsonTape::parse_string() {
  ++pos_;  // opening quote
  const std::size_t start = pos_;
  last_string_non_ascii_ = false;
  // Fast scan: most strings have neither escapes nor non-ASCII bytes; skip 8 plain bytes at a
  // time, then byte by byte from the first special one.
  while (pos_ + 8 <= text_.size() && !has_special_byte(text_.data() + pos_)) {
    pos_ += 8;
  }
  while (pos_ < text_.size()) {
    const auto c = static_cast<unsigned char>(text_[pos_]);
    if (c == '"' || c == '\\' || c < 0x20) {
      break;
    }
    if (c >= 0x80) {
      const std::size_t len = utf8_sequence(text_, pos_);
      if (len == 0) {
        return fail("invalid UTF-8 in string");
      }
      last_string_non_ascii_ = true;
      pos_ += len;
      continue;
    }
    ++pos_;
  }
  if (pos_ >= text_.size()) {
    return fail("unterminated string");
  }
  Node n{NodeType::String};
  if (text_[pos_] == '"') {
    n.off = static_cast<std::uint32_t>(start);
    n.len = static_cast<std::uint32_t>(pos_ - start);
    ++pos_;
    n.end = static_cast<std::uint32_t>(nodes_.size() + 1);
    nodes_.push_back(n);
    return true;
  }
  // Slow path: decode into the arena.
  n.in_arena = true;
  n.off = static_cast<std::uint32_t>(arena_.size());
  arena_.append(text_.data() + start, pos_ - start);
  while (true) {
    if (pos_ >= text_.size()) {
      return fail("unterminated string");
    }
    const auto c = static_cast<unsigned char>(text_[pos_]);
    if (c == '"') {
      ++pos_;
      break;
    }
    if (c < 0x20) {
      return fail("control character in string");
    }
    if (c >= 0x80) {
      const std::size_t len = utf8_sequence(text_, pos_);
      if (len == 0) {
        return fail("invalid UTF-8 in string");
      }
      last_string_non_ascii_ = true;
      arena_.append(text_.data() + pos_, len);
      pos_ += len;
      continue;
    }
    if (c != '\\') {
      arena_.push_back(static_cast<char>(c));
      ++pos_;
      continue;
    }
    if (pos_ + 1 >= text_.size()) {
      return fail("unterminated escape");
    }
    const char e = text_[pos_ + 1];
    pos_ += 2;
    switch (e) {
      case '"':
        arena_.push_back('"');
        break;
      case '\\':
        arena_.push_back('\\');
        break;
      case '/':
        arena_.push_back('/');
        canonical_ = false;  // JCS writes '/' unescaped
        break;
      case 'b':
        arena_.push_back('\b');
        break;
      case 'f':
        arena_.push_back('\f');
        break;
      case 'n':
        arena_.push_back('\n');
        break;
      case 'r':
        arena_.push_back('\r');
        break;
      case 't':
        arena_.push_back('\t');
        break;
      case 'u': {
        const int u = hex4(text_, pos_);
        if (u < 0) {
          return fail("invalid \\u escape");
        }
        // JCS uses \\u only for control characters without a short escape, in lowercase hex.
        if (canonical_ && !is_canonical_u_escape(text_.substr(pos_, 4), u)) {
          canonical_ = false;
        }
        pos_ += 4;
        char32_t cp = static_cast<char32_t>(u);
        if (u >= 0xD800 && u <= 0xDBFF) {
          const int lo = (pos_ + 1 < text_.size() && text_[pos_] == '\\' && text_[pos_ + 1] == 'u')
                             ? hex4(text_, pos_ + 2)
                             : -1;
          if (lo < 0xDC00 || lo > 0xDFFF) {
            return fail("lone surrogate in string");
          }
          pos_ += 6;
          cp = 0x10000 + ((static_cast<char32_t>(u) - 0xD800) << 10) +
               (static_cast<char32_t>(lo) - 0xDC00);
        } else if (u >= 0xDC00 && u <= 0xDFFF) {
          return fail("lone surrogate in string");
        }
        last_string_non_ascii_ = last_string_non_ascii_ || cp >= 0x80;
        append_utf8(arena_, cp);
        break;
      }
      default:
        return fail("invalid escape");
    }
  }
  n.len = static_cast<std::uint32_t>(arena_.size() - n.off);
  n.end = static_cast<std::uint32_t>(nodes_.size() + 1);
  nodes_.push_back(n);
  return true;
}

std::uint32_t JsonTape::member(std::uint32_t obj, std::string_view key) const {
  if (obj == kNone || nodes_[obj].type != NodeType::Object) {
    return kNone;
  }
  std::uint32_t i = obj + 1;
  for (std::uint32_t m = 0; m < nodes_[obj].count; ++m) {
    const std::uint32_t value = i + 1;
    if (string(i) == key) {
      return value;
    }
    i = nodes_[value].end;
  }
  return kNone;
}

std::uint32_t JsonTape::element(std::uint32_t arr, std::uint32_t index) const {
  if (arr == kNone || nodes_[arr].type != NodeType::Array || index >= nodes_[arr].count) {
    return kNone;
  }
  std::uint32_t i = arr + 1;
  for (std::uint32_t k = 0; k < index; ++k) {
    i = nodes_[i].end;
  }
  return i;
}

bool JsonTape::unsigned_integer(std::uint32_t i, std::uint64_t& out) const {
  if (i == kNone || nodes_[i].type != NodeType::Number) {
    return false;
  }
  const std::string_view lit = text_.substr(nodes_[i].off, nodes_[i].len);
  const auto res = std::from_chars(lit.data(), lit.data() + lit.size(), out);
  return res.ec == std::errc() && res.ptr == lit.data() + lit.size();
}

bool JsonTape::signed_integer(std::uint32_t i, std::int64_t& out) const {
  if (i == kNone || nodes_[i].type != NodeType::Number) {
    return false;
  }
  const std::string_view lit = text_.substr(nodes_[i].off, nodes_[i].len);
  const auto res = std::from_chars(lit.data(), lit.data() + lit.size(), out);
  return res.ec == std::errc() && res.ptr == lit.data() + lit.size();
}

bool JsonTape::canonical_without(std::uint32_t skip, std::string_view& head,
                                 std::string_view& tail) const {
  if (!canonical_ || skip == kNone || skip == 0 || skip >= nodes_.size()) {
    return false;
  }
  const Node& key = nodes_[skip - 1];  // a member's name is the node just before its value
  const Node& value = nodes_[skip];
  if (key.type != NodeType::String || key.in_arena ||
      (value.type == NodeType::String && value.in_arena)) {
    return false;  // positions in the input are not known
  }
  // In canonical text a member is `"name":value` with nothing between; anything else (e.g. an
  // array element before `skip`) is not a member this can cut out.
  const std::size_t colon = std::size_t{key.off} + key.len + 1;
  const std::size_t value_begin = value.off - (value.type == NodeType::String ? 1 : 0);
  if (colon >= text_.size() || text_[colon] != ':' || value_begin != colon + 1) {
    return false;
  }
  std::size_t begin = key.off - 1;  // the opening quote of the name
  std::size_t end = value.off + value.len + (value.type == NodeType::String ? 1 : 0);
  if (begin == 0 || end >= text_.size()) {
    return false;  // a member always sits inside its object's braces
  }
  if (text_[begin - 1] == ',') {
    --begin;  // a later member: drop the comma before it
  } else if (text_[begin - 1] == '{' && text_[end] == ',') {
    ++end;  // the first of several: drop the comma after it
  } else if (text_[begin - 1] != '{') {
    return false;
  }
  head = text_.substr(0, begin);
  tail = text_.substr(end);
  return true;
}

bool JsonTape::write_canonical(std::string& out, std::uint32_t skip) {
  scratch_.clear();
  if (nodes_.empty()) {
    return false;
  }
  return write_node(out, 0, skip);
}

bool JsonTape::write_number(std::string& out, const Node& n) {
  const std::string_view lit = text_.substr(n.off, n.len);
  // Fast path: a plain integer literal of at most 15 digits is its own ECMAScript form.
  const bool negative = lit.front() == '-';
  const std::string_view digits = negative ? lit.substr(1) : lit;
  if (digits.size() <= 15 &&
      std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    if (digits == "0") {
      out.push_back('0');  // "-0" is written "0"
    } else {
      out.append(lit);
    }
    return true;
  }
  double value = 0;
  const auto res = std::from_chars(lit.data(), lit.data() + lit.size(), value);
  if (res.ec == std::errc::result_out_of_range) {
    error_ = "number out of the IEEE 754 double range";
    return false;
  }
  if (res.ec != std::errc()) {
    error_ = "invalid number";
    return false;
  }
  return append_jcs_number(out, value);
}

bool JsonTape::write_node(std::string& out, std::uint32_t i, std::uint32_t skip) {
  const Node& n = nodes_[i];
  switch (n.type) {
    case NodeType::Null:
      out += "null";
      return true;
    case NodeType::True:
      out += "true";
      return true;
    case NodeType::False:
      out += "false";
      return true;
    case NodeType::Number:
      return write_number(out, n);
    case NodeType::String:
      append_jcs_string(out, string(i));
      return true;
    case NodeType::Array: {
      out.push_back('[');
      std::uint32_t child = i + 1;
      for (std::uint32_t k = 0; k < n.count; ++k) {
        if (k != 0) {
          out.push_back(',');
        }
        if (!write_node(out, child, skip)) {
          return false;
        }
        child = nodes_[child].end;
      }
      out.push_back(']');
      return true;
    }
    case NodeType::Object: {
      // Collect member names on the scratch stack, sort them there, write, pop.
      const std::size_t base = scratch_.size();
      bool sorted = true;
      bool utf16 = false;
      std::uint32_t key = i + 1;
      for (std::uint32_t k = 0; k < n.count; ++k) {
        const std::uint32_t value = key + 1;
        if (value != skip) {
          const std::string_view name = string(key);
          utf16 = utf16 || needs_utf16_order(name);
          if (scratch_.size() > base && !(string(scratch_.back()) < name)) {
            sorted = false;
          }
          scratch_.push_back(key);
        }
        key = nodes_[value].end;
      }
      const auto first = scratch_.begin() + static_cast<std::ptrdiff_t>(base);
      if (!sorted || utf16) {
        if (utf16) {
          std::sort(first, scratch_.end(), [this](std::uint32_t a, std::uint32_t b) {
            return utf16_less(string(a), string(b));
          });
        } else {
          std::sort(first, scratch_.end(),
                    [this](std::uint32_t a, std::uint32_t b) { return string(a) < string(b); });
        }
        for (auto it = first; it + 1 < scratch_.end(); ++it) {
          if (string(*it) == string(*(it + 1))) {
            error_ = "duplicate member name \"" + std::string(string(*it)) + "\"";
            return false;
          }
        }
      }
      out.push_back('{');
      for (std::size_t k = base; k < scratch_.size(); ++k) {
        if (k != base) {
          out.push_back(',');
        }
        const std::uint32_t name = scratch_[k];
        append_jcs_string(out, string(name));
        out.push_back(':');
        if (!write_node(out, name + 1, skip)) {
          return false;
        }
      }
      out.push_back('}');
      scratch_.resize(base);
      return true;
    }
  }
  return false;
}

}  // namespace portcullis::audit::detail
