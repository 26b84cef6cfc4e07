// GatewayFixture: an in-process gateway over real TLS for integration tests — a generated PKI
// (agents CA, ops CA, a stranger CA), a FakeUpstream behind three routes (`tools` MCP /mcp,
// `peer` A2A /peer, `api` HTTP /api), a policy set written to a temp dir, the FakeAuditLog, and
// the admin listener with mTLS. Each test builds its own: nothing is shared between tests.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "portcullis/net/gateway.hpp"
#include "support/fake_audit_log.hpp"
#include "support/fake_upstream.hpp"
#include "support/temp_dir.hpp"
#include "support/test_pki.hpp"
#include "support/tls_client.hpp"

namespace portcullis::test {

// The policies most tests run with (documented in gateway_fixture.cpp).
extern const char* const kDefaultPolicies;

inline constexpr const char* kAgentA = "spiffe://example.org/agent/a";
inline constexpr const char* kAgentB = "spiffe://example.org/agent/b";
inline constexpr const char* kOperator = "spiffe://example.org/ops/oncall";

struct GatewayFixtureOptions {
  std::string policies = kDefaultPolicies;
  std::string entities = "[]";
  std::string extra_yaml{};        // appended at top level (e.g. "dry_run: true\n")
  std::string limits_yaml{};       // body of a `limits:` block, indented by two spaces
  std::string route_extra_yaml{};  // extra keys for every route, indented by four spaces
  // The agents listener checks `agents.crl` (listeners[0].tls.crl), written by the agents CA
  // before the gateway starts; it revokes agent B. Tests rewrite it with agents_pki().write_crl.
  bool agents_crl_revoking_b = false;
  std::uint32_t io_threads = 2;  // 1: connections run on the io_context's executor, no strands
};

class GatewayFixture {
 public:
  explicit GatewayFixture(GatewayFixtureOptions options = {});
  ~GatewayFixture();

  [[nodiscard]] std::uint16_t port() const;
  [[nodiscard]] std::uint16_t admin_port() const;
  [[nodiscard]] net::Gateway& gateway() { return *gateway_; }
  [[nodiscard]] FakeUpstream& upstream() { return upstream_; }
  [[nodiscard]] FakeAuditLog& audit() { return *audit_; }
  [[nodiscard]] const std::filesystem::path& dir() const { return dir_.path(); }

  // A connected client presenting agent A's certificate (spiffe://example.org/agent/a).
  [[nodiscard]] std::unique_ptr<TlsClient> agent_a();
  [[nodiscard]] std::unique_ptr<TlsClient> agent_b();
  // A client with an arbitrary certificate (or none); not connected yet.
  [[nodiscard]] std::unique_ptr<TlsClient> client(std::optional<IssuedCert> cert);
  // A connected admin client with the operator's certificate (ops CA) or another one.
  [[nodiscard]] std::unique_ptr<TlsClient> admin(std::optional<IssuedCert> cert);

  // POST a JSON body on agent A's connection.
  HttpResponse post_as_a(const std::string& target, const std::string& body,
                         const std::vector<std::pair<std::string, std::string>>& headers = {});

  // Replaces the policy directory's contents with one file holding `text`.
  void write_policies(const std::string& text);
  // Rewrites the gateway's config file (gateway.yaml) with `edit` (for reload tests).
  void edit_config(const std::function<void(std::string&)>& edit);

  [[nodiscard]] TestPki& agents_pki() { return *agents_pki_; }
  [[nodiscard]] TestPki& stranger_pki() { return *stranger_pki_; }
  // The admin listener's client CA (admin.tls.client_ca).
  [[nodiscard]] TestPki& ops_pki() { return *ops_pki_; }
  [[nodiscard]] const IssuedCert& operator_cert() const { return operator_; }
  [[nodiscard]] const IssuedCert& agent_a_cert() const { return agent_a_; }
  [[nodiscard]] const IssuedCert& agent_b_cert() const { return agent_b_; }

 private:
  TempDir dir_;
  std::unique_ptr<TestPki> server_pki_;
  std::unique_ptr<TestPki> agents_pki_;
  std::unique_ptr<TestPki> ops_pki_;
  std::unique_ptr<TestPki> stranger_pki_;
  IssuedCert server_;
  IssuedCert agent_a_;
  IssuedCert agent_b_;
  IssuedCert operator_;
  FakeUpstream upstream_;
  std::shared_ptr<FakeAuditLog> audit_;
  std::unique_ptr<net::Gateway> gateway_;
};

}  // namespace portcullis::test
