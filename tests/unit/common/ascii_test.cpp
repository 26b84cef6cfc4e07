#include "portcullis/common/ascii.hpp"

#include <catch2/catch.hpp>
#include <string>

namespace portcullis {
namespace {

TEST_CASE("ascii_iequals ignores ASCII case only", "[common][ascii]") {
  CHECK(ascii_iequals("Content-Length", "content-length"));
  CHECK(ascii_iequals("IDENTITY", "identity"));
  CHECK(ascii_iequals("", ""));
  CHECK_FALSE(ascii_iequals("identity", "identit"));
  CHECK_FALSE(ascii_iequals("chunked", "chunkeD "));
  // Bytes outside ASCII are never folded: U+0130 (İ, UTF-8 C4 B0) and the Kelvin sign
  // (U+212A, E2 84 AA) must not match "i" / "k" as a Unicode-aware fold would.
  CHECK_FALSE(ascii_iequals("\xC4\xB0", "i"));
  CHECK_FALSE(ascii_iequals("chun\xE2\x84\xAA" "ed", "chunked"));
  // '@' and '[' sit just outside 'A'..'Z'; '`' and '{' just outside 'a'..'z'.
  CHECK_FALSE(ascii_iequals("@", "`"));
  CHECK_FALSE(ascii_iequals("[", "{"));
}

TEST_CASE("ascii_lowercase lowers capitals and copies every other byte", "[common][ascii]") {
  CHECK(ascii_lowercase("HTTP://Example.COM") == "http://example.com");
  const std::string high = "\xC3\x89t\xC3\xA9";  // "Été": the UTF-8 bytes stay as they are
  CHECK(ascii_lowercase(high) == high);
}

TEST_CASE("trim_ows removes only spaces and tabs at both ends", "[common][ascii]") {
  CHECK(trim_ows(" \t gzip \t ") == "gzip");
  CHECK(trim_ows("a b") == "a b");
  CHECK(trim_ows(" \t ").empty());
  // CR, LF, VT and FF are not OWS: a validator behind trim_ows must still see them.
  CHECK(trim_ows("\r5\n") == "\r5\n");
  CHECK(trim_ows("\v5\f") == "\v5\f");
}

TEST_CASE("is_tchar accepts exactly RFC 9110 token characters", "[common][ascii]") {
  const std::string tchars =
      "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
  for (int c = 0; c < 256; ++c) {
    const char ch = static_cast<char>(c);
    INFO("byte " << c);
    CHECK(is_tchar(ch) == (tchars.find(ch) != std::string::npos));
  }
}

TEST_CASE("hex_digit_value reads both cases and refuses everything else", "[common][ascii]") {
  const std::string digits = "0123456789abcdef";
  for (int c = 0; c < 256; ++c) {
    const char ch = static_cast<char>(c);
    const auto lower = digits.find(ascii_lower(ch));
    INFO("byte " << c);
    CHECK(hex_digit_value(ch) == (lower == std::string::npos ? -1 : static_cast<int>(lower)));
  }
}

}  // namespace
}  // namespace portcullis
