// Cedar request building: an Action plus the facts of the request → policy::Request.
//
// The context always holds every common key (DESIGN.md "Actions as Cedar requests"), so
// policies never need `has` for them: source_ip (ipaddr), time (datetime, UTC, ms), hour and
// weekday (Long, 1 = Monday … 7 = Sunday, in the configured time zone), tls {subject, issuer,
// spiffe_id, sans (Set), not_after (datetime)}, route, session {id, tools (Set), labels (Set)},
// rate {agent_per_minute, resource_per_minute}. On a plaintext listener the tls strings are ""
// and not_after is the Unix epoch. Action-specific members (input/params/message/...) are
// converted with policy::value_from_plain_json.
//
// The context parts that repeat from request to request are built once per thread and reused
// while their inputs are equal (compared in full, so a reused part is always the one these
// facts would build): the source address and the TLS record (the same for every request of a
// connection), the route, the session record, and hour/weekday (the same for every request in
// one UTC second in one zone). Only time, rate and the action's own members are new per request.
//
// For the audit record, use policy::request_to_jcs(request): the full Cedar request (for
// replay) as canonical JSON text, written without building a JSON tree. Thread-safe; no I/O.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "portcullis/common/result.hpp"
#include "portcullis/config/time_zone.hpp"
#include "portcullis/policy/request.hpp"
#include "portcullis/protocol/action.hpp"

namespace portcullis::protocol {

struct TlsFacts {
  std::string subject;                // RFC 2253 form of the client certificate's subject
  std::string issuer;                 // ... and issuer
  std::string spiffe_id;              // first spiffe:// URI SAN, "" when none
  std::vector<std::string> sans;      // every SAN as text ("URI:...", "DNS:..." not prefixed:
                                      // the value only)
  std::chrono::system_clock::time_point not_after{};  // epoch on plaintext listeners

  friend bool operator==(const TlsFacts&, const TlsFacts&) = default;
};

struct SessionFacts {
  std::string id;                     // Mcp-Session-Id, "" when none
  std::vector<std::string> tools;     // tools this session was already allowed to call
  std::vector<std::string> labels;    // session labels ∪ live agent labels

  friend bool operator==(const SessionFacts&, const SessionFacts&) = default;
};

struct RateFacts {
  std::int64_t agent_per_minute = 0;     // this agent's actions in the sliding minute
  std::int64_t resource_per_minute = 0;  // this agent's actions on this resource
};

// What is true of the HTTP exchange, shared by every action of a batch.
struct RequestFacts {
  std::string agent;                  // verified identity → principal Agent::"<agent>"
  std::string source_ip;              // textual IPv4/IPv6 address of the peer
  std::chrono::system_clock::time_point time{};
  TlsFacts tls;
  std::string route;                  // route name
  SessionFacts session;
  RateFacts rate;
};

// Fails (→ the caller denies) only when a fact cannot be represented: an unparsable source IP,
// agent data deeper than `max_depth`.
[[nodiscard]] Result<policy::Request> build_cedar_request(const Action& action,
                                                          const RequestFacts& facts,
                                                          const config::TimeZone& zone,
                                                          int max_depth = 64);
// The same with the rate counters given apart from `facts` (whose `rate` is ignored): the
// gateway decides every action of a request against one shared RequestFacts, without copying it
// per action to fill in that action's counters.
[[nodiscard]] Result<policy::Request> build_cedar_request(const Action& action,
                                                          const RequestFacts& facts,
                                                          const RateFacts& rate,
                                                          const config::TimeZone& zone,
                                                          int max_depth = 64);

// "2026-11-27T01:41:00.123Z": the Cedar datetime literal for `when` (UTC, milliseconds).
[[nodiscard]] std::string cedar_datetime(std::chrono::system_clock::time_point when);

}  // namespace portcullis::protocol
