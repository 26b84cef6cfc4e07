// StateRebuilder against records shaped like the audit module's builder output
// (src/audit/record_builder.cpp); rebuild_audit_builder_test.cpp feeds the builder's own records.
#include "portcullis/admin/rebuild.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

using nlohmann::json;
using portcullis::admin::QuarantineList;
using portcullis::admin::rebuild_from_audit;
using portcullis::admin::RecordVisitor;
using portcullis::admin::SessionState;
using portcullis::admin::SessionStateOptions;
using portcullis::admin::StateRebuilder;
using portcullis::admin::WallTime;
using namespace std::chrono_literals;

namespace {

using Strings = std::vector<std::string>;
constexpr std::int64_t kT0Ms = 1'800'000'000'000;
const WallTime kT0{std::chrono::milliseconds(kT0Ms)};

json admin_record(const std::string& action, const std::string& agent, std::int64_t time_ms,
                  const std::string& reason = "r", const std::string& by = "ops") {
  return json{{"class_uid", 6003},
              {"time", time_ms},
              {"unmapped",
               {{"kind", "admin"},
                {"admin",
                 {{"action", action},
                  {"operator", by},
                  {"agent", agent},
                  {"reason", reason},
                  {"detail", ""}}}}}};
}

json decision_record(bool allowed, const std::string& agent, const std::string& session,
                     const std::string& route, const std::string& resource_type,
                     const std::string& resource_id, const Strings& labels,
                     std::int64_t time_ms) {
  json ai_agent = {{"uid", agent}, {"name", agent}};
  if (!session.empty()) {
    ai_agent["instance_uid"] = session;
  }
  return json{{"class_uid", 6003},
              {"time", time_ms},
              {"disposition_id", allowed ? 1 : 2},
              {"ai_agent", ai_agent},
              {"resources", json::array({{{"type", resource_type},
                                          {"uid", resource_id},
                                          {"name", resource_id}}})},
              {"unmapped",
               {{"kind", "decision"}, {"route", route}, {"labels", labels}, {"dry_run", false}}}};
}

}  // namespace

TEST_CASE("quarantine records are replayed in order", "[admin][rebuild]") {
  QuarantineList quarantine;
  SessionState sessions;
  StateRebuilder rebuilder(quarantine, sessions, kT0 + 1h);
  rebuilder.feed(admin_record("quarantine", "a", kT0Ms, "leak", "spiffe://ops"));
  rebuilder.feed(admin_record("quarantine", "b", kT0Ms + 1));
  rebuilder.feed(admin_record("unquarantine", "b", kT0Ms + 2));
  rebuilder.feed(admin_record("reload", "", kT0Ms + 3));
  CHECK(quarantine.is_quarantined("a"));
  CHECK_FALSE(quarantine.is_quarantined("b"));
  const auto entries = quarantine.list();
  REQUIRE(entries.size() == 1);
  CHECK(entries[0].reason == "leak");
  CHECK(entries[0].by == "spiffe://ops");
  CHECK(entries[0].since_ms == kT0Ms);
  CHECK(rebuilder.stats().quarantines == 2);
  CHECK(rebuilder.stats().lifts == 1);
  CHECK(rebuilder.stats().skipped == 1);
}

TEST_CASE("a quarantine that is not lifted survives however old it is", "[admin][rebuild]") {
  QuarantineList quarantine;
  SessionState sessions;
  StateRebuilder rebuilder(quarantine, sessions, kT0 + 24h * 365);
  rebuilder.feed(admin_record("quarantine", "a", kT0Ms));
  CHECK(quarantine.is_quarantined("a"));
}

TEST_CASE("allowed decisions restore session tools and labels", "[admin][rebuild]") {
  QuarantineList quarantine;
  SessionState sessions;
  StateRebuilder rebuilder(quarantine, sessions, kT0 + 1h);
  rebuilder.feed(decision_record(true, "agent", "s1", "tools", "Tool", "tools/read_inbox",
                                 {"pii"}, kT0Ms));
  rebuilder.feed(decision_record(true, "agent", "s1", "tools", "Server", "tools", {}, kT0Ms));
  rebuilder.feed(decision_record(false, "agent", "s1", "tools", "Tool", "tools/send_email",
                                 {"never"}, kT0Ms));
  const auto snap = sessions.snapshot("s1", "agent", kT0 + 1h);
  CHECK(snap.tools == Strings{"read_inbox"});
  CHECK(snap.labels == Strings{"pii"});
  CHECK(sessions.snapshot("s2", "agent", kT0 + 1h).labels == Strings{"pii"});
  CHECK(rebuilder.stats().allowed_decisions == 2);
  CHECK(rebuilder.stats().skipped == 1);
}

TEST_CASE("a dry-run call the policies denied restores nothing", "[admin][rebuild]") {
  QuarantineList quarantine;
  SessionState sessions;
  StateRebuilder rebuilder(quarantine, sessions, kT0 + 1h);
  // Forwarded (disposition 1) because of dry-run, but denied by policy: it has a message.
  auto denied = decision_record(true, "agent", "s1", "tools", "Tool", "tools/send_email", {},
                                kT0Ms);
  denied["unmapped"]["dry_run"] = true;
  denied["message"] = "no policy permits tools/call";
  rebuilder.feed(denied);
  // Allowed by policy in dry-run: restored like any allowed call.
  auto allowed = decision_record(true, "agent", "s1", "tools", "Tool", "tools/read_inbox",
                                 {"pii"}, kT0Ms);
  allowed["unmapped"]["dry_run"] = true;
  rebuilder.feed(allowed);
  const auto snap = sessions.snapshot("s1", "agent", kT0 + 1h);
  CHECK(snap.tools == Strings{"read_inbox"});
  CHECK(snap.labels == Strings{"pii"});
  CHECK(rebuilder.stats().skipped == 1);
}

TEST_CASE("labels restored from old records expire label_ttl after the original call",
          "[admin][rebuild]") {
  QuarantineList quarantine;
  SessionStateOptions options;
  options.label_ttl = 2h;
  options.session_idle_ttl = 2h;
  SessionState sessions(options);
  StateRebuilder rebuilder(quarantine, sessions, kT0 + 3h);
  rebuilder.feed(decision_record(true, "agent", "", "r", "Endpoint", "r", {"old"}, kT0Ms));
  rebuilder.feed(decision_record(true, "agent", "", "r", "Endpoint", "r", {"recent"},
                                 kT0Ms + 3'600'000 * 2));
  CHECK(sessions.snapshot("", "agent", kT0 + 3h).labels == Strings{"recent"});
  CHECK(rebuilder.stats().expired == 1);
}

TEST_CASE("records of other kinds are skipped and wrong shapes are counted as malformed",
          "[admin][rebuild]") {
  QuarantineList quarantine;
  SessionState sessions;
  StateRebuilder rebuilder(quarantine, sessions, kT0);
  rebuilder.feed(json{{"time", kT0Ms}, {"unmapped", {{"kind", "outcome"}}}});
  rebuilder.feed(json{{"time", kT0Ms}, {"unmapped", {{"kind", "checkpoint"}}}});
  rebuilder.feed(json::array());
  rebuilder.feed(json{{"unmapped", {{"kind", "admin"}}}});                      // no time
  rebuilder.feed(json{{"time", kT0Ms}, {"unmapped", {{"kind", "admin"}}}});    // no admin
  rebuilder.feed(admin_record("quarantine", "", kT0Ms));                        // empty agent
  auto bad_labels = decision_record(true, "agent", "s", "r", "Tool", "r/t", {}, kT0Ms);
  bad_labels["unmapped"]["labels"] = "pii";
  rebuilder.feed(bad_labels);
  auto no_agent = decision_record(true, "agent", "s", "r", "Tool", "r/t", {}, kT0Ms);
  no_agent.erase("ai_agent");
  rebuilder.feed(no_agent);
  auto bad_disposition = decision_record(true, "agent", "s", "r", "Tool", "r/t", {}, kT0Ms);
  bad_disposition["disposition_id"] = "1";
  rebuilder.feed(bad_disposition);
  const auto& stats = rebuilder.stats();
  CHECK(stats.records == 9);
  CHECK(stats.skipped == 3);
  CHECK(stats.malformed == 6);
  CHECK(quarantine.size() == 0);
  CHECK(sessions.stats().sessions == 0);
}

TEST_CASE("rebuild_from_audit feeds every scanned record", "[admin][rebuild]") {
  QuarantineList quarantine;
  SessionState sessions;
  const auto scan = [](const RecordVisitor& visit) -> portcullis::Result<void> {
    visit(admin_record("quarantine", "a", kT0Ms));
    visit(admin_record("quarantine", "b", kT0Ms));
    return {};
  };
  const auto stats = rebuild_from_audit(scan, quarantine, sessions, kT0);
  REQUIRE(stats);
  CHECK(stats->quarantines == 2);
  CHECK(quarantine.size() == 2);
}

TEST_CASE("rebuild_from_audit fails when the log cannot be read", "[admin][rebuild]") {
  QuarantineList quarantine;
  SessionState sessions;
  const auto scan = [](const RecordVisitor&) -> portcullis::Result<void> {
    return portcullis::fail("audit-1.jsonl: permission denied");
  };
  const auto stats = rebuild_from_audit(scan, quarantine, sessions, kT0);
  REQUIRE_FALSE(stats);
  CHECK(stats.error().message.find("permission denied") != std::string::npos);
}

TEST_CASE("rebuild_from_audit fails when a quarantine cannot be restored", "[admin][rebuild]") {
  QuarantineList quarantine(1);
  SessionState sessions;
  const auto scan = [](const RecordVisitor& visit) -> portcullis::Result<void> {
    visit(admin_record("quarantine", "a", kT0Ms));
    visit(admin_record("quarantine", "b", kT0Ms));
    return {};
  };
  const auto stats = rebuild_from_audit(scan, quarantine, sessions, kT0);
  REQUIRE_FALSE(stats);
  CHECK(stats.error().message.find("could not be restored") != std::string::npos);
}
