// Operations: hot reload (good and bad), the quarantine kill switch over the admin listener,
// metrics, SIGTERM-style drain.
#include <catch2/catch.hpp>
#include <future>
#include <thread>

#include "integration/gateway/test_helpers.hpp"
#include "support/gateway_fixture.hpp"

using namespace portcullis::test;

namespace {
const std::string kAllowDelete = std::string(kDefaultPolicies) + R"(
@id("allow-delete")
permit(principal, action == Action::"tools/call", resource == Tool::"tools/delete_file");
)";
}  // namespace

TEST_CASE("a good reload swaps the policy set for the next request", "[gateway][reload]") {
  GatewayFixture gw({.policies = R"(
@id("session") permit(principal, action in Action::"mcp/session", resource);
)"});
  CHECK(body_json(gw.post_as_a("/mcp", echo_call()))["error"]["code"] == -32099);
  const std::string before = gw.gateway().policy_set_hash();
  gw.write_policies(kDefaultPolicies);
  auto reloaded = gw.gateway().reload("test");
  REQUIRE(reloaded);
  CHECK(reloaded->policy_set != before);
  CHECK(reloaded->needs_restart.empty());
  CHECK(body_json(gw.post_as_a("/mcp", echo_call()))["result"]["upstream"] == "ok");
  CHECK(gw.audit().decisions().back().policy_set_hash == reloaded->policy_set);
}

TEST_CASE("a reload applies the policies and names the start-only settings it could not apply",
          "[gateway][reload]") {
  GatewayFixture gw;
  gw.edit_config([](std::string& yaml) {
    const std::string audit = "audit:\n  dir: audit\n  mode: batched\n";
    REQUIRE(yaml.find(audit) != std::string::npos);
    yaml.replace(yaml.find(audit), audit.size(),
                 audit + "  redaction:\n    - {path: input.password, action: drop}\n");
    yaml += "label_ttl: 1h\n";
  });
  gw.write_policies(kAllowDelete);
  auto reloaded = gw.gateway().reload("test");
  REQUIRE(reloaded);
  CHECK(reloaded->needs_restart == std::vector<std::string>{"audit.redaction", "label_ttl"});
  CHECK(gw.gateway().policy_set_hash() == reloaded->policy_set);
  CHECK(has_metric_line(gw.gateway().metrics().render(),
                        "portcullis_restart_pending_settings 2"));
}

TEST_CASE("a bad reload keeps the running set and says why", "[gateway][reload]") {
  GatewayFixture gw;
  const std::string before = gw.gateway().policy_set_hash();
  gw.write_policies("permit(principal, action, resource) when { ;");
  auto reloaded = gw.gateway().reload("test");
  REQUIRE_FALSE(reloaded);
  CHECK(reloaded.error().message.find("policies.cedar:1:") != std::string::npos);
  CHECK(gw.gateway().policy_set_hash() == before);
  CHECK(body_json(gw.post_as_a("/mcp", echo_call()))["result"]["upstream"] == "ok");
  CHECK(gw.gateway().metrics().render().find(R"(portcullis_reloads_total{result="failed"} 1)") !=
        std::string::npos);
}

TEST_CASE("POST /reload needs an operator identity over mTLS", "[gateway][reload][admin]") {
  GatewayFixture gw;
  gw.write_policies(kAllowDelete);
  auto anonymous = gw.admin(std::nullopt);
  CHECK(anonymous->request("POST", "/reload", "").result_int() == 403);
  CHECK(body_json(gw.post_as_a("/mcp", echo_call(1, "delete_file")))["error"]["code"] == -32099);
  auto operator_client = gw.admin(gw.operator_cert());
  auto response = operator_client->request("POST", "/reload", "");
  CHECK(response.result_int() == 200);
}

TEST_CASE("a quarantined agent is denied everything until the operator lifts it",
          "[gateway][quarantine][admin]") {
  GatewayFixture gw;
  auto ops = gw.admin(gw.operator_cert());
  auto engaged = ops->request("POST", "/quarantine",
                              R"({"agent":")" + std::string(kAgentA) + R"(","reason":"incident 42"})");
  REQUIRE(engaged.result_int() == 200);
  auto denied = gw.post_as_a("/mcp", echo_call());
  CHECK(body_json(denied)["error"]["code"] == -32099);
  CHECK(body_json(denied)["error"]["message"] == "agent is quarantined");
  CHECK(gw.upstream().count() == 0);
  CHECK(gw.audit().decisions().back().quarantined);

  auto lifted = ops->request("DELETE", "/quarantine/spiffe:%2F%2Fexample.org%2Fagent%2Fa", "");
  REQUIRE(lifted.result_int() == 200);
  CHECK(body_json(gw.post_as_a("/mcp", echo_call()))["result"]["upstream"] == "ok");
}

TEST_CASE("an agent certificate is refused at the admin listener's TLS handshake",
          "[gateway][quarantine][admin][bypass]") {
  // The admin listener trusts only the ops CA (admin.tls.client_ca): a certificate from the
  // agents' CA fails verification, so an agent gets no admin connection at all — in TLS 1.3 it
  // learns so from the alert on its first read.
  GatewayFixture gw;
  REQUIRE(gw.gateway().quarantine().quarantine(kAgentA, "incident", kOperator, 0));
  TlsClient with_agent_cert(gw.admin_port(), gw.dir() / "gateway-ca.pem", gw.agent_a_cert());
  const auto attempt =
      with_agent_cert.attempt("DELETE", "/quarantine/spiffe:%2F%2Fexample.org%2Fagent%2Fa");
  INFO("failure: " << attempt.failure);
  CHECK_FALSE(attempt.response.has_value());
  CHECK_THAT(attempt.failure, Catch::Matchers::Contains("alert unknown ca"));
  CHECK(gw.gateway().quarantine().is_quarantined(kAgentA));
  CHECK(eventually([&] {
    return has_metric_line(gw.gateway().metrics().render(),
                           R"(portcullis_tls_handshake_failures_total{listener="admin",reason="unknown_ca"} 1)");
  }));
}

TEST_CASE("an identity the admin CA vouches for but not allowed gets 403 and changes nothing",
          "[gateway][quarantine][admin][reload][bypass]") {
  GatewayFixture gw;
  REQUIRE(gw.gateway().quarantine().quarantine(kAgentA, "incident", kOperator, 0));
  const std::string hash_before = gw.gateway().policy_set_hash();
  gw.write_policies(kAllowDelete);  // what a reload would load
  // Verified by the ops CA, so the TLS handshake succeeds; not in admin.allowed_identities.
  const auto intern_cert = gw.ops_pki().issue(
      "intern", {.common_name = "intern", .uri_sans = {"spiffe://example.org/ops/intern"}});
  auto intern = gw.admin(intern_cert);

  const auto lift = intern->request("DELETE", "/quarantine/spiffe:%2F%2Fexample.org%2Fagent%2Fa", "");
  CHECK(lift.result_int() == 403);
  CHECK(body_json(lift)["detail"] == "this identity is not in admin.allowed_identities");
  const auto reload = intern->request("POST", "/reload", "");
  CHECK(reload.result_int() == 403);
  CHECK(body_json(reload)["detail"] == "this identity is not in admin.allowed_identities");
  // Nor may it quarantine (or re-quarantine) anyone.
  const auto engage =
      intern->request("POST", "/quarantine", R"({"agent":")" + std::string(kAgentB) + R"(","reason":"x"})");
  CHECK(engage.result_int() == 403);

  // Without a certificate at all: 403 too.
  auto anonymous = gw.admin(std::nullopt);
  CHECK(anonymous->request("DELETE", "/quarantine/spiffe:%2F%2Fexample.org%2Fagent%2Fa", "")
            .result_int() == 403);

  CHECK(gw.gateway().quarantine().is_quarantined(kAgentA));
  CHECK_FALSE(gw.gateway().quarantine().is_quarantined(kAgentB));
  CHECK(gw.gateway().policy_set_hash() == hash_before);
  const std::string metrics = gw.gateway().metrics().render();
  CHECK(has_metric_line(metrics, R"(portcullis_reloads_total{result="ok"} 0)"));
  // The quarantine is still enforced on the data path.
  CHECK(body_json(gw.post_as_a("/mcp", echo_call()))["error"]["message"] == "agent is quarantined");
  CHECK(gw.upstream().count() == 0);
}

TEST_CASE("metrics are served on the admin listener without a certificate", "[gateway][admin]") {
  GatewayFixture gw;
  (void)gw.post_as_a("/mcp", echo_call());
  auto anonymous = gw.admin(std::nullopt);
  auto response = anonymous->request("GET", "/metrics", "");
  CHECK(response.result_int() == 200);
  CHECK(response.body().find(R"(portcullis_requests_total{listener="agents",route="tools",protocol="mcp"} 1)") !=
        std::string::npos);
}

TEST_CASE("shutdown drains an in-flight request, refuses new ones, and closes the audit log",
          "[gateway][drain]") {
  GatewayFixture gw;
  std::promise<void> arrived;
  gw.upstream().set_handler([&](const ReceivedRequest&, UpstreamWriter& writer) {
    arrived.set_value();
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
    writer.respond(200, "application/json", R"({"jsonrpc":"2.0","id":1,"result":{"slow":true}})");
  });
  auto client = gw.agent_a();
  auto in_flight = std::async(std::launch::async, [&] {
    return client->request("POST", "/mcp", echo_call(1));
  });
  REQUIRE(arrived.get_future().wait_for(std::chrono::seconds(3)) == std::future_status::ready);
  std::thread stopper([&] { gw.gateway().shutdown(std::chrono::seconds(3)); });
  const auto response = in_flight.get();
  CHECK(response.result_int() == 200);
  CHECK(body_json(response)["result"]["slow"] == true);
  stopper.join();
  CHECK(gw.audit().closed());
  auto late = gw.client(gw.agent_a_cert());
  CHECK_FALSE(late->connect().empty());
}
