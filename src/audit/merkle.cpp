#include "portcullis/audit/merkle.hpp"

#include <bit>

namespace portcullis::audit {

namespace {
// One hashing context per thread, reused: a Merkle hash covers 33 or 65 bytes, so creating and
// freeing an OpenSSL context per hash cost more than the hash itself.
Sha256& thread_hasher() {
  thread_local Sha256 hasher;
  return hasher;
}
}  // namespace

Digest merkle_leaf_hash(const Digest& record_fingerprint) {
  Sha256& h = thread_hasher();
  h.reset();
  const std::uint8_t prefix = 0x00;
  h.update(&prefix, 1);
  h.update(record_fingerprint.data(), record_fingerprint.size());
  return h.finish();
}

Digest merkle_node_hash(const Digest& left, const Digest& right) {
  Sha256& h = thread_hasher();
  h.reset();
  const std::uint8_t prefix = 0x01;
  h.update(&prefix, 1);
  h.update(left.data(), left.size());
  h.update(right.data(), right.size());
  return h.finish();
}

Digest merkle_empty_root() { return sha256(""); }

std::optional<MerkleFrontier> MerkleFrontier::from_hashes(std::uint64_t size,
                                                          std::vector<Digest> hashes) {
  if (static_cast<std::size_t>(std::popcount(size)) != hashes.size()) {
    return std::nullopt;
  }
  MerkleFrontier f;
  f.size_ = size;
  f.hashes_ = std::move(hashes);
  return f;
}

void MerkleFrontier::append_leaf(const Digest& leaf_hash) {
  // Like binary increment: each trailing 1 bit of size_ is a perfect subtree the new leaf's
  // subtree merges with.
  Digest carry = leaf_hash;
  std::uint64_t s = size_;
  while ((s & 1u) != 0) {
    carry = merkle_node_hash(hashes_.back(), carry);
    hashes_.pop_back();
    s >>= 1;
  }
  hashes_.push_back(carry);
  ++size_;
}

Digest MerkleFrontier::root() const {
  if (hashes_.empty()) {
    return merkle_empty_root();
  }
  // RFC 9162 splits at the largest power of two below n, so the root folds the perfect
  // subtrees from the right: MTH = node(s0, node(s1, ... node(s_{m-2}, s_{m-1}))).
  Digest acc = hashes_.back();
  for (std::size_t i = hashes_.size() - 1; i-- > 0;) {
    acc = merkle_node_hash(hashes_[i], acc);
  }
  return acc;
}

namespace {
std::uint64_t largest_power_of_two_below(std::uint64_t n) {  // k < n <= 2k, n > 1
  return std::bit_floor(n - 1);
}
}  // namespace

Digest merkle_root(std::span<const Digest> leaves) {
  if (leaves.empty()) {
    return merkle_empty_root();
  }
  if (leaves.size() == 1) {
    return leaves[0];
  }
  const std::size_t k = largest_power_of_two_below(leaves.size());
  return merkle_node_hash(merkle_root(leaves.subspan(0, k)), merkle_root(leaves.subspan(k)));
}

std::vector<Digest> merkle_inclusion_proof(std::span<const Digest> leaves, std::uint64_t index) {
  // RFC 9162 2.1.3.1 PATH(m, D[n]), written iteratively from the root down; the path is listed
  // from the leaf up.
  std::vector<Digest> path;
  std::span<const Digest> d = leaves;
  std::uint64_t m = index;
  while (d.size() > 1) {
    const std::size_t k = largest_power_of_two_below(d.size());
    if (m < k) {
      path.push_back(merkle_root(d.subspan(k)));
      d = d.subspan(0, k);
    } else {
      path.push_back(merkle_root(d.subspan(0, k)));
      d = d.subspan(k);
      m -= k;
    }
  }
  return {path.rbegin(), path.rend()};
}

bool merkle_verify_inclusion(const Digest& leaf_hash, std::uint64_t index, std::uint64_t tree_size,
                             std::span<const Digest> proof, const Digest& root) {
  // RFC 9162 2.1.3.2.
  if (index >= tree_size) {
    return false;
  }
  std::uint64_t fn = index;
  std::uint64_t sn = tree_size - 1;
  Digest r = leaf_hash;
  for (const Digest& p : proof) {
    if (sn == 0) {
      return false;
    }
    if ((fn & 1u) != 0 || fn == sn) {
      r = merkle_node_hash(p, r);
      if ((fn & 1u) == 0) {
        while ((fn & 1u) == 0 && fn != 0) {
          fn >>= 1;
          sn >>= 1;
        }
      }
    } else {
      r = merkle_node_hash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return sn == 0 && r == root;
}

}  // namespace portcullis::audit
