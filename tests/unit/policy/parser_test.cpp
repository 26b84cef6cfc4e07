// Parser tables: policy text → accepted, or the exact error with line:column.
#include <catch2/catch.hpp>

#include "policy/parser.hpp"

namespace portcullis::policy {
namespace {

Diagnostics parse_errors(const std::string& text, std::vector<Policy>* out = nullptr) {
  std::vector<Policy> policies;
  Diagnostics d;
  ParseOptions options;
  options.file = "t.cedar";
  parse_policies(text, options, out != nullptr ? *out : policies, d);
  return d;
}

TEST_CASE("Well-formed policies parse", "[policy][parser]") {
  const char* accepted[] = {
      "permit(principal, action, resource);",
      "forbid(principal == User::\"a\", action == Action::\"b\", resource == Doc::\"c\");",
      "permit(principal in Group::\"g\", action in [Action::\"a\", NS::Action::\"b\"], resource);",
      "permit(principal is User, action, resource is NS::Doc in Folder::\"f\");",
      "permit(principal, action in Action::\"all\", resource) when { true } unless { false };",
      "@id(\"x\") @reason(\"because\") @flag permit(principal, action, resource);",
      "permit(principal, action, resource) when { [1, 2,].contains(1) && {a: 1,}.a == 1 };",
      "permit(principal, action in [], resource);",
      "permit(principal, action, resource) when { context has a.b.c };",
      "permit(principal, action, resource) when { if true then 1 else 2 == 1 };",
      "permit(principal, action, resource) when { -9223372036854775808 < 0 };",
      "permit(principal, action, resource) when { !!!!true };",
      "permit(principal, action, resource) when { principal[\"if\"] == 1 };",
  };
  for (const char* text : accepted) {
    INFO(text);
    CHECK(parse_errors(text).empty());
  }
}

TEST_CASE("Parse errors carry file:line:column and a precise message", "[policy][parser]") {
  struct Case {
    const char* text;
    const char* expected;
  };
  const Case cases[] = {
      {"permit(principal, action, resource)", "t.cedar:1:36: expected `when`, `unless` or `;`, found end of input"},
      {"allow(principal, action, resource);", "t.cedar:1:1: expected `permit` or `forbid`, found `allow`"},
      {"permit(action, principal, resource);", "t.cedar:1:8: expected `principal`, found `action`"},
      {"permit(principal, action, resource, context);", "t.cedar:1:35: a policy scope has exactly three parts: principal, action, resource"},
      {"permit(principal, action, resource) when { 1 + };", "t.cedar:1:48: expected an expression, found `}`"},
      {"permit(principal, action, resource) when {};", "t.cedar:1:43: a condition needs an expression"},
      {"permit(principal, action == User::\"x\", resource);", "t.cedar:1:29: expected an entity uid with type `Action` but got `User::\"x\"`"},
      {"permit(principal, action is Action, resource);", "t.cedar:1:26: `is` is not allowed in the action scope"},
      {"permit(principal == ?principal, action, resource);", "t.cedar:1:21: templates (`?principal`, `?resource`) are not supported"},
      {"@id(\"a\") @id(\"b\") permit(principal, action, resource);", "t.cedar:1:10: duplicate annotation `@id`"},
      {"permit(principal, action, resource) when { \"\\q\" };", "t.cedar:1:44: invalid escape `\\q`"},
      {"permit(principal, action, resource) when { \"\\*\" };", "t.cedar:1:44: invalid escape `\\*` (only allowed in `like` patterns)"},
      {"permit(principal, action, resource) when { \"\\x80\" };", "t.cedar:1:44: invalid `\\x` escape: value must be at most \\x7F"},
      {"permit(principal, action, resource) when { \"\\u{D800}\" };", "t.cedar:1:44: invalid `\\u` escape: not a Unicode scalar value"},
      {"permit(principal, action, resource) when { 9223372036854775808 == 0 };", "t.cedar:1:44: integer literal `9223372036854775808` is out of range"},
      {"permit(principal, action, resource) when { -9223372036854775809 == 0 };", "t.cedar:1:45: integer literal `-9223372036854775809` is out of range"},
      {"permit(principal, action, resource) when { 1 < 2 < 3 };", "t.cedar:1:50: expected `}`, found `<`"},
      {"permit(principal, action, resource) when { !!!!!true };", "t.cedar:1:44: too many occurrences of `!`"},
      {"permit(principal, action, resource) when { !-1 };", "t.cedar:1:45: unexpected `-` (mixing `!` and `-` needs parentheses)"},
      {"permit(principal, action, resource) when { {a: 1, a: 2} == {} };", "t.cedar:1:51: duplicate key `a` in record literal"},
      {"permit(principal, action, resource) when { foo };", "t.cedar:1:44: unknown variable `foo`"},
      {"permit(principal, action, resource) when { foo(1) };", "t.cedar:1:44: `foo` is not a valid function"},
      {"permit(principal, action, resource) when { [].foo() };", "t.cedar:1:47: `foo` is not a valid method"},
      {"permit(principal, action, resource) when { isIpv4(ip(\"1.2.3.4\")) };", "t.cedar:1:44: `isIpv4` is a method, not a function: call it as x.isIpv4(...)"},
      {"permit(principal, action, resource) when { \"1.0\".decimal() };", "t.cedar:1:50: `decimal` is a function, not a method: call it as decimal(...)"},
      {"permit(principal, action, resource) when { [].contains() };", "t.cedar:1:47: call to `contains` requires exactly 1 argument(s), but got 0"},
      {"permit(principal, action, resource) when { ip(\"a\", \"b\") };", "t.cedar:1:44: call to `ip` requires exactly 1 argument(s), but got 2"},
      {"permit(principal, action, resource) when { context.if };", "t.cedar:1:52: `if` is reserved; write the attribute as [\"if\"]"},
      {"permit(principal, action, resource) when { context like 1 };", "t.cedar:1:57: expected a string pattern after `like`, found integer `1`"},
      {"permit(principal, action, resource) when { context has 1 };", "t.cedar:1:56: expected an attribute name after `has`, found integer `1`"},
      {"permit(principal, action, resource)\n  when { true }\n  when { 1 = 2 };", "t.cedar:3:12: unexpected `=` (did you mean `==`?)"},
      {"permit(principal, action, resource) when { \"abc };", "t.cedar:1:44: unterminated string literal"},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    const auto d = parse_errors(c.text);
    REQUIRE(d.size() == 1);
    CHECK(d[0].to_string() == c.expected);
  }
}

TEST_CASE("Every broken policy in a file is reported, not just the first", "[policy][parser]") {
  std::vector<Policy> policies;
  const auto d = parse_errors(
      "permit(principal, action, resource) when { 1 + };\n"
      "permit(principal, action, resource);\n"
      "forbid(principal, action, resource) when { ) };\n",
      &policies);
  REQUIRE(d.size() == 2);
  CHECK(d[0].line == 1);
  CHECK(d[1].line == 3);
  CHECK(policies.size() == 1);
}

TEST_CASE("Nesting deeper than the limit is an error, not a crash", "[policy][parser]") {
  std::string deep = "permit(principal, action, resource) when { ";
  for (int i = 0; i < 100000; ++i) deep += '(';
  deep += "true";
  for (int i = 0; i < 100000; ++i) deep += ')';
  deep += " };";
  const auto d = parse_errors(deep);
  REQUIRE(d.size() == 1);
  CHECK_THAT(d[0].message, Catch::Contains("nested too deeply (limit 128)"));

  std::string chain = "permit(principal, action, resource) when { context";
  for (int i = 0; i < 1000; ++i) chain += ".a";
  chain += " };";
  CHECK_THAT(parse_errors(chain).at(0).message, Catch::Contains("nested too deeply"));
}

TEST_CASE("Long && chains are flat and do not count as nesting", "[policy][parser]") {
  std::string text = "permit(principal, action, resource) when { true";
  for (int i = 0; i < 5000; ++i) text += " && true";
  text += " };";
  std::vector<Policy> policies;
  CHECK(parse_errors(text, &policies).empty());
  REQUIRE(policies.size() == 1);
  CHECK(policies[0].conditions[0].body->kids.size() == 5001);
}

TEST_CASE("A like pattern over the size limit is refused", "[policy][parser]") {
  ParseOptions options;
  options.max_like_pattern_bytes = 8;
  auto e = parse_expression("\"x\" like \"123456789\"", options);
  REQUIRE_FALSE(e);
  CHECK(e.error().message == "1:10: `like` pattern is longer than the limit of 8 bytes");
}

TEST_CASE("Invalid UTF-8 in policy text is reported with its position", "[policy][parser]") {
  const auto d = parse_errors("permit(principal, action, resource)\nwhen { \"\xff\" };");
  REQUIRE(d.size() == 1);
  CHECK(d[0].to_string() == "t.cedar:2:9: invalid UTF-8");
}

TEST_CASE("String escapes decode exactly as Cedar defines them", "[policy][parser]") {
  struct Case {
    const char* raw;
    std::string decoded;
  };
  const Case cases[] = {
      {R"(a\nb)", "a\nb"},       {R"(\t\r)", "\t\r"},        {R"(\\)", "\\"},
      {R"(\")", "\""},           {R"(\')", "'"},             {R"(\0)", std::string(1, '\0')},
      {R"(\x41)", "A"},          {R"(\u{48})", "H"},         {R"(\u{e9})", "\xC3\xA9"},
      {R"(\u{1F600})", "\xF0\x9F\x98\x80"},
  };
  for (const auto& c : cases) {
    INFO(c.raw);
    std::string out;
    std::string error;
    REQUIRE(unescape_cedar_string(c.raw, out, error));
    CHECK(out == c.decoded);
  }
  std::string out;
  std::string error;
  CHECK_FALSE(unescape_cedar_string(R"(\u{110000})", out, error));
  CHECK_FALSE(unescape_cedar_string(R"(\u{1234567})", out, error));
  CHECK_FALSE(unescape_cedar_string(R"(\x4)", out, error));
  CHECK_FALSE(unescape_cedar_string(R"(\)", out, error));
}

}  // namespace
}  // namespace portcullis::policy

namespace portcullis::policy {
namespace {

TEST_CASE("Set and record literals over the element limit are refused", "[policy][parser]") {
  ParseOptions options;
  options.max_collection_elements = 3;
  CHECK(parse_expression("[1, 2, 3]", options));
  auto set = parse_expression("[1, 2, 3, 4]", options);
  REQUIRE_FALSE(set);
  CHECK(set.error().message == "1:11: more than 3 elements in one set, record or argument list");
  auto record = parse_expression("{a: 1, b: 2, c: 3, d: 4}", options);
  REQUIRE_FALSE(record);
  CHECK(record.error().message ==
        "1:20: more than 3 elements in one set, record or argument list");
}

}  // namespace
}  // namespace portcullis::policy
