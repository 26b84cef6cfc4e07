// OCSF 1.9 API Activity records (class 6003) built from the gateway's events, canonicalised
// (JCS) on the caller's thread with two holes the writer fills: `attestation_list` (the chain)
// and `metadata.sequence`. See docs/audit.md for every field.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "portcullis/audit/digest.hpp"
#include "portcullis/audit/event.hpp"

namespace portcullis::audit {

class Redactor;

// `unmapped.kind` of a record.
enum class RecordKind { Decision, Outcome, Admin, Checkpoint, Recovery };
const char* to_string(RecordKind kind);

inline constexpr const char* kOcsfVersion = "1.9.0-dev";
inline constexpr int kClassUid = 6003;
inline constexpr int kCategoryUid = 6;
inline constexpr int kActivityOther = 99;
inline constexpr int kFingerprintAlgorithmSha256 = 3;  // OCSF fingerprint.algorithm_id
inline constexpr int kSerializationJcs = 2;            // OCSF fingerprint.serialization_id

// Constants of one log, shared by every record it writes.
struct RecordContext {
  std::string product_version;
  std::string log_name = "portcullis";
  std::string hostname;                  // src_endpoint.hostname of the log's own records
  const Redactor* redactor = nullptr;    // may be null: no redaction
};

// A record in canonical form except for the two fields only the writer knows.
struct RecordTemplate {
  RecordKind kind = RecordKind::Decision;
  std::string uid;                 // metadata.uid
  std::string text;                // JCS with the holes below left out
  std::size_t attestation_at = 0;  // where the attestation_list value goes
  std::size_t sequence_at = 0;     // where the metadata.sequence value goes (> attestation_at)
};

// A fresh record uid (UUID version 4 text).
std::string new_record_uid();

RecordTemplate make_decision_record(const DecisionEvent& event, const RecordContext& ctx);
RecordTemplate make_outcome_record(const OutcomeEvent& event, const RecordContext& ctx);
RecordTemplate make_admin_record(const AdminEvent& event, const RecordContext& ctx);
// The log's own records: `details` becomes unmapped.checkpoint / unmapped.recovery.
RecordTemplate make_checkpoint_record(std::int64_t time_ms, const nlohmann::json& checkpoint,
                                      const RecordContext& ctx);
RecordTemplate make_recovery_record(std::int64_t time_ms, const nlohmann::json& recovery,
                                    const RecordContext& ctx);

// The previous record a new one chains to.
struct ChainLink {
  std::uint64_t sequence = 0;
  std::string uid;
  Digest fingerprint{};
};

// Fills the holes: writes the finished line (with '\n') to `line` and returns the record's
// fingerprint = SHA-256(JCS(record without attestation_list[0].fingerprint)). `prev` is empty
// only for the first record of a chain. `hasher` is reused between calls.
Digest seal_record(const RecordTemplate& tmpl, std::string_view chain_uid,
                   const std::optional<ChainLink>& prev, std::uint64_t sequence, Sha256& hasher,
                   std::string& line);
// The same, appending the line to `out` (e.g. straight into a write buffer, saving a copy of
// the record) instead of replacing its content.
Digest append_sealed_record(const RecordTemplate& tmpl, std::string_view chain_uid,
                            const std::optional<ChainLink>& prev, std::uint64_t sequence,
                            Sha256& hasher, std::string& out);

// The bytes a checkpoint signature covers: JCS of {chain_uid, root, time, tree_size}.
std::string checkpoint_signing_payload(std::string_view chain_uid, std::uint64_t tree_size,
                                       std::string_view root_hex, std::int64_t time_ms);

}  // namespace portcullis::audit
