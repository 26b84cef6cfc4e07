// PolicySet::Impl: the parsed policies plus a scope index, so a decision evaluates only the
// policies whose scope can match the request (see PolicyIndex::candidates).
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "policy/ast.hpp"
#include "policy/entity_store.hpp"
#include "portcullis/policy/policy_set.hpp"

namespace portcullis::policy {

// Each policy sits in exactly one kind of bucket: the one of its scope constraints (resource ==,
// principal ==, action == / in / in [..], resource in, principal in, resource is, principal is)
// whose bucket is smallest over the whole set, so a request's candidates stay few even when
// thousands of policies share an action. Policies without scope constraints are "always".
struct PolicyIndex {
  using UidMap = std::unordered_map<EntityUid, std::vector<std::uint32_t>, EntityUidHash>;
  UidMap resource_eq;
  UidMap principal_eq;
  UidMap action_keys;
  UidMap resource_in;
  UidMap principal_in;
  std::unordered_map<std::string, std::vector<std::uint32_t>> resource_is;
  std::unordered_map<std::string, std::vector<std::uint32_t>> principal_is;
  std::vector<std::uint32_t> always;

  void build(const std::vector<Policy>& policies);
};

struct PolicySet::Impl {
  std::vector<Policy> policies;
  std::vector<bool> log_only;  // forbid with @mode("log-only")
  std::unordered_map<std::string, std::uint32_t> by_id;
  std::string hash;
  PolicyIndex index;
};

}  // namespace portcullis::policy
