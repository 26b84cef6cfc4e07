#include "policy/json_text.hpp"

#include "policy/strict_dom_builder.hpp"

#include <algorithm>
#include <set>
#include <vector>

namespace portcullis::policy {
namespace {

struct Abort {
  std::string message;
};

constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";

bool is_ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// The decoded text of a JSON string literal (given with its quotes).
std::string decode_key(std::string_view literal) {
  if (literal.find('\\') == std::string_view::npos) {
    return std::string(literal.substr(1, literal.size() >= 2 ? literal.size() - 2 : 0));
  }
  const auto decoded = nlohmann::json::parse(literal.begin(), literal.end(), nullptr, false);
  return decoded.is_string() ? decoded.get<std::string>() : std::string(literal);
}

// Where parse_json_text's own checks (nesting depth, duplicate keys) first fail, in text order,
// the order nlohmann's callback saw them in; npos when the text passes both.
std::size_t first_structure_problem(const JsonTextMap& map, std::string_view text, int max_depth) {
  // Per open container: the keys seen so far (arrays keep an unused empty set).
  std::vector<std::set<std::string>> open;
  std::size_t i = map.root();
  while (i < text.size()) {
    const char c = text[i];
    if (c == '{' || c == '[') {
      open.emplace_back();
      if (static_cast<int>(open.size()) > max_depth) return i;
      ++i;
    } else if (c == '}' || c == ']') {
      if (!open.empty()) open.pop_back();
      ++i;
    } else if (c == '"') {
      std::size_t end = i + 1;
      while (end < text.size() && text[end] != '"') end += text[end] == '\\' ? 2 : 1;
      end = std::min(end + 1, text.size());
      std::size_t next = end;
      while (next < text.size() && is_ws(text[next])) ++next;
      const bool is_key = next < text.size() && text[next] == ':';
      if (is_key && !open.empty() &&
          !open.back().insert(decode_key(text.substr(i, end - i))).second) {
        return i;
      }
      i = end;
    } else {
      ++i;
    }
  }
  return std::string_view::npos;
}

}  // namespace

std::size_t JsonTextMap::root() const {
  const std::size_t start =
      text_.substr(0, kByteOrderMark.size()) == kByteOrderMark ? kByteOrderMark.size() : 0;
  return skip_ws(start);
}

std::size_t JsonTextMap::skip_ws(std::size_t offset) const {
  while (offset < text_.size() && is_ws(text_[offset])) ++offset;
  return offset;
}

std::size_t JsonTextMap::skip_string(std::size_t offset) const {
  std::size_t i = offset + 1;
  while (i < text_.size() && text_[i] != '"') i += text_[i] == '\\' ? 2 : 1;
  return std::min(i + 1, text_.size());
}

std::size_t JsonTextMap::skip_value(std::size_t offset) const {
  if (offset >= text_.size()) return text_.size();
  const char first = text_[offset];
  if (first == '"') return skip_string(offset);
  if (first != '{' && first != '[') {
    // A number or a literal: up to the next delimiter.
    std::size_t i = offset;
    while (i < text_.size() && !is_ws(text_[i]) && text_[i] != ',' && text_[i] != ']' &&
           text_[i] != '}') {
      ++i;
    }
    return i;
  }
  // A container: count brackets outside strings (iterative, so depth costs no stack).
  std::size_t depth = 0;
  std::size_t i = offset;
  while (i < text_.size()) {
    const char c = text_[i];
    if (c == '"') {
      i = skip_string(i);
      continue;
    }
    if (c == '{' || c == '[') {
      ++depth;
    } else if ((c == '}' || c == ']') && --depth == 0) {
      return i + 1;
    }
    ++i;
  }
  return text_.size();
}

template <typename Visit>
void JsonTextMap::for_each_part(std::size_t offset, Visit visit) const {
  if (offset >= text_.size() || (text_[offset] != '{' && text_[offset] != '[')) return;
  const bool object = text_[offset] == '{';
  const char close = object ? '}' : ']';
  std::size_t i = skip_ws(offset + 1);
  while (i < text_.size() && text_[i] != close) {
    std::size_t key = std::string_view::npos;
    if (object) {
      key = i;
      i = skip_ws(skip_string(i));
      if (i < text_.size() && text_[i] == ':') i = skip_ws(i + 1);
    }
    visit(key, i);
    i = skip_ws(skip_value(i));
    if (i < text_.size() && text_[i] == ',') {
      i = skip_ws(i + 1);
    } else {
      break;  // the closing bracket (or text that is not JSON: stop)
    }
  }
}

std::vector<std::size_t> JsonTextMap::elements(std::size_t offset) const {
  std::vector<std::size_t> out;
  for_each_part(offset, [&](std::size_t, std::size_t value) { out.push_back(value); });
  return out;
}

std::vector<JsonTextMap::Member> JsonTextMap::members(std::size_t offset) const {
  std::vector<Member> out;
  for_each_part(offset, [&](std::size_t key, std::size_t value) {
    if (key == std::string_view::npos) return;  // an array's element
    const std::size_t key_end = skip_string(key);
    out.push_back(Member{decode_key(text_.substr(key, key_end - key)), key, value});
  });
  return out;
}

bool JsonTextMap::find_member(std::size_t offset, std::string_view key, Member& out) const {
  for (auto& member : members(offset)) {
    if (member.key == key) {
      out = std::move(member);
      return true;
    }
  }
  return false;
}

void JsonTextMap::line_column(std::size_t offset, std::uint32_t& line,
                              std::uint32_t& column) const {
  line = 1;
  std::size_t line_start = 0;
  const std::size_t end = std::min(offset, text_.size());
  for (std::size_t i = 0; i < end; ++i) {
    if (text_[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  }
  column = static_cast<std::uint32_t>(end - line_start + 1);
}

bool parse_json_text(std::string_view text, int max_depth, nlohmann::json& out, JsonError& error) {
  try {
    StrictDomBuilder builder(out, max_depth);
    if (nlohmann::json::sax_parse(text.begin(), text.end(), &builder)) return true;
    throw Abort{builder.problem()};
  } catch (const Abort& a) {
    const JsonTextMap map(text);
    const std::size_t at = first_structure_problem(map, text, max_depth);
    error.line = 0;
    error.column = 0;
    if (at != std::string_view::npos) map.line_column(at, error.line, error.column);
    error.message = a.message;
  } catch (const nlohmann::json::parse_error& e) {
    JsonTextMap(text).line_column(e.byte == 0 ? 0 : e.byte - 1, error.line, error.column);
    // nlohmann's text is "[json.exception.parse_error.101] parse error at line 1, column 2:
    // syntax error while parsing value - ..."; keep the part after the last ": ".
    std::string what = e.what();
    const auto cut = what.find("syntax error");
    error.message = cut == std::string::npos ? what : what.substr(cut);
  } catch (const std::exception& e) {
    error.line = 0;
    error.message = e.what();
  }
  return false;
}

}  // namespace portcullis::policy
