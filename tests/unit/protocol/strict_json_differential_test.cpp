// protocol::parse_strict_json (hand-written, issue 5) against the parser it replaced
// (reference::parse_strict_json_sax): same verdict and same DOM on every input, except that a
// NUL byte is always refused now. The fuzz target fuzz_strict_json_diff does the same on
// fuzzer-made inputs; this test keeps a deterministic sample of it in every build.
#include <catch2/catch.hpp>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "portcullis/protocol/strict_json.hpp"
#include "strict_json_reference.hpp"
#include "strict_json_samples.hpp"

namespace {

using portcullis::protocol::parse_strict_json;
using portcullis::protocol::reference::parse_strict_json_sax;
using portcullis::protocol::reference::same_dom;
using namespace std::string_literals;
namespace samples = portcullis::protocol::samples;

const std::string kToolsCall(samples::kToolsCall);

// Both parsers on `text`; a description of the first difference, or "" when they agree.
// `accepted` counts the inputs the new parser accepted.
std::string difference(std::string_view text, std::uint32_t max_depth, int* accepted = nullptr) {
  const auto now = parse_strict_json(text, max_depth);
  if (now && accepted != nullptr) {
    ++*accepted;
  }
  if (text.find('\0') != std::string_view::npos) {
    return now ? "a NUL byte was accepted" : "";
  }
  const auto before = parse_strict_json_sax(text, max_depth);
  if (now.has_value() != before.has_value()) {
    return now ? "accepted; the reference refused: " + before.error().message
               : "refused (" + now.error().message + "); the reference accepted";
  }
  if (now && !same_dom(*now, *before)) {
    return "different DOM: " + now->dump() + " vs " + before->dump();
  }
  return "";
}

TEST_CASE("The strict parser gives the previous parser's verdict and DOM on crafted inputs",
          "[protocol][json]") {
  const std::string inputs[] = {
      kToolsCall,
      R"({"a":1,"b":[1,2,{"a":2}],"c":{"a":3}})",
      R"({"n":-9223372036854775808,"u":18446744073709551615,"f":1.5e300,"z":-0,"y":0})",
      R"([-0.0,0.0,1E+2,1e-400,-1e-400,4.9e-324,2.2250738585072011e-308,1.7976931348623157e308])",
      R"([1.7976931348623159e308,123456789012345678901234567890e-400])",
      R"([9223372036854775807,9223372036854775808,-9223372036854775808,-9223372036854775809])",
      R"([18446744073709551615,18446744073709551616,00,01,-01,1.,.1,1e,1e+,-,+1,0x1])",
      R"({"\u0062":"\"\\\/\b\f\n\r\t","\ud83d\ude00":"\uD83D\uDE00\u00E9\u0001\u001f"})",
      R"({"a":1,"\u0061":2})",
      R"({"a":{"b":1},"b":{"a":1}})",
      R"(["\ud800","\udc00","\ud800\u0041","\ud800\\u","\ud800\udbff","\udbff\udfff"])",
      R"(["\u0000","\u00","\u12G4","\x","\'"])",
      R"({"a\u0000":1})",
      "\"\xC2\x80\xDF\xBF\xE0\xA0\x80\xED\x9F\xBF\xEE\x80\x80\xF0\x90\x80\x80\xF4\x8F\xBF\xBF\x7F\"",
      "\"\xC1\xBF\"", "\"\xE0\x9F\xBF\"", "\"\xED\xA0\x80\"", "\"\xF0\x8F\xBF\xBF\"",
      "\"\xF4\x90\x80\x80\"", "\"\xF5\x80\x80\x80\"", "\"\xFF\"", "\"\x80\"", "\"\xC3\"",
      "\"\xE2\x82\"", "\"\x1f\"", "\"\x7f\"", "\xEF\xBB\xBF{}", "\xEF\xBB{}",
      " \t\n\r{} \t\n\r", "\x0c{}", "{}\x0c", "{} {}", "[] x", "", " ", "[", "]", "{", "}",
      "[1,]", "{\"a\":1,}", "{,}", "[,1]", "{\"a\"}", "{\"a\":}", "{\"a\" 1}", "{1:1}",
      "true", "false", "null", "tru", "nul", "falsey", "True", "NaN", "Infinity", "-Infinity",
      "/* c */ {}", "{} // c", "'a'", "\"abc", "\"a\\", "\"\\u", "\"\\ud800\\",
      std::string(64, '[') + std::string(64, ']'), std::string(65, '[') + std::string(65, ']'),
      std::string(64, '[') + std::string(63, ']'), "[{\"a\":[{\"b\":[]}]}]",
  };
  for (const std::uint32_t depth : {64u, 4u, 1u, 0u}) {
    for (const auto& text : inputs) {
      INFO("depth " << depth << ": " << text);
      CHECK(difference(text, depth).empty());
    }
  }
}

TEST_CASE("A NUL byte is refused anywhere, also after the value where the previous parser "
          "stopped reading",
          "[protocol][json]") {
  for (const auto& text : {"{}\0"s, "{\"a\":1}\0{\"a\":2}"s, "1\0 2"s, "\0{}"s, "[1,\0]"s,
                           "\"a\0\""s, "{\"a\0\":1}"s}) {
    INFO(text);
    CHECK_FALSE(parse_strict_json(text, 64));
  }
  // The hole this closes: the previous parser accepted garbage after a NUL.
  CHECK(parse_strict_json_sax("{}\0garbage"s, 64));
}

// Byte-level mutations of valid bodies, biased to the bytes and snippets where parsers differ.
TEST_CASE("The strict parser gives the previous parser's verdict and DOM on mutated bodies",
          "[protocol][json]") {
  const std::string seeds[] = {
      kToolsCall,
      R"([{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","id":"x","result":[1,-2,3.5e-7,true,null]}])",
      R"({"s":"caf\u00e9 \ud83d\ude00 \"q\" \\ /","k\u00e9y":{"nested":[[],{},[{}]]},"n":-0.5E+3})",
  };
  const std::string bytes = "{}[]\",:\\0123456789-+.eEutfnrbl \t\n"s + "\0\x01\x1f\x7f\x80\xbf\xc0\xc2\xdf\xe0\xed\xef\xf0\xf4\xf5\xff"s;
  const std::string snippets[] = {
      "\\u0000", "\\ud800", "\\udc00", "\\ud83d\\ude00", "\\u0061", "1e400", "-1e-400",
      "18446744073709551616", "-9223372036854775809", "\"a\":1,", ",\"id\":2", "\xED\xA0\x80",
      "\xF0\x9F\x98\x80", "[[[[", "]]", "{\"\":", "\\\"",
  };
  std::mt19937 random(20261127);
  const auto pick = [&](std::size_t n) {
    return std::uniform_int_distribution<std::size_t>(0, n - 1)(random);
  };
  int failures = 0;
  int accepted = 0;
  for (int round = 0; round < 6000; ++round) {
    std::string text = seeds[pick(std::size(seeds))];
    const std::size_t edits = 1 + pick(3);
    for (std::size_t e = 0; e < edits && !text.empty(); ++e) {
      const std::size_t at = pick(text.size());
      switch (pick(4)) {
        case 0:
          text[at] = bytes[pick(bytes.size())];
          break;
        case 1:
          text.insert(at, snippets[pick(std::size(snippets))]);
          break;
        case 2:
          text.erase(at, 1 + pick(3));
          break;
        default:
          text.insert(at, 1, bytes[pick(bytes.size())]);
          break;
      }
    }
    const auto diff = difference(text, 1 + static_cast<std::uint32_t>(pick(8)), &accepted);
    if (!diff.empty() && ++failures <= 5) {
      FAIL_CHECK(diff << "\n  input: " << text);
    }
  }
  CHECK(failures == 0);
  // The sample must exercise both verdicts, or it compares refusals only.
  INFO("accepted " << accepted << " of 6000");
  CHECK(accepted > 300);
  CHECK(accepted < 5700);
}

}  // namespace

TEST_CASE("The strict parser agrees with the previous parser wherever a special byte falls in "
          "the 16- and 8-byte blocks strings are scanned in",
          "[protocol][json]") {
  // Each byte the string scan must stop at — the closing quote, an escape, a raw control
  // character, the lead of a valid and of an invalid UTF-8 sequence, DEL (plain) — at every
  // offset 0..40 of a string, as a value and as a key, with the input ending right after the
  // string or well after it (the block loops only run while 16 or 8 bytes are left).
  const std::string specials[] = {"", "\\n", "\\u00e9", "\x01", "\xC3\xA9", "\xE2\x82\xAC",
                                  "\xF0\x9F\x98\x80", "\xC3", "\x80", "\xFF", "\x7F", "\\"};
  int accepted = 0;
  int inputs = 0;
  for (const auto& special : specials) {
    for (std::size_t offset = 0; offset <= 40; ++offset) {
      const std::string text = std::string(offset, 'a') + special + "bc";
      for (const std::string& input :
           {"\"" + text + "\"", "[\"" + text + "\"]", "{\"" + text + "\":1}",
            "{\"" + text + "\":\"" + text + "\",\"z\":[1,2,3,4,5,6,7,8,9,10,11,12,13,14]}"}) {
        INFO(input);
        CHECK(difference(input, 64, &accepted) == "");
        ++inputs;
      }
    }
  }
  // Most of them are JSON (only the raw control byte, the bad UTF-8 and the lone backslash are
  // not), so both verdicts are exercised.
  CHECK(accepted > inputs / 2);
  CHECK(accepted < inputs);
}
