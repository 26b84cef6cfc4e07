// RateCounter: calls per agent and per agent+resource over a sliding minute, for
// `context.rate` {agent_per_minute, resource_per_minute}.
//
// Window: 60 one-second buckets per key; a count is the sum of the buckets of the last 60 whole
// seconds, the current one included (so it moves once a second, not continuously).
//
// Threading: all member functions may be called from any thread; keys are split over shards by
// hash, each with its own mutex held for one lookup and a bucket update. Never blocks on I/O.
//
// Bounds: at most max_agents agent keys and max_resources agent+resource keys (~350 bytes
// each). When full, the least recently hit key is evicted; a key idle for a minute has count 0
// anyway, so only under pressure from more than max_* *active* keys does eviction lose counts —
// then the count for an evicted key restarts from 0 (rules like "rate > N" become more lenient
// for it). evicted() tells how often that happened. The per-agent count is the robust one: an
// agent cannot evict its own agent key by calling many different resources.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

namespace portcullis::admin {

struct RateCounterOptions {
  std::size_t max_agents = 10000;
  std::size_t max_resources = 50000;  // agent+resource pairs
};

struct RateCounts {
  std::int64_t agent_per_minute = 0;     // this agent's calls in the last minute
  std::int64_t resource_per_minute = 0;  // this agent's calls on this resource in the last minute

  bool operator==(const RateCounts&) const = default;
};

class RateCounter {
 public:
  using Clock = std::chrono::system_clock;

  explicit RateCounter(RateCounterOptions options = {});
  ~RateCounter();
  RateCounter(const RateCounter&) = delete;
  RateCounter& operator=(const RateCounter&) = delete;
  RateCounter(RateCounter&&) = delete;
  RateCounter& operator=(RateCounter&&) = delete;

  // Counts one call (call it once per action, before the decision) and returns the counts
  // including it. `resource` is the Cedar resource as "Type::id" or any stable string.
  RateCounts hit(std::string_view agent, std::string_view resource, Clock::time_point now);

  // The counts without counting a call.
  [[nodiscard]] RateCounts peek(std::string_view agent, std::string_view resource,
                                Clock::time_point now) const;

  [[nodiscard]] std::size_t agent_keys() const;
  [[nodiscard]] std::size_t resource_keys() const;
  [[nodiscard]] std::uint64_t evicted() const;

 private:
  struct Table;
  std::unique_ptr<Table> agents_;
  std::unique_ptr<Table> resources_;
};

}  // namespace portcullis::admin
