// Writes a log holding every kind of record the audit module produces (decisions allowed and
// blocked, outcomes with and without an upstream answer, the three admin actions, checkpoints
// for start/count/rotate/close, recovery records after a torn tail and after a write failure)
// into argv[1], for validate_ocsf.py to check against the OCSF schema. Also the source of the
// example in docs/audit.md.
#include <cstdio>
#include <fstream>

#include "audit_test_support.hpp"
#include "portcullis/audit/signer.hpp"
#include "portcullis/audit/verifier.hpp"

using namespace audit_test;

namespace {

int fail_with(const std::string& what) {
  std::fprintf(stderr, "audit_schema_sample: %s\n", what.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    return fail_with("usage: audit_schema_sample DIR");
  }
  const std::filesystem::path dir = argv[1];
  std::filesystem::create_directories(dir);
  auto key = SigningKey::generate();
  if (!key) {
    return fail_with(key.error().message);
  }
  std::ofstream(dir / "audit.key") << key->private_pem();
  AuditLogOptions o;
  o.dir = dir / "log";
  o.signing_key = dir / "audit.key";
  o.checkpoint_every_records = 4;
  o.rotate_bytes = 16 * 1024;
  o.product_version = "0.1.0";
  o.redaction = {{"input.text", RedactionRule::Action::Hmac}};
  o.hmac_key = "example-hmac-key";
  o.retry_interval = std::chrono::milliseconds(20);
  {
    auto log = AuditLog::open(o);
    if (!log) {
      return fail_with(log.error().message);
    }
    auto allowed = append_sync(**log, sample_decision(1, true));
    if (!allowed) {
      return fail_with(allowed.error().message);
    }
    OutcomeEvent ok;
    ok.time_ms = 1764200000100;
    ok.correlation_uid = allowed->uid;
    ok.request_id = "req-1";
    ok.agent = "spiffe://example.org/agent/1";
    ok.session_id = "session-1";
    ok.route = "tools";
    ok.protocol = "mcp";
    ok.action = "tools/call";
    ok.upstream_status = 200;
    ok.latency_us = 5300;
    ok.request_bytes = 120;
    ok.response_bytes = 512;
    (void)append_sync(**log, ok);
    auto blocked = sample_decision(2, false);
    blocked.would_deny = {"log-only-forbid"};
    blocked.policy_errors = {"broken-policy"};
    blocked.diagnostics = {"broken-policy: type error"};
    blocked.batch_index = 1;
    blocked.batch_size = 2;
    blocked.quarantined = true;
    (void)append_sync(**log, blocked);
    OutcomeEvent timeout = ok;
    timeout.upstream_status = 0;
    timeout.error = "timeout";
    (void)append_sync(**log, timeout);
    for (auto kind : {AdminEvent::Kind::Quarantine, AdminEvent::Kind::Unquarantine,
                      AdminEvent::Kind::Reload}) {
      AdminEvent a;
      a.kind = kind;
      a.time_ms = 1764200000200;
      a.operator_identity = "spiffe://example.org/ops/oncall";
      a.agent = kind == AdminEvent::Kind::Reload ? "" : "spiffe://example.org/agent/2";
      a.reason = "suspicious tool use";
      a.detail = kind == AdminEvent::Kind::Reload ? "sha256:4567" : "";
      (void)append_sync(**log, a);
    }
    for (int i = 10; i < 40; ++i) {  // enough to rotate
      (void)append_sync(**log, sample_decision(i, i % 3 != 0));
    }
    (*log)->close();
  }
  // A torn tail, recovered at the next open.
  auto files = list_log_files(o.dir);
  if (!files || files->empty()) {
    return fail_with("no files written");
  }
  std::ofstream(files->back(), std::ios::app) << R"({"activity_id":99,"act)";
  {
    auto log = AuditLog::open(o);
    if (!log) {
      return fail_with(log.error().message);
    }
    // A write failure: the active file disappears; the next append fails, the one after
    // recovers into a new file.
    files = list_log_files(o.dir);
    const auto saved = dir / "saved.jsonl";
    std::filesystem::copy_file(files->back(), saved);
    std::filesystem::remove(files->back());
    (void)append_sync(**log, sample_decision(50));
    if (!append_sync(**log, sample_decision(51))) {
      return fail_with("did not recover after the write failure");
    }
    (*log)->close();
    std::filesystem::rename(saved, files->back());
  }
  std::ofstream(dir / "audit.pub") << key->public_pem();
  return 0;
}
