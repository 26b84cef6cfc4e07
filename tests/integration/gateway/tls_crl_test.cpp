// listeners[].tls.crl: a revoked agent certificate is refused at the handshake, before any
// request byte is read; the CRL is rebuilt on reload like the rest of the TLS material, and a CRL
// that cannot be read fails the reload and leaves the running one in force.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "integration/gateway/test_helpers.hpp"
#include "support/gateway_fixture.hpp"

using namespace portcullis::test;
using Catch::Matchers::Contains;

namespace {

GatewayFixtureOptions with_crl_revoking_b() {
  GatewayFixtureOptions options;
  options.agents_crl_revoking_b = true;
  return options;
}

// A whole request that gets no answer but the revocation alert, and reaches neither the policy
// engine nor the upstream.
void check_revoked(GatewayFixture& gw, const IssuedCert& cert) {
  const std::size_t forwarded_before = gw.upstream().count();
  const std::size_t decided_before = gw.audit().decisions().size();
  auto client = gw.client(cert);
  const TlsClient::Attempt attempt = client->attempt("POST", "/mcp", echo_call());
  INFO("failure: " << attempt.failure);
  CHECK_FALSE(attempt.response.has_value());
  CHECK_THAT(attempt.failure, Contains("certificate revoked"));
  CHECK(gw.upstream().count() == forwarded_before);
  CHECK(gw.audit().decisions().size() == decided_before);
}

void check_served(GatewayFixture& gw, const IssuedCert& cert) {
  auto client = gw.client(cert);
  const TlsClient::Attempt attempt = client->attempt("POST", "/mcp", echo_call());
  INFO("failure: " << attempt.failure);
  REQUIRE(attempt.response.has_value());
  CHECK(attempt.response->result_int() == 200);
}

}  // namespace

TEST_CASE("a listener with a CRL refuses a revoked agent at the handshake and serves the others",
          "[gateway][tls][crl]") {
  GatewayFixture gw(with_crl_revoking_b());
  check_revoked(gw, gw.agent_b_cert());
  CHECK(eventually([&] {
    return has_metric_line(
        gw.gateway().metrics().render(),
        R"(portcullis_tls_handshake_failures_total{listener="agents",reason="revoked"} 1)");
  }));
  check_served(gw, gw.agent_a_cert());
}

TEST_CASE("a reload puts a new CRL in force on new handshakes", "[gateway][tls][crl][reload]") {
  GatewayFixture gw(with_crl_revoking_b());
  auto open_before = gw.agent_a();
  REQUIRE(open_before->request("POST", "/mcp", echo_call(1)).result_int() == 200);

  // The agents CA now revokes A and no longer B.
  gw.agents_pki().write_crl(gw.dir() / "agents.crl", {gw.agent_a_cert()});
  check_revoked(gw, gw.agent_b_cert());  // the file alone changes nothing until the reload
  REQUIRE(gw.gateway().reload("test"));

  check_revoked(gw, gw.agent_a_cert());
  check_served(gw, gw.agent_b_cert());
  // Revocation is checked at the handshake: a connection opened before keeps its session.
  CHECK(open_before->request("POST", "/mcp", echo_call(2)).result_int() == 200);
}

TEST_CASE("a reload with an unreadable CRL fails and the running CRL stays in force",
          "[gateway][tls][crl][reload]") {
  GatewayFixture gw(with_crl_revoking_b());
  {
    std::ofstream broken(gw.dir() / "agents.crl", std::ios::trunc);
    broken << "-----BEGIN X509 CRL-----\nnot base64 at all\n-----END X509 CRL-----\n";
  }
  auto reloaded = gw.gateway().reload("test");
  REQUIRE_FALSE(reloaded);
  CHECK_THAT(reloaded.error().message, Contains("agents.crl"));
  CHECK(has_metric_line(gw.gateway().metrics().render(),
                        R"(portcullis_reloads_total{result="failed"} 1)"));
  check_revoked(gw, gw.agent_b_cert());
  check_served(gw, gw.agent_a_cert());
}

TEST_CASE("a reload whose CRL file is gone fails and the running CRL stays in force",
          "[gateway][tls][crl][reload]") {
  GatewayFixture gw(with_crl_revoking_b());
  std::filesystem::remove(gw.dir() / "agents.crl");
  auto reloaded = gw.gateway().reload("test");
  REQUIRE_FALSE(reloaded);
  CHECK_THAT(reloaded.error().message, Contains("agents.crl"));
  check_revoked(gw, gw.agent_b_cert());
  check_served(gw, gw.agent_a_cert());
}
