#include "portcullis/admin/rate_counter.hpp"

#include <algorithm>
#include <array>
#include <functional>
#include <limits>
#include <list>
#include <mutex>
#include <string>
#include <unordered_map>

#include "admin/pair_key.hpp"

namespace portcullis::admin {

namespace {

constexpr std::int64_t kWindowSeconds = 60;

// One key's window: a ring of per-second counts, valid for the seconds
// (head_second - 59 .. head_second].
struct Window {
  std::int64_t head_second = 0;
  std::array<std::uint32_t, kWindowSeconds> buckets{};

  static std::size_t slot(std::int64_t second) {
    return static_cast<std::size_t>(((second % kWindowSeconds) + kWindowSeconds) % kWindowSeconds);
  }

  // Moves the head to `second`, clearing the buckets of the seconds skipped over. A time before
  // the head (a clock step back) counts in the head's bucket: counts never get lost that way.
  std::int64_t advance(std::int64_t second) {
    if (second <= head_second) {
      return head_second;
    }
    if (second - head_second >= kWindowSeconds) {
      buckets.fill(0);
    } else {
      for (std::int64_t s = head_second + 1; s <= second; ++s) {
        buckets[slot(s)] = 0;
      }
    }
    head_second = second;
    return second;
  }

  // Counts one call; returns the second it was counted in (the head).
  std::int64_t add_one(std::int64_t second) {
    const std::int64_t counted_at = advance(second);
    auto& bucket = buckets[slot(counted_at)];
    if (bucket != std::numeric_limits<std::uint32_t>::max()) {
      ++bucket;
    }
    return counted_at;
  }

  // Calls in the minute ending at `second` (inclusive), without changing the window.
  [[nodiscard]] std::int64_t count(std::int64_t second) const {
    // Stored seconds are (head - 59 .. head]; the query wants (second - 59 .. second].
    const std::int64_t newest = std::min(second, head_second);
    const std::int64_t oldest = std::max(head_second, second) - (kWindowSeconds - 1);
    if (newest < oldest) {
      return 0;
    }
    // One modulo, then walk the ring (this runs twice per request: keep it cheap).
    std::size_t index = slot(oldest);
    std::int64_t total = 0;
    for (std::int64_t n = newest - oldest + 1; n > 0; --n) {
      total += buckets[index];
      index = index + 1 == buckets.size() ? 0 : index + 1;
    }
    return total;
  }

  [[nodiscard]] bool idle(std::int64_t second) const {
    return second - head_second >= kWindowSeconds;
  }
};

std::int64_t to_second(RateCounter::Clock::time_point now) {
  return std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
}

std::size_t shard_count_for(std::size_t capacity) {
  constexpr std::size_t kMaxShards = 16;
  constexpr std::size_t kMinPerShard = 256;
  return std::clamp<std::size_t>(capacity / kMinPerShard, 1, kMaxShards);
}

}  // namespace

struct RateCounter::Table {
  struct Entry {
    std::string key;
    Window window;
  };
  using List = std::list<Entry>;  // front = most recently hit

  struct Shard {
    mutable std::mutex mutex;
    List lru;
    std::unordered_map<std::string_view, List::iterator> index;  // views into Entry::key
    std::size_t capacity = 1;
    std::uint64_t evicted = 0;
  };

  explicit Table(std::size_t capacity) {
    capacity = std::max<std::size_t>(capacity, 1);
    const std::size_t n = shard_count_for(capacity);
    for (std::size_t i = 0; i < n; ++i) {
      auto shard = std::make_unique<Shard>();
      shard->capacity = (capacity + n - 1) / n;
      shards.push_back(std::move(shard));
    }
  }

  Shard& shard_for(std::string_view key) const {
    return *shards[std::hash<std::string_view>{}(key) % shards.size()];
  }

  std::int64_t hit(std::string_view key, std::int64_t second) {
    auto& shard = shard_for(key);
    std::lock_guard lock(shard.mutex);
    Entry* entry = nullptr;
    if (const auto it = shard.index.find(key); it != shard.index.end()) {
      shard.lru.splice(shard.lru.begin(), shard.lru, it->second);
      entry = &*it->second;
    } else {
      // Idle keys count 0 anyway: drop them first; evict a live one only when still full.
      while (!shard.lru.empty() && shard.lru.back().window.idle(second)) {
        shard.index.erase(shard.lru.back().key);
        shard.lru.pop_back();
      }
      if (shard.lru.size() >= shard.capacity) {
        shard.index.erase(shard.lru.back().key);
        shard.lru.pop_back();
        ++shard.evicted;
      }
      shard.lru.emplace_front();
      entry = &shard.lru.front();
      entry->key = std::string(key);
      entry->window.head_second = second;
      shard.index.emplace(entry->key, shard.lru.begin());
    }
    return entry->window.count(entry->window.add_one(second));
  }

  std::int64_t peek(std::string_view key, std::int64_t second) const {
    auto& shard = shard_for(key);
    std::lock_guard lock(shard.mutex);
    const auto it = shard.index.find(key);
    return it == shard.index.end() ? 0 : it->second->window.count(second);
  }

  std::size_t size() const {
    std::size_t total = 0;
    for (const auto& shard : shards) {
      std::lock_guard lock(shard->mutex);
      total += shard->lru.size();
    }
    return total;
  }

  std::uint64_t evicted() const {
    std::uint64_t total = 0;
    for (const auto& shard : shards) {
      std::lock_guard lock(shard->mutex);
      total += shard->evicted;
    }
    return total;
  }

  std::vector<std::unique_ptr<Shard>> shards;
};

namespace {

std::string resource_key(std::string_view agent, std::string_view resource) {
  return detail::pair_key(agent, resource);
}

}  // namespace

RateCounter::RateCounter(RateCounterOptions options)
    : agents_(std::make_unique<Table>(options.max_agents)),
      resources_(std::make_unique<Table>(options.max_resources)) {}

RateCounter::~RateCounter() = default;

RateCounts RateCounter::hit(std::string_view agent, std::string_view resource,
                            Clock::time_point now) {
  const std::int64_t second = to_second(now);
  RateCounts counts;
  counts.agent_per_minute = agents_->hit(agent, second);
  counts.resource_per_minute = resources_->hit(resource_key(agent, resource), second);
  return counts;
}

RateCounts RateCounter::peek(std::string_view agent, std::string_view resource,
                             Clock::time_point now) const {
  const std::int64_t second = to_second(now);
  RateCounts counts;
  counts.agent_per_minute = agents_->peek(agent, second);
  counts.resource_per_minute = resources_->peek(resource_key(agent, resource), second);
  return counts;
}

std::size_t RateCounter::agent_keys() const { return agents_->size(); }
std::size_t RateCounter::resource_keys() const { return resources_->size(); }
std::uint64_t RateCounter::evicted() const { return agents_->evicted() + resources_->evicted(); }

}  // namespace portcullis::admin
