// The listener: client certificate required and verified, identity from the certificate only.
#include <catch2/catch.hpp>

#include "integration/gateway/test_helpers.hpp"
#include "support/gateway_fixture.hpp"

using namespace portcullis::test;
using Catch::Matchers::Contains;

namespace {

// A refused client: under TLS 1.3 its own handshake completes, the gateway's verdict on the
// certificate comes as an alert, and the client learns of it on its first read — so the proof
// of refusal is a whole request that gets no answer, only the alert (`alert`, as OpenSSL words
// it), and that nothing of it was decided or forwarded.
void check_refused(GatewayFixture& gw, const std::optional<IssuedCert>& cert,
                   const std::string& alert, const std::string& reason) {
  auto client = gw.client(cert);
  const TlsClient::Attempt attempt = client->attempt("POST", "/mcp", echo_call());
  INFO("failure: " << attempt.failure);
  CHECK_FALSE(attempt.response.has_value());
  CHECK_THAT(attempt.failure, Contains(alert));
  CHECK(gw.upstream().count() == 0);
  CHECK(gw.audit().decisions().empty());
  const std::string line = R"(portcullis_tls_handshake_failures_total{listener="agents",reason=")" +
                           reason + R"("} 1)";
  CHECK(eventually([&] { return has_metric_line(gw.gateway().metrics().render(), line); }));
}

}  // namespace

TEST_CASE("a client without a certificate is refused in the handshake and nothing is read",
          "[gateway][tls]") {
  GatewayFixture gw;
  check_refused(gw, std::nullopt, "alert certificate required", "no_certificate");
}

TEST_CASE("a certificate from another CA is refused", "[gateway][tls]") {
  GatewayFixture gw;
  auto stranger = gw.stranger_pki().issue(
      "stranger", {.common_name = "x", .uri_sans = {"spiffe://example.org/agent/a"}});
  check_refused(gw, stranger, "alert unknown ca", "unknown_ca");
}

TEST_CASE("a certificate with neither a SPIFFE id nor a CN is refused", "[gateway][tls]") {
  GatewayFixture gw;
  auto nameless = gw.agents_pki().issue("nameless", {.dns_sans = {"agent.example"}});
  check_refused(gw, nameless, "alert handshake failure", "no_identity");
}

TEST_CASE("an expired certificate is refused", "[gateway][tls]") {
  GatewayFixture gw;
  auto expired = gw.agents_pki().issue(
      "expired", {.uri_sans = {kAgentA}, .valid_days = 1, .valid_from_days = -5});
  check_refused(gw, expired, "alert certificate expired", "expired");
}

TEST_CASE("a valid agent certificate is served through the same attempt", "[gateway][tls]") {
  // The control for the refusal cases above: the same request on the same kind of client is
  // answered when the certificate is good, so "no answer" there means "refused".
  GatewayFixture gw;
  auto client = gw.client(gw.agent_a_cert());
  const TlsClient::Attempt attempt = client->attempt("POST", "/mcp", echo_call());
  INFO("failure: " << attempt.failure);
  REQUIRE(attempt.response.has_value());
  CHECK(attempt.response->result_int() == 200);
  CHECK(body_json(*attempt.response)["result"]["upstream"] == "ok");
  CHECK(gw.upstream().count() == 1);
  CHECK(gw.gateway().metrics().render().find("portcullis_tls_handshake_failures_total{") ==
        std::string::npos);
}

TEST_CASE("without a SPIFFE id the subject CN is the identity", "[gateway][tls]") {
  GatewayFixture gw;
  auto cn_only = gw.agents_pki().issue("cn-only", {.common_name = "cn-agent"});
  auto client = gw.client(cn_only);
  REQUIRE(client->connect().empty());
  auto response = client->request("POST", "/mcp", echo_call());
  CHECK(response.result_int() == 200);  // denied in JSON-RPC: cn-agent may not call echo
  const auto decisions = gw.audit().decisions();
  REQUIRE(decisions.size() == 1);
  CHECK(decisions[0].agent == "cn-agent");
  CHECK(decisions[0].disposition == portcullis::audit::Disposition::Blocked);
}

TEST_CASE("the identity sent upstream is the verified one, never the agent's header copy",
          "[gateway][tls][bypass]") {
  GatewayFixture gw;
  auto response = gw.post_as_a("/mcp", echo_call(),
                               {{"X-Portcullis-Agent", kAgentB}, {"x-portcullis-agent", "root"}});
  REQUIRE(response.result_int() == 200);
  const auto received = gw.upstream().received();
  REQUIRE(received.size() == 1);
  CHECK(received[0].header_count("X-Portcullis-Agent") == 1);
  CHECK(received[0].header("X-Portcullis-Agent") == kAgentA);
}
