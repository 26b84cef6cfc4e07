#include "portcullis/admin/quarantine_list.hpp"

#include <atomic>
#include <catch2/catch.hpp>
#include <string>
#include <thread>
#include <vector>

using portcullis::admin::QuarantineEntry;
using portcullis::admin::QuarantineList;

TEST_CASE("a quarantined agent is reported until it is lifted", "[admin][quarantine]") {
  QuarantineList list;
  CHECK_FALSE(list.is_quarantined("spiffe://example.org/agent/a"));
  REQUIRE(list.quarantine("spiffe://example.org/agent/a", "exfiltration", "ops", 1000));
  CHECK(list.is_quarantined("spiffe://example.org/agent/a"));
  CHECK(list.size() == 1);
  CHECK(list.lift("spiffe://example.org/agent/a"));
  CHECK_FALSE(list.is_quarantined("spiffe://example.org/agent/a"));
  CHECK(list.size() == 0);
}

TEST_CASE("quarantine matches agent ids byte for byte", "[admin][quarantine]") {
  QuarantineList list;
  REQUIRE(list.quarantine("agent-A", "r", "ops", 1));
  CHECK_FALSE(list.is_quarantined("agent-a"));
  CHECK_FALSE(list.is_quarantined("agent-A "));
  CHECK_FALSE(list.is_quarantined("agent-"));
  CHECK(list.is_quarantined("agent-A"));
}

TEST_CASE("lifting an agent that is not quarantined reports false", "[admin][quarantine]") {
  QuarantineList list;
  CHECK_FALSE(list.lift("nobody"));
}

TEST_CASE("quarantining an agent again updates its entry and keeps it quarantined",
          "[admin][quarantine]") {
  QuarantineList list;
  REQUIRE(list.quarantine("a", "first", "ops1", 1));
  REQUIRE(list.quarantine("a", "second", "ops2", 2));
  CHECK(list.list() == std::vector<QuarantineEntry>{{"a", "second", "ops2", 2}});
}

TEST_CASE("an empty agent id cannot be quarantined", "[admin][quarantine]") {
  QuarantineList list;
  CHECK_FALSE(list.quarantine("", "r", "ops", 1));
  CHECK(list.size() == 0);
}

TEST_CASE("a full quarantine list refuses new agents but updates existing ones",
          "[admin][quarantine]") {
  QuarantineList list(2);
  REQUIRE(list.quarantine("a", "r", "ops", 1));
  REQUIRE(list.quarantine("b", "r", "ops", 1));
  const auto refused = list.quarantine("c", "r", "ops", 1);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().message.find("full") != std::string::npos);
  CHECK_FALSE(list.is_quarantined("c"));
  CHECK(list.quarantine("a", "updated", "ops", 2));
}

TEST_CASE("the listing is sorted by agent", "[admin][quarantine]") {
  QuarantineList list;
  REQUIRE(list.quarantine("zeta", "r1", "ops", 3));
  REQUIRE(list.quarantine("alpha", "r2", "ops", 4));
  const auto entries = list.list();
  REQUIRE(entries.size() == 2);
  CHECK(entries[0].agent == "alpha");
  CHECK(entries[1].agent == "zeta");
}

TEST_CASE("a snapshot taken before a change keeps its contents", "[admin][quarantine]") {
  QuarantineList list;
  REQUIRE(list.quarantine("a", "r", "ops", 1));
  const auto before = list.snapshot();
  list.lift("a");
  CHECK(before->contains("a"));
  CHECK_FALSE(list.snapshot()->contains("a"));
}

TEST_CASE("readers see a consistent list while writers change it", "[admin][quarantine]") {
  QuarantineList list;
  REQUIRE(list.quarantine("always", "r", "ops", 1));
  std::atomic<bool> stop{false};
  std::atomic<int> misses{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; ++t) {
    readers.emplace_back([&] {
      while (!stop.load()) {
        if (!list.is_quarantined("always")) {
          misses.fetch_add(1);
        }
        (void)list.is_quarantined("flapping");
      }
    });
  }
  for (int i = 0; i < 2000; ++i) {
    REQUIRE(list.quarantine("flapping", "r", "ops", i));
    list.lift("flapping");
  }
  stop.store(true);
  for (auto& reader : readers) {
    reader.join();
  }
  CHECK(misses.load() == 0);
  CHECK(list.size() == 1);
}
