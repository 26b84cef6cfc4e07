// load_config: YAML text → validated Config, every problem reported with file:line:column.
// yaml-cpp exceptions are caught here and never escape (CONVENTIONS.md "Errors" 1).
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <exception>
#include <fstream>
#include <set>
#include <sstream>

#include "config/yaml_reader.hpp"
#include "portcullis/common/ascii.hpp"
#include "portcullis/config/config.hpp"

namespace portcullis::config {
namespace {

using detail::Section;
using detail::YamlReader;
using namespace std::chrono_literals;

constexpr std::uint32_t kMaxU32 = 0xffffffffu;

// The sequence at `key` (absent → empty), reporting a non-sequence.
std::vector<YAML::Node> sequence(Section& section, std::string_view key) {
  std::vector<YAML::Node> items;
  const YAML::Node* node = section.find(key);
  if (node == nullptr) {
    return items;
  }
  if (!node->IsSequence()) {
    section.reader().error(*node, section.child(key) + " must be a list");
    return items;
  }
  for (std::size_t i = 0; i < node->size(); ++i) {
    items.push_back((*node)[i]);
  }
  return items;
}

std::string indexed(const std::string& path, std::size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

SourcePosition position_of(const YAML::Node& node) {
  const YAML::Mark mark = node.Mark();
  if (mark.is_null()) {
    return {};
  }
  return {static_cast<std::uint32_t>(mark.line + 1), static_cast<std::uint32_t>(mark.column + 1)};
}

std::optional<ServerTls> read_server_tls(Section& parent, std::string_view key) {
  const YAML::Node* node = parent.find(key);
  if (node == nullptr) {
    return std::nullopt;
  }
  Section s(parent.reader(), *node, parent.child(key),
            {"cert", "key", "client_ca", "crl", "min_version"});
  if (!s.valid()) {
    return std::nullopt;
  }
  ServerTls tls;
  s.require("cert");
  s.require("key");
  s.require("client_ca");
  s.path("cert", tls.cert);
  s.path("key", tls.key);
  s.path("client_ca", tls.client_ca);
  s.path("crl", tls.crl);
  s.enumeration("min_version", tls.min_version,
                {{"1.2", TlsVersion::Tls12}, {"1.3", TlsVersion::Tls13}});
  return tls;
}

std::optional<ClientTls> read_client_tls(Section& parent, std::string_view key) {
  const YAML::Node* node = parent.find(key);
  if (node == nullptr) {
    return std::nullopt;
  }
  Section s(parent.reader(), *node, parent.child(key), {"ca", "cert", "key", "server_name"});
  if (!s.valid()) {
    return std::nullopt;
  }
  ClientTls tls;
  s.path("ca", tls.ca);
  s.path("cert", tls.cert);
  s.path("key", tls.key);
  s.string("server_name", tls.server_name);
  if (s.has("cert") != s.has("key")) {
    s.reader().error(s.mark(), s.path() + ": cert and key must be given together");
  }
  return tls;
}

void read_address(Section& s, std::string_view key, HostPort& out) {
  std::string text;
  if (!s.string(key, text)) {
    return;
  }
  auto parsed = parse_host_port(text);
  if (!parsed) {
    s.reader().error(*s.find(key), s.child(key) + ": '" + text + "': " + parsed.error().message);
    return;
  }
  out = *parsed;
}

void read_listener(YamlReader& reader, const YAML::Node& node, const std::string& path,
                   Config& config) {
  Section s(reader, node, path,
            {"name", "address", "public_url", "tls", "plaintext_identity", "identity_header"});
  if (!s.valid()) {
    return;
  }
  Listener listener;
  listener.position = position_of(node);
  s.require("name");
  s.require("address");
  if (s.string("name", listener.name) && listener.name.empty()) {
    reader.error(*s.find("name"), s.child("name") + " must not be empty");
  }
  read_address(s, "address", listener.address);
  listener.tls = read_server_tls(s, "tls");
  s.string("plaintext_identity", listener.plaintext_identity);
  if (s.has("tls") && s.has("plaintext_identity")) {
    reader.error(*s.find("plaintext_identity"),
                 s.child("plaintext_identity") +
                     " is only for listeners without tls (the identity comes from the client "
                     "certificate)");
  }
  if (!s.has("tls") && !s.has("plaintext_identity")) {
    reader.error(s.mark(), path +
                               ": a listener without tls must name a plaintext_identity "
                               "(development and tests only)");
  }
  if (s.has("plaintext_identity") && !s.has("tls")) {
    if (listener.plaintext_identity.empty()) {
      reader.error(*s.find("plaintext_identity"), s.child("plaintext_identity") + " must not be empty");
    }
    config.warnings.push_back(reader.make(
        node.Mark(), path + ": plain HTTP listener: every request acts as '" +
                         listener.plaintext_identity + "' (development and tests only)"));
  }
  if (s.string("identity_header", listener.identity_header)) {
    const bool token = !listener.identity_header.empty() &&
                       std::all_of(listener.identity_header.begin(),
                                   listener.identity_header.end(), is_tchar);
    static const std::set<std::string> kReserved = {
        "host", "connection", "content-length", "transfer-encoding", "te", "trailer", "upgrade",
        "keep-alive", "proxy-connection", "x-forwarded-for", "forwarded", "x-request-id"};
    if (!token) {
      reader.error(*s.find("identity_header"),
                   s.child("identity_header") + ": '" + listener.identity_header +
                       "' is not a valid HTTP header name");
    } else if (kReserved.count(ascii_lowercase(listener.identity_header)) != 0) {
      reader.error(*s.find("identity_header"),
                   s.child("identity_header") + ": '" + listener.identity_header +
                       "' is a header the gateway manages itself");
    }
  }
  std::string public_url;
  if (s.string("public_url", public_url)) {
    auto url = parse_url(public_url);
    if (!url) {
      reader.error(*s.find("public_url"), s.child("public_url") + ": " + url.error().message);
    } else {
      listener.public_url = url->origin() + url->path;
    }
  } else {
    listener.public_url =
        std::string(listener.tls ? "https://" : "http://") + listener.address.to_string();
  }
  config.listeners.push_back(std::move(listener));
}

void read_route(YamlReader& reader, const YAML::Node& node, const std::string& path,
                Config& config) {
  Section s(reader, node, path,
            {"name", "prefix", "host", "protocol", "upstream", "upstream_tls", "connect_timeout",
             "response_timeout", "pool_size", "filter_tools_list", "dry_run"});
  if (!s.valid()) {
    return;
  }
  Route route;
  route.position = position_of(node);
  for (auto key : {"name", "prefix", "protocol", "upstream"}) {
    s.require(key);
  }
  if (s.string("name", route.name)) {
    if (route.name.empty()) {
      reader.error(*s.find("name"), s.child("name") + " must not be empty");
    } else if (route.name.find('/') != std::string::npos) {
      reader.error(*s.find("name"), s.child("name") + ": '" + route.name +
                                        "' must not contain '/' (it is the first part of "
                                        "Tool::\"<route>/<tool>\")");
    } else if (std::any_of(route.name.begin(), route.name.end(), [](char c) {
                 return static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
               })) {
      reader.error(*s.find("name"), s.child("name") + " must not contain control characters");
    }
  }
  if (s.string("prefix", route.prefix)) {
    std::string reason = ambiguous_path_reason(route.prefix);
    if (!reason.empty()) {
      reader.error(*s.find("prefix"), s.child("prefix") + ": '" + route.prefix + "' " + reason);
    } else if (route.prefix.size() > 1 && route.prefix.back() == '/') {
      reader.error(*s.find("prefix"), s.child("prefix") + ": '" + route.prefix +
                                          "' must not end with '/' (prefixes match whole "
                                          "segments)");
    }
  }
  if (s.string("host", route.host)) {
    route.host = ascii_lowercase(route.host);
    if (route.host.empty() || route.host.find_first_of(":/[] ") != std::string::npos) {
      reader.error(*s.find("host"),
                   s.child("host") + ": '" + route.host + "' must be a host name without port");
    }
  }
  s.enumeration("protocol", route.protocol,
                {{"mcp", RouteProtocol::Mcp}, {"a2a", RouteProtocol::A2a},
                 {"http", RouteProtocol::Http}});
  std::string upstream;
  if (s.string("upstream", upstream)) {
    auto url = parse_url(upstream);
    if (!url) {
      reader.error(*s.find("upstream"), s.child("upstream") + ": " + url.error().message);
    } else {
      route.upstream = *url;
    }
  }
  route.upstream_tls = read_client_tls(s, "upstream_tls");
  if (route.upstream_tls && !route.upstream.scheme.empty() && route.upstream.scheme != "https") {
    reader.error(*s.find("upstream_tls"),
                 s.child("upstream_tls") + " is only for https upstreams");
  }
  s.duration("connect_timeout", route.connect_timeout, 1ms, 24h);
  s.duration("response_timeout", route.response_timeout, 1ms, 24h);
  s.uint32("pool_size", route.pool_size, 0, 100000);
  s.boolean("filter_tools_list", route.filter_tools_list);
  s.boolean("dry_run", route.dry_run);
  if (s.has("filter_tools_list") && s.has("protocol") && route.protocol != RouteProtocol::Mcp) {
    reader.error(*s.find("filter_tools_list"), s.child("filter_tools_list") + " is only for mcp routes");
  }
  config.routes.push_back(std::move(route));
}

void read_policies(Section& top, Config& config) {
  const YAML::Node* node = top.find("policies");
  if (node == nullptr) {
    return;
  }
  Section s(top.reader(), *node, "policies", {"dir", "entities", "policy_errors"});
  if (!s.valid()) {
    return;
  }
  config.policies.position = position_of(*node);
  s.require("dir");
  s.path("dir", config.policies.dir);
  s.path("entities", config.policies.entities);
  s.enumeration("policy_errors", config.policies.policy_errors,
                {{"deny", PolicyErrorMode::Deny}, {"skip", PolicyErrorMode::Skip}});
}

void read_sink(YamlReader& reader, const YAML::Node& node, const std::string& path, Audit& audit) {
  Section s(reader, node, path, {"type", "address", "tls"});
  if (!s.valid()) {
    return;
  }
  Sink sink;
  sink.position = position_of(node);
  s.require("type");
  s.require("address");
  s.enumeration("type", sink.type, {{"syslog", SinkType::Syslog}, {"relp", SinkType::Relp}});
  read_address(s, "address", sink.address);
  sink.tls = read_client_tls(s, "tls");
  audit.sinks.push_back(std::move(sink));
}

void read_redaction(YamlReader& reader, const YAML::Node& node, const std::string& path,
                    Audit& audit) {
  Section s(reader, node, path, {"path", "action"});
  if (!s.valid()) {
    return;
  }
  RedactionRule rule;
  rule.position = position_of(node);
  s.require("path");
  s.require("action");
  if (s.string("path", rule.path)) {
    const bool bad = rule.path.empty() || rule.path.front() == '.' || rule.path.back() == '.' ||
                     rule.path.find("..") != std::string::npos;
    if (bad) {
      reader.error(*s.find("path"), s.child("path") + ": '" + rule.path +
                                        "' must be a dotted field path such as input.password");
    }
  }
  s.enumeration("action", rule.action,
                {{"drop", RedactionRule::Action::Drop}, {"hmac", RedactionRule::Action::Hmac}});
  audit.redaction.push_back(std::move(rule));
}

void read_audit(Section& top, Config& config) {
  const YAML::Node* node = top.find("audit");
  if (node == nullptr) {
    return;
  }
  Section s(top.reader(), *node, "audit",
            {"dir", "mode", "sync_interval", "rotate_bytes", "rotate_interval", "preallocate",
             "retention_files", "checkpoint_every_records", "checkpoint_interval", "signing_key",
             "redaction", "hmac_key_file", "sinks", "sink_drain_timeout"});
  if (!s.valid()) {
    return;
  }
  Audit& audit = config.audit;
  audit.position = position_of(*node);
  s.require("dir");
  s.path("dir", audit.dir);
  s.enumeration("mode", audit.mode, {{"strict", AuditMode::Strict}, {"batched", AuditMode::Batched}});
  s.duration("sync_interval", audit.sync_interval, 1ms, 10s);
  s.byte_size("rotate_bytes", audit.rotate_bytes, 4096, 1ull << 40);
  s.seconds("rotate_interval", audit.rotate_interval, 1s, std::chrono::hours(24 * 366));
  s.boolean("preallocate", audit.preallocate);
  s.uint32("retention_files", audit.retention_files, 0, kMaxU32);
  s.uint64("checkpoint_every_records", audit.checkpoint_every_records, 1, 1ull << 40);
  s.seconds("checkpoint_interval", audit.checkpoint_interval, 1s, std::chrono::hours(24));
  s.path("signing_key", audit.signing_key);
  s.path("hmac_key_file", audit.hmac_key_file);
  const auto rules = sequence(s, "redaction");
  for (std::size_t i = 0; i < rules.size(); ++i) {
    read_redaction(s.reader(), rules[i], indexed("audit.redaction", i), audit);
  }
  const auto sinks = sequence(s, "sinks");
  for (std::size_t i = 0; i < sinks.size(); ++i) {
    read_sink(s.reader(), sinks[i], indexed("audit.sinks", i), audit);
  }
  s.duration("sink_drain_timeout", audit.sink_drain_timeout, 0ms, std::chrono::minutes(10));
  const bool any_hmac = std::any_of(audit.redaction.begin(), audit.redaction.end(),
                                    [](const auto& r) { return r.action == RedactionRule::Action::Hmac; });
  if (any_hmac && audit.hmac_key_file.empty()) {
    s.reader().error(*s.find("redaction"),
                     "audit.redaction: hmac rules need audit.hmac_key_file");
  }
}

void read_limits(Section& top, Config& config) {
  const YAML::Node* node = top.find("limits");
  if (node == nullptr) {
    return;
  }
  Section s(top.reader(), *node, "limits",
            {"max_header_bytes", "max_body_bytes", "max_json_depth", "max_batch_size",
             "header_timeout", "body_timeout", "idle_timeout", "sse_idle_timeout",
             "max_connections"});
  if (!s.valid()) {
    return;
  }
  Limits& l = config.limits;
  std::uint64_t header_bytes = l.max_header_bytes;
  if (s.byte_size("max_header_bytes", header_bytes, 1024, 1024 * 1024)) {
    l.max_header_bytes = static_cast<std::uint32_t>(header_bytes);
  }
  s.byte_size("max_body_bytes", l.max_body_bytes, 1, 1ull << 30);
  s.uint32("max_json_depth", l.max_json_depth, 2, 512);
  s.uint32("max_batch_size", l.max_batch_size, 1, 10000);
  s.duration("header_timeout", l.header_timeout, 1ms, 1h);
  s.duration("body_timeout", l.body_timeout, 1ms, 1h);
  s.duration("idle_timeout", l.idle_timeout, 1ms, 24h);
  s.duration("sse_idle_timeout", l.sse_idle_timeout, 1ms, std::chrono::hours(24 * 7));
  s.uint32("max_connections", l.max_connections, 1, 10000000);
}

void read_admin(Section& top, Config& config) {
  const YAML::Node* node = top.find("admin");
  if (node == nullptr) {
    return;
  }
  Section s(top.reader(), *node, "admin", {"address", "tls", "allowed_identities"});
  if (!s.valid()) {
    return;
  }
  Admin admin;
  admin.position = position_of(*node);
  s.require("address");
  read_address(s, "address", admin.address);
  admin.tls = read_server_tls(s, "tls");
  s.string_list("allowed_identities", admin.allowed_identities);
  if (!admin.tls && !admin.allowed_identities.empty()) {
    config.warnings.push_back(s.reader().make(
        s.find("allowed_identities")->Mark(),
        "admin.allowed_identities has no effect without admin.tls: /reload and /quarantine are "
        "served only over mTLS"));
  }
  config.admin = std::move(admin);
}

void read_logging(Section& top, Config& config) {
  const YAML::Node* node = top.find("logging");
  if (node == nullptr) {
    return;
  }
  Section s(top.reader(), *node, "logging", {"level", "json"});
  if (!s.valid()) {
    return;
  }
  s.enumeration("level", config.logging.level,
                {{"trace", LogLevel::Trace}, {"debug", LogLevel::Debug}, {"info", LogLevel::Info},
                 {"warn", LogLevel::Warn}, {"error", LogLevel::Error},
                 {"critical", LogLevel::Critical}, {"off", LogLevel::Off}});
  s.boolean("json", config.logging.json);
}

// Rules across entries: unique names, unique prefixes, at least one listener and route.
void check_cross_references(YamlReader& reader, const YAML::Node& root, Config& config) {
  auto error_at = [&](const std::string& path, std::string message) {
    reader.add(config.diagnostic_at(path, std::move(message)));
  };
  std::set<std::string> listener_names;
  for (std::size_t i = 0; i < config.listeners.size(); ++i) {
    const auto& name = config.listeners[i].name;
    if (!name.empty() && !listener_names.insert(name).second) {
      error_at(indexed("listeners", i) + ".name", "duplicate listener name '" + name + "'");
    }
  }
  std::set<std::string> route_names;
  std::set<std::pair<std::string, std::string>> prefixes;  // (host, prefix)
  for (std::size_t i = 0; i < config.routes.size(); ++i) {
    const auto& route = config.routes[i];
    if (!route.name.empty() && !route_names.insert(route.name).second) {
      error_at(indexed("routes", i) + ".name", "duplicate route name '" + route.name + "'");
    }
    if (!route.prefix.empty() && !prefixes.insert({route.host, route.prefix}).second) {
      error_at(indexed("routes", i) + ".prefix",
               "duplicate route prefix '" + route.prefix + "'" +
                   (route.host.empty() ? std::string() : " for host '" + route.host + "'"));
    }
  }
  (void)root;
}

// An empty list where at least one entry is needed (a missing key or a non-list is reported
// where it is read).
void require_entries(Section& top, std::string_view key, const char* what) {
  const YAML::Node* node = top.find(key);
  if (node != nullptr && node->IsSequence() && node->size() == 0) {
    top.reader().error(*node, std::string("at least one ") + what + " is required (" +
                                  std::string(key) + ":)");
  }
}

void read_document(YamlReader& reader, const YAML::Node& root, Config& config) {
  Section top(reader, root, "",
              {"listeners", "admin", "routes", "policies", "audit", "limits", "time_zone",
               "threads", "label_ttl", "dry_run", "jsonrpc_deny_code", "logging"});
  if (!top.valid()) {
    return;
  }
  top.require("listeners");
  top.require("routes");
  top.require("policies");
  top.require("audit");
  const auto listeners = sequence(top, "listeners");
  for (std::size_t i = 0; i < listeners.size(); ++i) {
    read_listener(reader, listeners[i], indexed("listeners", i), config);
  }
  const auto routes = sequence(top, "routes");
  for (std::size_t i = 0; i < routes.size(); ++i) {
    read_route(reader, routes[i], indexed("routes", i), config);
  }
  require_entries(top, "listeners", "listener");
  require_entries(top, "routes", "route");
  read_admin(top, config);
  read_policies(top, config);
  read_audit(top, config);
  read_limits(top, config);
  read_logging(top, config);
  std::string zone_name;
  if (top.string("time_zone", zone_name)) {
    auto zone = TimeZone::locate(zone_name);
    if (!zone) {
      reader.error(*top.find("time_zone"), "time_zone: " + zone.error().message);
    } else {
      config.time_zone = *zone;
    }
  }
  top.uint32("threads", config.threads, 0, 1024);
  top.seconds("label_ttl", config.label_ttl, std::chrono::seconds(0), std::chrono::hours(24 * 366));
  top.boolean("dry_run", config.dry_run);
  std::int64_t code = config.jsonrpc_deny_code;
  if (top.int64("jsonrpc_deny_code", code, INT32_MIN, INT32_MAX)) {
    // Codes JSON-RPC reserves for itself, and the gateway's other answers, would be misread.
    const bool reserved = code == -32700 || (code >= -32603 && code <= -32600) ||
                          code == -32098 || code == -32097;
    if (reserved) {
      reader.error(*top.find("jsonrpc_deny_code"),
                   "jsonrpc_deny_code: " + std::to_string(code) +
                       " is reserved (JSON-RPC's own codes, -32098 and -32097 are used by the "
                       "gateway)");
    } else {
      config.jsonrpc_deny_code = static_cast<std::int32_t>(code);
    }
  }
  check_cross_references(reader, root, config);
}

}  // namespace

Result<std::shared_ptr<const Config>> load_config_text(std::string_view text,
                                                       const std::filesystem::path& file,
                                                       Diagnostics& diagnostics) {
  auto config = std::make_shared<Config>();
  std::error_code ec;
  std::filesystem::path absolute = std::filesystem::absolute(file, ec);
  config->file = ec ? file : absolute.lexically_normal();
  config->base_dir = config->file.parent_path();
  YamlReader reader(file.string(), config->base_dir, diagnostics, config->positions);
  try {
    const YAML::Node root = YAML::Load(std::string(text));
    if (!root.IsDefined() || root.IsNull()) {
      reader.error(YAML::Mark::null_mark(), "the configuration is empty");
    } else {
      read_document(reader, root, *config);
    }
  } catch (const YAML::Exception& e) {
    reader.error(e.mark, "YAML: " + e.msg);
  } catch (const std::exception& e) {
    reader.error(YAML::Mark::null_mark(), std::string("YAML: ") + e.what());
  }
  if (reader.error_count() != 0) {
    return fail(std::to_string(reader.error_count()) + " error(s) in " + file.string());
  }
  return std::shared_ptr<const Config>(std::move(config));
}

Result<std::shared_ptr<const Config>> load_config(const std::filesystem::path& file,
                                                  Diagnostics& diagnostics) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    diagnostics.push_back(Diagnostic{file.string(), 0, 0, "cannot read the configuration file"});
    return fail("cannot read " + file.string());
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    diagnostics.push_back(Diagnostic{file.string(), 0, 0, "error while reading the file"});
    return fail("cannot read " + file.string());
  }
  return load_config_text(text.str(), file, diagnostics);
}

}  // namespace portcullis::config
