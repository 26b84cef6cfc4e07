// Builds the OCSF records. Field choices are documented in docs/audit.md ("Fields").
#include "portcullis/audit/record.hpp"

#include <openssl/rand.h>

#include <array>
#include <atomic>
#include <chrono>
#include <charconv>

#include "portcullis/audit/jcs.hpp"
#include "portcullis/audit/redaction.hpp"

namespace portcullis::audit {

using nlohmann::json;

const char* to_string(RecordKind kind) {
  switch (kind) {
    case RecordKind::Decision:
      return "decision";
    case RecordKind::Outcome:
      return "outcome";
    case RecordKind::Admin:
      return "admin";
    case RecordKind::Checkpoint:
      return "checkpoint";
    case RecordKind::Recovery:
      return "recovery";
  }
  return "unknown";
}

std::string new_record_uid() {
  std::array<unsigned char, 16> b{};
  if (RAND_bytes(b.data(), static_cast<int>(b.size())) != 1) {
    // RAND_bytes only fails when the system has no entropy source at all; fall back to a
    // per-process counter mixed with the clock so uids stay unique within the log.
    static std::atomic<std::uint64_t> counter{0};
    const std::uint64_t c = counter.fetch_add(1) ^
                            static_cast<std::uint64_t>(
                                std::chrono::steady_clock::now().time_since_epoch().count());
    for (std::size_t i = 0; i < 8; ++i) {
      b[i] = static_cast<unsigned char>(c >> (8 * i));
    }
  }
  b[6] = static_cast<unsigned char>((b[6] & 0x0F) | 0x40);  // version 4
  b[8] = static_cast<unsigned char>((b[8] & 0x3F) | 0x80);  // RFC 4122 variant
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (std::size_t i = 0; i < b.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) {
      out.push_back('-');
    }
    out.push_back(kHex[b[i] >> 4]);
    out.push_back(kHex[b[i] & 0xf]);
  }
  return out;
}

namespace {

json base_record(RecordKind kind, std::int64_t time_ms, const std::string& activity_name,
                 int severity_id, const RecordContext& ctx, const std::string& uid) {
  json r;
  r["activity_id"] = kActivityOther;
  r["activity_name"] = activity_name;
  r["category_uid"] = kCategoryUid;
  r["category_name"] = "Application Activity";
  r["class_uid"] = kClassUid;
  r["class_name"] = "API Activity";
  r["type_uid"] = kClassUid * 100 + kActivityOther;
  r["type_name"] = "API Activity: Other";
  r["severity_id"] = severity_id;
  r["time"] = time_ms;
  r["attestation_list"] = nullptr;  // hole: the chain
  json& m = r["metadata"];
  m["version"] = kOcsfVersion;
  m["product"] = {{"name", "Portcullis"}, {"vendor_name", "Portcullis"},
                  {"version", ctx.product_version}};
  m["profiles"] = {"security_control", "ai_operation", "record_integrity"};
  m["uid"] = uid;
  m["sequence"] = 0;  // hole: the sequence
  m["log_name"] = ctx.log_name;
  r["unmapped"]["kind"] = to_string(kind);
  return r;
}

RecordTemplate finish(RecordKind kind, std::string uid, const json& r) {
  RecordTemplate t;
  t.kind = kind;
  t.uid = std::move(uid);
  t.text.reserve(2048);
  const std::array<const json*, 2> holes{&r.at("attestation_list"),
                                         &r.at("metadata").at("sequence")};
  const auto offsets = append_jcs_with_holes(t.text, r, holes);
  // Both holes always exist, and "attestation_list" sorts before "metadata".
  t.attestation_at = offsets.at(0);
  t.sequence_at = offsets.at(1);
  return t;
}

// The log's own records (checkpoints, recoveries) name the log itself as actor and source.
// The gateway itself as a network endpoint (OCSF requires one of ip, name, hostname, ...).
json self_endpoint(const RecordContext& ctx) {
  json src = {{"name", "portcullis"}};
  if (!ctx.hostname.empty()) {
    src["hostname"] = ctx.hostname;
  }
  return src;
}

void set_self_actor(json& r, const RecordContext& ctx, const std::string& operation) {
  r["actor"] = {{"app_name", "portcullis"}};
  r["api"] = {{"operation", operation}, {"service", {{"name", "audit"}}}};
  r["src_endpoint"] = self_endpoint(ctx);
}

json string_array(const std::vector<std::string>& values) {
  json a = json::array();
  for (const auto& v : values) {
    a.push_back(v);
  }
  return a;
}

json endpoint(const Endpoint& e) {
  json out = json::object();
  if (!e.ip.empty()) {
    out["ip"] = e.ip;
  }
  if (e.port != 0) {
    out["port"] = e.port;
  }
  return out;
}

void set_agent(json& r, const std::string& agent, const std::string& session_id) {
  json& actor = r["actor"];
  actor["app_name"] = "portcullis";
  if (!agent.empty()) {
    actor["user"] = {{"uid", agent}, {"name", agent}, {"type_id", 99}, {"type", "AI Agent"}};
    r["ai_agent"] = {{"uid", agent}, {"name", agent}};
    if (!session_id.empty()) {
      r["ai_agent"]["instance_uid"] = session_id;
    }
  }
  if (!session_id.empty()) {
    actor["session"] = {{"uid", session_id}};
  }
}

}  // namespace

RecordTemplate make_decision_record(const DecisionEvent& e, const RecordContext& ctx) {
  const bool allowed = e.disposition == Disposition::Allowed;
  std::string uid = new_record_uid();
  json r = base_record(RecordKind::Decision, e.time_ms, "Decision", allowed ? 1 : 3, ctx, uid);
  set_agent(r, e.agent, e.session_id);
  r["api"] = {{"operation", e.method.empty() ? e.action : e.method},
              {"service", {{"name", e.route}}},
              {"request", {{"uid", e.request_id}}}};
  r["src_endpoint"] = endpoint(e.src);
  if (r["src_endpoint"].empty()) {
    r["src_endpoint"]["name"] = "unknown";  // never expected: the listener knows its peer
  }
  json dst = endpoint(e.dst);
  if (!e.listener.empty()) {
    dst["name"] = e.listener;
  }
  if (!dst.empty()) {
    r["dst_endpoint"] = std::move(dst);
  }
  if (!e.http_method.empty() || !e.http_url.empty()) {
    json& http = r["http_request"];
    if (!e.http_method.empty()) {
      http["http_method"] = e.http_method;
    }
    if (!e.http_url.empty()) {
      const auto q = e.http_url.find('?');
      http["url"]["path"] = e.http_url.substr(0, q);
      if (q != std::string::npos) {
        http["url"]["query_string"] = e.http_url.substr(q + 1);
      }
    }
    if (!e.user_agent.empty()) {
      http["user_agent"] = e.user_agent;
    }
    if (!e.request_id.empty()) {
      http["uid"] = e.request_id;
    }
  }
  if (!e.resource_type.empty() || !e.resource_id.empty()) {
    r["resources"] = json::array(
        {{{"type", e.resource_type}, {"uid", e.resource_id}, {"name", e.resource_id}}});
  }
  r["disposition_id"] = allowed ? 1 : 2;
  r["disposition"] = allowed ? "Allowed" : "Blocked";
  r["action_id"] = allowed ? 1 : 2;
  r["action"] = allowed ? "Allowed" : "Denied";
  r["status_id"] = allowed ? 1 : 2;
  r["status"] = allowed ? "Success" : "Failure";
  // security_control: the first determining policy, the policy set's hash as its version.
  json& policy = r["policy"];
  policy["type"] = "cedar";
  if (!e.policy_set_hash.empty()) {
    policy["version"] = e.policy_set_hash;
  }
  if (!e.policy_ids.empty()) {
    policy["uid"] = e.policy_ids.front();
    policy["name"] = e.policy_ids.front();
  } else {
    policy["desc"] = allowed ? "allowed without a determining policy"
                             : "no policy permits the action (default deny)";
  }
  json auths = json::array();
  for (const auto& id : e.policy_ids) {
    json p = {{"uid", id}, {"name", id}, {"type", "cedar"}};
    if (!e.policy_set_hash.empty()) {
      p["version"] = e.policy_set_hash;
    }
    auths.push_back({{"decision", allowed ? "Allow" : "Deny"}, {"policy", std::move(p)}});
  }
  r["authorizations"] = std::move(auths);
  if (!e.deny_message.empty()) {
    r["message"] = e.deny_message;
  }
  json& u = r["unmapped"];
  u["protocol"] = e.protocol;
  u["action"] = e.action;
  u["route"] = e.route;
  u["listener"] = e.listener;
  u["decision"] = allowed ? "allow" : "deny";
  u["policy_ids"] = string_array(e.policy_ids);
  u["policy_errors"] = string_array(e.policy_errors);
  u["diagnostics"] = string_array(e.diagnostics);
  u["would_deny"] = string_array(e.would_deny);
  u["labels"] = string_array(e.labels);
  u["dry_run"] = e.dry_run;
  u["quarantined"] = e.quarantined;
  if (e.jsonrpc_id) {
    u["jsonrpc_id"] = *e.jsonrpc_id;
  }
  if (e.batch_size != 0) {
    u["batch"] = {{"index", e.batch_index}, {"size", e.batch_size}};
  }
  if (!e.peer.subject.empty() || !e.peer.issuer.empty() || !e.peer.spiffe_id.empty() ||
      !e.peer.serial.empty()) {
    u["tls"] = {{"subject", e.peer.subject},
                {"issuer", e.peer.issuer},
                {"spiffe_id", e.peer.spiffe_id},
                {"serial", e.peer.serial}};
  }
  json cedar = e.cedar_request;
  if (ctx.redactor != nullptr && !ctx.redactor->empty()) {
    auto applied = ctx.redactor->apply(cedar);
    if (!applied.empty()) {
      u["redacted"] = string_array(applied);
    }
  }
  u["cedar_request"] = std::move(cedar);
  return finish(RecordKind::Decision, std::move(uid), r);
}

RecordTemplate make_outcome_record(const OutcomeEvent& e, const RecordContext& ctx) {
  std::string uid = new_record_uid();
  const bool ok = e.error.empty() && e.upstream_status > 0 && e.upstream_status < 500;
  json r = base_record(RecordKind::Outcome, e.time_ms, "Outcome", ok ? 1 : 2, ctx, uid);
  r["metadata"]["correlation_uid"] = e.correlation_uid;
  set_agent(r, e.agent, e.session_id);
  r["api"] = {{"operation", e.action},
              {"service", {{"name", e.route}}},
              {"request", {{"uid", e.request_id}}}};
  // The outcome is the gateway's own observation of the upstream's answer.
  r["src_endpoint"] = self_endpoint(ctx);
  r["status_id"] = ok ? 1 : 2;
  r["status"] = ok ? "Success" : "Failure";
  r["duration"] = e.latency_us / 1000;
  if (e.upstream_status != 0) {
    r["http_response"] = {{"code", e.upstream_status}, {"latency", e.latency_us / 1000},
                          {"length", e.response_bytes}};
  }
  if (!e.error.empty()) {
    r["status_detail"] = e.error;
  }
  json& u = r["unmapped"];
  u["protocol"] = e.protocol;
  u["action"] = e.action;
  u["route"] = e.route;
  u["upstream_status"] = e.upstream_status;
  u["error"] = e.error;
  u["latency_us"] = e.latency_us;
  u["request_bytes"] = e.request_bytes;
  u["response_bytes"] = e.response_bytes;
  return finish(RecordKind::Outcome, std::move(uid), r);
}

RecordTemplate make_admin_record(const AdminEvent& e, const RecordContext& ctx) {
  std::string uid = new_record_uid();
  const char* action = "reload";
  switch (e.kind) {
    case AdminEvent::Kind::Quarantine:
      action = "quarantine";
      break;
    case AdminEvent::Kind::Unquarantine:
      action = "unquarantine";
      break;
    case AdminEvent::Kind::Reload:
      action = "reload";
      break;
  }
  json r = base_record(RecordKind::Admin, e.time_ms, "Admin", 2, ctx, uid);
  r["actor"] = {{"app_name", "portcullis"}};
  if (!e.operator_identity.empty()) {
    r["actor"]["user"] = {{"uid", e.operator_identity}, {"name", e.operator_identity}};
  }
  r["api"] = {{"operation", action}, {"service", {{"name", "admin"}}}};
  r["src_endpoint"] = self_endpoint(ctx);
  if (!e.agent.empty()) {
    r["resources"] = json::array({{{"type", "Agent"}, {"uid", e.agent}, {"name", e.agent}}});
  }
  r["status_id"] = 1;
  r["status"] = "Success";
  r["unmapped"]["admin"] = {{"action", action},
                            {"operator", e.operator_identity},
                            {"agent", e.agent},
                            {"reason", e.reason},
                            {"detail", e.detail}};
  return finish(RecordKind::Admin, std::move(uid), r);
}

RecordTemplate make_checkpoint_record(std::int64_t time_ms, const json& checkpoint,
                                      const RecordContext& ctx) {
  std::string uid = new_record_uid();
  json r = base_record(RecordKind::Checkpoint, time_ms, "Checkpoint", 1, ctx, uid);
  set_self_actor(r, ctx, "checkpoint");
  r["unmapped"]["checkpoint"] = checkpoint;
  return finish(RecordKind::Checkpoint, std::move(uid), r);
}

RecordTemplate make_recovery_record(std::int64_t time_ms, const json& recovery,
                                    const RecordContext& ctx) {
  std::string uid = new_record_uid();
  json r = base_record(RecordKind::Recovery, time_ms, "Recovery", 3, ctx, uid);
  set_self_actor(r, ctx, "recovery");
  r["unmapped"]["recovery"] = recovery;
  return finish(RecordKind::Recovery, std::move(uid), r);
}

namespace {

void append_fingerprint(std::string& out, const Digest& d) {
  out += R"({"algorithm":"SHA-256","algorithm_id":3,"serialization":"JCS","serialization_id":2,"value":")";
  append_hex(out, d);
  out += "\"}";
}

// attestation_list, with or without attestation_list[0].fingerprint.
void append_attestation(std::string& out, std::string_view chain_uid,
                        const std::optional<ChainLink>& prev, const Digest* own) {
  out += "[{\"chain_uid\":";
  append_jcs_string(out, chain_uid);
  if (own != nullptr) {
    out += ",\"fingerprint\":";
    append_fingerprint(out, *own);
  }
  if (prev) {
    out += ",\"prev_event\":{\"fingerprint\":";
    append_fingerprint(out, prev->fingerprint);
    out += ",\"uid\":";
    append_jcs_string(out, prev->uid);
    out += "}";
  }
  out += "}]";
}

}  // namespace

Digest seal_record(const RecordTemplate& tmpl, std::string_view chain_uid,
                   const std::optional<ChainLink>& prev, std::uint64_t sequence, Sha256& hasher,
                   std::string& line) {
  const std::string_view text = tmpl.text;
  char seq_buf[24];
  const auto seq_end = std::to_chars(seq_buf, seq_buf + sizeof seq_buf, sequence).ptr;
  const std::string_view seq(seq_buf, static_cast<std::size_t>(seq_end - seq_buf));

  // The record without its own fingerprint, hashed in place.
  line.clear();
  append_attestation(line, chain_uid, prev, nullptr);
  hasher.reset();
  hasher.update(text.substr(0, tmpl.attestation_at));
  hasher.update(line);
  hasher.update(text.substr(tmpl.attestation_at, tmpl.sequence_at - tmpl.attestation_at));
  hasher.update(seq);
  hasher.update(text.substr(tmpl.sequence_at));
  const Digest fingerprint = hasher.finish();

  line.clear();
  line.append(text.substr(0, tmpl.attestation_at));
  append_attestation(line, chain_uid, prev, &fingerprint);
  line.append(text.substr(tmpl.attestation_at, tmpl.sequence_at - tmpl.attestation_at));
  line.append(seq);
  line.append(text.substr(tmpl.sequence_at));
  line.push_back('\n');
  return fingerprint;
}

std::string checkpoint_signing_payload(std::string_view chain_uid, std::uint64_t tree_size,
                                       std::string_view root_hex, std::int64_t time_ms) {
  std::string out = "{\"chain_uid\":";
  append_jcs_string(out, chain_uid);
  out += ",\"root\":";
  append_jcs_string(out, root_hex);
  out += ",\"time\":";
  append_jcs_integer(out, time_ms);
  out += ",\"tree_size\":";
  append_jcs_unsigned(out, tree_size);
  out += "}";
  return out;
}

}  // namespace portcullis::audit
