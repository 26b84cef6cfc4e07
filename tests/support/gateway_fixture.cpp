#include "support/gateway_fixture.hpp"

#include <fstream>
#include <iterator>
#include <stdexcept>

#include "portcullis/config/config.hpp"

namespace portcullis::test {

// Agent A may: the MCP session plumbing, reading lists, calling `echo` and `transfer` (unless
// the amount is over 1000 — a forbid that must deny when it cannot be evaluated), not
// `delete_file`; A2A sends unless the text is "forbidden", A2A reads; plain HTTP GET on `api`.
// Agent B may only use the session plumbing.
const char* const kDefaultPolicies = R"(
@id("session")
permit(principal, action in Action::"mcp/session", resource);

@id("read")
permit(principal == Agent::"spiffe://example.org/agent/a", action in Action::"mcp/read", resource);

@id("echo")
@label("echoed")
permit(principal == Agent::"spiffe://example.org/agent/a", action == Action::"tools/call",
       resource == Tool::"tools/echo");

@id("transfer")
permit(principal == Agent::"spiffe://example.org/agent/a", action == Action::"tools/call",
       resource == Tool::"tools/transfer");

@id("transfer-limit")
@reason("transfers over 1000 need a human")
forbid(principal, action == Action::"tools/call", resource == Tool::"tools/transfer")
  when { context.input.amount > 1000 };

@id("no-delete")
@reason("deleting files is not allowed")
forbid(principal, action == Action::"tools/call", resource == Tool::"tools/delete_file");

@id("a2a-send")
permit(principal == Agent::"spiffe://example.org/agent/a", action in Action::"a2a/send",
       resource == RemoteAgent::"peer")
  when { context.message.text != "forbidden" };

@id("a2a-read")
permit(principal == Agent::"spiffe://example.org/agent/a", action in Action::"a2a/read", resource);

@id("http-get")
permit(principal == Agent::"spiffe://example.org/agent/a", action == Action::"GET",
       resource == Endpoint::"api");
)";

namespace {
void write_text(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}
}  // namespace

GatewayFixture::GatewayFixture(GatewayFixtureOptions options)
    : audit_(std::make_shared<FakeAuditLog>()) {
  const auto& d = dir_.path();
  server_pki_ = std::make_unique<TestPki>(d, "Gateway CA", "gateway");
  agents_pki_ = std::make_unique<TestPki>(d, "Agents CA", "agents");
  ops_pki_ = std::make_unique<TestPki>(d, "Ops CA", "ops");
  stranger_pki_ = std::make_unique<TestPki>(d, "Stranger CA", "stranger");
  server_ = server_pki_->issue("server", {.common_name = "localhost",
                                          .dns_sans = {"localhost"},
                                          .ip_sans = {"127.0.0.1"},
                                          .server = true});
  agent_a_ = agents_pki_->issue("agent-a", {.common_name = "agent a", .uri_sans = {kAgentA}});
  agent_b_ = agents_pki_->issue("agent-b", {.common_name = "agent b", .uri_sans = {kAgentB}});
  operator_ = ops_pki_->issue("operator", {.common_name = "oncall", .uri_sans = {kOperator}});

  if (options.agents_crl_revoking_b) {
    agents_pki_->write_crl(d / "agents.crl", {agent_b_});
  }
  std::filesystem::create_directory(d / "policies");
  write_text(d / "policies" / "policies.cedar", options.policies);
  write_text(d / "entities.json", options.entities);
  const std::string upstream = "http://127.0.0.1:" + std::to_string(upstream_.port());
  std::string yaml = R"(listeners:
  - name: agents
    address: 127.0.0.1:0
    public_url: https://gateway.test:8443
    tls:
      cert: server.pem
      key: server.key
      client_ca: agents-ca.pem
)" + std::string(options.agents_crl_revoking_b ? "      crl: agents.crl\n" : "") + R"(admin:
  address: 127.0.0.1:0
  tls:
    cert: server.pem
    key: server.key
    client_ca: ops-ca.pem
  allowed_identities: [")" + std::string(kOperator) + R"("]
routes:
  - name: tools
    prefix: /mcp
    protocol: mcp
    upstream: )" + upstream + R"(/mcp
)" + options.route_extra_yaml + R"(  - name: peer
    prefix: /peer
    protocol: a2a
    upstream: )" + upstream + R"(/a2a
)" + options.route_extra_yaml + R"(  - name: api
    prefix: /api
    protocol: http
    upstream: )" + upstream + R"(/v1
)" + options.route_extra_yaml + R"(policies:
  dir: policies
  entities: entities.json
audit:
  dir: audit
  mode: batched
)";
  if (!options.limits_yaml.empty()) {
    yaml += "limits:\n" + options.limits_yaml;
  }
  yaml += options.extra_yaml;
  write_text(d / "gateway.yaml", yaml);

  Diagnostics diagnostics;
  auto config = config::load_config(d / "gateway.yaml", diagnostics);
  if (!config) {
    std::string all;
    for (const auto& diag : diagnostics) {
      all += diag.to_string() + "\n";
    }
    throw std::runtime_error("fixture config: " + config.error().message + "\n" + all);
  }
  net::GatewayOptions gateway_options;
  gateway_options.config = *config;
  gateway_options.audit = audit_;
  gateway_options.threads = options.io_threads;
  auto gateway = net::Gateway::create(std::move(gateway_options), diagnostics);
  if (!gateway) {
    throw std::runtime_error("fixture gateway: " + gateway.error().message);
  }
  gateway_ = std::move(*gateway);
  if (auto started = gateway_->start(); !started) {
    throw std::runtime_error("fixture start: " + started.error().message);
  }
}

GatewayFixture::~GatewayFixture() {
  if (gateway_) {
    gateway_->shutdown(std::chrono::milliseconds(500));
  }
}

std::uint16_t GatewayFixture::port() const { return gateway_->port("agents"); }
std::uint16_t GatewayFixture::admin_port() const { return gateway_->admin_port(); }

std::unique_ptr<TlsClient> GatewayFixture::client(std::optional<IssuedCert> cert) {
  return std::make_unique<TlsClient>(port(), server_pki_->ca_cert(), std::move(cert));
}

namespace {
std::unique_ptr<TlsClient> connected(std::unique_ptr<TlsClient> client) {
  if (auto error = client->connect(); !error.empty()) {
    throw std::runtime_error("fixture client: " + error);
  }
  return client;
}
}  // namespace

std::unique_ptr<TlsClient> GatewayFixture::agent_a() { return connected(client(agent_a_)); }
std::unique_ptr<TlsClient> GatewayFixture::agent_b() { return connected(client(agent_b_)); }

std::unique_ptr<TlsClient> GatewayFixture::admin(std::optional<IssuedCert> cert) {
  return connected(std::make_unique<TlsClient>(admin_port(), server_pki_->ca_cert(), std::move(cert)));
}

HttpResponse GatewayFixture::post_as_a(const std::string& target, const std::string& body,
                                       const std::vector<std::pair<std::string, std::string>>& headers) {
  return agent_a()->request("POST", target, body, headers);
}

void GatewayFixture::write_policies(const std::string& text) {
  write_text(dir_.path() / "policies" / "policies.cedar", text);
}

void GatewayFixture::edit_config(const std::function<void(std::string&)>& edit) {
  const auto file = dir_.path() / "gateway.yaml";
  std::ifstream in(file, std::ios::binary);
  std::string yaml((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in.good() && !in.eof()) {
    throw std::runtime_error("cannot read " + file.string());
  }
  edit(yaml);
  write_text(file, yaml);
}

}  // namespace portcullis::test
