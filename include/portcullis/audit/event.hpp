// What the gateway tells the audit log about a call: plain data, no sockets, no OCSF.
// The audit module turns these into OCSF 1.9 API Activity records (record.hpp).
//
// STATUS: contract written first so the gateway and the audit module can be built in parallel.
// The audit module owns this file; it may add fields, not rename or remove them.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace portcullis::audit {

enum class Disposition { Allowed, Blocked };

struct Endpoint {
  std::string ip;  // textual address
  std::uint16_t port = 0;
};

// TLS facts about the caller's verified certificate (empty on a plaintext listener).
struct PeerCertificate {
  std::string subject;
  std::string issuer;
  std::string spiffe_id;
  std::string serial;
};

// One decided action (one JSON-RPC element, one A2A call, one HTTP request): the *decision*
// record, written durably before anything is forwarded.
struct DecisionEvent {
  std::int64_t time_ms = 0;          // when the decision was made, Unix epoch ms
  std::string request_id;            // the gateway's id for the HTTP exchange (X-Request-Id)
  std::string agent;                 // the verified identity (principal id)
  std::string session_id;            // MCP session id, "" when none
  std::string listener;              // listener name
  std::string route;                 // route name
  std::string protocol;              // "mcp" | "a2a" | "http"
  std::string action;                // Cedar action id, e.g. "tools/call"
  std::string method;                // wire method (JSON-RPC method as sent, or HTTP method)
  std::string resource_type;         // Cedar resource type, e.g. "Tool"
  std::string resource_id;           // Cedar resource id, e.g. "tools/echo"
  std::optional<nlohmann::json> jsonrpc_id;  // the JSON-RPC id, absent for notifications/HTTP
  std::uint32_t batch_index = 0;     // position in a JSON-RPC batch (0 when not a batch)
  std::uint32_t batch_size = 0;      // 0 when not a batch
  Disposition disposition = Disposition::Blocked;
  std::string deny_message;          // what the agent was told (empty when allowed)
  std::vector<std::string> policy_ids;  // determining policies (Cedar "reasons"), sorted
  std::vector<std::string> policy_errors;     // ids of policies that errored, sorted
  std::vector<std::string> diagnostics;       // their messages
  std::vector<std::string> would_deny;        // log-only forbids that matched
  std::vector<std::string> labels;            // session/agent labels this call added
  bool dry_run = false;              // dry-run mode: forwarded whatever the decision
  bool quarantined = false;          // denied because the agent is quarantined
  std::string policy_set_hash;       // PolicySet::hash() of the set that decided
  // The full Cedar request for replay, as its RFC 8785 (JCS) text — policy::request_to_jcs,
  // or audit::jcs of its JSON form — copied into the record as it is (it must be canonical, or
  // the record's fingerprint will not verify); "" = no request (written as null). Carried as text
  // so the gateway never builds a JSON tree of it. The audit module applies the configured
  // redaction to it (parsing it only then).
  std::string cedar_request_jcs;
  Endpoint src;                      // the agent's address
  Endpoint dst;                      // the listener's address
  std::string http_method;
  std::string http_url;              // path and query as received
  std::string user_agent;
  PeerCertificate peer;
};

// What happened after a forwarded call: the *outcome* record, referring to its decision record.
struct OutcomeEvent {
  std::int64_t time_ms = 0;
  std::string correlation_uid;       // the decision record's metadata.uid
  std::string request_id;
  std::string agent;
  std::string session_id;
  std::string route;
  std::string protocol;
  std::string action;
  int upstream_status = 0;           // HTTP status from the upstream; 0 if none (error below)
  std::string error;                 // "" or why no answer came ("timeout", "connect: ...")
  std::int64_t latency_us = 0;       // from forwarding to the end of the response
  std::uint64_t request_bytes = 0;
  std::uint64_t response_bytes = 0;
};

// An operator action recorded in the chain (quarantine and its lifting), so it can be rebuilt
// from the log at start-up.
struct AdminEvent {
  enum class Kind { Quarantine, Unquarantine, Reload };
  Kind kind = Kind::Quarantine;
  std::int64_t time_ms = 0;
  std::string operator_identity;  // who did it (admin mTLS identity)
  std::string agent;              // for quarantine
  std::string reason;
  std::string detail;             // e.g. the new policy-set hash for a reload
};

}  // namespace portcullis::audit
