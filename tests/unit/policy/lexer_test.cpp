// Lexer tables: text → token kinds with positions, and the exact lexical errors.
#include <catch2/catch.hpp>

#include "policy/lexer.hpp"

namespace portcullis::policy {
namespace {

std::string kinds(std::string_view text) {
  std::string out;
  for (const auto& t : tokenize(text)) {
    if (!out.empty()) out += ' ';
    out += token_name(t.kind);
  }
  return out;
}

TEST_CASE("Operators are tokenized longest first", "[policy][lexer]") {
  CHECK(kinds("== != <= >= < > && || ! - + * :: : . , ;") ==
        "`==` `!=` `<=` `>=` `<` `>` `&&` `||` `!` `-` `+` `*` `::` `:` `.` `,` `;` end of input");
}

TEST_CASE("Identifiers, integers and strings carry their text", "[policy][lexer]") {
  const auto tokens = tokenize(R"(foo_1 42 "a\"b")");
  REQUIRE(tokens.size() == 4);
  CHECK(tokens[0].kind == Tok::Ident);
  CHECK(tokens[0].text == "foo_1");
  CHECK(tokens[1].kind == Tok::Int);
  CHECK(tokens[1].text == "42");
  CHECK(tokens[2].kind == Tok::String);
  CHECK(tokens[2].text == R"(a\"b)");
}

TEST_CASE("Positions are 1-based line:column and comments are skipped", "[policy][lexer]") {
  const auto tokens = tokenize("// comment\n  permit // more\n\t(");
  REQUIRE(tokens.size() == 3);
  CHECK(tokens[0].line == 2);
  CHECK(tokens[0].column == 3);
  CHECK(tokens[1].line == 3);
  CHECK(tokens[1].column == 2);
}

TEST_CASE("A string may span lines and positions continue after it", "[policy][lexer]") {
  const auto tokens = tokenize("\"a\nb\" x");
  REQUIRE(tokens.size() == 3);
  CHECK(tokens[1].line == 2);
  CHECK(tokens[1].column == 4);
}

TEST_CASE("Lexical errors name the problem", "[policy][lexer]") {
  struct Case {
    const char* text;
    const char* message;
  };
  const Case cases[] = {
      {"\"open", "unterminated string literal"},
      {"a = b", "unexpected `=` (did you mean `==`?)"},
      {"a & b", "unexpected `&` (did you mean `&&`?)"},
      {"a | b", "unexpected `|` (did you mean `||`?)"},
      {"#", "unexpected character `#`"},
      {"\xC3\xA9", "unexpected byte 0xc3"},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    bool found = false;
    for (const auto& t : tokenize(c.text)) {
      if (t.kind == Tok::Error) {
        CHECK(t.message == c.message);
        found = true;
        break;
      }
    }
    CHECK(found);
  }
}

}  // namespace
}  // namespace portcullis::policy
