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

// The verifier hashes a canonical line around the fingerprint member instead of writing its
// canonical form out again; both must give the same bytes whenever the parser calls the text
// canonical.
namespace {

struct CanonicalCheck {
  bool canonical = false;
  bool sliced = false;
  std::string written;  // write_canonical(skip)
  std::string slices;   // head + tail from canonical_without(skip)
};

// `skip_key`: the member of the top-level object (or of its first object member's value, when
// given as "outer.inner") left out.
CanonicalCheck check_canonical(const std::string& text, const std::string& skip_key) {
  portcullis::audit::detail::JsonTape tape;
  REQUIRE(tape.parse(text));
  std::uint32_t skip = portcullis::audit::detail::JsonTape::kNone;
  const auto dot = skip_key.find('.');
  if (dot == std::string::npos) {
    skip = tape.member(0, skip_key);
  } else {
    skip = tape.member(tape.member(0, skip_key.substr(0, dot)), skip_key.substr(dot + 1));
  }
  REQUIRE(skip != portcullis::audit::detail::JsonTape::kNone);
  CanonicalCheck c;
  c.canonical = tape.is_canonical();
  std::string_view head;
  std::string_view tail;
  c.sliced = tape.canonical_without(skip, head, tail);
  c.slices = std::string(head) + std::string(tail);
  REQUIRE(tape.write_canonical(c.written, skip));
  return c;
}

}  // namespace

TEST_CASE("a canonical text minus one member, sliced from the input, equals the written form",
          "[audit][jcs]") {
  const std::pair<const char*, const char*> rows[] = {
      {R"({"a":1,"fp":{"v":"x"},"z":[true,null]})", "fp"},              // a middle member
      {R"({"fp":{"v":"x"},"z":2})", "fp"},                              // the first of several
      {R"({"a":"s","fp":[1,2]})", "fp"},                                // the last
      {R"({"fp":"only"})", "fp"},                                       // the only one
      {R"({"fp":-12,"z":false})", "fp"},                                // a number value
      {R"({"a":{"b":1,"fp":"v","c":2}})", "a.fp"},                      // unsorted: not canonical
      {R"({"a":{"b":1,"fp":"v","g":2},"h":"\"\\\n\u001f"})", "a.fp"},  // nested, minimal escapes
      {R"({"a":"caf)" "\xC3\xA9" R"(","fp":"\u00e9"})", "fp"},          // an escaped value
  };
  for (const auto& [text, key] : rows) {
    INFO(text);
    const CanonicalCheck c = check_canonical(text, key);
    if (c.sliced) {
      CHECK(c.slices == c.written);
    }
  }
  CHECK(check_canonical(rows[0].first, "fp").sliced);
  CHECK(check_canonical(rows[3].first, "fp").slices == "{}");
  CHECK_FALSE(check_canonical(rows[5].first, "a.fp").canonical);
  CHECK(check_canonical(rows[6].first, "a.fp").sliced);
  CHECK_FALSE(check_canonical(rows[7].first, "fp").sliced);  // "\u00e9" is not JCS's escape
}

TEST_CASE("only an object member is cut out of a canonical text", "[audit][jcs]") {
  portcullis::audit::detail::JsonTape tape;
  REQUIRE(tape.parse(R"(["x","a",{"b":1}])"));
  REQUIRE(tape.is_canonical());
  std::string_view head;
  std::string_view tail;
  // Node 3 is the object; node 2 before it is an array element, not its member name.
  CHECK_FALSE(tape.canonical_without(3, head, tail));
  CHECK_FALSE(tape.canonical_without(0, head, tail));
  CHECK_FALSE(tape.canonical_without(portcullis::audit::detail::JsonTape::kNone, head, tail));
}

TEST_CASE("the parser calls a text canonical only when it is its own JCS form", "[audit][jcs]") {
  const std::pair<const char*, bool> rows[] = {
      {R"({"a":1,"b":[1,"x",true,false,null],"c":{}})", true},
      {R"({"a":"\"\\\b\f\n\r\t\u0001\u001f"})", true},
      {"{\"a\":\"\xC3\xA9\x7f\"}", true},
      {R"({"a":-123456789012345})", true},
      {R"({"b":1,"a":2})", false},                       // order
      {R"({"a":1,"a":1})", false},                       // duplicate
      {R"({ "a":1})", false},                            // white space
      {"{\"a\":1}\n", false},
      {R"({"a":"\/"})", false},                          // escapes JCS does not write
      {R"({"a":"\u0041"})", false},
      {R"({"a":"\u001F"})", false},
      {R"({"a":"\u000a"})", false},
      {R"({"a":"\ud83d\ude00"})", false},
      {R"({"a":1.0})", false},                           // numbers JCS writes otherwise
      {R"({"a":1e2})", false},
      {R"({"a":-0})", false},
      {R"({"a":1234567890123456})", false},              // 16 digits: left to the writer
      {"{\"\xEF\xAC\xB3\":1}", false},                   // UTF-16 order left to the writer
  };
  for (const auto& [text, canonical] : rows) {
    INFO(text);
    portcullis::audit::detail::JsonTape tape;
    REQUIRE(tape.parse(text));
    CHECK(tape.is_canonical() == canonical);
    if (canonical) {
      std::string out;
      REQUIRE(tape.write_canonical(out));
      CHECK(out == text);
    }
  }
}

TEST_CASE("the parser's eight-byte string scan stops at every special byte", "[audit][jcs]") {
  // A special byte at each offset of a long string, so both the 8-byte scan and the byte loop
  // after it see it.
  for (std::size_t at = 0; at < 24; ++at) {
    for (const char* special : {"\\\"", "\\\\", "\xC3\xA9", "\"x"}) {
      std::string body(24, 'a');
      body.insert(at, special);
      const std::string text = "[\"" + body + "\"]";
      INFO(text);
      portcullis::audit::detail::JsonTape tape;
      if (std::string_view(special) == "\"x") {
        CHECK_FALSE(tape.parse(text));  // the quote ends the string early
        continue;
      }
      REQUIRE(tape.parse(text));
      CHECK(tape.string(tape.element(0, 0)) == nlohmann::json::parse(text)[0].get<std::string>());
    }
    std::string control(24, 'a');
    control[at] = '\x01';
    portcullis::audit::detail::JsonTape tape;
    CHECK_FALSE(tape.parse("[\"" + control + "\"]"));
  }
}

TEST_CASE("JCS string escaping is the same at every position of a long string", "[audit][jcs]") {
  // The writer skips plain bytes eight at a time; a byte to escape at any offset, next to
  // non-ASCII bytes, must come out as the byte-by-byte rule says.
  const auto reference = [](std::string_view text) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out = "\"";
    for (const char ch : text) {
      const auto c = static_cast<unsigned char>(ch);
      switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
          if (c < 0x20) {
            out += "\\u00";
            out.push_back(kHex[c >> 4]);
            out.push_back(kHex[c & 0xf]);
          } else {
            out.push_back(ch);
          }
      }
    }
    return out + "\"";
  };
  for (std::size_t at = 0; at < 20; ++at) {
    for (const char* special : {"\"", "\\", "\x01", "\x1f", "\n", "\x7f", "\xC3\xA9", " "}) {
      std::string text = "ab\xE2\x82\xAC" "cdefghijklmnopq";
      text.insert(at, special);
      std::string out;
      portcullis::audit::append_jcs_string(out, text);
      CHECK(out == reference(text));
    }
  }
}
