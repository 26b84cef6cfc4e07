#include "portcullis/audit/proof.hpp"

#include "audit/json_tape.hpp"
#include "portcullis/audit/merkle.hpp"
#include "portcullis/audit/record.hpp"
#include "portcullis/audit/signer.hpp"
#include "portcullis/audit/verifier.hpp"

namespace portcullis::audit {

using nlohmann::json;

Result<json> build_inclusion_proof(const std::vector<std::filesystem::path>& files,
                                   std::uint64_t sequence) {
  if (sequence == 0) {
    return fail("sequence numbers start at 1");
  }
  ChainVerifier verifier(VerifyOptions{});
  // 32 bytes per record: the proof needs every leaf of the tree the checkpoint commits to.
  std::vector<Digest> leaves;
  json record_info;
  json checkpoint;
  verifier.set_record_observer([&](const ChainTip& tip, std::string_view line) {
    leaves.push_back(merkle_leaf_hash(tip.fingerprint));
    if (tip.sequence == sequence) {
      record_info = {{"uid", tip.uid}, {"fingerprint", to_hex(tip.fingerprint)}};
    }
    if (tip.last_kind == "checkpoint" && tip.sequence > sequence) {
      const json r = json::parse(line, nullptr, false);
      if (r.is_object()) {
        checkpoint = {{"sequence", tip.sequence},
                      {"uid", tip.uid},
                      {"time", r.value("time", std::int64_t{0})},
                      {"tree_size", r["unmapped"]["checkpoint"].value("tree_size", 0ull)},
                      {"root", r["unmapped"]["checkpoint"].value("root", "")}};
        for (const char* k : {"key_id", "algorithm", "signature"}) {
          if (r["unmapped"]["checkpoint"].contains(k)) {
            checkpoint[k] = r["unmapped"]["checkpoint"][k];
          }
        }
      }
    }
  });
  for (const auto& file : files) {
    std::uint64_t good_end = 0;
    auto fed = feed_file(verifier, file, good_end);
    if (!fed) {
      return tl::unexpected(fed.error());
    }
  }
  const VerifyReport report = verifier.finish();
  if (!report.intact()) {
    return fail("the log does not verify (" + report.problem->file + " line " +
                std::to_string(report.problem->line) + ": " + to_string(report.problem->kind) +
                ": " + report.problem->message + ")");
  }
  if (record_info.is_null()) {
    return fail("record " + std::to_string(sequence) + " is not in the given files");
  }
  if (checkpoint.is_null()) {
    return fail("no checkpoint after record " + std::to_string(sequence) +
                " yet: a proof needs a checkpoint that covers the record");
  }
  const std::uint64_t tree_size = checkpoint["tree_size"].get<std::uint64_t>();
  const std::span<const Digest> tree(leaves.data(), tree_size);
  json path = json::array();
  for (const auto& h : merkle_inclusion_proof(tree, sequence - 1)) {
    path.push_back(to_hex(h));
  }
  return json{{"chain_uid", report.chain_uid},
              {"sequence", sequence},
              {"uid", record_info["uid"]},
              {"fingerprint", record_info["fingerprint"]},
              {"leaf_index", sequence - 1},
              {"tree_size", tree_size},
              {"root", checkpoint["root"]},
              {"audit_path", std::move(path)},
              {"checkpoint", checkpoint}};
}

ProofCheck verify_inclusion_proof(const json& proof, const VerifyingKey* key,
                                  const std::optional<std::string>& record_line) {
  ProofCheck out;
  if (!proof.is_object()) {
    out.message = "the proof is not a JSON object";
    return out;
  }
  const auto fingerprint = digest_from_hex(proof.value("fingerprint", ""));
  const auto root = digest_from_hex(proof.value("root", ""));
  const auto index = proof.value("leaf_index", std::uint64_t{0});
  const auto tree_size = proof.value("tree_size", std::uint64_t{0});
  std::vector<Digest> path;
  bool path_ok = proof.contains("audit_path") && proof["audit_path"].is_array();
  if (path_ok) {
    for (const auto& h : proof["audit_path"]) {
      auto d = h.is_string() ? digest_from_hex(h.get<std::string>()) : std::nullopt;
      if (!d) {
        path_ok = false;
        break;
      }
      path.push_back(*d);
    }
  }
  if (!fingerprint || !root || !path_ok) {
    out.message = "the proof lacks fingerprint, root or audit_path";
    return out;
  }
  if (!merkle_verify_inclusion(merkle_leaf_hash(*fingerprint), index, tree_size, path, *root)) {
    out.message = "the audit path does not lead to the checkpoint root";
    return out;
  }
  if (record_line) {
    detail::JsonTape tape;
    std::string canonical;
    if (!tape.parse(*record_line)) {
      out.message = "the record is not JSON: " + tape.error();
      return out;
    }
    const auto fp_node = tape.member(tape.element(tape.member(0, "attestation_list"), 0),
                                     "fingerprint");
    if (!tape.write_canonical(canonical, fp_node) || sha256(canonical) != *fingerprint) {
      out.message = "the record's content is not the record the proof is for";
      return out;
    }
  }
  if (key != nullptr) {
    const json& cp = proof.value("checkpoint", json::object());
    const auto signature = base64_decode(cp.value("signature", ""));
    if (!signature || cp.value("key_id", "") != key->key_id()) {
      out.message = "the checkpoint is not signed by this key";
      return out;
    }
    const std::string payload = checkpoint_signing_payload(
        proof.value("chain_uid", ""), tree_size, proof.value("root", ""), cp.value("time", std::int64_t{0}));
    if (!key->verify(payload, *signature)) {
      out.message = "the checkpoint signature does not verify";
      return out;
    }
    out.signature_checked = true;
  }
  out.valid = true;
  out.message = "record " + std::to_string(index + 1) + " is included in the tree of size " +
                std::to_string(tree_size) + " with root " + proof.value("root", "");
  return out;
}

}  // namespace portcullis::audit
