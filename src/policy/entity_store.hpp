// Entities::Impl: the entity store behind policy::Entities. Every entity (and every uid named
// only as a parent) has an index; each entity's transitive ancestors are precomputed at load as
// a sorted index list, so `in` is one hash lookup and one binary search.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "portcullis/policy/entities.hpp"
#include "portcullis/policy/value.hpp"

namespace portcullis::policy {

struct EntityUidHash {
  std::size_t operator()(const EntityUid& uid) const noexcept {
    const std::size_t h = std::hash<std::string>{}(uid.type);
    return h ^ (std::hash<std::string>{}(uid.id) + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2));
  }
};

struct EntityRecord {
  EntityUid uid;
  bool defined = false;  // false: only named as some entity's parent
  Value attrs;           // a record
  Value tags;            // a record
  std::vector<EntityUid> parents;       // as written
  std::vector<std::uint32_t> ancestors;  // transitive, sorted, without itself
};

struct Entities::Impl {
  std::vector<EntityRecord> records;
  std::unordered_map<EntityUid, std::uint32_t, EntityUidHash> index;

  [[nodiscard]] const EntityRecord* find(const EntityUid& uid) const {
    const auto it = index.find(uid);
    return it == index.end() ? nullptr : &records[it->second];
  }
  [[nodiscard]] std::int64_t index_of(const EntityUid& uid) const {
    const auto it = index.find(uid);
    return it == index.end() ? -1 : static_cast<std::int64_t>(it->second);
  }
  // Transitive closure of `parents`, cycle-safe (iterative DFS with a visited mark).
  void compute_ancestors();
};

}  // namespace portcullis::policy
