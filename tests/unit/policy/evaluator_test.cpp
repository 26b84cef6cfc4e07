// Evaluator tables: expression → value, or expression → the error it must raise.
#include <catch2/catch.hpp>

#include "unit/policy/eval_harness.hpp"

namespace portcullis::policy {
namespace {

using test::eval_text;

struct Case {
  const char* expr;
  const char* expected;  // result text, or "error: <substring>"
};

void run_table(const std::vector<Case>& cases, const std::string& context = "{}") {
  for (const auto& c : cases) {
    INFO(c.expr);
    const std::string got = eval_text(c.expr, context);
    const std::string want = c.expected;
    if (want.rfind("error: ", 0) == 0) {
      REQUIRE(got.rfind("error: ", 0) == 0);
      CHECK_THAT(got, Catch::Contains(want.substr(7)));
    } else {
      CHECK(got == want);
    }
  }
}

TEST_CASE("Long arithmetic is exact and overflow is an error", "[policy][evaluator]") {
  run_table({
      {"1 + 2 * 3", "7"},
      {"(1 + 2) * 3", "9"},
      {"10 - 20", "-10"},
      {"-9223372036854775808", "-9223372036854775808"},
      {"9223372036854775807 + 1", "error: overflow while attempting to add"},
      {"-9223372036854775807 - 2", "error: overflow while attempting to subtract"},
      {"9223372036854775807 * 2", "error: overflow while attempting to multiply"},
      {"-9223372036854775808 * -1", "error: overflow while attempting to multiply"},
      {"-(-9223372036854775808)", "error: overflow while attempting to negate"},
      {"--9223372036854775808", "error: overflow while attempting to negate"},
      {"- -1", "1"},
      {"1 + \"a\"", "error: expected Long, got String"},
      {"true * 2", "error: expected Long, got Bool"},
  });
}

TEST_CASE("Comparisons are typed: Long, datetime and duration only", "[policy][evaluator]") {
  run_table({
      {"1 < 2", "true"},
      {"2 <= 2", "true"},
      {"3 > 4", "false"},
      {"4 >= 5", "false"},
      {"\"a\" < \"b\"", "error: type error"},
      {"1 < \"b\"", "error: type error"},
      {"decimal(\"1.0\") < decimal(\"2.0\")", "error: type error"},
      {"datetime(\"2024-01-01\") < datetime(\"2024-01-02\")", "true"},
      {"duration(\"1h\") > duration(\"59m\")", "true"},
      {"duration(\"1h\") > datetime(\"2024-01-01\")", "error: type error"},
  });
}

TEST_CASE("Equality is structural and never an error across types", "[policy][evaluator]") {
  run_table({
      {"1 == 1", "true"},
      {"1 == \"1\"", "false"},
      {"[1, 2, 2] == [2, 1]", "true"},
      {"{a: 1, b: [true]} == {b: [true], a: 1}", "true"},
      {"User::\"alice\" == principal", "true"},
      {"User::\"alice\" != User::\"bob\"", "true"},
      {"decimal(\"1.0\") == decimal(\"1.0000\")", "true"},
      {"ip(\"10.0.0.1\") == ip(\"10.0.0.1/32\")", "true"},
      {"ip(\"10.0.0.1/24\") == ip(\"10.0.0.0/24\")", "false"},
      {"[principal] == [User::\"alice\"]", "true"},
  });
}

TEST_CASE("&& and || short-circuit and require Bool operands", "[policy][evaluator]") {
  run_table({
      {"false && (1 + \"x\" == 2)", "false"},
      {"true || (1 + \"x\" == 2)", "true"},
      {"true && (1 + \"x\" == 2)", "error: expected Long"},
      {"false || (9223372036854775807 + 1 == 0)", "error: overflow"},
      {"false || 1", "error: expected Bool, got Long"},
      {"1 && true", "error: expected Bool, got Long"},
      {"false && 1", "false"},
      {"true && 1", "error: expected Bool, got Long"},
      {"!true", "false"},
      {"!!true", "true"},
      {"!1", "error: expected Bool"},
      {"if 1 > 0 then \"yes\" else 1 + \"x\"", "\"yes\""},
      {"if \"x\" then 1 else 2", "error: expected Bool"},
  });
}

TEST_CASE("in is reflexive and transitive", "[policy][evaluator]") {
  run_table({
      {"principal in principal", "true"},
      {"principal in Group::\"eng\"", "true"},
      {"principal in Group::\"org\"", "true"},
      {"Group::\"org\" in Group::\"eng\"", "false"},
      {"Group::\"eng\" in Group::\"org\"", "true"},
      {"principal in User::\"bob\"", "false"},
      {"User::\"ghost\" in Group::\"eng\"", "false"},
      {"User::\"ghost\" in User::\"ghost\"", "true"},
      {"principal in [User::\"bob\", Group::\"org\"]", "true"},
      {"principal in []", "false"},
      {"principal in [Group::\"org\", 1]", "error: set of entities"},
      {"1 in Group::\"eng\"", "error: expected Entity"},
      {"principal in \"eng\"", "error: expected Entity or Set"},
  });
}

TEST_CASE("has and attribute access on records and entities", "[policy][evaluator]") {
  run_table(
      {
          {"principal has age", "true"},
          {"principal has \"age\"", "true"},
          {"principal has missing", "false"},
          {"User::\"ghost\" has age", "false"},
          {"principal.age", "30"},
          {"principal[\"name\"]", "\"Alice\""},
          {"principal.manager.age", "40"},
          {"principal.address.city", "\"Paris\""},
          {"principal has address.city", "true"},
          {"principal has address.country", "false"},
          {"principal has nothing.city", "false"},
          {"context.a.b", "1"},
          {"context has a.b", "true"},
          {"context has a.c", "false"},
          {"principal.missing", "error: does not have the attribute `missing`"},
          {"User::\"ghost\".age", "error: does not exist"},
          {"context.nope", "error: record does not have the attribute `nope`"},
          {"1 has a", "error: expected Entity or Record, got Long"},
          {"\"s\" has a", "error: expected Entity or Record, got String"},
          {"(1).a", "error: expected Entity or Record"},
          {"{x: {y: 2}}.x.y", "2"},
          {"{x: context.a}.x.b", "1"},
      },
      R"({"a": {"b": 1}})");
}

TEST_CASE("like matches * wildcards and \\* literal stars", "[policy][evaluator]") {
  run_table({
      {R"("abc" like "abc")", "true"},
      {R"("abc" like "a*")", "true"},
      {R"("abc" like "*c")", "true"},
      {R"("abc" like "*b*")", "true"},
      {R"("abc" like "a*b*c")", "true"},
      {R"("abc" like "a*c*")", "true"},
      {R"("ac" like "a*b*c")", "false"},
      {R"("" like "*")", "true"},
      {R"("" like "")", "true"},
      {R"("a*c" like "a\*c")", "true"},
      {R"("abc" like "a\*c")", "false"},
      {R"("a*" like "*\*")", "true"},
      {R"("aaa" like "a*a*a")", "true"},
      {R"("aa" like "a*a*a")", "false"},
      {R"("/srv/x/y" like "/srv/*")", "true"},
      {R"("é*ü" like "é\*ü")", "true"},
      {R"("éxü" like "é*ü")", "true"},
      {R"(1 like "1")", "error: expected String"},
  });
}

TEST_CASE("Set methods: contains, containsAll, containsAny, isEmpty", "[policy][evaluator]") {
  run_table({
      {"[1, 2, 3].contains(2)", "true"},
      {"[1, 2, 3].contains(\"2\")", "false"},
      {"[[1], [2]].contains([2])", "true"},
      {"[1, 2, 3].containsAll([1, 3])", "true"},
      {"[1, 2].containsAll([1, 3])", "false"},
      {"[1, 2].containsAll([])", "true"},
      {"[1, 2].containsAny([3, 2])", "true"},
      {"[1, 2].containsAny([])", "false"},
      {"[].isEmpty()", "true"},
      {"[1].isEmpty()", "false"},
      {"principal.roles.contains(\"admin\")", "true"},
      {"1.contains(1)", "error: expected Set, got Long"},
      {"(1).contains(1)", "error: expected Set, got Long"},
      {"[1].containsAll(1)", "error: expected Set, got Long"},
      {"\"abc\".isEmpty()", "error: expected Set, got String"},
  });
}

TEST_CASE("is tests the entity type, and is-in adds an in test", "[policy][evaluator]") {
  run_table({
      {"principal is User", "true"},
      {"principal is Group", "false"},
      {"principal is User in Group::\"org\"", "true"},
      {"principal is Group in 1", "false"},
      {"principal is User in 1", "error: expected Entity or Set"},
      {"NS::A::\"x\" is NS::A", "true"},
      {"1 is User", "error: expected Entity"},
  });
}

TEST_CASE("Entity tags: hasTag and getTag", "[policy][evaluator]") {
  run_table({
      {"resource.hasTag(\"owner\")", "true"},
      {"resource.hasTag(\"nope\")", "false"},
      {"resource.getTag(\"level\") + 1", "4"},
      {"resource.getTag(\"nope\")", "error: does not have the tag"},
      {"principal.hasTag(\"owner\")", "false"},
      {"Tool::\"ghost\".hasTag(\"owner\")", "false"},
      {"Tool::\"ghost\".getTag(\"owner\")", "error: does not exist"},
      {"resource.hasTag(1)", "error: expected String"},
      {"\"x\".hasTag(\"a\")", "error: expected Entity"},
  });
}

TEST_CASE("ipaddr functions, including IPv6 ranges and refused embedded IPv4",
          "[policy][evaluator]") {
  run_table({
      {R"(ip("10.1.2.3").isInRange(ip("10.0.0.0/8")))", "true"},
      {R"(ip("11.1.2.3").isInRange(ip("10.0.0.0/8")))", "false"},
      {R"(ip("10.0.0.0/16").isInRange(ip("10.0.0.0/8")))", "true"},
      {R"(ip("10.0.0.0/8").isInRange(ip("10.0.0.0/16")))", "false"},
      {R"(ip("2001:db8::1").isInRange(ip("2001:db8::/32")))", "true"},
      {R"(ip("2001:db9::1").isInRange(ip("2001:db8::/32")))", "false"},
      {R"(ip("::1").isInRange(ip("::/0")))", "true"},
      {R"(ip("10.0.0.1").isInRange(ip("::/0")))", "false"},
      {R"(ip("::ffff:a00:1").isInRange(ip("10.0.0.0/8")))", "false"},
      {R"(ip("::ffff:10.0.0.1"))", "error: IPv4 embedded in IPv6"},
      {R"(ip("::ffff:10.0.0.1/120"))", "error: IPv4 embedded in IPv6"},
      {R"(ip("127.0.0.1").isLoopback())", "true"},
      {R"(ip("127.0.0.0/4").isLoopback())", "false"},
      {R"(ip("::1").isLoopback())", "true"},
      {R"(ip("224.0.0.1").isMulticast())", "true"},
      {R"(ip("ff02::1").isMulticast())", "true"},
      {R"(ip("10.0.0.1").isIpv4())", "true"},
      {R"(ip("10.0.0.1").isIpv6())", "false"},
      {R"(ip("1.2.3.4/33"))", "error: larger than the limit"},
      {R"(ip("1.2.3.4/08"))", "error: leading zero"},
      {R"(ip("01.2.3.4"))", "error: invalid IP address"},
      {R"(ip("1.2.3"))", "error: invalid IP address"},
      {R"(ip(1))", "error: expected String"},
      {R"(ip("1.2.3.4").isInRange("1.2.3.4"))", "error: expected ipaddr, got String"},
      {R"(principal.ip.isInRange(ip("192.168.0.0/16")))", "true"},
  });
}

TEST_CASE("decimal range, precision and comparisons", "[policy][evaluator]") {
  run_table({
      {R"(decimal("1.23").lessThan(decimal("1.24")))", "true"},
      {R"(decimal("-1.5").lessThanOrEqual(decimal("-1.5")))", "true"},
      {R"(decimal("2.0").greaterThan(decimal("1.9999")))", "true"},
      {R"(decimal("2.0").greaterThanOrEqual(decimal("2.00001")))", "error: too many digits"},
      {R"(decimal("922337203685477.5807").greaterThan(decimal("0.0")))", "true"},
      {R"(decimal("922337203685477.5808"))", "error: overflow"},
      {R"(decimal("-922337203685477.5808").lessThan(decimal("0.0")))", "true"},
      {R"(decimal("-922337203685477.5809"))", "error: overflow"},
      {R"(decimal("1"))", "error: not a well-formed decimal"},
      {R"(decimal(".5"))", "error: not a well-formed decimal"},
      {R"(decimal("1.5").lessThan(1))", "error: expected decimal"},
  });
}

TEST_CASE("datetime and duration parsing, offsets and methods", "[policy][evaluator]") {
  run_table({
      {R"(datetime("2024-10-15T11:38:02.101-1134") == datetime("2024-10-15T23:12:02.101Z"))",
       "true"},
      {R"(datetime("2024-10-15T23:59:00+2359") == datetime("2024-10-15"))", "true"},
      {R"(datetime("2024-02-29").toDate() == datetime("2024-02-29"))", "true"},
      {R"(datetime("2025-02-29"))", "error: invalid date"},
      {R"(datetime("2016-12-31T23:59:60Z"))", "error: invalid hour/minute/second"},
      {R"(datetime("2024-01-01T00:00:00"))", "error: invalid millisecond and/or offset"},
      {R"(datetime("2024-01-01T00:00:00+2400"))", "error: invalid offset range"},
      {R"(datetime("2024-01-01T00:00:00.0001Z"))", "error: invalid millisecond"},
      {R"(datetime("1969-12-31T23:00:00Z").toDate() == datetime("1969-12-31"))", "true"},
      {R"(datetime("1969-12-31T23:00:00Z").toTime() == duration("23h"))", "true"},
      {R"(datetime("2024-10-15T11:38:02Z").toTime().toSeconds())", "41882"},
      {R"(datetime("2024-01-02").durationSince(datetime("2024-01-01")) == duration("1d"))",
       "true"},
      {R"(datetime("2024-01-01").offset(duration("-1d")) == datetime("2023-12-31"))", "true"},
      {R"(duration("1d2h3m4s5ms").toMilliseconds())", "93784005"},
      {R"(duration("-90m").toHours())", "-1"},
      {R"(duration("2d").toDays())", "2"},
      {R"(duration("1h1d"))", "error: invalid duration"},
      {R"(duration(""))", "error: invalid duration"},
      {R"(duration("-"))", "error: invalid duration"},
      {R"(duration("1"))", "error: invalid duration"},
      {R"(duration("9223372036854775807ms").toMilliseconds())", "9223372036854775807"},
      {R"(duration("9223372036854775808ms"))", "error: overflows"},
      {R"(duration("106751991167d").toDays())", "106751991167"},
      {R"(duration("106751991168d"))", "error: overflows"},
      {R"(datetime("2024-01-01").offset(duration("9223372036854775807ms")))", "error: overflows"},
      {R"(datetime("2024-01-01").offset(1))", "error: expected duration"},
  });
}

TEST_CASE("Set and record literals evaluate their members", "[policy][evaluator]") {
  run_table({
      {"[1, 1 + 1, 2].contains(2)", "true"},
      {"[1, 9223372036854775807 + 1]", "error: overflow"},
      {"{a: 1 + 1}.a", "2"},
      {"{\"key with space\": 1}[\"key with space\"]", "1"},
  });
}

}  // namespace
}  // namespace portcullis::policy
