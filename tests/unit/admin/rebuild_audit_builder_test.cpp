// StateRebuilder fed with records built and sealed by the audit module's own record builder,
// so a change in the record format that the rebuild misses fails here.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "portcullis/admin/rebuild.hpp"
#include "portcullis/audit/digest.hpp"
#include "portcullis/audit/record.hpp"

using nlohmann::json;
using portcullis::admin::QuarantineList;
using portcullis::admin::SessionState;
using portcullis::admin::StateRebuilder;
using portcullis::admin::WallTime;
using namespace std::chrono_literals;

namespace {

using Strings = std::vector<std::string>;
constexpr std::int64_t kT0Ms = 1'800'000'000'000;
const WallTime kT0{std::chrono::milliseconds(kT0Ms)};

// Builds, seals and parses back one record, as a scanner would read the line from the file.
json sealed(const portcullis::audit::RecordTemplate& tmpl) {
  portcullis::audit::Sha256 hasher;
  std::string line;
  (void)portcullis::audit::seal_record(tmpl, "chain-test", std::nullopt, 1, hasher, line);
  return json::parse(line);
}

json admin(portcullis::audit::AdminEvent::Kind kind, const std::string& agent,
           std::int64_t time_ms) {
  portcullis::audit::AdminEvent event;
  event.kind = kind;
  event.time_ms = time_ms;
  event.operator_identity = "spiffe://example.org/ops/oncall";
  event.agent = agent;
  event.reason = "incident 42";
  return sealed(portcullis::audit::make_admin_record(event, {}));
}

json decision(bool allowed, const std::string& session, const std::string& resource_type,
              const std::string& resource_id, const Strings& labels, bool dry_run = false,
              const std::string& deny_message = {}) {
  portcullis::audit::DecisionEvent event;
  event.time_ms = kT0Ms;
  event.agent = "spiffe://example.org/agent/a";
  event.session_id = session;
  event.route = "tools";
  event.protocol = "mcp";
  event.action = "tools/call";
  event.resource_type = resource_type;
  event.resource_id = resource_id;
  event.disposition =
      allowed ? portcullis::audit::Disposition::Allowed : portcullis::audit::Disposition::Blocked;
  event.labels = labels;
  event.dry_run = dry_run;
  event.deny_message = deny_message;
  return sealed(portcullis::audit::make_decision_record(event, {}));
}

}  // namespace

TEST_CASE("quarantines in the audit builder's records are rebuilt", "[admin][rebuild]") {
  using Kind = portcullis::audit::AdminEvent::Kind;
  QuarantineList quarantine;
  SessionState sessions;
  StateRebuilder rebuilder(quarantine, sessions, kT0 + 1h);
  rebuilder.feed(admin(Kind::Quarantine, "spiffe://example.org/agent/a", kT0Ms));
  rebuilder.feed(admin(Kind::Quarantine, "spiffe://example.org/agent/b", kT0Ms + 1));
  rebuilder.feed(admin(Kind::Unquarantine, "spiffe://example.org/agent/b", kT0Ms + 2));
  rebuilder.feed(admin(Kind::Reload, "", kT0Ms + 3));
  CHECK(quarantine.is_quarantined("spiffe://example.org/agent/a"));
  CHECK_FALSE(quarantine.is_quarantined("spiffe://example.org/agent/b"));
  const auto entries = quarantine.list();
  REQUIRE(entries.size() == 1);
  CHECK(entries[0].reason == "incident 42");
  CHECK(entries[0].by == "spiffe://example.org/ops/oncall");
  CHECK(entries[0].since_ms == kT0Ms);
  CHECK(rebuilder.stats().malformed == 0);
}

TEST_CASE("labels and tools in the audit builder's decision records are rebuilt",
          "[admin][rebuild]") {
  QuarantineList quarantine;
  SessionState sessions;
  StateRebuilder rebuilder(quarantine, sessions, kT0 + 1h);
  rebuilder.feed(decision(true, "s1", "Tool", "tools/read_inbox", {"pii"}));
  rebuilder.feed(decision(false, "s1", "Tool", "tools/send_email", {"blocked"}));
  rebuilder.feed(decision(true, "", "Server", "tools", {"plain"}));
  const auto snap = sessions.snapshot("s1", "spiffe://example.org/agent/a", kT0 + 1h);
  CHECK(snap.tools == Strings{"read_inbox"});
  CHECK(snap.labels == Strings{"pii", "plain"});
  CHECK(rebuilder.stats().allowed_decisions == 2);
  CHECK(rebuilder.stats().malformed == 0);
}

TEST_CASE("a dry-run call the policies denied, as the gateway records it, restores nothing",
          "[admin][rebuild]") {
  QuarantineList quarantine;
  SessionState sessions;
  StateRebuilder rebuilder(quarantine, sessions, kT0 + 1h);
  // net records a forwarded dry-run call as Allowed, with the policies' deny message.
  rebuilder.feed(decision(true, "s1", "Tool", "tools/send_email", {}, true,
                          "no policy permits tools/call"));
  rebuilder.feed(decision(true, "s1", "Tool", "tools/read_inbox", {"pii"}, true));
  const auto snap = sessions.snapshot("s1", "spiffe://example.org/agent/a", kT0 + 1h);
  CHECK(snap.tools == Strings{"read_inbox"});
  CHECK(snap.labels == Strings{"pii"});
}
