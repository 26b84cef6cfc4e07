#include "portcullis/admin/session_state.hpp"

#include <algorithm>
#include <functional>
#include <list>
#include <map>
#include <mutex>
#include <set>
#include <unordered_map>

#include "admin/pair_key.hpp"

namespace portcullis::admin {

namespace {

// Shards cut lock contention between I/O threads; small tables use one shard so that the LRU
// order (and the cap) is exact rather than per shard.
std::size_t shard_count_for(std::size_t capacity) {
  constexpr std::size_t kMaxShards = 16;
  constexpr std::size_t kMinPerShard = 256;
  return std::clamp<std::size_t>(capacity / kMinPerShard, 1, kMaxShards);
}

std::string session_key(std::string_view agent, std::string_view session_id) {
  return detail::pair_key(agent, session_id);
}

}  // namespace

struct SessionState::Shard {
  struct Entry {
    std::string key;
    std::set<std::string, std::less<>> tools;
    std::map<std::string, WallTime, std::less<>> labels;  // label → expiry (max() = never)
    WallTime last_used{};
  };
  using List = std::list<Entry>;  // front = most recently used

  std::mutex mutex;
  List lru;
  std::unordered_map<std::string_view, List::iterator> index;  // views into Entry::key
  std::size_t capacity = 1;
  std::uint64_t evicted = 0;
  std::uint64_t dropped = 0;

  // The live entry for `key`, moved to the front, or nullptr. `expired(entry)` says whether it
  // is dead; a dead entry is removed here.
  template <typename Expired>
  Entry* find(std::string_view key, Expired&& expired) {
    const auto it = index.find(key);
    if (it == index.end()) {
      return nullptr;
    }
    if (expired(*it->second)) {
      const auto node = it->second;
      index.erase(it);
      lru.erase(node);
      return nullptr;
    }
    lru.splice(lru.begin(), lru, it->second);
    return &*it->second;
  }

  // Finds or creates `key`. Before creating, drops dead entries from the tail and then, if still
  // full, evicts the least recently used live one.
  template <typename Expired>
  Entry& find_or_create(std::string_view key, Expired&& expired) {
    if (Entry* found = find(key, expired)) {
      return *found;
    }
    while (!lru.empty() && expired(lru.back())) {
      index.erase(lru.back().key);
      lru.pop_back();
    }
    if (lru.size() >= capacity) {
      index.erase(lru.back().key);
      lru.pop_back();
      ++evicted;
    }
    lru.emplace_front();
    Entry& entry = lru.front();
    entry.key = std::string(key);
    index.emplace(entry.key, lru.begin());
    return entry;
  }
};

SessionState::SessionState(SessionStateOptions options) : options_(options) {
  options_.max_sessions = std::max<std::size_t>(options_.max_sessions, 1);
  options_.max_agents = std::max<std::size_t>(options_.max_agents, 1);
  const auto make = [](std::vector<std::unique_ptr<Shard>>& shards, std::size_t capacity) {
    const std::size_t n = shard_count_for(capacity);
    for (std::size_t i = 0; i < n; ++i) {
      auto shard = std::make_unique<Shard>();
      shard->capacity = (capacity + n - 1) / n;
      shards.push_back(std::move(shard));
    }
  };
  make(session_shards_, options_.max_sessions);
  make(agent_shards_, options_.max_agents);
}

SessionState::~SessionState() = default;

namespace {

template <typename Shards>
auto& shard_for(Shards& shards, std::string_view key) {
  return *shards[std::hash<std::string_view>{}(key) % shards.size()];
}

}  // namespace

void SessionState::record_allowed(std::string_view session_id, std::string_view agent,
                                  std::string_view tool, std::span<const std::string> labels,
                                  WallTime now) {
  const auto idle_ttl = options_.session_idle_ttl;
  if (!session_id.empty()) {
    const std::string key = session_key(agent, session_id);
    auto& shard = shard_for(session_shards_, key);
    std::lock_guard lock(shard.mutex);
    auto& entry = shard.find_or_create(
        key, [&](const Shard::Entry& e) { return now - e.last_used > idle_ttl; });
    entry.last_used = std::max(entry.last_used, now);
    if (!tool.empty() && !entry.tools.contains(tool)) {
      if (entry.tools.size() < options_.max_tools_per_session) {
        entry.tools.emplace(tool);
      } else {
        ++shard.dropped;
      }
    }
    for (const auto& label : labels) {
      if (entry.labels.contains(label)) {
        continue;
      }
      if (entry.labels.size() < options_.max_labels_per_entry) {
        entry.labels.emplace(label, WallTime::max());
      } else {
        ++shard.dropped;
      }
    }
  }
  if (labels.empty()) {
    return;
  }
  auto& shard = shard_for(agent_shards_, agent);
  std::lock_guard lock(shard.mutex);
  const auto all_expired = [&](const Shard::Entry& e) {
    return std::all_of(e.labels.begin(), e.labels.end(),
                       [&](const auto& label) { return label.second <= now; });
  };
  auto& entry = shard.find_or_create(agent, all_expired);
  entry.last_used = std::max(entry.last_used, now);
  const WallTime expiry = now + options_.label_ttl;
  // Expired labels make room before the cap is applied.
  std::erase_if(entry.labels, [&](const auto& label) { return label.second <= now; });
  for (const auto& label : labels) {
    if (auto it = entry.labels.find(label); it != entry.labels.end()) {
      it->second = std::max(it->second, expiry);
    } else if (entry.labels.size() < options_.max_labels_per_entry) {
      entry.labels.emplace(label, expiry);
    } else {
      ++shard.dropped;
    }
  }
}

SessionSnapshot SessionState::snapshot(std::string_view session_id, std::string_view agent,
                                       WallTime now) {
  std::set<std::string, std::less<>> labels;
  SessionSnapshot out;
  if (!session_id.empty()) {
    const std::string key = session_key(agent, session_id);
    auto& shard = shard_for(session_shards_, key);
    std::lock_guard lock(shard.mutex);
    const auto idle_ttl = options_.session_idle_ttl;
    if (auto* entry =
            shard.find(key, [&](const Shard::Entry& e) { return now - e.last_used > idle_ttl; })) {
      entry->last_used = std::max(entry->last_used, now);
      out.tools.assign(entry->tools.begin(), entry->tools.end());
      for (const auto& [label, expiry] : entry->labels) {
        labels.insert(label);
      }
    }
  }
  {
    auto& shard = shard_for(agent_shards_, agent);
    std::lock_guard lock(shard.mutex);
    const auto all_expired = [&](const Shard::Entry& e) {
      return std::all_of(e.labels.begin(), e.labels.end(),
                         [&](const auto& label) { return label.second <= now; });
    };
    if (auto* entry = shard.find(agent, all_expired)) {
      for (const auto& [label, expiry] : entry->labels) {
        if (expiry > now) {
          labels.insert(label);
        }
      }
    }
  }
  out.labels.assign(labels.begin(), labels.end());
  return out;
}

void SessionState::end_session(std::string_view session_id, std::string_view agent) {
  if (session_id.empty()) {
    return;
  }
  const std::string key = session_key(agent, session_id);
  auto& shard = shard_for(session_shards_, key);
  std::lock_guard lock(shard.mutex);
  const auto it = shard.index.find(key);
  if (it != shard.index.end()) {
    const auto node = it->second;
    shard.index.erase(it);
    shard.lru.erase(node);
  }
}

SessionStateStats SessionState::stats() const {
  SessionStateStats stats;
  for (const auto& shard : session_shards_) {
    std::lock_guard lock(shard->mutex);
    stats.sessions += shard->lru.size();
    stats.evicted_sessions += shard->evicted;
    stats.dropped_strings += shard->dropped;
  }
  for (const auto& shard : agent_shards_) {
    std::lock_guard lock(shard->mutex);
    stats.agents += shard->lru.size();
    stats.evicted_agents += shard->evicted;
    stats.dropped_strings += shard->dropped;
  }
  return stats;
}

}  // namespace portcullis::admin
