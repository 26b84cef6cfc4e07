// Entity store: Cedar's JSON entity format, escapes, ancestors and every load error.
#include <catch2/catch.hpp>

#include "policy/entity_store.hpp"
#include "policy/value_node.hpp"
#include "portcullis/policy/entities.hpp"

namespace portcullis::policy {
namespace {

std::shared_ptr<const Entities> load(const std::string& text, Diagnostics& d) {
  return Entities::from_json_text(text, "e.json", d);
}

TEST_CASE("Entities load with attributes, parents, tags and escapes", "[policy][entities]") {
  Diagnostics d;
  auto e = load(R"([
    {"uid": {"type": "User", "id": "a"}, "attrs": {"boss": {"__entity": {"type": "User", "id": "b"}},
      "net": {"__extn": {"fn": "ip", "arg": "10.0.0.0/8"}}}, "parents": [{"type": "G", "id": "g"}]},
    {"uid": {"__entity": {"type": "User", "id": "b"}}, "attrs": {}, "parents": [], "tags": {"t": 1}}
  ])", d);
  REQUIRE(d.empty());
  REQUIRE(e);
  CHECK(e->size() == 2);
  const auto* a = e->impl().find(EntityUid{"User", "a"});
  REQUIRE(a != nullptr);
  const Value* boss = find_field(a->attrs.node(), "boss");
  REQUIRE(boss != nullptr);
  CHECK(boss->node().kind == Kind::Entity);
  CHECK(boss->node().uid == EntityUid{"User", "b"});
  // A parent that is not itself defined still counts for `in`.
  const auto g = e->impl().index_of(EntityUid{"G", "g"});
  REQUIRE(g >= 0);
  CHECK(a->ancestors == std::vector<std::uint32_t>{static_cast<std::uint32_t>(g)});
}

TEST_CASE("Ancestors are transitive", "[policy][entities]") {
  Diagnostics d;
  auto e = load(R"([
    {"uid": {"type": "G", "id": "a"}, "attrs": {}, "parents": [{"type": "G", "id": "b"}]},
    {"uid": {"type": "G", "id": "b"}, "attrs": {}, "parents": [{"type": "G", "id": "c"}]},
    {"uid": {"type": "G", "id": "c"}, "attrs": {}, "parents": [{"type": "G", "id": "d"}]}
  ])", d);
  REQUIRE(e);
  const auto* a = e->impl().find(EntityUid{"G", "a"});
  REQUIRE(a != nullptr);
  CHECK(a->ancestors.size() == 3);  // b, c and d (undefined, named as a parent)
}

TEST_CASE("A parent cycle is refused at load, as Cedar refuses it", "[policy][entities]") {
  Diagnostics d;
  CHECK(load(R"([
    {"uid": {"type": "G", "id": "a"}, "attrs": {}, "parents": [{"type": "G", "id": "b"}]},
    {"uid": {"type": "G", "id": "b"}, "attrs": {}, "parents": [{"type": "G", "id": "a"}]},
    {"uid": {"type": "G", "id": "c"}, "attrs": {}, "parents": [{"type": "G", "id": "a"}]}
  ])", d) == nullptr);
  REQUIRE(d.size() == 2);
  CHECK(d[0].to_string() ==
        "e.json:2:5: entity G::\"a\": the parent hierarchy has a cycle through it");
  CHECK(d[1].to_string() ==
        "e.json:3:5: entity G::\"b\": the parent hierarchy has a cycle through it");
  Diagnostics self;
  CHECK(load(R"([{"uid": {"type": "G", "id": "s"}, "attrs": {}, "parents": [{"type": "G", "id": "s"}]}])",
             self) == nullptr);
  CHECK(self.size() == 1);
}

TEST_CASE("An invalid __entity escape is a plain record, as in Cedar", "[policy][entities]") {
  Diagnostics d;
  auto e = load(R"([{"uid": {"type": "U", "id": "a"}, "parents": [],
                     "attrs": {"odd": {"__entity": {"type": "U"}}}}])", d);
  REQUIRE(e);
  const Value* odd = find_field(e->impl().find(EntityUid{"U", "a"})->attrs.node(), "odd");
  REQUIRE(odd != nullptr);
  CHECK(odd->node().kind == Kind::Record);
}

TEST_CASE("Entity load errors are all reported", "[policy][entities]") {
  struct Case {
    const char* text;
    const char* expected;
  };
  const Case cases[] = {
      {"[",
       "e.json:1:2: syntax error while parsing value - unexpected end of input; expected '[', '{', "
       "or a literal"},
      {"{}",
       "e.json:1:1: an entities file is a JSON array of {\"uid\", \"attrs\", \"parents\"} objects"},
      {R"([{"attrs": {}}])", "e.json:1:2: entity #0: missing \"uid\""},
      {R"([{"uid": {"type": "U"}, "attrs": {}, "parents": []}])",
       "e.json:1:10: entity #0: uid: expected an entity reference {\"type\": \"...\", \"id\": "
       "\"...\"}"},
      {R"([{"uid": {"type": "U", "id": "a"}, "attrs": {}, "parents": [], "color": 1}])",
       "e.json:1:64: entity #0: unknown field \"color\""},
      {R"([{"uid": {"type": "U", "id": "a"}, "attrs": {}, "parents": []}, {"uid": {"type": "U", "id": "a"}, "attrs": {}, "parents": []}])",
       "e.json:1:65: entity U::\"a\": defined more than once"},
      {R"([{"uid": {"type": "U", "id": "a"}, "parents": []}])",
       "e.json:1:2: entity #0: missing \"attrs\""},
      {R"([{"uid": {"type": "U", "id": "a"}, "attrs": {}}])",
       "e.json:1:2: entity #0: missing \"parents\""},
      {R"([{"uid": {"type": "User::", "id": "a"}, "attrs": {}, "parents": []}])",
       "e.json:1:10: entity #0: uid: `User::` is not a valid entity type name"},
      {R"([{"uid": {"type": "if", "id": "a"}, "attrs": {}, "parents": []}])",
       "e.json:1:10: entity #0: uid: `if` is not a valid entity type name"},
      {R"([{"uid": {"type": "Action", "id": "a"}, "attrs": {}, "parents": [{"type": "User", "id": "u"}]}])",
       "e.json:1:66: entity Action::\"a\": an action's parents must be actions, not User::\"u\""},
      {R"([{"uid": {"type": "U", "id": "a"}, "parents": [], "attrs": {"e": {"__entity": {"type": "1x", "id": "b"}}}}])",
       "e.json:1:60: entity U::\"a\": attrs: in attribute \"e\": in __entity escape: `1x` is not a "
       "valid entity type name"},
      {R"([{"uid": {"type": "U", "id": "a"}, "parents": [], "attrs": {"x": 1.5}}])",
       "e.json:1:60: entity U::\"a\": attrs: in attribute \"x\": number 1.5 is not an integer "
       "(Cedar has no floats)"},
      {R"([{"uid": {"type": "U", "id": "a"}, "parents": [], "attrs": {"x": null}}])",
       "e.json:1:60: entity U::\"a\": attrs: in attribute \"x\": null is not a Cedar value"},
      {R"([{"uid": {"type": "U", "id": "a"}, "attrs": {"x": 1, "x": 2}}])",
       "e.json:1:54: duplicate key \"x\" in a JSON object"},
      {R"([{"uid": {"type": "U", "id": "a"}, "parents": [], "attrs": {"x": {"__extn": {"fn": "ip", "arg": "nope"}}}}])",
       "e.json:1:60: entity U::\"a\": attrs: in attribute \"x\": in __extn escape: invalid IP "
       "address: nope"},
      {R"([{"uid": {"type": "U", "id": "a"}, "attrs": {}, "parents": "G::\"g\""}])",
       "e.json:1:60: entity U::\"a\": \"parents\" must be an array"},
      {R"([{"uid": {"type": "U", "id": "a"}, "parents": [], "attrs": {"n": 9223372036854775808}}])",
       "e.json:1:60: entity U::\"a\": attrs: in attribute \"n\": integer 9223372036854775808 does "
       "not fit in a Cedar Long"},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    Diagnostics d;
    CHECK(load(c.text, d) == nullptr);
    REQUIRE(d.size() == 1);
    CHECK(d[0].to_string() == c.expected);
  }
}

TEST_CASE("Entity load errors point at the part at fault on its own line", "[policy][entities]") {
  Diagnostics d;
  CHECK(load("[\n"
             "  {\"uid\": {\"type\": \"U\", \"id\": \"a\"}, \"attrs\": {}, \"parents\": []},\n"
             "  {\"uid\": {\"type\": \"Action\", \"id\": \"b\"},\n"
             "   \"attrs\": {},\n"
             "   \"parents\": [{\"type\": \"Action\", \"id\": \"ok\"},\n"
             "               {\"type\": \"User\", \"id\": \"u\"}],\n"
             "   \"extra\": true},\n"
             "  7\n"
             "]",
             d) == nullptr);
  REQUIRE(d.size() == 3);
  CHECK(d[0].to_string() == "e.json:7:4: entity #1: unknown field \"extra\"");
  CHECK(d[1].to_string() ==
        "e.json:6:16: entity Action::\"b\": an action's parents must be actions, not User::\"u\"");
  CHECK(d[2].to_string() == "e.json:8:3: entity #2: expected an object");
}

TEST_CASE("Entity positions skip a byte order mark and strings holding brackets",
          "[policy][entities]") {
  Diagnostics d;
  CHECK(load("\xEF\xBB\xBF [{\"uid\": {\"type\": \"U\", \"id\": \"}],{\\\"\"}, \"attrs\": {},"
             " \"parents\": []},\n{\"uid\": {\"type\": \"U\", \"id\": \"b\"}, \"attrs\": [],"
             " \"parents\": []}]",
             d) == nullptr);
  REQUIRE(d.size() == 1);
  CHECK(d[0].to_string() == "e.json:2:44: entity U::\"b\": \"attrs\" must be an object");
}

TEST_CASE("A duplicate key is reported at its second occurrence, escaped or not",
          "[policy][entities]") {
  Diagnostics d;
  CHECK(load("[{\"uid\": {\"type\": \"U\", \"id\": \"a\"},\n"
             " \"attrs\": {\"k\": 1, \"x\": {\"k\": 2}, \"\\u006b\": 3}, \"parents\": []}]",
             d) == nullptr);
  REQUIRE(d.size() == 1);
  CHECK(d[0].to_string() == "e.json:2:35: duplicate key \"k\" in a JSON object");
}

TEST_CASE("Too deep entity JSON is reported at the bracket that went over the limit",
          "[policy][entities]") {
  std::string text =
      "[{\"uid\": {\"type\": \"U\", \"id\": \"a\"}, \"parents\": [],\n\"attrs\": {\"x\": ";
  for (int i = 0; i < 100; ++i) text += '[';
  for (int i = 0; i < 100; ++i) text += ']';
  text += "}}]";
  Diagnostics d;
  CHECK(load(text, d) == nullptr);
  REQUIRE(d.size() == 1);
  // The root array, the entity, "attrs" and 65 more brackets make 68 levels, the limit; the
  // next bracket is the 66th `[` after `"x": ` on line 2 (column 16 holds the first).
  CHECK(d[0].line == 2);
  CHECK(d[0].column == 16 + 65);
  CHECK_THAT(d[0].message, Catch::Contains("nested deeper than 68 levels"));
}

TEST_CASE("Deeply nested entity JSON is refused, not a stack overflow", "[policy][entities]") {
  std::string text = R"([{"uid": {"type": "U", "id": "a"}, "parents": [], "attrs": {"x": )";
  for (int i = 0; i < 100000; ++i) text += '[';
  for (int i = 0; i < 100000; ++i) text += ']';
  text += "}}]";
  Diagnostics d;
  CHECK(load(text, d) == nullptr);
  REQUIRE(d.size() == 1);
  CHECK_THAT(d[0].message, Catch::Contains("nested deeper than"));
}

}  // namespace
}  // namespace portcullis::policy
