// StateRebuilder: replays audit records at start-up so a restart neither lifts a quarantine nor
// sheds the labels and session tools that earlier allowed calls attached.
//
// Records are taken as parsed JSON (one OCSF API Activity object per JSONL line, as the audit
// module's record builder writes them, src/audit/record_builder.cpp), in log order, so any
// scanner can feed them. What is read:
//  - admin records (unmapped.kind "admin"): unmapped.admin.action "quarantine" /
//    "unquarantine" with unmapped.admin.agent, .reason, .operator and the record's `time`,
//    applied in order to the QuarantineList ("reload" records are skipped);
//  - allowed decision records (unmapped.kind "decision", disposition_id 1): unmapped.labels,
//    the agent (ai_agent.uid), the MCP session (ai_agent.instance_uid) and, for a resource of
//    type "Tool" whose uid is "<unmapped.route>/<tool>", the tool name, replayed into
//    SessionState with the record's time, so label_ttl and session_idle_ttl run from the
//    original call; a dry-run record (unmapped.dry_run) of a call the policies denied (it has
//    a deny `message`) is skipped, since the gateway attaches nothing for such a call live;
//  - anything else (blocked decisions, outcome, checkpoint, recovery records) is skipped and
//    counted; a decision/admin record whose fields have the wrong shape is counted as malformed.
// Tests feed records built by the audit module's own builder.
//
// Threading: a rebuilder is used by one thread (start-up, before the listeners open); the
// QuarantineList and SessionState it fills are thread-safe as usual.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>

#include "portcullis/admin/quarantine_list.hpp"
#include "portcullis/admin/session_state.hpp"
#include "portcullis/common/result.hpp"

namespace portcullis::admin {

struct RebuildStats {
  std::uint64_t records = 0;          // every record fed
  std::uint64_t quarantines = 0;      // quarantine records applied
  std::uint64_t lifts = 0;            // unquarantine records applied
  std::uint64_t allowed_decisions = 0;  // allowed decision records replayed into SessionState
  std::uint64_t skipped = 0;          // records of other kinds
  std::uint64_t expired = 0;          // allowed decisions too old to matter any more
  std::uint64_t malformed = 0;        // decision/admin records whose fields had the wrong shape
  // Quarantines the list refused (full): rebuild_from_audit fails when this is not 0, since
  // coming up with a quarantine silently lifted is the one thing a restart must not do.
  std::uint64_t unrestored_quarantines = 0;
};

class StateRebuilder {
 public:
  // `quarantine` and `sessions` must outlive the rebuilder. `now` decides what already expired.
  StateRebuilder(QuarantineList& quarantine, SessionState& sessions, WallTime now);

  // One record, in log order. Never throws; a record it cannot read is counted, not fatal.
  void feed(const nlohmann::json& record);

  [[nodiscard]] const RebuildStats& stats() const { return stats_; }

 private:
  void feed_admin(const nlohmann::json& admin, std::int64_t time_ms);
  void feed_decision(const nlohmann::json& record, std::int64_t time_ms);

  QuarantineList& quarantine_;
  SessionState& sessions_;
  WallTime now_;
  RebuildStats stats_;
};

// Drives a scanner: `scan` calls its argument once per record in log order and returns an error
// if the log cannot be read (then nothing partial is trusted by the caller: the gateway should
// refuse to start rather than come up with quarantines lifted).
using RecordVisitor = std::function<void(const nlohmann::json& record)>;
using RecordScanner = std::function<Result<void>(const RecordVisitor& visit)>;

[[nodiscard]] Result<RebuildStats> rebuild_from_audit(const RecordScanner& scan,
                                                      QuarantineList& quarantine,
                                                      SessionState& sessions, WallTime now);

}  // namespace portcullis::admin
