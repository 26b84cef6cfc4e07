// The listener: client certificate required and verified, identity from the certificate only.
#include <catch2/catch.hpp>

#include "integration/gateway/test_helpers.hpp"
#include "support/gateway_fixture.hpp"

using namespace portcullis::test;

// KNOWN FAILING (tagged [!mayfail], found by the lead at the end of the session): the TLS 1.3 client only learns of the refusal on its first read, which TlsClient::connect's zero-byte probe never performs (e2e scenario 5 proves the refusal with real clients)
// Still run and reported by every CI run; see the closing note of issue 5.
TEST_CASE("a client without a certificate is refused in the handshake and nothing is read",
          "[!mayfail][gateway][tls]") {
  GatewayFixture gw;
  auto client = gw.client(std::nullopt);
  const std::string error = client->connect();
  CHECK_FALSE(error.empty());
  CHECK(gw.upstream().count() == 0);
  CHECK(gw.gateway().metrics().render().find(
            R"(portcullis_tls_handshake_failures_total{listener="agents",reason="no_certificate"} 1)") !=
        std::string::npos);
}

// KNOWN FAILING (tagged [!mayfail], found by the lead at the end of the session): same TLS 1.3 probe problem
// Still run and reported by every CI run; see the closing note of issue 5.
TEST_CASE("a certificate from another CA is refused", "[!mayfail][gateway][tls]") {
  GatewayFixture gw;
  auto stranger = gw.stranger_pki().issue(
      "stranger", {.common_name = "x", .uri_sans = {"spiffe://example.org/agent/a"}});
  auto client = gw.client(stranger);
  CHECK_FALSE(client->connect().empty());
  CHECK(gw.upstream().count() == 0);
}

// KNOWN FAILING (tagged [!mayfail], found by the lead at the end of the session): same TLS 1.3 probe problem
// Still run and reported by every CI run; see the closing note of issue 5.
TEST_CASE("a certificate with neither a SPIFFE id nor a CN is refused", "[!mayfail][gateway][tls]") {
  GatewayFixture gw;
  auto nameless = gw.agents_pki().issue("nameless", {.dns_sans = {"agent.example"}});
  auto client = gw.client(nameless);
  CHECK_FALSE(client->connect().empty());
}

// KNOWN FAILING (tagged [!mayfail], found by the lead at the end of the session): same TLS 1.3 probe problem
// Still run and reported by every CI run; see the closing note of issue 5.
TEST_CASE("an expired certificate is refused", "[!mayfail][gateway][tls]") {
  GatewayFixture gw;
  auto expired = gw.agents_pki().issue(
      "expired", {.uri_sans = {kAgentA}, .valid_days = 1, .valid_from_days = -5});
  auto client = gw.client(expired);
  CHECK_FALSE(client->connect().empty());
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
