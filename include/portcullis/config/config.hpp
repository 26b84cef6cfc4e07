// The gateway's configuration: the YAML file read into plain, immutable structs.
//
// Loading is the only place YAML is touched: `load_config` reads the file, checks every field
// (types, ranges, unknown keys, cross-field rules that need nothing but the file itself) and
// reports every problem as a Diagnostic with file:line:column. Relative paths in the file are
// resolved against the config file's folder, so every `std::filesystem::path` below is absolute
// (or empty when the field was not given). The hot path reads only the resulting `Config`.
//
// Checks that need other modules (certificates, keys, policies, entities) live in
// `portcullis/protocol/config_check.hpp` so this module depends on `common` alone.
//
// Every field has a safe default (DESIGN.md "Configuration: the stable core" and
// docs/configuration.md document each one).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "portcullis/common/diagnostic.hpp"
#include "portcullis/common/result.hpp"
#include "portcullis/config/time_zone.hpp"

namespace portcullis::config {

using Milliseconds = std::chrono::milliseconds;
using Seconds = std::chrono::seconds;

// Where a value came from in the file, for diagnostics raised after loading (deep checks,
// reload). line/column are 1-based; 0 when unknown.
struct SourcePosition {
  std::uint32_t line = 0;
  std::uint32_t column = 0;
};

// "host:port" or "[v6]:port". port 0 = let the OS pick one (and log it).
struct HostPort {
  std::string host;        // as written, without IPv6 brackets ("127.0.0.1", "::1", "localhost")
  std::uint16_t port = 0;  // 0 = ephemeral

  // "host:port", with brackets around an IPv6 host.
  [[nodiscard]] std::string to_string() const;
  bool operator==(const HostPort&) const = default;
};

// An absolute http(s) URL split into the parts the gateway needs. No userinfo, no fragment.
struct Url {
  std::string scheme;      // "http" | "https" (lowercase)
  std::string host;        // without IPv6 brackets
  std::uint16_t port = 0;  // explicit, or the scheme's default (80 / 443)
  std::string path;        // "" or begins with '/'; never ends with '/' unless it is "/"
  std::string text;        // the URL as written in the file

  // scheme://host[:port] with the port left out when it is the scheme's default.
  [[nodiscard]] std::string origin() const;
};

// Parses an absolute http/https URL (no query, no fragment, no userinfo). Used by the loader
// and by anything that must agree with it (agent-card rewriting).
[[nodiscard]] Result<Url> parse_url(std::string_view text);
// The rule for request paths and route prefixes (DESIGN.md step 3, shared by config and the
// router): begins with '/', no empty segment ("//"), no "." or ".." segment, no %2F %5C %2E
// (any case), no encoded unreserved character (%61 = 'a'), no ';', no '\\', no "%00", every
// '%' followed by two hex digits, only visible ASCII.
// Returns "" when the path is fine, else why it is ambiguous.
[[nodiscard]] std::string ambiguous_path_reason(std::string_view path);
// Parses "host:port" / "[v6]:port".
[[nodiscard]] Result<HostPort> parse_host_port(std::string_view text);

enum class TlsVersion { Tls12, Tls13 };

// A server-side TLS identity plus the CA that client certificates must chain to.
struct ServerTls {
  std::filesystem::path cert;       // PEM certificate chain presented to clients (required)
  std::filesystem::path key;        // PEM private key for `cert` (required)
  std::filesystem::path client_ca;  // PEM CA bundle; client certificates are required and
                                    // verified against it (required)
  std::filesystem::path crl;        // optional PEM CRL checked for client certificates; empty =
                                    // none. Reloaded with the policies.
  TlsVersion min_version = TlsVersion::Tls12;  // `min_version: "1.2" | "1.3"`
};

// Client-side TLS towards an upstream or a SIEM.
struct ClientTls {
  std::filesystem::path ca;    // PEM CA bundle that verifies the peer; empty = system default
  std::filesystem::path cert;  // optional client certificate (PEM); requires `key`
  std::filesystem::path key;   // its private key (PEM)
  std::string server_name;     // SNI / name to verify; "" = the host of the URL or address
  bool operator==(const ClientTls&) const = default;
};

struct Listener {
  std::string name;                 // unique; appears in logs and audit records (required)
  HostPort address;                 // where to listen (required)
  std::string public_url;           // the URL agents use to reach this listener, for agent-card
                                    // rewriting; default "https://<address>" ("http://" when
                                    // plaintext). No trailing '/'.
  std::optional<ServerTls> tls;     // absent = plain HTTP, allowed only with plaintext_identity
  std::string plaintext_identity;   // identity every request on a plain listener acts as
                                    // (development and tests only; `validate` warns)
  std::string identity_header = "X-Portcullis-Agent";  // header carrying the verified identity
                                                       // upstream (incoming copies removed)
  SourcePosition position;          // of this listener's entry
};

enum class RouteProtocol { Mcp, A2a, Http };

[[nodiscard]] std::string_view to_string(RouteProtocol protocol);

struct Route {
  std::string name;                // unique, no '/'; the <route> in Tool::"<route>/<tool>" and
                                   // Server::"<route>" (required)
  std::string prefix;              // path prefix, whole segments, begins with '/', no trailing
                                   // '/' (except "/" itself), no '//', dot or encoded segments
                                   // (required)
  std::string host;                // optional: the route matches only this Host (lowercase,
                                   // without port); "" = any host
  RouteProtocol protocol = RouteProtocol::Http;  // mcp | a2a | http (required)
  Url upstream;                    // http(s) URL; request path = upstream path + rest (required)
  std::optional<ClientTls> upstream_tls;  // for https upstreams: CA / client certificate
  Milliseconds connect_timeout{5000};     // TCP+TLS connect to the upstream
  Milliseconds response_timeout{30000};   // from forwarding to the upstream's response headers
  std::uint32_t pool_size = 64;           // max idle keep-alive connections kept to the upstream
  bool filter_tools_list = true;          // mcp: drop tools the agent may not call from
                                          // tools/list answers
  bool dry_run = false;                   // decide and record, forward everything (this route)
  SourcePosition position;
};

enum class PolicyErrorMode {
  Deny,  // any policy error on a request denies it (the gateway's default: fail closed)
  Skip,  // pure Cedar: erroring policies are skipped
};

struct Policies {
  std::filesystem::path dir;       // every *.cedar file in it, lexical order (required)
  std::filesystem::path entities;  // Cedar JSON entities file; empty = no entities
  PolicyErrorMode policy_errors = PolicyErrorMode::Deny;
  SourcePosition position;
};

enum class AuditMode { Strict, Batched };

struct RedactionRule {
  enum class Action { Drop, Hmac };
  std::string path;               // dotted path into the Cedar context ("input.password")
  Action action = Action::Drop;   // drop | hmac
  SourcePosition position;
};

enum class SinkType { Syslog, Relp };

struct Sink {
  SinkType type = SinkType::Syslog;  // syslog | relp (required)
  HostPort address;                  // SIEM address (required)
  std::optional<ClientTls> tls;      // absent = plain TCP
  SourcePosition position;
};

struct Audit {
  std::filesystem::path dir;                  // audit-YYYYMMDD-HHMMSS.jsonl files (required)
  AuditMode mode = AuditMode::Strict;         // strict: fdatasync before forwarding
  Milliseconds sync_interval{10};             // batched mode: fdatasync cadence
  std::uint64_t rotate_bytes = 256ull * 1024 * 1024;  // rotate at this size
  Seconds rotate_interval{24 * 3600};         // ... or this age
  bool preallocate = false;  // start each file over zeros already on disk (docs/audit.md)
  std::uint32_t retention_files = 0;          // rotated files kept; 0 = keep all
  std::uint64_t checkpoint_every_records = 1000;  // a signed checkpoint every N records
  Seconds checkpoint_interval{60};                // ... and at least this often
  std::filesystem::path signing_key;          // Ed25519 PKCS#8 PEM; empty = unsigned checkpoints
  std::vector<RedactionRule> redaction;       // per-field drop / hmac rules
  std::filesystem::path hmac_key_file;        // key for `hmac` rules (required if any)
  std::vector<Sink> sinks;                    // optional SIEM sinks
  Milliseconds sink_drain_timeout{5000};      // at shutdown, sinks deliver the rest this long
  SourcePosition position;
};

// Every size, time and count limit of the data path, each with a safe default.
struct Limits {
  std::uint32_t max_header_bytes = 16 * 1024;     // request line + headers
  std::uint64_t max_body_bytes = 1024 * 1024;     // request body
  std::uint32_t max_json_depth = 64;              // nesting of JSON bodies
  std::uint32_t max_batch_size = 100;             // elements in one JSON-RPC batch
  Milliseconds header_timeout{10000};             // to read the request headers
  Milliseconds body_timeout{30000};               // to read the request body
  Milliseconds idle_timeout{60000};               // keep-alive idle between requests
  Milliseconds sse_idle_timeout{3600 * 1000};     // idle limit on a streaming (SSE) response
  std::uint32_t max_connections = 10000;          // concurrent client connections (all
                                                  // listeners); more are refused at accept
};

struct Admin {
  HostPort address;                 // admin listener (/healthz /readyz /metrics ...)
  std::optional<ServerTls> tls;     // without it only the read-only endpoints are served
  std::vector<std::string> allowed_identities;  // may call /reload and /quarantine (mTLS only)
  SourcePosition position;
};

enum class LogLevel { Trace, Debug, Info, Warn, Error, Critical, Off };

struct Logging {
  LogLevel level = LogLevel::Info;  // trace | debug | info | warn | error | critical | off
  bool json = false;                // one JSON object per line instead of text
};

struct Config {
  std::filesystem::path file;            // the config file, absolute
  std::filesystem::path base_dir;        // its folder: relative paths resolve against it
  std::vector<Listener> listeners;       // at least one
  std::optional<Admin> admin;            // absent = no admin listener
  std::vector<Route> routes;             // at least one
  Policies policies;                     // required
  Audit audit;                           // required
  Limits limits;
  TimeZone time_zone;                    // IANA name for context.hour/weekday; default "UTC"
  std::uint32_t threads = 0;             // I/O threads; 0 = one per core
  Seconds label_ttl{24 * 3600};          // how long @label agent labels last
  bool dry_run = false;                  // global dry-run: decide and record, forward everything
  std::int32_t jsonrpc_deny_code = -32099;  // JSON-RPC error code of a denied request
  Logging logging;
  std::vector<Diagnostic> warnings;      // non-fatal findings (plaintext listener, ...)
  // Position of every scalar/collection in the file by its path ("listeners[0].tls.cert",
  // "audit.signing_key"), so checks after loading can point at the right line.
  std::map<std::string, SourcePosition, std::less<>> positions;

  // The route with this name, or nullptr.
  [[nodiscard]] const Route* find_route(std::string_view name) const;
  // A diagnostic at `path`'s position (the file's position if unknown).
  [[nodiscard]] Diagnostic diagnostic_at(std::string_view path, std::string message) const;
};

// Reads and validates `file`. Every problem is appended to `diagnostics` (file:line:column);
// on any problem the result is an error and nothing is half-built. Never throws.
[[nodiscard]] Result<std::shared_ptr<const Config>> load_config(const std::filesystem::path& file,
                                                                Diagnostics& diagnostics);

// Same, from text already in memory. `file` names it in diagnostics and relative paths resolve
// against `file`'s folder (so tests can pass a temp path that need not exist).
[[nodiscard]] Result<std::shared_ptr<const Config>> load_config_text(
    std::string_view text, const std::filesystem::path& file, Diagnostics& diagnostics);

// "250ms", "30s", "5m", "1h", "2d" (or a plain integer = seconds) → milliseconds.
[[nodiscard]] Result<Milliseconds> parse_duration(std::string_view text);
// "4096", "64KiB", "1MiB", "2GiB" (also KB/MB/GB = powers of 1000) → bytes.
[[nodiscard]] Result<std::uint64_t> parse_byte_size(std::string_view text);

}  // namespace portcullis::config
