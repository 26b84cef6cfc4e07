// QuarantineList: the kill switch. Agents on it are denied every action until they are lifted.
//
// Threading: all member functions may be called from any thread. is_quarantined() (hot path,
// every request) reads one atomic count when the list is empty, else an immutable snapshot
// through std::atomic<std::shared_ptr<const T>>;
// it never takes the writers' mutex. quarantine()/lift() (operator actions, rare) serialise on
// a mutex, copy the snapshot, change the copy and publish it atomically. A reader that loaded
// the old snapshot finishes with it; the next read sees the change.
//
// Persistence is not this class's job: the admin handler records every change in the audit log
// and StateRebuilder (rebuild.hpp) replays those records at start-up.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "portcullis/common/result.hpp"

namespace portcullis::admin {

struct QuarantineEntry {
  std::string agent;          // the principal id (verified identity), matched byte-exactly
  std::string reason;         // the operator's text
  std::string by;             // the operator identity that engaged it ("" when unknown)
  std::int64_t since_ms = 0;  // Unix epoch ms

  bool operator==(const QuarantineEntry&) const = default;
};

class QuarantineList {
 public:
  using Map = std::map<std::string, QuarantineEntry, std::less<>>;
  // Bounds memory: an operator (or a script gone wrong) cannot grow the list without limit.
  static constexpr std::size_t kDefaultMaxEntries = 100000;

  explicit QuarantineList(std::size_t max_entries = kDefaultMaxEntries);

  // Adds the agent, or replaces its reason/by/since when it is already on the list (the agent
  // stays quarantined either way). Fails only when the list is full or `agent` is empty.
  [[nodiscard]] Result<void> quarantine(std::string agent, std::string reason, std::string by,
                                        std::int64_t since_ms);
  // Removes the agent; returns whether it was on the list.
  bool lift(std::string_view agent);

  // Hot path: lock-free read of the current snapshot; exact byte comparison.
  [[nodiscard]] bool is_quarantined(std::string_view agent) const noexcept;

  // The current snapshot (immutable; safe to keep and read from any thread).
  [[nodiscard]] std::shared_ptr<const Map> snapshot() const noexcept;
  // Every entry, sorted by agent.
  [[nodiscard]] std::vector<QuarantineEntry> list() const;
  [[nodiscard]] std::size_t size() const noexcept;

 private:
  std::size_t max_entries_;
  std::mutex write_mutex_;  // serialises quarantine()/lift(); readers never take it
  std::atomic<std::shared_ptr<const Map>> current_;
  // Entries in current_, published after it: while nobody is quarantined (the usual case) the
  // hot path reads this one word and never touches the shared_ptr's reference count, which
  // every I/O thread would otherwise bounce between cores.
  std::atomic<std::size_t> count_{0};
};

}  // namespace portcullis::admin
