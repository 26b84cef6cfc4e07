// SessionState: what earlier allowed calls left behind, for `context.session` of later calls:
// per MCP session, the tool names it was allowed to call and the @labels those calls attached;
// per agent, the labels with an expiry (label_ttl), so opening a new session does not shed them.
//
// Threading: all member functions may be called from any thread. State is split over shards
// (by hash of the key), each behind its own mutex held only for a map lookup and a few
// insertions; nothing here blocks on I/O.
//
// Keys: a session is keyed by (agent, session id), never by the session id alone: an agent that
// presents another agent's Mcp-Session-Id gets a fresh, empty session of its own and neither
// gains nor sheds the other's tools and labels.
//
// Bounds: at most max_sessions sessions and max_agents agents (least recently used evicted first,
// idle entries dropped after session_idle_ttl / when every label expired), and at most
// max_tools_per_session / max_labels_per_entry strings per entry (further ones are dropped and
// counted in stats()). Eviction forgets state, and forgotten labels are *less* restrictive for
// policies that forbid on a label — so the caps are generous by default; watch stats().
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace portcullis::admin {

using WallClock = std::chrono::system_clock;
using WallTime = WallClock::time_point;

struct SessionStateOptions {
  std::size_t max_sessions = 100000;      // (agent, session) entries kept
  std::size_t max_agents = 100000;        // agents with live labels kept
  std::size_t max_tools_per_session = 1024;
  std::size_t max_labels_per_entry = 256;  // per session and per agent
  std::chrono::seconds session_idle_ttl{24 * 3600};  // a session unused this long is forgotten
  std::chrono::seconds label_ttl{24 * 3600};         // agent labels live this long after the call
};

// What a request's context gets: both sorted by byte order, without duplicates.
struct SessionSnapshot {
  std::vector<std::string> tools;   // tools this (agent, session) was allowed to call
  std::vector<std::string> labels;  // session labels ∪ the agent's live labels

  bool operator==(const SessionSnapshot&) const = default;
};

struct SessionStateStats {
  std::size_t sessions = 0;
  std::size_t agents = 0;
  std::uint64_t evicted_sessions = 0;    // LRU evictions because max_sessions was reached
  std::uint64_t evicted_agents = 0;      // LRU evictions because max_agents was reached
  std::uint64_t dropped_strings = 0;     // tools/labels refused by the per-entry caps
};

class SessionState {
 public:
  explicit SessionState(SessionStateOptions options = {});
  ~SessionState();
  SessionState(const SessionState&) = delete;
  SessionState& operator=(const SessionState&) = delete;
  SessionState(SessionState&&) = delete;
  SessionState& operator=(SessionState&&) = delete;

  // After an allowed call: adds `tool` (if not empty) to the session's tools, and `labels`
  // (the permits' @label values) to the session's labels and to the agent's labels, which then
  // expire at now + label_ttl (a label seen again is renewed). `session_id` "" = no session:
  // only the agent labels are recorded. `tool` is the bare tool name (MCP params.name), the
  // same string rebuild derives from the decision record (resource id minus "<route>/").
  void record_allowed(std::string_view session_id, std::string_view agent, std::string_view tool,
                      std::span<const std::string> labels, WallTime now);

  // For the next request's context. Touches the session (LRU, idle timer).
  [[nodiscard]] SessionSnapshot snapshot(std::string_view session_id, std::string_view agent,
                                         WallTime now);

  // When an MCP session ends (DELETE): forgets the session (agent labels stay).
  void end_session(std::string_view session_id, std::string_view agent);

  [[nodiscard]] SessionStateStats stats() const;
  [[nodiscard]] const SessionStateOptions& options() const { return options_; }

 private:
  struct Shard;
  SessionStateOptions options_;
  std::vector<std::unique_ptr<Shard>> session_shards_;
  std::vector<std::unique_ptr<Shard>> agent_shards_;
};

}  // namespace portcullis::admin
