#include "portcullis/audit/merkle.hpp"

#include <catch2/catch.hpp>
#include <vector>

using namespace portcullis::audit;

namespace {
std::vector<Digest> leaves(std::size_t n) {
  std::vector<Digest> out;
  for (std::size_t i = 0; i < n; ++i) {
    out.push_back(merkle_leaf_hash(sha256(std::to_string(i))));
  }
  return out;
}
}  // namespace

TEST_CASE("leaf and node hashes use the RFC 9162 domain separation prefixes",
          "[audit][merkle]") {
  const Digest fp = sha256("record");
  std::string leaf_input(1, '\0');
  leaf_input.append(reinterpret_cast<const char*>(fp.data()), fp.size());
  CHECK(merkle_leaf_hash(fp) == sha256(leaf_input));
  std::string node_input(1, '\1');
  node_input.append(reinterpret_cast<const char*>(fp.data()), fp.size());
  node_input.append(reinterpret_cast<const char*>(fp.data()), fp.size());
  CHECK(merkle_node_hash(fp, fp) == sha256(node_input));
  CHECK(to_hex(merkle_empty_root()) ==
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST_CASE("a three-leaf tree splits at the largest power of two below the size",
          "[audit][merkle]") {
  const auto l = leaves(3);
  CHECK(merkle_root(l) == merkle_node_hash(merkle_node_hash(l[0], l[1]), l[2]));
}

TEST_CASE("the frontier's root equals the recursive root for every size up to 70",
          "[audit][merkle]") {
  const auto l = leaves(70);
  MerkleFrontier f;
  CHECK(f.root() == merkle_empty_root());
  for (std::size_t n = 1; n <= l.size(); ++n) {
    f.append_leaf(l[n - 1]);
    REQUIRE(f.size() == n);
    REQUIRE(f.root() == merkle_root(std::span<const Digest>(l.data(), n)));
    auto copy = MerkleFrontier::from_hashes(n, f.hashes());
    REQUIRE(copy);
    REQUIRE(copy->root() == f.root());
  }
  CHECK_FALSE(MerkleFrontier::from_hashes(3, {l[0]}));
}

TEST_CASE("inclusion proofs verify for every leaf and fail for the wrong leaf or root",
          "[audit][merkle]") {
  for (std::size_t n : {1u, 2u, 3u, 5u, 8u, 13u, 33u}) {
    const auto l = leaves(n);
    const Digest root = merkle_root(l);
    for (std::size_t i = 0; i < n; ++i) {
      const auto proof = merkle_inclusion_proof(l, i);
      REQUIRE(merkle_verify_inclusion(l[i], i, n, proof, root));
      if (n > 1) {
        REQUIRE_FALSE(merkle_verify_inclusion(l[(i + 1) % n], i, n, proof, root));
        REQUIRE_FALSE(merkle_verify_inclusion(l[i], i, n, proof, l[0]));
      }
    }
    REQUIRE_FALSE(merkle_verify_inclusion(l[0], n, n, {}, root));
  }
}
