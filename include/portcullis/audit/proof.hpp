// RFC 9162-style inclusion proofs: that record N is in the Merkle tree a signed checkpoint
// commits to, checkable offline by someone holding only the proof (and the public key).
#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "portcullis/common/result.hpp"

namespace portcullis::audit {

class VerifyingKey;

// Reads the log (the whole chain, from its first record) and returns the inclusion proof of
// record `sequence` against the latest checkpoint that covers it:
// {"chain_uid", "sequence", "uid", "fingerprint", "leaf_index", "tree_size", "root",
//  "audit_path": [hex...], "checkpoint": {"sequence", "uid", "time", "key_id", "algorithm",
//  "signature"}}. Fails when the log does not verify or no checkpoint covers the record yet.
Result<nlohmann::json> build_inclusion_proof(const std::vector<std::filesystem::path>& files,
                                             std::uint64_t sequence);

struct ProofCheck {
  bool valid = false;
  bool signature_checked = false;
  std::string message;
};

// Checks a proof: the audit path leads from the record's leaf to the root; with `key`, the
// checkpoint signature over {chain_uid, root, time, tree_size}; with `record_line`, that the
// record's own fingerprint is the one proven.
ProofCheck verify_inclusion_proof(const nlohmann::json& proof, const VerifyingKey* key,
                                  const std::optional<std::string>& record_line);

}  // namespace portcullis::audit
