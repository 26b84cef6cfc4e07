#include "portcullis/audit/jcs.hpp"

#include <bit>
#include <catch2/catch.hpp>
#include <cstdint>
#include <nlohmann/json.hpp>

#include "audit/json_tape.hpp"

using portcullis::audit::append_jcs_number;
using portcullis::audit::jcs;
using portcullis::audit::utf16_less;

namespace {

// The canonical form the verifier's own parser + writer produce from raw text.
std::string tape_canonical(const std::string& text) {
  portcullis::audit::detail::JsonTape tape;
  REQUIRE(tape.parse(text));
  std::string out;
  REQUIRE(tape.write_canonical(out));
  return out;
}

// RFC 8785 section 3.2.2/3.2.3: the worked example, input and output.
const char* const kRfcInput = R"({
  "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
  "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
  "literals": [null, true, false]
})";
const char* const kRfcOutput =
    "{\"literals\":[null,true,false],\"numbers\":[333333333.3333333,1e+30,4.5,0.002,1e-27],"
    "\"string\":\"\xE2\x82\xAC$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}";

}  // namespace

TEST_CASE("JCS reproduces the RFC 8785 worked example byte for byte", "[audit][jcs]") {
  CHECK(jcs(nlohmann::json::parse(kRfcInput)) == kRfcOutput);
  CHECK(tape_canonical(kRfcInput) == kRfcOutput);
}

TEST_CASE("JCS sorts members by UTF-16 code units as RFC 8785 section 3.2.3 shows",
          "[audit][jcs]") {
  const char* input = R"({
    "\u20ac": "Euro Sign",
    "\r": "Carriage Return",
    "\ufb33": "Hebrew Letter Dalet With Dagesh",
    "1": "One",
    "\ud83d\ude00": "Emoji: Grinning Face",
    "\u0080": "Control",
    "\u00f6": "Latin Small Letter O With Diaeresis"
  })";
  const std::string expected =
      "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\xC2\x80\":\"Control\",\"\xC3\xB6\":"
      "\"Latin Small Letter O With Diaeresis\",\"\xE2\x82\xAC\":\"Euro Sign\","
      "\"\xF0\x9F\x98\x80\":\"Emoji: Grinning Face\",\"\xEF\xAC\xB3\":\"Hebrew Letter Dalet With "
      "Dagesh\"}";
  CHECK(jcs(nlohmann::json::parse(input)) == expected);
  CHECK(tape_canonical(input) == expected);
}

TEST_CASE("JCS writes numbers exactly as RFC 8785 appendix B lists them", "[audit][jcs]") {
  struct Row {
    std::uint64_t bits;
    const char* expected;
  };
  const Row rows[] = {
      {0x0000000000000000, "0"},
      {0x8000000000000000, "0"},
      {0x0000000000000001, "5e-324"},
      {0x8000000000000001, "-5e-324"},
      {0x7fefffffffffffff, "1.7976931348623157e+308"},
      {0xffefffffffffffff, "-1.7976931348623157e+308"},
      {0x4340000000000000, "9007199254740992"},
      {0xc340000000000000, "-9007199254740992"},
      {0x4430000000000000, "295147905179352830000"},
      {0x44b52d02c7e14af5, "9.999999999999997e+22"},
      {0x44b52d02c7e14af6, "1e+23"},
      {0x44b52d02c7e14af7, "1.0000000000000001e+23"},
      {0x444b1ae4d6e2ef4e, "999999999999999700000"},
      {0x444b1ae4d6e2ef4f, "999999999999999900000"},
      {0x444b1ae4d6e2ef50, "1e+21"},
      {0x3eb0c6f7a0b5ed8c, "9.999999999999997e-7"},
      {0x3eb0c6f7a0b5ed8d, "0.000001"},
      {0x41b3de4355555553, "333333333.3333332"},
      {0x41b3de4355555554, "333333333.33333325"},
      {0x41b3de4355555555, "333333333.3333333"},
      {0x41b3de4355555556, "333333333.3333334"},
      {0x41b3de4355555557, "333333333.33333343"},
      {0xbecbf647612f3696, "-0.0000033333333333333333"},
      {0x43143ff3c1cb0959, "1424953923781206.2"},
  };
  for (const auto& row : rows) {
    std::string out;
    REQUIRE(append_jcs_number(out, std::bit_cast<double>(row.bits)));
    CHECK(out == row.expected);
  }
}

TEST_CASE("JCS refuses NaN and infinity", "[audit][jcs]") {
  std::string out;
  CHECK_FALSE(append_jcs_number(out, std::bit_cast<double>(std::uint64_t{0x7fffffffffffffff})));
  CHECK_FALSE(append_jcs_number(out, std::bit_cast<double>(std::uint64_t{0x7ff0000000000000})));
  CHECK(out.empty());
}

TEST_CASE("the verifier's writer normalises number literals to the ECMAScript form",
          "[audit][jcs]") {
  const std::pair<const char*, const char*> rows[] = {
      {"[-0]", "[0]"},
      {"[1.0]", "[1]"},
      {"[1e2]", "[100]"},
      {"[123456789012345678901234]", "[1.2345678901234569e+23]"},
      {"[0.1e-6]", "[1e-7]"},
      {"[9007199254740993]", "[9007199254740992]"},
      {"[12]", "[12]"},
  };
  for (const auto& [in, expected] : rows) {
    CHECK(tape_canonical(in) == expected);
  }
}

TEST_CASE("JCS escapes only what RFC 8785 requires", "[audit][jcs]") {
  const nlohmann::json v = std::string("\x01\x1f\t\b\f/<>\x7f\xC3\xA9");
  CHECK(jcs(v) == "\"\\u0001\\u001f\\t\\b\\f/<>\x7f\xC3\xA9\"");
}

TEST_CASE("UTF-16 ordering puts supplementary characters before U+E000..U+FFFF",
          "[audit][jcs]") {
  CHECK(utf16_less("\xF0\x9F\x98\x80", "\xEF\xAC\xB3"));    // U+1F600 < U+FB33 in UTF-16
  CHECK_FALSE(utf16_less("\xEF\xAC\xB3", "\xF0\x9F\x98\x80"));
  CHECK(utf16_less("a", "ab"));
  CHECK_FALSE(utf16_less("ab", "ab"));
}

TEST_CASE("the verifier's parser rejects what JCS cannot canonicalise", "[audit][jcs]") {
  portcullis::audit::detail::JsonTape tape;
  const char* bad_parse[] = {"{\"a\":1,}", "[\"\\ud800\"]", "\"\xC0\xAF\"", "[1 2]", "{\"a\" 1}",
                             "\"a\x01\"", "01", "[1e]", "{} x", "\"\\ud83d\\u0041\""};
  for (const char* text : bad_parse) {
    INFO(text);
    CHECK_FALSE(tape.parse(text));
  }
  REQUIRE(tape.parse("{\"a\":1,\"a\":2}"));
  std::string out;
  CHECK_FALSE(tape.write_canonical(out));
  CHECK(tape.error().find("duplicate") != std::string::npos);
  REQUIRE(tape.parse("[1e400]"));
  out.clear();
  CHECK_FALSE(tape.write_canonical(out));
}

TEST_CASE("the verifier's parser bounds nesting depth", "[audit][jcs]") {
  portcullis::audit::detail::JsonTape tape;
  CHECK_FALSE(tape.parse(std::string(1000, '[') + std::string(1000, ']')));
  CHECK(tape.parse(std::string(100, '[') + std::string(100, ']')));
}
