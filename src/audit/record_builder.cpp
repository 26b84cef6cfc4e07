// Builds the OCSF records. Field choices are documented in docs/audit.md ("Fields").
#include "portcullis/audit/record.hpp"

#include <array>
#include <atomic>
#include <chrono>
#include <charconv>

#include "audit/canonical_writer.hpp"
#include "portcullis/audit/jcs.hpp"
#include "portcullis/audit/redaction.hpp"
#include "portcullis/common/random_pool.hpp"

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
  if (!random_16(b.data())) {
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
  std::string out(36, '-');
  std::size_t o = 0;
  for (std::size_t i = 0; i < b.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) {
      ++o;  // the '-'
    }
    out[o++] = kHex[b[i] >> 4];
    out[o++] = kHex[b[i] & 0xf];
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

}  // namespace

namespace {

using detail::CanonicalWriter;
using detail::operator""_key;

// Runs of members that are the same in every record (or in every record of one kind, or of one
// log) are rendered once, by the writer itself so they are canonical by construction, and then
// appended as text: a record has about 60 members and half of them never change.
template <typename Write>
std::string render_members(Write write) {
  std::string text;
  CanonicalWriter w(text);
  w.begin_object();
  write(w);
  w.end_object();
  return text.substr(1, text.size() - 2);  // without the braces
}

// "log_name", "product" and "profiles" of "metadata": the same for every record of a log, so
// rendered once per thread and log (keyed by every field they are made of).
std::string_view log_metadata_members(const RecordContext& ctx) {
  struct Memo {
    bool used = false;
    std::string log_name;
    std::string product_version;
    std::string text;
  };
  thread_local Memo memo;
  if (!memo.used || memo.log_name != ctx.log_name ||
      memo.product_version != ctx.product_version) {
    memo.text = render_members([&](CanonicalWriter& w) {
      w.member("log_name"_key, ctx.log_name);
      w.key("product"_key);
      w.begin_object();
      w.member("name"_key, "Portcullis");
      w.member("vendor_name"_key, "Portcullis");
      w.member("version"_key, ctx.product_version);
      w.end_object();
      w.key("profiles"_key);
      w.begin_array();
      w.string("security_control");
      w.string("ai_operation");
      w.string("record_integrity");
      w.end_array();
    });
    memo.log_name = ctx.log_name;
    memo.product_version = ctx.product_version;
    memo.used = true;
  }
  return memo.text;
}

// Members shared by every record, written in their canonical place by the callers below.
void write_metadata(CanonicalWriter& w, const RecordContext& ctx, const std::string& uid,
                    const std::string* correlation_uid, RecordTemplate& t) {
  w.key("metadata"_key);
  w.begin_object();
  if (correlation_uid != nullptr) {
    w.member("correlation_uid"_key, *correlation_uid);
  }
  w.members(log_metadata_members(ctx));
  w.key("sequence"_key);
  t.sequence_at = w.hole();
  w.member("uid"_key, uid);
  static const std::string kVersion =
      render_members([](CanonicalWriter& v) { v.member("version"_key, kOcsfVersion); });
  w.members(kVersion);
  w.end_object();
}

void write_activity(CanonicalWriter& w, const char* activity_name) {
  w.member("activity_id"_key, kActivityOther);
  w.member("activity_name"_key, activity_name);
}

// "action" … "activity_name" of a decision record, allowed or denied. (Named functions, not
// nested lambdas: clang 14 crashes on a "..."_key inside a lambda inside a lambda.)
void write_decision_head(CanonicalWriter& w, bool allowed) {
  w.member("action"_key, allowed ? "Allowed" : "Denied");
  w.member("action_id"_key, allowed ? 1 : 2);
  write_activity(w, "Decision");
}

std::string_view decision_head_members(bool allowed) {
  static const std::string kAllowed =
      render_members([](CanonicalWriter& w) { write_decision_head(w, true); });
  static const std::string kDenied =
      render_members([](CanonicalWriter& w) { write_decision_head(w, false); });
  return allowed ? kAllowed : kDenied;
}

void write_actor_and_agent(CanonicalWriter& w, const std::string& agent,
                           const std::string& session_id) {
  w.key("actor"_key);
  w.begin_object();
  w.member("app_name"_key, "portcullis");
  if (!session_id.empty()) {
    w.key("session"_key);
    w.begin_object();
    w.member("uid"_key, session_id);
    w.end_object();
  }
  if (!agent.empty()) {
    w.key("user"_key);
    w.begin_object();
    w.member("name"_key, agent);
    w.member("type"_key, "AI Agent");
    w.member("type_id"_key, 99);
    w.member("uid"_key, agent);
    w.end_object();
  }
  w.end_object();
  if (!agent.empty()) {
    w.key("ai_agent"_key);
    w.begin_object();
    if (!session_id.empty()) {
      w.member("instance_uid"_key, session_id);
    }
    w.member("name"_key, agent);
    w.member("uid"_key, agent);
    w.end_object();
  }
}

void write_api(CanonicalWriter& w, const std::string& operation, const std::string& request_id,
               const std::string& route) {
  w.key("api"_key);
  w.begin_object();
  w.member("operation"_key, operation);
  w.key("request"_key);
  w.begin_object();
  w.member("uid"_key, request_id);
  w.end_object();
  w.key("service"_key);
  w.begin_object();
  w.member("name"_key, route);
  w.end_object();
  w.end_object();
}

void write_class_members(CanonicalWriter& w) {
  w.member("category_name"_key, "Application Activity");
  w.member("category_uid"_key, kCategoryUid);
  w.member("class_name"_key, "API Activity");
  w.member("class_uid"_key, kClassUid);
}

void write_class(CanonicalWriter& w) {
  static const std::string kClass = render_members(write_class_members);
  w.members(kClass);
}

// The class members of a decision record and its "disposition" and "disposition_id".
void write_decision_class_members(CanonicalWriter& w, bool allowed) {
  write_class_members(w);
  w.member("disposition"_key, allowed ? "Allowed" : "Blocked");
  w.member("disposition_id"_key, allowed ? 1 : 2);
}

void write_decision_class(CanonicalWriter& w, bool allowed) {
  static const std::string kAllowed =
      render_members([](CanonicalWriter& v) { write_decision_class_members(v, true); });
  static const std::string kDenied =
      render_members([](CanonicalWriter& v) { write_decision_class_members(v, false); });
  w.members(allowed ? kAllowed : kDenied);
}

void write_type(CanonicalWriter& w) {
  static const std::string kType = render_members([](CanonicalWriter& v) {
    v.member("type_name"_key, "API Activity: Other");
    v.member("type_uid"_key, kClassUid * 100 + kActivityOther);
  });
  w.members(kType);
}

void write_policy_object(CanonicalWriter& w, const std::string& id, const std::string& hash) {
  w.begin_object();
  w.member("name"_key, id);
  w.member("type"_key, "cedar");
  w.member("uid"_key, id);
  if (!hash.empty()) {
    w.member("version"_key, hash);
  }
  w.end_object();
}

void write_self_endpoint(CanonicalWriter& w, const RecordContext& ctx) {
  w.begin_object();
  if (!ctx.hostname.empty()) {
    w.member("hostname"_key, ctx.hostname);
  }
  w.member("name"_key, "portcullis");
  w.end_object();
}

}  // namespace

RecordTemplate make_decision_record(const DecisionEvent& e, const RecordContext& ctx) {
  const bool allowed = e.disposition == Disposition::Allowed;
  RecordTemplate t;
  t.kind = RecordKind::Decision;
  t.uid = new_record_uid();
  t.text.reserve(2048 + 512);
  CanonicalWriter w(t.text);
  w.begin_object();
  w.members(decision_head_members(allowed));
  write_actor_and_agent(w, e.agent, e.session_id);
  write_api(w, e.method.empty() ? e.action : e.method, e.request_id, e.route);
  w.key("attestation_list"_key);
  t.attestation_at = w.hole();
  w.key("authorizations"_key);
  w.begin_array();
  for (const auto& id : e.policy_ids) {
    w.begin_object();
    w.member("decision"_key, allowed ? "Allow" : "Deny");
    w.key("policy"_key);
    write_policy_object(w, id, e.policy_set_hash);
    w.end_object();
  }
  w.end_array();
  write_decision_class(w, allowed);
  if (!e.dst.ip.empty() || !e.listener.empty() || e.dst.port != 0) {
    w.key("dst_endpoint"_key);
    w.begin_object();
    if (!e.dst.ip.empty()) {
      w.member("ip"_key, e.dst.ip);
    }
    if (!e.listener.empty()) {
      w.member("name"_key, e.listener);
    }
    if (e.dst.port != 0) {
      w.member("port"_key, static_cast<int>(e.dst.port));
    }
    w.end_object();
  }
  if (!e.http_method.empty() || !e.http_url.empty()) {
    w.key("http_request"_key);
    w.begin_object();
    if (!e.http_method.empty()) {
      w.member("http_method"_key, e.http_method);
    }
    if (!e.request_id.empty()) {
      w.member("uid"_key, e.request_id);
    }
    if (!e.http_url.empty()) {
      const auto q = e.http_url.find('?');
      w.key("url"_key);
      w.begin_object();
      w.member("path"_key, std::string_view(e.http_url).substr(0, q));
      if (q != std::string::npos) {
        w.member("query_string"_key, std::string_view(e.http_url).substr(q + 1));
      }
      w.end_object();
    }
    if (!e.user_agent.empty()) {
      w.member("user_agent"_key, e.user_agent);
    }
    w.end_object();
  }
  if (!e.deny_message.empty()) {
    w.member("message"_key, e.deny_message);
  }
  write_metadata(w, ctx, t.uid, nullptr, t);
  // security_control: the first determining policy, the policy set's hash as its version.
  w.key("policy"_key);
  w.begin_object();
  if (e.policy_ids.empty()) {
    w.member("desc"_key, allowed ? "allowed without a determining policy"
                             : "no policy permits the action (default deny)");
  } else {
    w.member("name"_key, e.policy_ids.front());
  }
  w.member("type"_key, "cedar");
  if (!e.policy_ids.empty()) {
    w.member("uid"_key, e.policy_ids.front());
  }
  if (!e.policy_set_hash.empty()) {
    w.member("version"_key, e.policy_set_hash);
  }
  w.end_object();
  if (!e.resource_type.empty() || !e.resource_id.empty()) {
    w.key("resources"_key);
    w.begin_array();
    w.begin_object();
    w.member("name"_key, e.resource_id);
    w.member("type"_key, e.resource_type);
    w.member("uid"_key, e.resource_id);
    w.end_object();
    w.end_array();
  }
  w.member("severity_id"_key, allowed ? 1 : 3);
  w.key("src_endpoint"_key);
  w.begin_object();
  if (!e.src.ip.empty()) {
    w.member("ip"_key, e.src.ip);
  } else if (e.src.port == 0) {
    w.member("name"_key, "unknown");  // never expected: the listener knows its peer
  }
  if (e.src.port != 0) {
    w.member("port"_key, static_cast<int>(e.src.port));
  }
  w.end_object();
  w.member("status"_key, allowed ? "Success" : "Failure");
  w.member("status_id"_key, allowed ? 1 : 2);
  w.member("time"_key, e.time_ms);
  write_type(w);
  w.key("unmapped"_key);
  w.begin_object();
  w.member("action"_key, e.action);
  if (e.batch_size != 0) {
    w.key("batch"_key);
    w.begin_object();
    w.member("index"_key, static_cast<std::uint64_t>(e.batch_index));
    w.member("size"_key, static_cast<std::uint64_t>(e.batch_size));
    w.end_object();
  }
  w.key("cedar_request"_key);
  std::vector<std::string> redacted;
  if (e.cedar_request_jcs.empty()) {
    w.canonical("null");
  } else if (ctx.redactor == nullptr || ctx.redactor->empty()) {
    w.canonical(e.cedar_request_jcs);  // already canonical: copied, not re-canonicalised
  } else {
    // Redaction edits the tree, so only then is the request parsed.
    json cedar = json::parse(e.cedar_request_jcs, nullptr, /*allow_exceptions=*/false);
    if (cedar.is_discarded()) {
      // Not JSON (a caller bug): nothing of it may reach the log unredacted.
      w.canonical("null");
      redacted.emplace_back("drop:cedar_request (not JSON)");
    } else {
      redacted = ctx.redactor->apply(cedar);
      w.json(cedar);
    }
  }
  w.member("decision"_key, allowed ? "allow" : "deny");
  w.key("diagnostics"_key);
  w.strings(e.diagnostics);
  w.member("dry_run"_key, e.dry_run);
  if (e.jsonrpc_id) {
    w.key("jsonrpc_id"_key);
    w.json(*e.jsonrpc_id);
  }
  w.member("kind"_key, "decision");
  w.key("labels"_key);
  w.strings(e.labels);
  w.member("listener"_key, e.listener);
  w.key("policy_errors"_key);
  w.strings(e.policy_errors);
  w.key("policy_ids"_key);
  w.strings(e.policy_ids);
  w.member("protocol"_key, e.protocol);
  w.member("quarantined"_key, e.quarantined);
  if (!redacted.empty()) {
    w.key("redacted"_key);
    w.strings(redacted);
  }
  w.member("route"_key, e.route);
  if (!e.peer.subject.empty() || !e.peer.issuer.empty() || !e.peer.spiffe_id.empty() ||
      !e.peer.serial.empty()) {
    w.key("tls"_key);
    w.begin_object();
    w.member("issuer"_key, e.peer.issuer);
    w.member("serial"_key, e.peer.serial);
    w.member("spiffe_id"_key, e.peer.spiffe_id);
    w.member("subject"_key, e.peer.subject);
    w.end_object();
  }
  w.key("would_deny"_key);
  w.strings(e.would_deny);
  w.end_object();
  w.end_object();
  return t;
}

RecordTemplate make_outcome_record(const OutcomeEvent& e, const RecordContext& ctx) {
  const bool ok = e.error.empty() && e.upstream_status > 0 && e.upstream_status < 500;
  RecordTemplate t;
  t.kind = RecordKind::Outcome;
  t.uid = new_record_uid();
  t.text.reserve(1536);
  CanonicalWriter w(t.text);
  w.begin_object();
  static const std::string kOutcomeHead =
      render_members([](CanonicalWriter& v) { write_activity(v, "Outcome"); });
  w.members(kOutcomeHead);
  write_actor_and_agent(w, e.agent, e.session_id);
  write_api(w, e.action, e.request_id, e.route);
  w.key("attestation_list"_key);
  t.attestation_at = w.hole();
  write_class(w);
  w.member("duration"_key, e.latency_us / 1000);
  if (e.upstream_status != 0) {
    w.key("http_response"_key);
    w.begin_object();
    w.member("code"_key, e.upstream_status);
    w.member("latency"_key, e.latency_us / 1000);
    w.member("length"_key, e.response_bytes);
    w.end_object();
  }
  write_metadata(w, ctx, t.uid, &e.correlation_uid, t);
  w.member("severity_id"_key, ok ? 1 : 2);
  // The outcome is the gateway's own observation of the upstream's answer.
  w.key("src_endpoint"_key);
  write_self_endpoint(w, ctx);
  w.member("status"_key, ok ? "Success" : "Failure");
  if (!e.error.empty()) {
    w.member("status_detail"_key, e.error);
  }
  w.member("status_id"_key, ok ? 1 : 2);
  w.member("time"_key, e.time_ms);
  write_type(w);
  w.key("unmapped"_key);
  w.begin_object();
  w.member("action"_key, e.action);
  w.member("error"_key, e.error);
  w.member("kind"_key, "outcome");
  w.member("latency_us"_key, e.latency_us);
  w.member("protocol"_key, e.protocol);
  w.member("request_bytes"_key, e.request_bytes);
  w.member("response_bytes"_key, e.response_bytes);
  w.member("route"_key, e.route);
  w.member("upstream_status"_key, e.upstream_status);
  w.end_object();
  w.end_object();
  return t;
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

namespace {

// A record the log writes about itself: the log as actor, `body` under unmapped.<operation>.
RecordTemplate make_self_record(RecordKind kind, std::int64_t time_ms,
                                const std::string& activity_name, int severity_id,
                                const std::string& operation, const json& body,
                                const RecordContext& ctx) {
  std::string uid = new_record_uid();
  json r = base_record(kind, time_ms, activity_name, severity_id, ctx, uid);
  set_self_actor(r, ctx, operation);
  r["unmapped"][operation] = body;
  return finish(kind, std::move(uid), r);
}

}  // namespace

RecordTemplate make_checkpoint_record(std::int64_t time_ms, const json& checkpoint,
                                      const RecordContext& ctx) {
  return make_self_record(RecordKind::Checkpoint, time_ms, "Checkpoint", 1, "checkpoint",
                          checkpoint, ctx);
}

RecordTemplate make_recovery_record(std::int64_t time_ms, const json& recovery,
                                    const RecordContext& ctx) {
  return make_self_record(RecordKind::Recovery, time_ms, "Recovery", 3, "recovery", recovery, ctx);
}

namespace {

constexpr std::string_view kFingerprintHead =
    R"({"algorithm":"SHA-256","algorithm_id":3,"serialization":"JCS","serialization_id":2,"value":")";

void append_fingerprint(std::string& out, const Digest& d) {
  out += kFingerprintHead;
  append_hex(out, d);
  out += "\"}";
}

}  // namespace

Digest seal_record(const RecordTemplate& tmpl, std::string_view chain_uid,
                   const std::optional<ChainLink>& prev, std::uint64_t sequence, Sha256& hasher,
                   std::string& line) {
  line.clear();
  return append_sealed_record(tmpl, chain_uid, prev, sequence, hasher, line);
}

Digest append_sealed_record(const RecordTemplate& tmpl, std::string_view chain_uid,
                            const std::optional<ChainLink>& prev, std::uint64_t sequence,
                            Sha256& hasher, std::string& out) {
  const std::string_view text = tmpl.text;
  char seq_buf[24];
  const auto seq_end = std::to_chars(seq_buf, seq_buf + sizeof seq_buf, sequence).ptr;

  // The finished line is written once, with room for the record's own fingerprint value; the
  // fingerprint hashes that line without the `,"fingerprint":{...}` member (two slices of it),
  // and then fills the room. The record's bytes are read twice (copied and hashed), not three
  // times.
  std::string& line = out;
  const std::size_t base = line.size();
  line.reserve(base + text.size() + 512);
  line.append(text.substr(0, tmpl.attestation_at));
  line += "[{\"chain_uid\":";
  append_jcs_string(line, chain_uid);
  const std::size_t own_begin = line.size();
  line += ",\"fingerprint\":";
  line += kFingerprintHead;
  const std::size_t own_value = line.size();
  line.append(64, '0');
  line += "\"}";
  const std::size_t own_end = line.size();
  if (prev) {
    line += ",\"prev_event\":{\"fingerprint\":";
    append_fingerprint(line, prev->fingerprint);
    line += ",\"uid\":";
    append_jcs_string(line, prev->uid);
    line += "}";
  }
  line += "}]";
  line.append(text.substr(tmpl.attestation_at, tmpl.sequence_at - tmpl.attestation_at));
  line.append(seq_buf, seq_end);
  line.append(text.substr(tmpl.sequence_at));

  const std::string_view whole = line;
  hasher.reset();
  hasher.update(whole.substr(base, own_begin - base));
  hasher.update(whole.substr(own_end));
  const Digest fingerprint = hasher.finish();

  static constexpr char kHex[] = "0123456789abcdef";
  for (std::size_t i = 0; i < fingerprint.size(); ++i) {
    line[own_value + 2 * i] = kHex[fingerprint[i] >> 4];
    line[own_value + 2 * i + 1] = kHex[fingerprint[i] & 0xf];
  }
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
