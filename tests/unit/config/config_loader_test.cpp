#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "portcullis/config/config.hpp"

using namespace portcullis;
using namespace portcullis::config;

namespace {

const std::filesystem::path kFile = "/etc/portcullis/portcullis.yaml";

// DESIGN.md "Configuration: the stable core", verbatim.
const char* const kStableCore = R"(listeners:
  - name: agents
    address: 127.0.0.1:8443          # host:port; port 0 = pick one and log it
    public_url: https://127.0.0.1:8443   # optional, default https://<address>; for agent cards
    tls:                               # omit only together with plaintext_identity (dev/tests)
      cert: certs/gateway.pem
      key: certs/gateway.key
      client_ca: certs/ca.pem          # client certificates required and verified against it
      crl: certs/ca.crl                # optional; reloaded with the policies
admin:
  address: 127.0.0.1:9901              # /healthz /readyz /metrics: open; /reload /quarantine:
  tls:                                 #   only over mTLS for an identity in allowed_identities
    cert: certs/gateway.pem
    key: certs/gateway.key
    client_ca: certs/ops-ca.pem
  allowed_identities: ["spiffe://example.org/ops/oncall"]
routes:
  - name: tools                        # the <route> in Tool::"<route>/<tool>" and Server::"<route>"
    prefix: /mcp                       # longest match on whole path segments
    protocol: mcp                      # mcp | a2a | http
    upstream: http://127.0.0.1:3001/mcp   # request path = upstream path + rest after the prefix
  - name: peer
    prefix: /peer
    protocol: a2a
    upstream: http://127.0.0.1:4001
policies:
  dir: policies/demo                   # every *.cedar file in it
  entities: policies/demo/entities.json
  policy_errors: deny                  # deny (default) | skip (pure Cedar)
audit:
  dir: audit/                          # audit-YYYYMMDD-HHMMSS.jsonl files, rotated
  mode: strict                         # strict | batched
  signing_key: keys/audit.key          # Ed25519 private key (portcullis keygen)
  sinks:                               # optional
    - type: syslog                     # syslog | relp
      address: 127.0.0.1:6514
      tls:                             # omit for plain TCP
        ca: certs/siem-ca.pem          # verifies the SIEM's certificate
        cert: certs/siem-client.pem    # optional client certificate
        key: certs/siem-client.key
)";

// The smallest valid file; tests append or replace parts of it.
const char* const kMinimal = R"(listeners:
  - name: dev
    address: 127.0.0.1:0
    plaintext_identity: dev-agent
routes:
  - name: tools
    prefix: /mcp
    protocol: mcp
    upstream: http://127.0.0.1:3001/mcp
policies:
  dir: policies
audit:
  dir: audit
)";

std::vector<std::string> errors_of(const std::string& text) {
  Diagnostics diagnostics;
  auto config = load_config_text(text, kFile, diagnostics);
  std::vector<std::string> out;
  for (const auto& d : diagnostics) {
    out.push_back(d.to_string());
  }
  if (config && !out.empty()) {
    out.push_back("BUG: loaded despite errors");
  }
  return out;
}

std::shared_ptr<const Config> load_ok(const std::string& text) {
  Diagnostics diagnostics;
  auto config = load_config_text(text, kFile, diagnostics);
  for (const auto& d : diagnostics) {
    UNSCOPED_INFO(d.to_string());
  }
  REQUIRE(config);
  REQUIRE(diagnostics.empty());
  return *config;
}

std::string at(int line, int column, const std::string& message) {
  return kFile.string() + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " +
         message;
}

}  // namespace

TEST_CASE("The stable core of DESIGN.md is accepted exactly as written", "[config]") {
  auto config = load_ok(kStableCore);
  REQUIRE(config->listeners.size() == 1);
  const Listener& l = config->listeners[0];
  CHECK(l.name == "agents");
  CHECK(l.address.host == "127.0.0.1");
  CHECK(l.address.port == 8443);
  CHECK(l.public_url == "https://127.0.0.1:8443");
  REQUIRE(l.tls);
  CHECK(l.tls->cert == "/etc/portcullis/certs/gateway.pem");
  CHECK(l.tls->crl == "/etc/portcullis/certs/ca.crl");
  CHECK(l.identity_header == "X-Portcullis-Agent");
  REQUIRE(config->admin);
  CHECK(config->admin->allowed_identities ==
        std::vector<std::string>{"spiffe://example.org/ops/oncall"});
  REQUIRE(config->routes.size() == 2);
  CHECK(config->routes[0].upstream.path == "/mcp");
  CHECK(config->routes[0].protocol == RouteProtocol::Mcp);
  CHECK(config->routes[1].protocol == RouteProtocol::A2a);
  CHECK(config->routes[1].upstream.path.empty());
  CHECK(config->routes[1].upstream.port == 4001);
  CHECK(config->policies.dir == "/etc/portcullis/policies/demo");
  CHECK(config->policies.entities == "/etc/portcullis/policies/demo/entities.json");
  CHECK(config->policies.policy_errors == PolicyErrorMode::Deny);
  CHECK(config->audit.dir == "/etc/portcullis/audit/");
  CHECK(config->audit.mode == AuditMode::Strict);
  CHECK(config->audit.signing_key == "/etc/portcullis/keys/audit.key");
  REQUIRE(config->audit.sinks.size() == 1);
  CHECK(config->audit.sinks[0].type == SinkType::Syslog);
  CHECK(config->audit.sinks[0].address.port == 6514);
  REQUIRE(config->audit.sinks[0].tls);
  CHECK(config->audit.sinks[0].tls->key == "/etc/portcullis/certs/siem-client.key");
}

TEST_CASE("Every optional field has its documented default", "[config]") {
  auto config = load_ok(kMinimal);
  CHECK(config->limits.max_header_bytes == 16 * 1024);
  CHECK(config->limits.max_body_bytes == 1024 * 1024);
  CHECK(config->limits.max_json_depth == 64);
  CHECK(config->limits.max_batch_size == 100);
  CHECK(config->limits.sse_idle_timeout == std::chrono::hours(1));
  CHECK(config->time_zone.name() == "UTC");
  CHECK(config->threads == 0);
  CHECK(config->label_ttl == std::chrono::hours(24));
  CHECK_FALSE(config->dry_run);
  CHECK(config->jsonrpc_deny_code == -32099);
  CHECK(config->routes[0].filter_tools_list);
  CHECK(config->routes[0].pool_size == 64);
  CHECK(config->listeners[0].public_url == "http://127.0.0.1:0");
  CHECK_FALSE(config->admin);
  CHECK(config->logging.level == LogLevel::Info);
  CHECK_FALSE(config->audit.preallocate);
  CHECK(config->audit.sink_drain_timeout == std::chrono::seconds(5));
}

TEST_CASE("A plaintext listener loads with a warning at its position", "[config]") {
  Diagnostics diagnostics;
  auto config = load_config_text(kMinimal, kFile, diagnostics);
  REQUIRE(config);
  REQUIRE((*config)->warnings.size() == 1);
  CHECK((*config)->warnings[0].to_string() ==
        at(2, 5, "listeners[0]: plain HTTP listener: every request acts as 'dev-agent' "
                 "(development and tests only)"));
}

TEST_CASE("Fields beyond the core are read with units and ranges", "[config]") {
  auto config = load_ok(std::string(kMinimal) + R"(limits:
  max_header_bytes: 32KiB
  max_body_bytes: 2MiB
  header_timeout: 250ms
  sse_idle_timeout: 2h
  max_batch_size: 7
time_zone: Europe/Berlin
threads: 3
label_ttl: 2d
dry_run: true
jsonrpc_deny_code: -32001
logging:
  level: debug
  json: true
)");
  CHECK(config->limits.max_header_bytes == 32 * 1024);
  CHECK(config->limits.max_body_bytes == 2 * 1024 * 1024);
  CHECK(config->limits.header_timeout == std::chrono::milliseconds(250));
  CHECK(config->limits.sse_idle_timeout == std::chrono::hours(2));
  CHECK(config->limits.max_batch_size == 7);
  CHECK(config->time_zone.name() == "Europe/Berlin");
  CHECK(config->threads == 3);
  CHECK(config->label_ttl == std::chrono::hours(48));
  CHECK(config->dry_run);
  CHECK(config->jsonrpc_deny_code == -32001);
  CHECK(config->logging.level == LogLevel::Debug);
  CHECK(config->logging.json);
}

TEST_CASE("Route and audit options beyond the core are read", "[config]") {
  auto config = load_ok(R"(listeners:
  - name: dev
    address: "[::1]:8080"
    plaintext_identity: dev-agent
    identity_header: X-Agent
routes:
  - name: api
    prefix: /
    host: API.example.com
    protocol: http
    upstream: https://api.internal:8443/v1/
    upstream_tls:
      ca: ca.pem
      cert: c.pem
      key: c.key
    connect_timeout: 2s
    response_timeout: 1m
    pool_size: 8
    dry_run: true
policies:
  dir: /abs/policies
  policy_errors: skip
audit:
  dir: audit
  mode: batched
  sync_interval: 5ms
  rotate_bytes: 1MiB
  rotate_interval: 1h
  retention_files: 10
  checkpoint_every_records: 500
  checkpoint_interval: 30s
  hmac_key_file: keys/hmac.key
  redaction:
    - path: input.password
      action: drop
    - path: input.card.number
      action: hmac
  sinks:
    - type: relp
      address: siem:2514
)");
  CHECK(config->listeners[0].address.host == "::1");
  CHECK(config->listeners[0].address.to_string() == "[::1]:8080");
  CHECK(config->listeners[0].identity_header == "X-Agent");
  const Route& r = config->routes[0];
  CHECK(r.prefix == "/");
  CHECK(r.host == "api.example.com");
  CHECK(r.upstream.scheme == "https");
  CHECK(r.upstream.path == "/v1");
  CHECK(r.upstream.origin() == "https://api.internal:8443");
  REQUIRE(r.upstream_tls);
  CHECK(r.upstream_tls->ca == "/etc/portcullis/ca.pem");
  CHECK(r.connect_timeout == std::chrono::seconds(2));
  CHECK(r.response_timeout == std::chrono::minutes(1));
  CHECK(r.pool_size == 8);
  CHECK(r.dry_run);
  CHECK(config->policies.dir == "/abs/policies");
  CHECK(config->policies.policy_errors == PolicyErrorMode::Skip);
  CHECK(config->audit.mode == AuditMode::Batched);
  CHECK(config->audit.rotate_bytes == 1024 * 1024);
  CHECK(config->audit.retention_files == 10);
  REQUIRE(config->audit.redaction.size() == 2);
  CHECK(config->audit.redaction[1].action == RedactionRule::Action::Hmac);
  REQUIRE(config->audit.sinks.size() == 1);
  CHECK(config->audit.sinks[0].type == SinkType::Relp);
  CHECK(config->audit.sinks[0].address.host == "siem");
}

// kMinimal with one more `audit` field, "key: value".
std::string minimal_with_audit_field(const std::string& field) {
  std::string s = kMinimal;
  const std::string dir = "  dir: audit\n";
  s.replace(s.find(dir), dir.size(), dir + "  " + field + "\n");
  return s;
}

TEST_CASE("audit.preallocate is read as true or false", "[config]") {
  CHECK(load_ok(minimal_with_audit_field("preallocate: true"))->audit.preallocate);
  CHECK_FALSE(load_ok(minimal_with_audit_field("preallocate: false"))->audit.preallocate);
}

TEST_CASE("audit.sink_drain_timeout is read as a duration, zero included", "[config]") {
  const auto read = [](const std::string& value) {
    return load_ok(minimal_with_audit_field("sink_drain_timeout: " + value))
        ->audit.sink_drain_timeout;
  };
  CHECK(read("0s") == std::chrono::milliseconds(0));
  CHECK(read("1500ms") == std::chrono::milliseconds(1500));
  CHECK(read("10m") == std::chrono::minutes(10));
}

TEST_CASE("Positions of fields are kept for later checks", "[config]") {
  auto config = load_ok(kStableCore);
  CHECK(config->diagnostic_at("listeners[0].tls.cert", "x").to_string() == at(6, 13, "x"));
  CHECK(config->diagnostic_at("audit.signing_key", "y").to_string() == at(33, 16, "y"));
  CHECK(config->diagnostic_at("no.such.field", "z").to_string() == kFile.string() + ": z");
}

TEST_CASE("Every configuration error is reported with file:line:column", "[config]") {
  struct Case {
    std::string name;
    std::string text;
    std::vector<std::string> expected;
  };
  const std::string min = kMinimal;
  auto replace = [&](const std::string& from, const std::string& to) {
    std::string s = min;
    auto pos = s.find(from);
    REQUIRE(pos != std::string::npos);
    s.replace(pos, from.size(), to);
    return s;
  };
  const std::vector<Case> cases = {
      {"unknown top-level key", min + "colour: blue\n",
       {at(14, 1, "unknown field 'colour' (allowed here: listeners, admin, routes, policies, "
                  "audit, limits, time_zone, threads, label_ttl, dry_run, jsonrpc_deny_code, "
                  "logging)")}},
      {"unknown key in a route", replace("    protocol: mcp\n", "    protocol: mcp\n    prefx: /a\n"),
       {at(9, 5, "unknown field 'routes[0].prefx' (allowed here: name, prefix, host, protocol, "
                 "upstream, upstream_tls, connect_timeout, response_timeout, pool_size, "
                 "filter_tools_list, dry_run)")}},
      {"duplicate key", min + "threads: 2\nthreads: 3\n",
       {at(15, 1, "duplicate field 'threads'")}},
      {"missing required section", replace("audit:\n  dir: audit\n", ""),
       {at(1, 1, "missing required field 'audit'")}},
      {"missing route upstream", replace("    upstream: http://127.0.0.1:3001/mcp\n", ""),
       {at(6, 5, "missing required field 'routes[0].upstream'")}},
      {"bad protocol", replace("protocol: mcp", "protocol: grpc"),
       {at(8, 15, "routes[0].protocol: 'grpc' is not one of mcp | a2a | http")}},
      {"route name with a slash", replace("name: tools", "name: to/ols"),
       {at(6, 11, "routes[0].name: 'to/ols' must not contain '/' (it is the first part of "
                  "Tool::\"<route>/<tool>\")")}},
      {"ambiguous prefix", replace("prefix: /mcp", "prefix: /a/%2e%2e"),
       {at(7, 13, "routes[0].prefix: '/a/%2e%2e' contains an encoded '/', '\\', '.' or NUL "
                  "(%2e)")}},
      {"prefix with dot segment", replace("prefix: /mcp", "prefix: /a/../b"),
       {at(7, 13, "routes[0].prefix: '/a/../b' contains a dot segment ('..')")}},
      {"prefix with trailing slash", replace("prefix: /mcp", "prefix: /mcp/"),
       {at(7, 13, "routes[0].prefix: '/mcp/' must not end with '/' (prefixes match whole "
                  "segments)")}},
      {"upstream with a bad scheme", replace("http://127.0.0.1:3001/mcp", "ftp://x/y"),
       {at(9, 15, "routes[0].upstream: URL scheme must be http or https, not 'ftp'")}},
      {"upstream with a query", replace("http://127.0.0.1:3001/mcp", "http://x/y?z=1"),
       {at(9, 15, "routes[0].upstream: URL must not have a query or fragment")}},
      {"bad address", replace("127.0.0.1:0", "localhost"),
       {at(3, 14, "listeners[0].address: 'localhost': missing port (expected host:port)")}},
      {"port out of range", replace("127.0.0.1:0", "127.0.0.1:70000"),
       {at(3, 14, "listeners[0].address: '127.0.0.1:70000': port must be a number 0-65535")}},
      {"listener without tls or identity", replace("    plaintext_identity: dev-agent\n", ""),
       {at(2, 5, "listeners[0]: a listener without tls must name a plaintext_identity "
                 "(development and tests only)")}},
      {"boolean spelled yes", min + "dry_run: yes\n",
       {at(14, 10, "dry_run: 'yes' is not a boolean (true or false)")}},
      {"audit.preallocate that is not a boolean",
       replace("  dir: audit\n", "  dir: audit\n  preallocate: on\n"),
       {at(14, 16, "audit.preallocate: 'on' is not a boolean (true or false)")}},
      {"audit.sink_drain_timeout over ten minutes",
       replace("  dir: audit\n", "  dir: audit\n  sink_drain_timeout: 11m\n"),
       {at(14, 23, "audit.sink_drain_timeout: 11m must be from 0ms to 600000ms")}},
      {"bad duration", min + "label_ttl: 5 minutes\n",
       {at(14, 12, "label_ttl: '5 minutes' has an unknown duration unit (ms, s, m, h, d)")}},
      {"limit out of range", min + "limits:\n  max_json_depth: 100000\n",
       {at(15, 19, "limits.max_json_depth: '100000' must be an integer from 2 to 512")}},
      {"reserved deny code", min + "jsonrpc_deny_code: -32600\n",
       {at(14, 20, "jsonrpc_deny_code: -32600 is reserved (JSON-RPC's own codes, -32098 and "
                   "-32097 are used by the gateway)")}},
      {"unknown time zone", min + "time_zone: Mars/Olympus\n",
       {at(14, 12, "time_zone: unknown time zone 'Mars/Olympus' (Mars/Olympus not found in "
                   "timezone database)")}},
      {"hmac rule without key", replace("  dir: audit\n",
                                        "  dir: audit\n  redaction:\n    - path: input.x\n"
                                        "      action: hmac\n"),
       {at(15, 5, "audit.redaction: hmac rules need audit.hmac_key_file")}},
      {"list where a mapping is expected", replace("policies:\n  dir: policies\n",
                                                   "policies:\n  - policies\n"),
       {at(11, 3, "policies must be a mapping (key: value)")}},
      {"scalar where a list is expected", replace("  - name: tools\n    prefix: /mcp\n    "
                                                  "protocol: mcp\n    upstream: "
                                                  "http://127.0.0.1:3001/mcp\n",
                                                  "  tools\n"),
       {at(6, 3, "routes must be a list")}},
      {"YAML syntax error", min + "limits: [\n",
       {at(15, 1, "YAML: end of sequence flow not found")}},
      {"both tls and plaintext identity",
       replace("    plaintext_identity: dev-agent\n",
               "    plaintext_identity: dev-agent\n    tls:\n      cert: a\n      key: b\n"
               "      client_ca: c\n"),
       {at(4, 25, "listeners[0].plaintext_identity is only for listeners without tls (the "
                  "identity comes from the client certificate)")}},
      {"tls missing its client CA",
       replace("    plaintext_identity: dev-agent\n",
               "    tls:\n      cert: a\n      key: b\n"),
       {at(5, 7, "missing required field 'listeners[0].tls.client_ca'")}},
      {"identity header the gateway manages", replace("    plaintext_identity: dev-agent\n",
                                                      "    plaintext_identity: dev-agent\n"
                                                      "    identity_header: Host\n"),
       {at(5, 22, "listeners[0].identity_header: 'Host' is a header the gateway manages "
                  "itself")}},
      {"upstream_tls on an http upstream",
       replace("    upstream: http://127.0.0.1:3001/mcp\n",
               "    upstream: http://127.0.0.1:3001/mcp\n    upstream_tls:\n      ca: ca.pem\n"),
       {at(11, 7, "routes[0].upstream_tls is only for https upstreams")}},
  };
  for (const auto& c : cases) {
    SECTION(c.name) { CHECK(errors_of(c.text) == c.expected); }
  }
}

TEST_CASE("Duplicate route names and prefixes point at the second entry", "[config]") {
  const std::string text = R"(listeners:
  - name: dev
    address: 127.0.0.1:0
    plaintext_identity: dev-agent
routes:
  - name: tools
    prefix: /mcp
    protocol: mcp
    upstream: http://127.0.0.1:3001/mcp
  - name: tools
    prefix: /mcp
    protocol: http
    upstream: http://127.0.0.1:1
policies:
  dir: policies
audit:
  dir: audit
)";
  CHECK(errors_of(text) == std::vector<std::string>{
                                at(10, 11, "duplicate route name 'tools'"),
                                at(11, 13, "duplicate route prefix '/mcp'"),
                            });
}

TEST_CASE("Several errors in one file are all reported", "[config]") {
  const std::string text = std::string(kMinimal) + "threads: many\ndry_run: 1\n";
  CHECK(errors_of(text) == std::vector<std::string>{
                               at(14, 10, "threads: 'many' must be an integer from 0 to 1024"),
                               at(15, 10, "dry_run: '1' is not a boolean (true or false)"),
                           });
}

TEST_CASE("An unreadable file is reported without a position", "[config]") {
  Diagnostics diagnostics;
  auto config = load_config("/nonexistent/portcullis.yaml", diagnostics);
  CHECK_FALSE(config);
  REQUIRE(diagnostics.size() == 1);
  CHECK(diagnostics[0].to_string() ==
        "/nonexistent/portcullis.yaml: cannot read the configuration file");
}

TEST_CASE("An empty file is an error", "[config]") {
  CHECK(errors_of("") == std::vector<std::string>{kFile.string() + ": the configuration is empty"});
}

TEST_CASE("The shipped example configuration loads", "[config]") {
  Diagnostics diagnostics;
  auto config = load_config(PORTCULLIS_SOURCE_DIR "/docker/portcullis.example.yaml", diagnostics);
  for (const auto& d : diagnostics) {
    UNSCOPED_INFO(d.to_string());
  }
  REQUIRE(config);
  CHECK(diagnostics.empty());
  CHECK((*config)->routes.size() == 3);
  CHECK((*config)->policies.dir ==
        std::filesystem::path(PORTCULLIS_SOURCE_DIR "/docker/policies/demo").lexically_normal());
}

TEST_CASE("Empty listener and route lists are refused", "[config]") {
  const std::string text = R"(listeners: []
routes: []
policies:
  dir: p
audit:
  dir: a
)";
  CHECK(errors_of(text) == std::vector<std::string>{
                               at(1, 12, "at least one listener is required (listeners:)"),
                               at(2, 9, "at least one route is required (routes:)"),
                           });
}
