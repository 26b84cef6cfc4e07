// AuditLog: the hash-chained, durable audit log the gateway appends to from its I/O threads.
//
// Implemented by src/audit/log_writer.cpp; records are described in docs/audit.md.
//
// Threading: append() may be called from any thread and never waits for the disk to sync. A
// decision or admin record that only has to be written (batched mode) is chained and written by
// the calling thread itself when no other thread is writing (one write(2), no hand-off); records
// that must be fdatasynced first go to one dedicated writer thread with group commit. Outcome
// records, and decisions appended with append_deferred(), are queued instead and written with
// the next write of the log (see append_deferred). The completion runs once the record is
// durable in the configured mode (or could not be written) — inline in append() or flush(), on
// another appending thread, or on the writer thread; it must not block and must not assume
// which — post back to your own strand/executor.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "portcullis/audit/event.hpp"
#include "portcullis/common/result.hpp"

namespace portcullis::audit {

enum class DurabilityMode {
  Strict,   // the completion runs only after fdatasync of the record
  Batched,  // the completion runs once the record is written; fdatasync every sync_interval
};

// One field rule: a JSON-pointer-like dotted path into the Cedar request context
// (e.g. "input.password", "input.card.number"), dropped or replaced by its HMAC.
struct RedactionRule {
  enum class Action { Drop, Hmac };
  std::string path;
  Action action = Action::Drop;
};

struct AuditLogOptions {
  std::filesystem::path dir;                            // audit-YYYYMMDD-HHMMSS.jsonl files
  DurabilityMode mode = DurabilityMode::Strict;
  std::chrono::milliseconds sync_interval{10};          // batched mode
  std::uint64_t rotate_bytes = 256ull * 1024 * 1024;    // rotate when a file reaches this
  std::chrono::seconds rotate_interval{24 * 3600};      // ... or is this old
  // Start each new file over NUL bytes already written and synced (a spare file of rotate_bytes
  // that a background thread prepares while the current file fills): an fdatasync then has no
  // file size or block allocation to commit, which on ext4 makes strict group commits ~1.5x as
  // frequent. Costs up to one more rotate_bytes of disk, and as many disk writes again (the
  // zeros) as the log itself. docs/audit.md, "Preallocation".
  bool preallocate = false;
  std::uint32_t retention_files = 0;                    // 0 = keep every rotated file
  std::uint64_t checkpoint_every_records = 1000;        // checkpoint record cadence
  std::chrono::seconds checkpoint_interval{60};
  std::filesystem::path signing_key;                    // Ed25519 PKCS#8 PEM; empty = no checkpoints signatures
  std::vector<RedactionRule> redaction;
  std::string hmac_key;                                 // raw key bytes for Hmac rules
  std::string product_version;                          // metadata.product.version
  std::string log_name = "portcullis";                  // metadata.log_name
  // While the log is failing (disk full, file removed), how often the writer retries on its own
  // even when no append arrives (so healthy() turns true again without traffic).
  std::chrono::milliseconds retry_interval{1000};
};

// What the caller learns about its record once it is durable.
struct AppendReceipt {
  std::uint64_t sequence = 0;  // metadata.sequence
  std::string uid;             // metadata.uid (the decision record's uid is the answer's audit_uid)
};

using AppendCompletion = std::function<void(Result<AppendReceipt>)>;

// Counters for metrics (audit.*); read from any thread.
struct AuditLogStats {
  std::uint64_t appended = 0;     // records made durable for callers
  std::uint64_t failed = 0;       // appends that failed (the gateway refused those requests)
  std::uint64_t batches = 0;      // write calls (each carries every record queued meanwhile)
  std::uint64_t syncs = 0;        // fdatasync calls (strict group commits, periodic syncs)
  std::uint64_t sync_micros = 0;  // time spent in the writer thread's fdatasync calls, in µs
  std::uint64_t checkpoints = 0;  // checkpoint records written
  std::uint64_t recoveries = 0;   // recovery records written (start-up and after failures)
  std::uint64_t rotations = 0;
  std::uint64_t preallocated_files = 0;  // files started over a spare of zeros (preallocate)
  bool spare_ready = false;  // preallocate: the next file's spare is written and synced
  std::uint64_t spare_failures = 0;  // preallocate: spares that could not be made (disk full)
};

class AuditLog {
 public:
  virtual ~AuditLog() = default;

  // Opens (or creates) the log in options.dir: takes the directory's exclusive lock, recovers a
  // torn tail (appending a recovery record), and resumes the chain and sequence.
  static Result<std::unique_ptr<AuditLog>> open(const AuditLogOptions& options);

  // Appends; `done` runs (see Threading above) when the record is durable or failed. A failed
  // append (disk full, I/O error, file removed) reports an Error and the log keeps trying to
  // recover for later appends. The record is built and canonicalised on the calling thread
  // (redaction included), so the writer thread only chains, writes and syncs. After close(),
  // `done` runs inline on the calling thread with an Error.
  //
  // Outcome records never cost a write(2) of their own (DESIGN.md: they may be batched): they
  // are queued and go to the file with the next write (the next decision, from any thread), or
  // the writer thread writes and fdatasyncs them sync_interval after they were queued at the
  // latest. Until then they are only in memory: a process crash can lose the outcome records of
  // the last sync_interval (docs/audit.md, "Durability modes").
  virtual void append(const DecisionEvent& event, AppendCompletion done) = 0;
  virtual void append(const OutcomeEvent& event, AppendCompletion done) = 0;
  virtual void append(const AdminEvent& event, AppendCompletion done) = 0;

  // For callers that append several records in a row (the gateway's I/O threads, one event-loop
  // turn): the record is built and queued like append()'s, but not written yet. Every queued
  // record is written, in the order appended and in one write(2) with one "still has a name"
  // check, by the next flush(), by the next append() of a decision or admin record on any thread,
  // or — a safety net, not a schedule — by the writer thread sync_interval after it was queued.
  // `done` runs exactly as for append(): only after the record is written (batched) or
  // fdatasynced (strict), or with an Error when it could not be (then every record of that write
  // fails). Call flush() once the burst is over.
  // The default writes at once (an implementation without a queue: append()).
  virtual void append_deferred(const DecisionEvent& event, AppendCompletion done) {
    append(event, std::move(done));
  }
  // Writes every queued record now: on the calling thread when no other thread is writing (the
  // completions of batched-mode records then run inside flush()), else the thread that is
  // writing takes them along. Cheap when nothing is queued.
  virtual void flush() {}

  // True when the last write succeeded (for /readyz).
  [[nodiscard]] virtual bool healthy() const = 0;
  // Why the log is failing ("" when healthy), for logs and /readyz.
  [[nodiscard]] virtual std::string last_error() const = 0;
  [[nodiscard]] virtual AuditLogStats stats() const = 0;
  // Writes a final checkpoint and stops the writer thread; later appends fail.
  virtual void close() = 0;
};

}  // namespace portcullis::audit
