#include "portcullis/admin/quarantine_list.hpp"

#include <utility>

namespace portcullis::admin {

QuarantineList::QuarantineList(std::size_t max_entries)
    : max_entries_(max_entries), current_(std::make_shared<const Map>()) {}

Result<void> QuarantineList::quarantine(std::string agent, std::string reason, std::string by,
                                        std::int64_t since_ms) {
  if (agent.empty()) {
    return fail("quarantine: the agent id is empty");
  }
  std::lock_guard lock(write_mutex_);
  const auto old = current_.load();
  if (!old->contains(agent) && old->size() >= max_entries_) {
    return fail("quarantine: the list is full (" + std::to_string(max_entries_) + " agents)");
  }
  auto next = std::make_shared<Map>(*old);
  QuarantineEntry entry{agent, std::move(reason), std::move(by), since_ms};
  (*next)[std::move(agent)] = std::move(entry);
  const std::size_t size = next->size();
  current_.store(std::move(next));
  count_.store(size, std::memory_order_release);
  return {};
}

bool QuarantineList::lift(std::string_view agent) {
  std::lock_guard lock(write_mutex_);
  const auto old = current_.load();
  const auto it = old->find(agent);
  if (it == old->end()) {
    return false;
  }
  auto next = std::make_shared<Map>(*old);
  next->erase(std::string(agent));
  const std::size_t size = next->size();
  current_.store(std::move(next));
  count_.store(size, std::memory_order_release);
  return true;
}

bool QuarantineList::is_quarantined(std::string_view agent) const noexcept {
  if (count_.load(std::memory_order_acquire) == 0) {
    return false;
  }
  const auto snap = current_.load();
  return snap->find(agent) != snap->end();
}

std::shared_ptr<const QuarantineList::Map> QuarantineList::snapshot() const noexcept {
  return current_.load();
}

std::vector<QuarantineEntry> QuarantineList::list() const {
  const auto snap = current_.load();
  std::vector<QuarantineEntry> out;
  out.reserve(snap->size());
  for (const auto& [agent, entry] : *snap) {
    out.push_back(entry);
  }
  return out;
}

std::size_t QuarantineList::size() const noexcept {
  return count_.load(std::memory_order_acquire);
}

}  // namespace portcullis::admin
