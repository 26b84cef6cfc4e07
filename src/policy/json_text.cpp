#include "policy/json_text.hpp"

#include <set>
#include <vector>

namespace portcullis::policy {
namespace {

struct Abort {
  std::string message;
};

void position_of(std::string_view text, std::size_t byte, JsonError& error) {
  std::uint32_t line = 1;
  std::size_t line_start = 0;
  const std::size_t end = std::min(byte, text.size());
  for (std::size_t i = 0; i < end; ++i) {
    if (text[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  }
  error.line = line;
  error.column = static_cast<std::uint32_t>(end - line_start + 1);
}

}  // namespace

bool parse_json_text(std::string_view text, int max_depth, nlohmann::json& out, JsonError& error) {
  // Per open container: the keys seen so far (arrays keep an unused empty set).
  std::vector<std::set<std::string>> open;
  const nlohmann::json::parser_callback_t callback =
      [&](int /*depth*/, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
        switch (event) {
          case nlohmann::json::parse_event_t::object_start:
          case nlohmann::json::parse_event_t::array_start:
            open.emplace_back();
            if (static_cast<int>(open.size()) > max_depth) {
              throw Abort{"JSON nested deeper than " + std::to_string(max_depth) + " levels"};
            }
            break;
          case nlohmann::json::parse_event_t::object_end:
          case nlohmann::json::parse_event_t::array_end:
            if (!open.empty()) open.pop_back();
            break;
          case nlohmann::json::parse_event_t::key:
            if (!open.empty() && !open.back().insert(parsed.get<std::string>()).second) {
              throw Abort{"duplicate key \"" + parsed.get<std::string>() + "\" in a JSON object"};
            }
            break;
          case nlohmann::json::parse_event_t::value:
            break;
        }
        return true;
      };
  try {
    out = nlohmann::json::parse(text.begin(), text.end(), callback, true, false);
    return true;
  } catch (const Abort& a) {
    error.line = 0;
    error.column = 0;
    error.message = a.message;
  } catch (const nlohmann::json::parse_error& e) {
    position_of(text, e.byte == 0 ? 0 : e.byte - 1, error);
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
