#include "portcullis/protocol/strict_json.hpp"

#include <catch2/catch.hpp>
#include <string>

using portcullis::protocol::parse_strict_json;
using namespace std::string_literals;

TEST_CASE("Strict JSON accepts what every parser reads alike", "[protocol][json]") {
  const std::string ok[] = {
      R"({"a":1,"b":[1,2,{"a":2}],"c":{"a":3}})",
      R"([])",
      R"("\u00e9\ud83d\ude00")",
      R"({"n":-9223372036854775808,"u":18446744073709551615,"f":1.5e300})",
      R"({"a":{"b":1},"b":{"a":1}})",
      " \t\n{\"x\" : null}\r\n",
      R"({"\u0062":1,"a":2})",
  };
  for (const auto& text : ok) {
    INFO(text);
    CHECK(parse_strict_json(text, 64));
  }
}

TEST_CASE("Strict JSON refuses what another parser could read differently",
          "[protocol][json]") {
  struct Case {
    std::string text;
    std::string message;
  };
  const Case cases[] = {
      {R"({"a":1,"a":2})", "invalid JSON: duplicate object key \"a\""},
      {R"({"x":{"b":1,"b":1}})", "invalid JSON: duplicate object key \"b\""},
      {R"([{"k":1},{"k":2,"k":3}])", "invalid JSON: duplicate object key \"k\""},
      {R"({"a":1,"\u0061":2})", "invalid JSON: duplicate object key \"a\""},
      {"\xEF\xBB\xBF{}", "JSON text starts with a byte-order mark"},
      {R"({"a":"\ud800"})", ""},
      {R"({"a":"\udc00x"})", ""},
      {"{\"a\":\"\xC3\"}", ""},
      {"{\"a\":\"\xED\xA0\x80\"}", ""},  // a surrogate encoded directly in UTF-8
      {"{\"a\":\"\xC0\xAF\"}", ""},      // overlong '/'
      {R"({"a":1} x)", ""},
      {R"({"a":1}{})", ""},
      {R"({"a":1,})", ""},
      {R"({'a':1})", ""},
      {R"({"a":1 /* c */})", ""},
      {R"({"a":NaN})", ""},
      {R"({"a":12345678901234567890123})",
       "invalid JSON: integer 12345678901234567890123 is outside the 64-bit range"},
      {R"({"a":-9223372036854775809})",
       "invalid JSON: integer -9223372036854775809 is outside the 64-bit range"},
      {R"({"a":1e400})",
       "invalid JSON: [json.exception.out_of_range.406] number overflow parsing '1e400'"},
      {R"({"a":"x\u0000y"})", "invalid JSON: string contains U+0000"},
      {R"({"a\u0000":1})", "invalid JSON: object key contains U+0000"},
      {"", ""},
      {std::string(65, '[') + std::string(65, ']'), "invalid JSON: nesting deeper than 64"},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    auto parsed = parse_strict_json(c.text, 64);
    REQUIRE_FALSE(parsed);
    if (!c.message.empty()) {
      CHECK(parsed.error().message == c.message);
    } else {
      CHECK(parsed.error().message.rfind("invalid JSON: ", 0) == 0);
    }
  }
}

TEST_CASE("The depth limit counts objects and arrays alike", "[protocol][json]") {
  CHECK(parse_strict_json(R"({"a":[{"b":[]}]})", 4));
  CHECK_FALSE(parse_strict_json(R"({"a":[{"b":[]}]})", 3));
}

TEST_CASE("Many keys in one object are checked in linear time", "[protocol][json]") {
  std::string text = "{";
  for (int i = 0; i < 20000; ++i) {
    text += (i ? ",\"" : "\"") + std::to_string(i) + "\":0";
  }
  CHECK(parse_strict_json(text + "}", 64));
  CHECK_FALSE(parse_strict_json(text + ",\"19999\":1}", 64));
}
