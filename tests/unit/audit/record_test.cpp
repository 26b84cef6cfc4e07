#include "portcullis/audit/record.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "portcullis/audit/jcs.hpp"
#include "portcullis/audit/redaction.hpp"

using namespace portcullis::audit;
using nlohmann::json;

namespace {

DecisionEvent sample_decision() {
  DecisionEvent e;
  e.time_ms = 1764200000123;
  e.request_id = "req-1";
  e.agent = "spiffe://example.org/agent/billing";
  e.session_id = "sess-9";
  e.listener = "agents";
  e.route = "tools";
  e.protocol = "mcp";
  e.action = "tools/call";
  e.method = "tools/call";
  e.resource_type = "Tool";
  e.resource_id = "tools/refund";
  e.jsonrpc_id = json(7);
  e.disposition = Disposition::Blocked;
  e.deny_message = "refunds above 100 need a human";
  e.policy_ids = {"deny-large-refunds"};
  e.policy_set_hash = "abc123";
  e.cedar_request_jcs = jcs(json{{"principal", "Agent::\"a\""},
                                 {"context", {{"input", {{"amount", 500}, {"card", "4111"}}}}}});
  e.src = {"10.0.0.5", 51000};
  e.dst = {"127.0.0.1", 8443};
  e.http_method = "POST";
  e.http_url = "/mcp?x=1";
  return e;
}

}  // namespace

TEST_CASE("a sealed record is its own canonical form and its fingerprint covers all but itself",
          "[audit][record]") {
  RecordContext ctx;
  ctx.product_version = "0.1.0";
  const RecordTemplate t = make_decision_record(sample_decision(), ctx);
  Sha256 hasher;
  std::string line;
  const ChainLink prev{41, "prev-uid", sha256("prev")};
  const Digest fp = seal_record(t, "chain-1", prev, 42, hasher, line);
  REQUIRE(line.back() == '\n');
  line.pop_back();
  json r = json::parse(line);
  CHECK(jcs(r) == line);
  CHECK(r["metadata"]["sequence"] == 42);
  CHECK(r["metadata"]["uid"] == t.uid);
  auto& att = r["attestation_list"][0];
  CHECK(att["chain_uid"] == "chain-1");
  CHECK(att["prev_event"]["uid"] == "prev-uid");
  CHECK(att["prev_event"]["fingerprint"]["value"] == to_hex(sha256("prev")));
  CHECK(att["fingerprint"]["value"] == to_hex(fp));
  CHECK(att["fingerprint"]["algorithm_id"] == 3);
  CHECK(att["fingerprint"]["serialization_id"] == 2);
  att.erase("fingerprint");
  CHECK(sha256(jcs(r)) == fp);
}

TEST_CASE("the first record of a chain has no prev_event", "[audit][record]") {
  RecordContext ctx;
  const RecordTemplate t = make_checkpoint_record(1, json{{"tree_size", 0}}, ctx);
  Sha256 hasher;
  std::string line;
  (void)seal_record(t, "c", std::nullopt, 1, hasher, line);
  const json r = json::parse(line);
  CHECK_FALSE(r["attestation_list"][0].contains("prev_event"));
}

TEST_CASE("a decision record carries the OCSF and Portcullis fields", "[audit][record]") {
  RecordContext ctx;
  const RecordTemplate t = make_decision_record(sample_decision(), ctx);
  Sha256 hasher;
  std::string line;
  (void)seal_record(t, "c", std::nullopt, 1, hasher, line);
  const json r = json::parse(line);
  CHECK(r["class_uid"] == 6003);
  CHECK(r["type_uid"] == 600399);
  CHECK(r["disposition_id"] == 2);
  CHECK(r["policy"]["uid"] == "deny-large-refunds");
  CHECK(r["policy"]["version"] == "abc123");
  CHECK(r["ai_agent"]["uid"] == "spiffe://example.org/agent/billing");
  CHECK(r["ai_agent"]["instance_uid"] == "sess-9");
  CHECK(r["api"]["operation"] == "tools/call");
  CHECK(r["api"]["request"]["uid"] == "req-1");
  CHECK(r["http_request"]["url"]["path"] == "/mcp");
  CHECK(r["http_request"]["url"]["query_string"] == "x=1");
  CHECK(r["resources"][0]["uid"] == "tools/refund");
  CHECK(r["unmapped"]["kind"] == "decision");
  CHECK(r["unmapped"]["jsonrpc_id"] == 7);
  CHECK(r["unmapped"]["cedar_request"]["context"]["input"]["amount"] == 500);
  CHECK(r["metadata"]["profiles"] == json({"security_control", "ai_operation", "record_integrity"}));
}

TEST_CASE("an outcome record refers to its decision by correlation_uid", "[audit][record]") {
  OutcomeEvent e;
  e.correlation_uid = "decision-uid";
  e.upstream_status = 200;
  e.latency_us = 4200;
  RecordContext ctx;
  const RecordTemplate t = make_outcome_record(e, ctx);
  Sha256 hasher;
  std::string line;
  (void)seal_record(t, "c", std::nullopt, 1, hasher, line);
  line.pop_back();
  const json r = json::parse(line);
  CHECK(jcs(r) == line);  // written directly in canonical form
  CHECK(r["metadata"]["correlation_uid"] == "decision-uid");
  CHECK(r["http_response"]["code"] == 200);
  CHECK(r["unmapped"]["latency_us"] == 4200);
}

TEST_CASE("the checkpoint signing payload is the JCS of its four fields", "[audit][record]") {
  CHECK(checkpoint_signing_payload("c", 5, "ab", 17) ==
        R"({"chain_uid":"c","root":"ab","time":17,"tree_size":5})");
}

TEST_CASE("record uids are distinct version 4 UUIDs", "[audit][record]") {
  const std::string a = new_record_uid();
  const std::string b = new_record_uid();
  CHECK(a != b);
  CHECK(a.size() == 36);
  CHECK(a[14] == '4');
}

TEST_CASE("records with every optional field empty are still written in canonical form",
          "[audit][record]") {
  RecordContext ctx;
  for (const RecordTemplate& t :
       {make_decision_record(DecisionEvent{}, ctx), make_outcome_record(OutcomeEvent{}, ctx),
        make_admin_record(AdminEvent{}, ctx)}) {
    Sha256 hasher;
    std::string line;
    (void)seal_record(t, "c", std::nullopt, 1, hasher, line);
    line.pop_back();
    CHECK(jcs(json::parse(line)) == line);
  }
  DecisionEvent full = sample_decision();
  full.batch_size = 3;
  full.batch_index = 2;
  full.peer = {"CN=a", "CN=ca", "spiffe://x", "01"};
  full.would_deny = {"w"};
  json cedar = json::parse(full.cedar_request_jcs);
  cedar["context"]["\xF0\x9F\x98\x80"] = 1;  // a key that sorts by UTF-16
  cedar["context"]["\xEF\xAC\xB3"] = 2;
  full.cedar_request_jcs = jcs(cedar);
  Sha256 hasher;
  std::string line;
  (void)seal_record(make_decision_record(full, ctx), "c", std::nullopt, 1, hasher, line);
  line.pop_back();
  CHECK(jcs(json::parse(line)) == line);
}

TEST_CASE("a decision record carries the Cedar request text as given, or null without one",
          "[audit][record]") {
  RecordContext ctx;
  DecisionEvent e = sample_decision();
  const RecordTemplate with = make_decision_record(e, ctx);
  CHECK(with.text.find("\"cedar_request\":" + e.cedar_request_jcs + ",") != std::string::npos);
  e.cedar_request_jcs.clear();
  const RecordTemplate without = make_decision_record(e, ctx);
  CHECK(without.text.find("\"cedar_request\":null,") != std::string::npos);
}

TEST_CASE("sealing splices the chain fields exactly where the generic canonicaliser puts them",
          "[audit][record]") {
  // The fingerprint is hashed over the line around its own member; rebuilding the record
  // without it through the generic canonicaliser must give the same digest, with and without
  // prev_event, and for chain and prev uids that need escaping.
  RecordContext ctx;
  const RecordTemplate t = make_decision_record(sample_decision(), ctx);
  for (const auto& prev : {std::optional<ChainLink>{},
                           std::optional<ChainLink>{ChainLink{6, "p\"rev\u00e9", sha256("p")}}}) {
    Sha256 hasher;
    std::string line;
    const Digest fp = seal_record(t, "chain\\1", prev, 7, hasher, line);
    line.pop_back();
    json r = json::parse(line);
    CHECK(jcs(r) == line);
    CHECK(r["attestation_list"][0]["fingerprint"]["value"] == to_hex(fp));
    r["attestation_list"][0].erase("fingerprint");
    CHECK(sha256(jcs(r)) == fp);
  }
}

TEST_CASE("a record sealed onto the end of a buffer is the same line with the same fingerprint",
          "[audit][record]") {
  RecordContext ctx;
  const RecordTemplate t = make_decision_record(sample_decision(), ctx);
  const ChainLink prev{41, "prev-uid", sha256("prev")};
  Sha256 hasher;
  std::string line;
  const Digest alone = seal_record(t, "chain-1", prev, 42, hasher, line);
  std::string buffer = "earlier record\n";
  const Digest appended = append_sealed_record(t, "chain-1", prev, 42, hasher, buffer);
  CHECK(appended == alone);
  CHECK(buffer == "earlier record\n" + line);
}

TEST_CASE("the log's metadata members are each record's own context, even when it changes",
          "[audit][record]") {
  // record_builder.cpp renders log_name/product once per thread and context; records of two
  // logs built in turn on one thread must each carry their own, and stay canonical.
  RecordContext a;
  a.log_name = "log-a";
  a.product_version = "1.0.0";
  RecordContext b;
  b.log_name = "log \"b\"";
  b.product_version = "2.0.0";
  for (int round = 0; round < 2; ++round) {
    for (const RecordContext* ctx : {&a, &b}) {
      for (const RecordTemplate& t :
           {make_decision_record(sample_decision(), *ctx), make_outcome_record(OutcomeEvent{}, *ctx)}) {
        Sha256 hasher;
        std::string line;
        (void)seal_record(t, "c", std::nullopt, 1, hasher, line);
        line.pop_back();
        const json r = json::parse(line);
        CHECK(jcs(r) == line);
        CHECK(r["metadata"]["log_name"] == ctx->log_name);
        CHECK(r["metadata"]["product"]["version"] == ctx->product_version);
        CHECK(r["metadata"]["version"] == kOcsfVersion);
      }
    }
  }
}

TEST_CASE("allowed and denied decision records each carry their own constant members",
          "[audit][record]") {
  RecordContext ctx;
  for (const Disposition d : {Disposition::Allowed, Disposition::Blocked, Disposition::Allowed}) {
    DecisionEvent e = sample_decision();
    e.disposition = d;
    const bool allowed = d == Disposition::Allowed;
    Sha256 hasher;
    std::string line;
    (void)seal_record(make_decision_record(e, ctx), "c", std::nullopt, 1, hasher, line);
    line.pop_back();
    const json r = json::parse(line);
    CHECK(jcs(r) == line);
    CHECK(r["action"] == (allowed ? "Allowed" : "Denied"));
    CHECK(r["action_id"] == (allowed ? 1 : 2));
    CHECK(r["activity_name"] == "Decision");
    CHECK(r["activity_id"] == 99);
    CHECK(r["category_uid"] == 6);
    CHECK(r["class_name"] == "API Activity");
    CHECK(r["disposition"] == (allowed ? "Allowed" : "Blocked"));
    CHECK(r["disposition_id"] == (allowed ? 1 : 2));
    CHECK(r["type_name"] == "API Activity: Other");
    CHECK(r["status"] == (allowed ? "Success" : "Failure"));
  }
}
