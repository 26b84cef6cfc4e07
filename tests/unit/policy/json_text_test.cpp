// JsonTextMap: offsets of the parts of accepted JSON text, and parse_json_text's positions.
#include "policy/json_text.hpp"

#include <catch2/catch.hpp>

namespace portcullis::policy {
namespace {

TEST_CASE("JsonTextMap finds array elements past nested values and tricky strings",
          "[policy][json_text]") {
  const std::string text = R"( [1, "a]\"b", {"k": [2, 3]}, [[]], true , -0.5e3 ])";
  const JsonTextMap map(text);
  CHECK(map.root() == 1);
  const auto elements = map.elements(map.root());
  REQUIRE(elements.size() == 6);
  CHECK(text.substr(elements[0], 1) == "1");
  CHECK(text.substr(elements[1], 3) == "\"a]");
  CHECK(text.substr(elements[2], 4) == "{\"k\"");
  CHECK(text.substr(elements[3], 4) == "[[]]");
  CHECK(text.substr(elements[4], 4) == "true");
  CHECK(text.substr(elements[5], 6) == "-0.5e3");
}

TEST_CASE("JsonTextMap lists object members with decoded keys and their offsets",
          "[policy][json_text]") {
  const std::string text = "{\"a\" : 1,\n \"\\u0062\":{\"c\":[]} , \"d\":\"}\"}";
  const JsonTextMap map(text);
  const auto members = map.members(0);
  REQUIRE(members.size() == 3);
  CHECK(members[0].key == "a");
  CHECK(members[0].key_offset == 1);
  CHECK(text[members[0].value_offset] == '1');
  CHECK(members[1].key == "b");
  CHECK(text.substr(members[1].value_offset, 5) == "{\"c\":");
  CHECK(members[2].key == "d");
  JsonTextMap::Member found;
  REQUIRE(map.find_member(0, "d", found));
  CHECK(text.substr(found.value_offset, 3) == "\"}\"");
  CHECK_FALSE(map.find_member(0, "z", found));
}

TEST_CASE("JsonTextMap gives empty containers no parts and scalars no members",
          "[policy][json_text]") {
  const JsonTextMap map(R"({"e": [ ], "o": { }, "n": 5})");
  JsonTextMap::Member e;
  JsonTextMap::Member o;
  JsonTextMap::Member n;
  REQUIRE(map.find_member(0, "e", e));
  REQUIRE(map.find_member(0, "o", o));
  REQUIRE(map.find_member(0, "n", n));
  CHECK(map.elements(e.value_offset).empty());
  CHECK(map.members(o.value_offset).empty());
  CHECK(map.members(n.value_offset).empty());
  CHECK(map.elements(n.value_offset).empty());
  // An array asked for members has none (its elements have no names).
  CHECK(map.members(e.value_offset).empty());
}

TEST_CASE("JsonTextMap counts lines and byte columns from 1", "[policy][json_text]") {
  const JsonTextMap map("ab\ncd\r\n\nx");
  struct Case {
    std::size_t offset;
    std::uint32_t line;
    std::uint32_t column;
  };
  const Case cases[] = {{0, 1, 1}, {2, 1, 3}, {3, 2, 1}, {4, 2, 2}, {8, 4, 1}, {99, 4, 2}};
  for (const auto& c : cases) {
    INFO(c.offset);
    std::uint32_t line = 0;
    std::uint32_t column = 0;
    map.line_column(c.offset, line, column);
    CHECK(line == c.line);
    CHECK(column == c.column);
  }
}

TEST_CASE("parse_json_text places each kind of failure", "[policy][json_text]") {
  struct Case {
    const char* text;
    int max_depth;
    std::uint32_t line;
    std::uint32_t column;
    const char* message_start;
  };
  const Case cases[] = {
      {"{\"a\": 1,\n \"a\": 2}", 8, 2, 2, "duplicate key \"a\""},
      {"[[\n [1]]]", 2, 2, 2, "JSON nested deeper than 2 levels"},
      {"{\"a\": [\"[\", {\"a\": 1}], \"b\": {\"b\": 1, \"b\": 2}}", 8, 1, 38,
       "duplicate key \"b\""},
      {"[1,\n 2,]", 8, 2, 4, "syntax error"},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    nlohmann::json out;
    JsonError error;
    CHECK_FALSE(parse_json_text(c.text, c.max_depth, out, error));
    CHECK(error.line == c.line);
    CHECK(error.column == c.column);
    CHECK_THAT(error.message, Catch::StartsWith(c.message_start));
  }
}

}  // namespace
}  // namespace portcullis::policy
