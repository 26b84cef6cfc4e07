// Values: constructors, set/record normalisation, and both JSON forms.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "policy/value_node.hpp"
#include "portcullis/policy/value.hpp"

namespace portcullis::policy {
namespace {

TEST_CASE("Sets collapse duplicates and compare by content", "[policy][value]") {
  const Value a = Value::set({Value::integer(2), Value::integer(1), Value::integer(2)});
  const Value b = Value::set({Value::integer(1), Value::integer(2)});
  CHECK(a.node().elements.size() == 2);
  CHECK(compare_values(a, b) == 0);
}

TEST_CASE("Records are keyed by name and a later duplicate key wins", "[policy][value]") {
  const Value r = Value::record({{"b", Value::integer(1)}, {"a", Value::integer(2)},
                                 {"b", Value::integer(3)}});
  REQUIRE(r.node().fields.size() == 2);
  CHECK(find_field(r.node(), "b")->node().n == 3);
}

TEST_CASE("Record fields are found by exact key, whatever bytes the keys share",
          "[policy][value]") {
  // Keys that share first bytes, differ only in length, are empty or non-ASCII (bytes from
  // 0x80 sort after ASCII), in records of every size from 0 to all of them.
  const std::vector<std::string> keys = {"",     "a",     "ab",        "abc",  "b",
                                         "rate", "route", "session",   "source_ip",
                                         "time", "tls",   "\x7f",      "\xc3\xa9",
                                         "\xef\xbf\xbd", "\xf0\x9f\x98\x80"};
  const std::vector<std::string> absent = {"A",    "aa",   "abcd", "r",  "rat",  "s",
                                           "sz",   "t",    "zzz",  "\x80", "\xc3", "\xff"};
  for (std::size_t n = 0; n <= keys.size(); ++n) {
    std::vector<std::pair<std::string, Value>> fields;
    for (std::size_t i = 0; i < n; ++i) {
      fields.emplace_back(keys[i], Value::integer(static_cast<std::int64_t>(i)));
    }
    const Value r = Value::record(std::move(fields));
    for (std::size_t i = 0; i < keys.size(); ++i) {
      const Value* found = find_field(r.node(), keys[i]);
      if (i < n) {
        REQUIRE(found != nullptr);
        CHECK(found->node().n == static_cast<std::int64_t>(i));
      } else {
        CHECK(found == nullptr);
      }
    }
    for (const auto& key : absent) {
      CHECK(find_field(r.node(), key) == nullptr);
    }
  }
}

TEST_CASE("The default Value is the empty record", "[policy][value]") {
  CHECK(Value().node().kind == Kind::Record);
  CHECK(Value().node().fields.empty());
}

TEST_CASE("Plain JSON follows the gateway's rules", "[policy][value]") {
  const auto json = nlohmann::json::parse(
      R"({"n": 5, "big": 18446744073709551615, "f": 1.5, "s": "x", "a": [1, 1, null],
          "z": null, "e": {"__entity": {"type": "U", "id": "x"}}})");
  auto v = value_from_plain_json(json);
  REQUIRE(v);
  const auto& r = v->node();
  CHECK(find_field(r, "n")->node().n == 5);
  CHECK(find_field(r, "big")->node().s == "18446744073709551615");
  CHECK(find_field(r, "f")->node().s == "1.5");
  CHECK(find_field(r, "a")->node().elements.size() == 1);
  CHECK(find_field(r, "z") == nullptr);
  // __entity is plain data in agent input.
  CHECK(find_field(r, "e")->node().kind == Kind::Record);
}

TEST_CASE("Plain JSON deeper than max_depth fails", "[policy][value]") {
  nlohmann::json deep = 1;
  for (int i = 0; i < 10; ++i) deep = nlohmann::json::array({deep});
  CHECK_FALSE(value_from_plain_json(deep, 5));
  CHECK(value_from_plain_json(deep, 20));
}

TEST_CASE("Cedar JSON round-trips escapes for entities and extension values", "[policy][value]") {
  const auto json = nlohmann::json::parse(
      R"({"e": {"__entity": {"type": "A::B", "id": "x\"y"}},
          "ip": {"__extn": {"fn": "ip", "arg": "10.0.0.0/8"}},
          "d": {"__extn": {"fn": "decimal", "arg": "-1.5"}},
          "t": {"__extn": {"fn": "datetime", "arg": "2024-01-01T00:00:00Z"}},
          "u": {"__extn": {"fn": "duration", "arg": "1h"}}})");
  auto v = value_from_cedar_json(json);
  REQUIRE(v);
  auto back = value_from_cedar_json(value_to_cedar_json(*v));
  REQUIRE(back);
  CHECK(compare_values(*v, *back) == 0);
  CHECK(value_to_cedar_json(*v)["d"]["__extn"]["arg"] == "-1.5000");
}

TEST_CASE("Extension constructors report Cedar's reason", "[policy][value]") {
  CHECK(Value::extension("ip", "10.0.0.1"));
  auto bad = Value::extension("decimal", "1.23456");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message == "too many digits after the decimal in `1.23456`");
  CHECK_FALSE(Value::extension("nope", "1"));
}

TEST_CASE("EntityUid prints in Cedar source form with escapes", "[policy][value]") {
  CHECK(EntityUid{"Tool", "srv/read"}.to_string() == "Tool::\"srv/read\"");
  CHECK(EntityUid{"A::B", "q\"\\\n"}.to_string() == "A::B::\"q\\\"\\\\\\n\"");
}

}  // namespace
}  // namespace portcullis::policy
