// Policy sets: ids, duplicate ids, annotations, limits, loading a directory, the hash.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "portcullis/policy/policy_set.hpp"
#include "support/temp_dir.hpp"

namespace portcullis::policy {
namespace {

std::shared_ptr<const PolicySet> parse(std::vector<PolicySource> sources, Diagnostics& d,
                                       const Limits& limits = {}) {
  return PolicySet::parse(sources, d, limits);
}

TEST_CASE("Ids are @id or policy<N> counted across files", "[policy][policy_set]") {
  Diagnostics d;
  auto set = parse({{"a.cedar", "permit(principal, action, resource);\n"
                                "@id(\"named\") forbid(principal, action, resource);"},
                    {"b.cedar", "permit(principal, action, resource);"}},
                   d);
  REQUIRE(d.empty());
  REQUIRE(set);
  CHECK(set->ids() == std::vector<std::string>{"policy0", "named", "policy2"});
  CHECK(set->size() == 3);
}

TEST_CASE("A duplicate @id is a validation error at its position", "[policy][policy_set]") {
  Diagnostics d;
  auto set = parse({{"a.cedar", "@id(\"x\") permit(principal, action, resource);"},
                    {"b.cedar", "\n  @id(\"x\") forbid(principal, action, resource);"}},
                   d);
  CHECK(set == nullptr);
  REQUIRE(d.size() == 1);
  CHECK(d[0].to_string() ==
        "b.cedar:2:3: duplicate policy id \"x\" (also used by the policy at a.cedar:1:10)");
}

TEST_CASE("An @id equal to a generated id is also a duplicate", "[policy][policy_set]") {
  Diagnostics d;
  auto set = parse({{"a.cedar", "permit(principal, action, resource);\n"
                                "@id(\"policy0\") permit(principal, action, resource);"}},
                   d);
  CHECK(set == nullptr);
  REQUIRE(d.size() == 1);
  CHECK_THAT(d[0].message, Catch::Contains("duplicate policy id \"policy0\""));
}

TEST_CASE("Annotations are readable by policy id", "[policy][policy_set]") {
  Diagnostics d;
  auto set = parse({{"", "@id(\"p\") @reason(\"no writes\") @audit forbid(principal, action, resource);"}},
                   d);
  REQUIRE(set);
  CHECK(set->annotation("p", "reason") == "no writes");
  CHECK(set->annotation("p", "audit") == "");
  CHECK(set->annotation("p", "label") == std::nullopt);
  CHECK(set->annotation("nope", "reason") == std::nullopt);
}

TEST_CASE("@mode accepts log-only on forbids only", "[policy][policy_set]") {
  Diagnostics d;
  CHECK(parse({{"m.cedar", "@mode(\"log-only\") forbid(principal, action, resource);"}}, d));
  CHECK(d.empty());
  CHECK_FALSE(parse({{"m.cedar", "@mode(\"log-only\") permit(principal, action, resource);"}}, d));
  CHECK_FALSE(parse({{"m.cedar", "@mode(\"dry\") forbid(principal, action, resource);"}}, d));
  REQUIRE(d.size() == 2);
  CHECK(d[0].to_string() == "m.cedar:1:1: @mode(\"log-only\") applies only to forbid policies");
  CHECK(d[1].to_string() == "m.cedar:1:1: @mode must be \"log-only\" or \"enforce\", not \"dry\"");
}

TEST_CASE("Limits on file size and policy count are clear errors", "[policy][policy_set]") {
  Limits limits;
  limits.max_file_bytes = 10;
  Diagnostics d;
  CHECK_FALSE(parse({{"big.cedar", "permit(principal, action, resource);"}}, d, limits));
  REQUIRE(d.size() == 1);
  CHECK(d[0].to_string() == "big.cedar: file is larger than the limit of 10 bytes");
  d.clear();
  Limits few;
  few.max_policies = 1;
  CHECK_FALSE(parse({{"two.cedar", "permit(principal, action, resource);"
                                   "permit(principal, action, resource);"}},
                    d, few));
  REQUIRE(d.size() == 1);
  CHECK_THAT(d[0].message, Catch::Contains("more than the limit of 1"));
}

TEST_CASE("The hash depends on names and texts, not on the folder", "[policy][policy_set]") {
  Diagnostics d;
  auto a = parse({{"/x/a.cedar", "permit(principal, action, resource);"}}, d);
  auto b = parse({{"/y/a.cedar", "permit(principal, action, resource);"}}, d);
  auto c = parse({{"/y/b.cedar", "permit(principal, action, resource);"}}, d);
  REQUIRE(a);
  REQUIRE(b);
  REQUIRE(c);
  CHECK(a->hash().size() == 64);
  CHECK(a->hash() == b->hash());
  CHECK(a->hash() != c->hash());
}

TEST_CASE("load reads every .cedar file of a directory in lexical order", "[policy][policy_set]") {
  // A fresh directory of its own: a fixed name under /tmp is shared by every run on the machine
  // (the release and sanitizer builds' unit tests, other checkouts).
  const test::TempDir temp("portcullis-policy-set");
  const auto& dir = temp.path();
  std::ofstream(dir / "b.cedar") << "@id(\"from-b\") permit(principal, action, resource);";
  std::ofstream(dir / "a.cedar") << "permit(principal, action, resource);";
  std::ofstream(dir / "notes.txt") << "not a policy";
  Diagnostics d;
  auto set = PolicySet::load(dir, d);
  REQUIRE(d.empty());
  REQUIRE(set);
  CHECK(set->ids() == std::vector<std::string>{"policy0", "from-b"});
  Diagnostics missing;
  CHECK_FALSE(PolicySet::load(dir / "nope", missing));
  REQUIRE(missing.size() == 1);
  CHECK_THAT(missing[0].message, Catch::Contains("no such file"));
}

}  // namespace
}  // namespace portcullis::policy
