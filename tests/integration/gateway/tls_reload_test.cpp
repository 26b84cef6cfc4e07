// Listener TLS material on reload: new certificate, key and client CA apply to the next
// handshake; connections already open keep theirs; bad files leave the running context.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "integration/gateway/test_helpers.hpp"
#include "support/gateway_fixture.hpp"

using namespace portcullis::test;
using Catch::Matchers::Contains;

namespace {

const CertSpec kServerSpec{.common_name = "localhost",
                           .dns_sans = {"localhost"},
                           .ip_sans = {"127.0.0.1"},
                           .server = true};

// A client that trusts only `server_ca` and presents `cert`.
TlsClient::Attempt attempt_with(std::uint16_t port, const std::filesystem::path& server_ca,
                                const std::optional<IssuedCert>& cert) {
  TlsClient client(port, server_ca, cert);
  return client.attempt("POST", "/mcp", echo_call());
}

void require_served(const TlsClient::Attempt& attempt) {
  INFO("failure: " << attempt.failure);
  REQUIRE(attempt.response.has_value());
  CHECK(attempt.response->result_int() == 200);
  CHECK(body_json(*attempt.response)["result"]["upstream"] == "ok");
}

}  // namespace

TEST_CASE("a reload puts a new listener certificate on new handshakes; open connections keep theirs",
          "[gateway][reload][tls]") {
  GatewayFixture gw;
  const auto old_ca = gw.dir() / "gateway-ca.pem";
  auto open_before = gw.agent_a();
  REQUIRE(open_before->request("POST", "/mcp", echo_call(1)).result_int() == 200);

  // The operator rotates the gateway's certificate in place (same file names, another CA).
  TestPki rotated(gw.dir(), "Gateway CA 2", "gateway2");
  rotated.issue("server", kServerSpec);  // overwrites server.pem and server.key
  const auto new_ca = gw.dir() / "gateway2-ca.pem";

  // Not before the reload: files on disk change nothing by themselves.
  const auto early = attempt_with(gw.port(), new_ca, gw.agent_a_cert());
  CHECK_FALSE(early.response.has_value());
  CHECK_THAT(early.failure, Contains("handshake: certificate verify failed"));

  REQUIRE(gw.gateway().reload("test"));
  require_served(attempt_with(gw.port(), new_ca, gw.agent_a_cert()));
  const auto stale = attempt_with(gw.port(), old_ca, gw.agent_a_cert());
  CHECK_FALSE(stale.response.has_value());
  CHECK_THAT(stale.failure, Contains("handshake: certificate verify failed"));

  // The connection opened before the reload is still served on its own session.
  const auto again = open_before->request("POST", "/mcp", echo_call(2));
  CHECK(again.result_int() == 200);

  // The admin listener uses the same files (fixture) and follows as well.
  TlsClient admin(gw.admin_port(), new_ca, gw.operator_cert());
  const auto health = admin.attempt("GET", "/healthz");
  INFO("admin failure: " << health.failure);
  REQUIRE(health.response.has_value());
  CHECK(health.response->result_int() == 200);
}

TEST_CASE("a reload puts a new client CA in force: the old CA's agents are refused",
          "[gateway][reload][tls]") {
  GatewayFixture gw;
  const auto server_ca = gw.dir() / "gateway-ca.pem";
  const auto moved_agent = gw.stranger_pki().issue(
      "moved-agent", {.common_name = "a", .uri_sans = {kAgentA}});
  const auto refused_before = attempt_with(gw.port(), server_ca, moved_agent);
  CHECK_FALSE(refused_before.response.has_value());

  // listeners[0].tls.client_ca (agents-ca.pem) now holds the stranger CA.
  std::filesystem::copy_file(gw.dir() / "stranger-ca.pem", gw.dir() / "agents-ca.pem",
                             std::filesystem::copy_options::overwrite_existing);
  REQUIRE(gw.gateway().reload("test"));

  require_served(attempt_with(gw.port(), server_ca, moved_agent));
  const auto old_agent = attempt_with(gw.port(), server_ca, gw.agent_a_cert());
  CHECK_FALSE(old_agent.response.has_value());
  CHECK_THAT(old_agent.failure, Contains("alert unknown ca"));
}

TEST_CASE("a reload with an unreadable listener certificate fails and the running one stays",
          "[gateway][reload][tls]") {
  GatewayFixture gw;
  const auto server_ca = gw.dir() / "gateway-ca.pem";
  const std::string hash_before = gw.gateway().policy_set_hash();
  {
    std::ofstream broken(gw.dir() / "server.pem", std::ios::trunc);
    broken << "-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n";
  }
  auto reloaded = gw.gateway().reload("test");
  REQUIRE_FALSE(reloaded);
  CHECK_THAT(reloaded.error().message, Contains("server.pem"));
  CHECK(has_metric_line(gw.gateway().metrics().render(), R"(portcullis_reloads_total{result="failed"} 1)"));
  CHECK(gw.gateway().policy_set_hash() == hash_before);
  // New handshakes still get the certificate that was running.
  require_served(attempt_with(gw.port(), server_ca, gw.agent_a_cert()));
}

TEST_CASE("a reload with a key that does not match the new certificate fails and changes nothing",
          "[gateway][reload][tls]") {
  GatewayFixture gw;
  const auto server_ca = gw.dir() / "gateway-ca.pem";
  const std::string old_key = [&] {
    std::ifstream in(gw.dir() / "server.key");
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }();
  TestPki rotated(gw.dir(), "Gateway CA 2", "gateway2");
  rotated.issue("server", kServerSpec);
  {
    std::ofstream key(gw.dir() / "server.key", std::ios::trunc);
    key << old_key;  // the new certificate with the old key: half a rotation
  }
  auto reloaded = gw.gateway().reload("test");
  REQUIRE_FALSE(reloaded);
  CHECK_THAT(reloaded.error().message, Contains("server.key"));
  require_served(attempt_with(gw.port(), server_ca, gw.agent_a_cert()));
}
