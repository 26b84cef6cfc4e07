// The Merkle tree over the audit chain, hashed as RFC 9162 (Certificate Transparency v2) does:
// leaf = SHA-256(0x00 || the record's 32 fingerprint bytes), node = SHA-256(0x01 || left || right).
// Every record (decisions, outcomes, admin, checkpoints, recoveries) is a leaf; leaf index =
// metadata.sequence - 1.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "portcullis/audit/digest.hpp"

namespace portcullis::audit {

Digest merkle_leaf_hash(const Digest& record_fingerprint);
Digest merkle_node_hash(const Digest& left, const Digest& right);
Digest merkle_empty_root();  // SHA-256 of the empty string (RFC 9162 MTH({}))

// The right edge of a growing tree: one perfect-subtree root per set bit of size(), largest
// first. O(log n) memory, amortised O(1) hashes per leaf. Checkpoints carry it (as
// `unmapped.checkpoint.frontier`) so a verifier or a restarted writer can resume the tree
// from a checkpoint without re-reading the records before it.
class MerkleFrontier {
 public:
  MerkleFrontier() = default;

  // Rebuilds a frontier from its hashes; fails when their count does not match size's bits.
  static std::optional<MerkleFrontier> from_hashes(std::uint64_t size, std::vector<Digest> hashes);

  void append_leaf(const Digest& leaf_hash);
  [[nodiscard]] Digest root() const;
  [[nodiscard]] std::uint64_t size() const { return size_; }
  [[nodiscard]] const std::vector<Digest>& hashes() const { return hashes_; }

 private:
  std::uint64_t size_ = 0;
  std::vector<Digest> hashes_;
};

// RFC 9162 section 2.1.3: the inclusion proof of leaf `index` in the tree of `leaves` (leaf
// hashes), and its check.
std::vector<Digest> merkle_inclusion_proof(std::span<const Digest> leaves, std::uint64_t index);
bool merkle_verify_inclusion(const Digest& leaf_hash, std::uint64_t index, std::uint64_t tree_size,
                             std::span<const Digest> proof, const Digest& root);
// Root of the tree over `leaves` (RFC 9162 MTH), recursively; used by proof building and tests.
Digest merkle_root(std::span<const Digest> leaves);

}  // namespace portcullis::audit
