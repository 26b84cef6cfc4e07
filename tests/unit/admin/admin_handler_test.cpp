#include "portcullis/admin/admin_handler.hpp"

#include <catch2/catch.hpp>
#include <optional>
#include <string>
#include <vector>

using nlohmann::json;
using portcullis::Result;
using portcullis::admin::AdminCallbacks;
using portcullis::admin::AdminHandler;
using portcullis::admin::AdminHandlerOptions;
using portcullis::admin::AdminRequest;
using portcullis::admin::AdminResponse;
using portcullis::admin::GatewayMetrics;
using portcullis::admin::percent_decode;
using portcullis::admin::QuarantineList;
using portcullis::audit::AdminEvent;
using portcullis::audit::AppendCompletion;
using portcullis::audit::AppendReceipt;

namespace {

constexpr const char* kOps = "spiffe://example.org/ops/oncall";
constexpr const char* kAgent = "spiffe://example.org/agent/a";
constexpr std::int64_t kNowMs = 1'800'000'000'123;

// A gateway stand-in: records admin events (or fails to), holds a pending completion when
// asked to, and answers reloads with a canned result.
struct Fixture {
  QuarantineList quarantine;
  GatewayMetrics metrics;
  std::vector<AdminEvent> recorded;
  bool audit_fails = false;
  bool hold_completion = false;
  AppendCompletion pending;
  bool policies_loaded = true;
  bool audit_writable = true;
  Result<portcullis::admin::ReloadOutcome> reload_result =
      portcullis::admin::ReloadOutcome{"sha256:abc", {}};
  std::vector<std::string> reloads_by;
  AdminHandler handler;

  Fixture()
      : handler(AdminHandlerOptions{{kOps}, 16 * 1024},
                AdminCallbacks{
                    [this](std::string by, portcullis::admin::ReloadDone done) {
                      reloads_by.push_back(std::move(by));
                      done(reload_result);
                    },
                    [this](AdminEvent event, AppendCompletion done) {
                      if (audit_fails) {
                        done(portcullis::fail("disk full"));
                        return;
                      }
                      recorded.push_back(std::move(event));
                      if (hold_completion) {
                        pending = std::move(done);
                        return;
                      }
                      done(AppendReceipt{recorded.size(), "uid-" + std::to_string(recorded.size())});
                    },
                    [this] { return policies_loaded; }, [this] { return audit_writable; },
                    [] { return kNowMs; }},
                quarantine, metrics) {}

  // The answer lands in the fixture, not on call()'s stack: a held audit completion may answer
  // after call() returned.
  std::optional<AdminResponse> last;
  int answers = 0;

  std::optional<AdminResponse> call(std::string method, std::string target, std::string body = {},
                                    std::optional<std::string> identity = kOps) {
    last.reset();
    answers = 0;
    handler.handle(AdminRequest{std::move(method), std::move(target), std::move(body),
                                std::move(identity)},
                   [this](AdminResponse response) {
                     ++answers;
                     last = std::move(response);
                   });
    CHECK(answers <= 1);
    return last;
  }

  AdminResponse must(std::string method, std::string target, std::string body = {},
                     std::optional<std::string> identity = kOps) {
    auto response = call(std::move(method), std::move(target), std::move(body), std::move(identity));
    REQUIRE(response);
    return *response;
  }
};

json body_of(const AdminResponse& response) { return json::parse(response.body); }

void check_problem(const AdminResponse& response, int status, const std::string& detail_part) {
  CHECK(response.status == status);
  CHECK(response.content_type == "application/problem+json");
  const auto body = body_of(response);
  CHECK(body["status"] == status);
  CHECK(body["type"] == "about:blank");
  INFO(body.dump());
  CHECK(body["detail"].get<std::string>().find(detail_part) != std::string::npos);
}

}  // namespace

TEST_CASE("healthz answers ok without an identity", "[admin][handler]") {
  Fixture f;
  const auto response = f.must("GET", "/healthz", "", std::nullopt);
  CHECK(response.status == 200);
  CHECK(response.content_type == "application/json");
  CHECK(body_of(response) == json{{"status", "ok"}});
}

TEST_CASE("readyz is 200 only when policies are loaded and the audit log is writable",
          "[admin][handler]") {
  Fixture f;
  auto response = f.must("GET", "/readyz", "", std::nullopt);
  CHECK(response.status == 200);
  CHECK(body_of(response)["status"] == "ready");

  f.audit_writable = false;
  response = f.must("GET", "/readyz", "", std::nullopt);
  CHECK(response.status == 503);
  CHECK(body_of(response)["checks"] == json{{"policies_loaded", true}, {"audit_writable", false}});

  f.audit_writable = true;
  f.policies_loaded = false;
  response = f.must("GET", "/readyz", "", std::nullopt);
  CHECK(response.status == 503);
  CHECK(body_of(response)["checks"]["policies_loaded"] == false);
}

TEST_CASE("readyz without readiness callbacks is not ready", "[admin][handler]") {
  QuarantineList quarantine;
  GatewayMetrics metrics;
  AdminHandler handler(AdminHandlerOptions{}, AdminCallbacks{}, quarantine, metrics);
  std::optional<AdminResponse> out;
  handler.handle(AdminRequest{"GET", "/readyz", "", std::nullopt},
                 [&](AdminResponse r) { out = std::move(r); });
  REQUIRE(out);
  CHECK(out->status == 503);
}

TEST_CASE("metrics are served open in the Prometheus text format", "[admin][handler]") {
  Fixture f;
  f.metrics.count_policy_invariant_bug();
  const auto response = f.must("GET", "/metrics?x=1", "", std::nullopt);
  CHECK(response.status == 200);
  CHECK(response.content_type == "text/plain; version=0.0.4; charset=utf-8");
  CHECK(response.body.find("\nportcullis_policy_invariant_bugs_total 1\n") != std::string::npos);
}

TEST_CASE("admin endpoints refuse a caller without a verified identity", "[admin][handler]") {
  Fixture f;
  check_problem(f.must("POST", "/reload", "", std::nullopt), 403, "client certificate");
  check_problem(f.must("GET", "/quarantine", "", std::nullopt), 403, "client certificate");
  check_problem(f.must("POST", "/quarantine", R"({"agent":"a","reason":"r"})", std::nullopt), 403,
                "client certificate");
  check_problem(f.must("DELETE", "/quarantine/a", "", std::nullopt), 403, "client certificate");
  CHECK(f.reloads_by.empty());
  CHECK(f.quarantine.size() == 0);
}

TEST_CASE("admin endpoints refuse an identity outside allowed_identities", "[admin][handler]") {
  Fixture f;
  REQUIRE(f.quarantine.quarantine(kAgent, "r", "ops", 1));
  for (const char* identity : {kAgent, "spiffe://example.org/ops/oncall/", "SPIFFE://example.org/ops/oncall", ""}) {
    INFO(identity);
    check_problem(f.must("DELETE", "/quarantine/" + std::string(kAgent), "", std::string(identity)),
                  403, "allowed_identities");
    check_problem(f.must("POST", "/reload", "", std::string(identity)), 403, "allowed_identities");
  }
  CHECK(f.quarantine.is_quarantined(kAgent));
  CHECK(f.reloads_by.empty());
}

TEST_CASE("unknown paths are 404 and wrong methods 405 with Allow", "[admin][handler]") {
  Fixture f;
  check_problem(f.must("GET", "/nope"), 404, "no such admin endpoint");
  check_problem(f.must("GET", "/healthz/"), 404, "no such admin endpoint");
  const auto response = f.must("GET", "/reload");
  check_problem(response, 405, "POST");
  REQUIRE(response.headers.size() == 1);
  CHECK(response.headers[0] == std::pair<std::string, std::string>{"Allow", "POST"});
  CHECK(f.must("DELETE", "/quarantine").headers[0].second == "GET, POST");
  CHECK(f.must("POST", "/quarantine/a").headers[0].second == "DELETE");
  CHECK(f.must("POST", "/metrics").status == 405);
  check_problem(f.must("GET", "healthz"), 400, "origin-form");
}

TEST_CASE("reload runs the reload callback with the operator's identity", "[admin][handler]") {
  Fixture f;
  const auto response = f.must("POST", "/reload");
  CHECK(response.status == 200);
  CHECK(body_of(response) == json{{"status", "reloaded"},
                                  {"policy_set", "sha256:abc"},
                                  {"needs_restart", json::array()}});
  CHECK(f.reloads_by == std::vector<std::string>{kOps});
}

TEST_CASE("a failed reload says why and that the old configuration keeps running",
          "[admin][handler]") {
  Fixture f;
  f.reload_result = portcullis::fail("policies/a.cedar:3:7: unexpected token");
  check_problem(f.must("POST", "/reload"), 422, "previous configuration keeps running");
  check_problem(f.must("POST", "/reload"), 422, "policies/a.cedar:3:7: unexpected token");
}

TEST_CASE("quarantine engages at once and is recorded in the audit log", "[admin][handler]") {
  Fixture f;
  const auto response =
      f.must("POST", "/quarantine", R"({"agent":"spiffe://example.org/agent/a","reason":"leak"})");
  CHECK(response.status == 200);
  CHECK(body_of(response) ==
        json{{"status", "quarantined"}, {"agent", kAgent}, {"audit_uid", "uid-1"}});
  CHECK(f.quarantine.is_quarantined(kAgent));
  REQUIRE(f.recorded.size() == 1);
  const auto& event = f.recorded[0];
  CHECK(event.kind == AdminEvent::Kind::Quarantine);
  CHECK(event.agent == kAgent);
  CHECK(event.reason == "leak");
  CHECK(event.operator_identity == kOps);
  CHECK(event.time_ms == kNowMs);
  CHECK(f.metrics.quarantined_agents.with({}).value() == 1);
}

TEST_CASE("quarantine is in effect before the audit record is durable", "[admin][handler]") {
  Fixture f;
  f.hold_completion = true;
  const auto response = f.call("POST", "/quarantine", R"({"agent":"a","reason":"r"})");
  CHECK_FALSE(response);  // the answer waits for the audit log...
  CHECK(f.quarantine.is_quarantined("a"));  // ...the kill switch does not
  REQUIRE(f.pending);
  f.pending(AppendReceipt{1, "uid-1"});
  REQUIRE(f.last);
  CHECK(f.last->status == 200);
}

TEST_CASE("quarantine engages even when the audit log cannot record it, and answers 500",
          "[admin][handler]") {
  Fixture f;
  f.audit_fails = true;
  const auto response = f.must("POST", "/quarantine", R"({"agent":"a","reason":"r"})");
  check_problem(response, 500, "is quarantined now");
  check_problem(response, 500, "could not be recorded");
  check_problem(response, 500, "disk full");
  CHECK(f.quarantine.is_quarantined("a"));
  CHECK(f.metrics.audit_append_failures.with({}).value() == 1);
}

TEST_CASE("a malformed quarantine body is refused and nothing is quarantined",
          "[admin][handler]") {
  const std::vector<std::pair<std::string, std::string>> table = {
      {"", "not valid JSON"},
      {"{", "not valid JSON"},
      {R"({"agent":"a","reason":"r"} x)", "not valid JSON"},
      {R"(["a"])", "JSON object"},
      {R"({"agent":"a"})", "\"reason\" is required"},
      {R"({"agent":"a","reason":""})", "\"reason\" is required"},
      {R"({"reason":"r"})", "\"agent\" is required"},
      {R"({"agent":"","reason":"r"})", "\"agent\" is required"},
      {R"({"agent":5,"reason":"r"})", "\"agent\" must be a string"},
      {R"({"agent":"a","reason":"r","until":"x"})", "unknown field \"until\""},
      {R"({"agent":"a","agent":"b","reason":"r"})", "duplicate key"},
      {R"({"agent":"a","reason":{"x":1,"x":2}})", "duplicate key"},
      {"{\"agent\":\"\xff\",\"reason\":\"r\"}", "not valid JSON"},
      {R"({"agent":")" + std::string(5000, 'x') + R"(","reason":"r"})", "longer than"},
  };
  for (const auto& [body, detail] : table) {
    INFO(body);
    Fixture f;
    check_problem(f.must("POST", "/quarantine", body), 400, detail);
    CHECK(f.quarantine.size() == 0);
    CHECK(f.recorded.empty());
  }
}

TEST_CASE("an admin body over max_body_bytes is refused with 413", "[admin][handler]") {
  Fixture f;
  const std::string body = R"({"agent":"a","reason":")" + std::string(20000, 'r') + "\"}";
  check_problem(f.must("POST", "/quarantine", body), 413, "16384 bytes");
  CHECK(f.quarantine.size() == 0);
}

TEST_CASE("the quarantine listing shows every entry", "[admin][handler]") {
  Fixture f;
  REQUIRE(f.quarantine.quarantine("b", "second", "ops2", 1'800'000'000'000));
  REQUIRE(f.quarantine.quarantine("a", "first", "ops1", 1'800'000'000'250));
  const auto response = f.must("GET", "/quarantine");
  CHECK(response.status == 200);
  CHECK(body_of(response) ==
        json::parse(R"({"quarantined":[
          {"agent":"a","reason":"first","by":"ops1","since":"2027-01-15T08:00:00.250Z","since_ms":1800000000250},
          {"agent":"b","reason":"second","by":"ops2","since":"2027-01-15T08:00:00.000Z","since_ms":1800000000000}]})"));
}

TEST_CASE("lifting a quarantine is recorded first and then takes effect", "[admin][handler]") {
  Fixture f;
  REQUIRE(f.quarantine.quarantine(kAgent, "r", "ops", 1));
  f.metrics.set_quarantined_agents(1);
  const auto response = f.must("DELETE", "/quarantine/spiffe%3A%2F%2Fexample.org%2Fagent%2Fa");
  CHECK(response.status == 200);
  CHECK(body_of(response) == json{{"status", "lifted"}, {"agent", kAgent}, {"audit_uid", "uid-1"}});
  CHECK_FALSE(f.quarantine.is_quarantined(kAgent));
  REQUIRE(f.recorded.size() == 1);
  CHECK(f.recorded[0].kind == AdminEvent::Kind::Unquarantine);
  CHECK(f.recorded[0].agent == kAgent);
  CHECK(f.recorded[0].operator_identity == kOps);
  CHECK(f.metrics.quarantined_agents.with({}).value() == 0);
}

TEST_CASE("an agent id with raw slashes in the DELETE path is accepted", "[admin][handler]") {
  Fixture f;
  REQUIRE(f.quarantine.quarantine(kAgent, "r", "ops", 1));
  CHECK(f.must("DELETE", "/quarantine/spiffe://example.org/agent/a").status == 200);
  CHECK_FALSE(f.quarantine.is_quarantined(kAgent));
}

TEST_CASE("a quarantine stays in effect until its lifting is durable", "[admin][handler]") {
  Fixture f;
  REQUIRE(f.quarantine.quarantine("a", "r", "ops", 1));
  f.hold_completion = true;
  CHECK_FALSE(f.call("DELETE", "/quarantine/a"));
  CHECK(f.quarantine.is_quarantined("a"));
  REQUIRE(f.pending);
  f.pending(AppendReceipt{1, "uid-1"});
  CHECK_FALSE(f.quarantine.is_quarantined("a"));
  REQUIRE(f.last);
  CHECK(f.last->status == 200);
  CHECK(f.answers == 1);
}

TEST_CASE("a quarantine is not lifted when the audit log cannot record it", "[admin][handler]") {
  Fixture f;
  REQUIRE(f.quarantine.quarantine("a", "r", "ops", 1));
  f.audit_fails = true;
  check_problem(f.must("DELETE", "/quarantine/a"), 503, "stays quarantined");
  CHECK(f.quarantine.is_quarantined("a"));
  CHECK(f.metrics.audit_append_failures.with({}).value() == 1);
}

TEST_CASE("lifting an agent that is not quarantined is 404 and records nothing",
          "[admin][handler]") {
  Fixture f;
  check_problem(f.must("DELETE", "/quarantine/nobody"), 404, "not quarantined");
  CHECK(f.recorded.empty());
}

TEST_CASE("an operator cannot lift its own quarantine", "[admin][handler]") {
  Fixture f;
  REQUIRE(f.quarantine.quarantine(kOps, "r", "other-ops", 1));
  check_problem(f.must("DELETE", "/quarantine/" + std::string(kOps)), 403, "its own quarantine");
  CHECK(f.quarantine.is_quarantined(kOps));
}

TEST_CASE("a bad agent id in the DELETE path is refused", "[admin][handler]") {
  Fixture f;
  check_problem(f.must("DELETE", "/quarantine/"), 400, "missing");
  check_problem(f.must("DELETE", "/quarantine/a%2"), 400, "truncated percent escape");
  check_problem(f.must("DELETE", "/quarantine/a%zz"), 400, "invalid percent escape");
  check_problem(f.must("DELETE", "/quarantine/a%00b"), 400, "NUL");
}

TEST_CASE("percent_decode decodes escapes in either case and leaves other bytes",
          "[admin][handler]") {
  CHECK(percent_decode("a%2Fb%2fc").value() == "a/b/c");
  CHECK(percent_decode("plain/with:colons").value() == "plain/with:colons");
  CHECK(percent_decode("%41%42").value() == "AB");
  CHECK(percent_decode("%E2%9C%93").value() == "\xE2\x9C\x93");
  CHECK_FALSE(percent_decode("%"));
  CHECK_FALSE(percent_decode("%4"));
  CHECK_FALSE(percent_decode("%G0"));
}

TEST_CASE("answers echo non-UTF-8 agent ids without failing", "[admin][handler]") {
  Fixture f;
  const auto response = f.must("DELETE", "/quarantine/%FF");
  check_problem(response, 404, "not quarantined");
}
