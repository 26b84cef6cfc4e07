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
      R"({"\u0062":"\"\\\/\b\f\n\r\t","\ud83d\ude00":"\uD83D\uDE00\u00E9"})",
      "\"\xC2\x80\xDF\xBF\xE0\xA0\x80\xED\x9F\xBF\xEE\x80\x80\xF0\x90\x80\x80\xF4\x8F\xBF\xBF\x7F\"",
      "-0", "0", "-0.0", "1E+2", "1e-400", "4.9e-324", "true", "false", "null",
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
      {R"({"a":"\ud800"})",
       "invalid JSON: lone surrogate \\ud800 (not followed by \\uDC00..\\uDFFF) at byte 6"},
      {R"({"a":"\ud800\u0041"})",
       "invalid JSON: lone surrogate \\ud800 (not followed by \\uDC00..\\uDFFF) at byte 6"},
      {R"({"a":"\udc00x"})", "invalid JSON: lone surrogate \\udc00 at byte 6"},
      {"{\"a\":\"\xC3\"}", "invalid JSON: invalid UTF-8 ('\"' after byte 0xC3) at byte 7"},
      {"{\"a\":\"\xC3", "invalid JSON: invalid UTF-8 (the input ends inside a character) at byte 6"},
      // a surrogate encoded directly in UTF-8
      {"{\"a\":\"\xED\xA0\x80\"}", "invalid JSON: invalid UTF-8 (byte 0xA0 after byte 0xED) at byte 7"},
      // overlong '/'
      {"{\"a\":\"\xC0\xAF\"}", "invalid JSON: invalid UTF-8 (byte 0xC0 cannot start a character) at byte 6"},
      {"{\"a\":\"\xE0\x80\xAF\"}", ""},          // overlong '/' in three bytes
      {"{\"a\":\"\xF4\x90\x80\x80\"}", ""},      // above U+10FFFF
      {"{\"a\":\"\xF5\x80\x80\x80\"}", ""},
      {"{\"a\":\"\x80\"}", ""},                  // a continuation byte alone
      {"{\"a\":\"\x01\"}", "invalid JSON: control character U+0001 in a string must be escaped at byte 6"},
      {R"({"a":"\x"})", "invalid JSON: invalid escape \\x at byte 6"},
      {R"({"a":"\u12"})", "invalid JSON: \\u must be followed by four hex digits at byte 6"},
      {R"({"a":"abc)", "invalid JSON: unexpected end of input inside a string at byte 9"},
      {R"({"a":1} x)", "invalid JSON: unexpected 'x' after the JSON value at byte 8"},
      {"{}\0"s, "invalid JSON: unexpected byte 0x00 after the JSON value at byte 2"},
      {"{\"a\":1}\0{\"a\":2}"s, ""},  // the previous parser stopped at the NUL and accepted
      {"\0{}"s, ""},
      {R"({"a":01})", "invalid JSON: unexpected '1'; expected ',' or '}' at byte 6"},
      {R"({"a":-})", "invalid JSON: a number needs a digit after '-' at byte 6"},
      {R"({"a":1.})", "invalid JSON: a number needs a digit after '.' at byte 7"},
      {R"({"a":1e+})", "invalid JSON: a number needs a digit in its exponent at byte 8"},
      {R"({"a":+1})", "invalid JSON: unexpected '+'; expected a value at byte 5"},
      {R"({"a":.5})", ""},
      {R"({"a":tru})", "invalid JSON: invalid literal; expected true at byte 5"},
      {R"({"a" 1})", "invalid JSON: unexpected '1'; expected ':' at byte 5"},
      {R"({1:1})", "invalid JSON: unexpected '1'; expected a string (object key) at byte 1"},
      {R"([1 2])", "invalid JSON: unexpected '2'; expected ',' or ']' at byte 3"},
      {"[1,", "invalid JSON: unexpected end of input; expected a value at byte 3"},
      {"{\"a\":1", "invalid JSON: unexpected end of input; expected ',' or '}' at byte 6"},
      {"\x0c{}", ""},  // form feed is not JSON whitespace
      {R"({"a":1}{})", ""},
      {R"({"a":1,})", ""},
      {R"({'a':1})", ""},
      {R"({"a":1 /* c */})", ""},
      {R"({"a":NaN})", ""},
      {R"({"a":12345678901234567890123})",
       "invalid JSON: integer 12345678901234567890123 is outside the 64-bit range at byte 5"},
      {R"({"a":-9223372036854775809})",
       "invalid JSON: integer -9223372036854775809 is outside the 64-bit range at byte 5"},
      {R"({"a":18446744073709551616})",
       "invalid JSON: integer 18446744073709551616 is outside the 64-bit range at byte 5"},
      {R"({"a":1e400})", "invalid JSON: number 1e400 is out of range at byte 5"},
      {R"({"a":-1.8e308})", "invalid JSON: number -1.8e308 is out of range at byte 5"},
      {R"({"a":"x\u0000y"})", "invalid JSON: string contains U+0000"},
      {R"({"a\u0000":1})", "invalid JSON: object key contains U+0000"},
      {"", "invalid JSON: unexpected end of input; expected a value at byte 0"},
      {std::string(65, '[') + std::string(65, ']'),
       "invalid JSON: nesting deeper than 64 at byte 64"},
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

TEST_CASE("release_json empties a tree bottom-up and leaves leaves as they are",
          "[protocol][json]") {
  using portcullis::protocol::release_json;
  const std::string texts[] = {
      R"({"a":{"b":[1,{"c":[[],{}]},"long string beyond the small-string buffer"]},"d":null})",
      R"([[[[1]]],{"x":{"y":{"z":"w"}}},[],{}])",
      R"({})", R"([])",
  };
  for (const auto& text : texts) {
    INFO(text);
    auto document = parse_strict_json(text, 64);
    REQUIRE(document);
    const bool was_object = document->is_object();
    release_json(*document);
    CHECK(document->empty());
    CHECK(document->is_object() == was_object);
    CHECK(document->is_array() == !was_object);
  }
  const std::string leaves[] = {R"("a string longer than fifteen bytes")", "1", "-2", "1.5",
                                "true", "null"};
  for (const auto& text : leaves) {
    INFO(text);
    auto leaf = parse_strict_json(text, 64);
    REQUIRE(leaf);
    const nlohmann::json before = *leaf;
    release_json(*leaf);
    CHECK(*leaf == before);
  }
}
