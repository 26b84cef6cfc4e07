// The previous protocol::parse_strict_json (before issue 5's hand-written parser), unchanged but
// for its name: nlohmann's SAX parser with a filter in front of its DOM builder. The filter
// refuses what another parser could read differently; the DOM builder only ever sees accepted
// events, so one pass both checks and builds.
#include "strict_json_reference.hpp"

#include <cmath>
#include <cstring>
#include <exception>
#include <string>
#include <unordered_set>
#include <vector>

namespace portcullis::protocol::reference {
namespace {

using json = nlohmann::json;
using DomBuilder = nlohmann::detail::json_sax_dom_parser<json>;

// Keys seen in one open object. Small objects use a vector (no hashing, no allocation per
// key beyond the string); past kSmall keys a hash set keeps duplicate detection linear.
class KeySet {
 public:
  bool insert(const std::string& key) {
    if (!large_.empty()) {
      return large_.insert(key).second;
    }
    for (const auto& seen : small_) {
      if (seen == key) {
        return false;
      }
    }
    small_.push_back(key);
    if (small_.size() > kSmall) {
      large_.insert(small_.begin(), small_.end());
      small_.clear();
    }
    return true;
  }

 private:
  static constexpr std::size_t kSmall = 16;
  std::vector<std::string> small_;
  std::unordered_set<std::string> large_;
};

class StrictSax {
 public:
  StrictSax(json& out, std::uint32_t max_depth) : dom_(out, false), max_depth_(max_depth) {}

  bool null() { return dom_.null(); }
  bool boolean(bool value) { return dom_.boolean(value); }
  bool number_integer(json::number_integer_t value) { return dom_.number_integer(value); }
  bool number_unsigned(json::number_unsigned_t value) { return dom_.number_unsigned(value); }
  bool number_float(json::number_float_t value, const json::string_t& text) {
    if (text.find_first_of(".eE") == std::string::npos) {
      // An integer literal nlohmann had to turn into a double: it does not fit 64 bits, and
      // parsers disagree on what it means (rounded, big integer, error).
      return refuse("integer " + text + " is outside the 64-bit range");
    }
    if (!std::isfinite(value)) {
      return refuse("number " + text + " is out of range");
    }
    return dom_.number_float(value, text);
  }
  bool string(json::string_t& value) {
    if (value.find('\0') != std::string::npos) {
      return refuse("string contains U+0000");
    }
    return dom_.string(value);
  }
  bool binary(json::binary_t& value) { return dom_.binary(value); }
  bool start_object(std::size_t elements) {
    if (!enter()) {
      return false;
    }
    keys_.emplace_back();
    return dom_.start_object(elements);
  }
  bool key(json::string_t& value) {
    if (value.find('\0') != std::string::npos) {
      return refuse("object key contains U+0000");
    }
    if (!keys_.back().insert(value)) {
      return refuse("duplicate object key \"" + printable(value) + "\"");
    }
    return dom_.key(value);
  }
  bool end_object() {
    keys_.pop_back();
    --depth_;
    return dom_.end_object();
  }
  bool start_array(std::size_t elements) {
    if (!enter()) {
      return false;
    }
    return dom_.start_array(elements);
  }
  bool end_array() {
    --depth_;
    return dom_.end_array();
  }
  bool parse_error(std::size_t position, const std::string& /*last_token*/,
                   const nlohmann::detail::exception& error) {
    if (error_.empty()) {
      error_ = error.what();
      // nlohmann's message already names the byte ("at line 1, column 7").
      (void)position;
    }
    return false;
  }

  [[nodiscard]] const std::string& error() const { return error_; }

 private:
  bool enter() {
    if (++depth_ > max_depth_) {
      return refuse("nesting deeper than " + std::to_string(max_depth_));
    }
    return true;
  }
  bool refuse(std::string message) {
    if (error_.empty()) {
      error_ = std::move(message);
    }
    return false;
  }
  // Keys in messages: truncated and with control bytes escaped, so logs stay one line.
  static std::string printable(const std::string& text) {
    std::string out;
    for (char c : text.substr(0, 64)) {
      out += (static_cast<unsigned char>(c) < 0x20 || c == '"') ? '?' : c;
    }
    return text.size() > 64 ? out + "..." : out;
  }

  DomBuilder dom_;
  std::uint32_t max_depth_;
  std::uint32_t depth_ = 0;
  std::vector<KeySet> keys_;
  std::string error_;
};

}  // namespace

Result<nlohmann::json> parse_strict_json_sax(std::string_view text, std::uint32_t max_depth) {
  if (text.size() >= 3 && static_cast<unsigned char>(text[0]) == 0xEF &&
      static_cast<unsigned char>(text[1]) == 0xBB && static_cast<unsigned char>(text[2]) == 0xBF) {
    // nlohmann skips a BOM silently; RFC 8259 §8.1 lets parsers reject it, and some do.
    return fail("JSON text starts with a byte-order mark");
  }
  json out;
  StrictSax sax(out, max_depth);
  bool ok = false;
  try {
    ok = json::sax_parse(text.begin(), text.end(), &sax, json::input_format_t::json,
                         /*strict=*/true, /*ignore_comments=*/false);
  } catch (const std::exception& e) {
    // Not expected (the DOM builder is told not to throw); kept so nothing escapes.
    return fail(std::string("invalid JSON: ") + e.what());
  }
  if (!ok) {
    return fail("invalid JSON: " + (sax.error().empty() ? std::string("parse error") : sax.error()));
  }
  return out;
}

bool same_dom(const json& a, const json& b) {
  if (a.type() != b.type()) {
    return false;
  }
  switch (a.type()) {
    case json::value_t::object: {
      const auto& x = a.get_ref<const json::object_t&>();
      const auto& y = b.get_ref<const json::object_t&>();
      if (x.size() != y.size()) {
        return false;
      }
      for (auto i = x.begin(), j = y.begin(); i != x.end(); ++i, ++j) {
        if (i->first != j->first || !same_dom(i->second, j->second)) {
          return false;
        }
      }
      return true;
    }
    case json::value_t::array: {
      if (a.size() != b.size()) {
        return false;
      }
      for (std::size_t i = 0; i < a.size(); ++i) {
        if (!same_dom(a[i], b[i])) {
          return false;
        }
      }
      return true;
    }
    case json::value_t::number_float: {
      const double x = a.get<double>();
      const double y = b.get<double>();
      return std::memcmp(&x, &y, sizeof x) == 0;
    }
    case json::value_t::null:
    case json::value_t::string:
    case json::value_t::boolean:
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::binary:
    case json::value_t::discarded:
      return a == b;
  }
  return false;
}

}  // namespace portcullis::protocol::reference
