// config::start_only_changes: which settings a reload cannot apply. Each case changes one
// start-only setting and expects exactly its name; settings that reload applies, and positions
// in the file, are not reported.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "portcullis/config/start_only.hpp"

using namespace portcullis::config;
using Names = std::vector<std::string>;

namespace {

Config running_config() {
  Config c;
  Listener agents;
  agents.name = "agents";
  agents.address = {"127.0.0.1", 8443};
  agents.tls = ServerTls{"gw.pem", "gw.key", "ca.pem", "", TlsVersion::Tls12};
  c.listeners.push_back(agents);
  Admin admin;
  admin.address = {"127.0.0.1", 9901};
  admin.tls = agents.tls;
  admin.allowed_identities = {"spiffe://example.org/ops"};
  c.admin = admin;
  c.audit.dir = "/var/lib/portcullis/audit";
  c.audit.redaction.push_back({"input.password", RedactionRule::Action::Drop, {10, 5}});
  Sink siem;
  siem.type = SinkType::Relp;
  siem.address = {"siem.example.org", 2514};
  siem.tls = ClientTls{"siem-ca.pem", "", "", ""};
  siem.position = {20, 7};
  c.audit.sinks.push_back(siem);
  return c;
}

}  // namespace

TEST_CASE("An unchanged configuration needs no restart, wherever its fields sit in the file",
          "[config][reload]") {
  const Config running = running_config();
  Config next = running_config();
  next.audit.redaction[0].position = {30, 5};
  next.audit.sinks[0].position = {40, 7};
  next.listeners[0].position = {2, 3};
  CHECK(start_only_changes(running, next).empty());
}

TEST_CASE("Settings a reload applies are not reported", "[config][reload]") {
  const Config running = running_config();
  Config next = running_config();
  next.listeners[0].tls->cert = "new-gw.pem";  // new handshakes use it
  next.listeners[0].identity_header = "X-Agent";
  next.dry_run = true;
  next.limits.max_body_bytes = 2;
  next.jsonrpc_deny_code = -32001;
  CHECK(start_only_changes(running, next).empty());
}

TEST_CASE("Each start-only setting a reload changes is named", "[config][reload]") {
  const Config running = running_config();
  Config next = running_config();
  Names expected;
  SECTION("the audit section, field by field") {
    SECTION("redaction") {
      next.audit.redaction[0].action = RedactionRule::Action::Hmac;
      expected = {"audit.redaction"};
    }
    SECTION("a redaction rule added") {
      next.audit.redaction.push_back({"input.card", RedactionRule::Action::Drop, {}});
      expected = {"audit.redaction"};
    }
    SECTION("mode and sync_interval") {
      next.audit.mode = AuditMode::Batched;
      next.audit.sync_interval = std::chrono::milliseconds(20);
      expected = {"audit.mode", "audit.sync_interval"};
    }
    SECTION("dir, rotation, retention") {
      next.audit.dir = "/elsewhere";
      next.audit.rotate_bytes = 4096;
      next.audit.rotate_interval = std::chrono::seconds(60);
      next.audit.retention_files = 3;
      expected = {"audit.dir", "audit.rotate_bytes", "audit.rotate_interval",
                  "audit.retention_files"};
    }
    SECTION("preallocation, checkpoints and keys") {
      next.audit.preallocate = true;
      next.audit.checkpoint_every_records = 5;
      next.audit.checkpoint_interval = std::chrono::seconds(5);
      next.audit.signing_key = "other.key";
      next.audit.hmac_key_file = "hmac.key";
      expected = {"audit.preallocate", "audit.checkpoint_every_records",
                  "audit.checkpoint_interval", "audit.signing_key", "audit.hmac_key_file"};
    }
    SECTION("a sink's address") {
      next.audit.sinks[0].address.port = 2515;
      expected = {"audit.sinks"};
    }
    SECTION("a sink's TLS") {
      next.audit.sinks[0].tls->server_name = "siem";
      expected = {"audit.sinks"};
    }
    SECTION("a sink removed, and the drain timeout") {
      next.audit.sinks.clear();
      next.audit.sink_drain_timeout = std::chrono::milliseconds(0);
      expected = {"audit.sinks", "audit.sink_drain_timeout"};
    }
  }
  SECTION("listeners") {
    SECTION("moved") {
      next.listeners[0].address.port = 9443;
      expected = {"listeners[name=agents].address"};
    }
    SECTION("switched to plain") {
      next.listeners[0].tls.reset();
      next.listeners[0].plaintext_identity = "dev";
      expected = {"listeners[name=agents].tls (added or removed)"};
    }
    SECTION("renamed: one removed, one added") {
      next.listeners[0].name = "public";
      expected = {"listeners[name=agents] (removed)", "listeners[name=public] (added)"};
    }
  }
  SECTION("the admin listener") {
    SECTION("its identities and address") {
      next.admin->allowed_identities.push_back("spiffe://example.org/ops/2");
      next.admin->address.host = "0.0.0.0";
      expected = {"admin.address", "admin.allowed_identities"};
    }
    SECTION("its TLS removed") {
      next.admin->tls.reset();
      expected = {"admin.tls (added or removed)"};
    }
    SECTION("removed") {
      next.admin.reset();
      expected = {"admin (added or removed)"};
    }
  }
  SECTION("threads, label_ttl, logging") {
    next.threads = 4;
    next.label_ttl = std::chrono::seconds(60);
    next.logging.json = true;
    expected = {"threads", "label_ttl", "logging"};
  }
  CHECK(start_only_changes(running, next) == expected);
}
