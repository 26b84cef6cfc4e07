// FileAuditLog: the AuditLog implementation. Callers canonicalise their record on their own
// thread (make_*_record). Whoever holds the "writer token" (a flag under mutex_) owns the chain,
// the buffer and the file, so chain order = sequence order = file order:
//  - A caller that finds the token free takes it and seals + writes its record itself: one
//    write(2), no hand-off, no thread wake-up. A caller that finds it taken only queues its
//    record; the holder writes everything queued before it lets go (one write for all).
//  - Deferred records (outcome records, append_deferred) are only queued: they cost no write(2)
//    and no wake-up of their own. Whoever next writes the queue takes them along (an inline
//    writer, flush(), the writer thread); if nobody does, the writer thread writes and
//    fdatasyncs them sync_interval after the oldest was queued. The writer thread is woken only
//    by "urgent" records (decision and admin records appended with append(), or the queue after
//    a flush() that found the token taken), never by deferred ones.
//  - Batched mode, and outcome records in strict mode: the completion runs right after the
//    write. The writer thread fdatasyncs every sync_interval (without the token).
//  - Strict mode, decision and admin records ("gated": forwarding waits for them): after the
//    write, the record waits in awaiting_ for the writer thread, which fdatasyncs (without the
//    token, so callers keep writing the next group meanwhile: pipelined group commit), checks
//    the file still has a name, and only then runs the completions.
//  - The writer thread also owns checkpoints by time, rotation and recovery after a failure;
//    only it ever replaces the file, and records go to it while the log is failing.
// Private to the audit module.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "audit/log_directory.hpp"
#include "audit/spare_file.hpp"
#include "portcullis/audit/audit_log.hpp"
#include "portcullis/audit/merkle.hpp"
#include "portcullis/audit/record.hpp"
#include "portcullis/audit/redaction.hpp"
#include "portcullis/audit/signer.hpp"

namespace portcullis::audit::detail {

class FileAuditLog final : public AuditLog {
 public:
  static Result<std::unique_ptr<AuditLog>> open(const AuditLogOptions& options);
  ~FileAuditLog() override;
  FileAuditLog(const FileAuditLog&) = delete;
  FileAuditLog& operator=(const FileAuditLog&) = delete;

  void append(const DecisionEvent& event, AppendCompletion done) override;
  void append(const OutcomeEvent& event, AppendCompletion done) override;
  void append(const AdminEvent& event, AppendCompletion done) override;
  void append_deferred(const DecisionEvent& event, AppendCompletion done) override;
  void flush() override;
  [[nodiscard]] bool healthy() const override { return healthy_.load(); }
  [[nodiscard]] std::string last_error() const override;
  [[nodiscard]] AuditLogStats stats() const override;
  void close() override;

 private:
  struct Pending {
    RecordTemplate record;
    AppendCompletion done;
    // Forwarding waits for this record (decision, admin): a removed file must be noticed
    // before its completion, and in strict mode it is fdatasynced first. Outcome records are not
    // gated (DESIGN.md: they may be written in batched mode).
    bool gated = true;
  };
  // A strict-mode gated record that is written and waits for the next fdatasync.
  struct Awaiting {
    AppendCompletion done;
    AppendReceipt receipt;
  };
  // Everything that must roll back when a write fails.
  struct ChainState {
    std::uint64_t sequence = 0;
    std::optional<ChainLink> last;
    MerkleFrontier tree;
    std::uint64_t records_since_checkpoint = 0;
  };
  // Where a strict group starts: if its fdatasync fails, the chain and the file go back here
  // (the records from there on are refused and cut by recover()).
  struct GroupStart {
    ChainState state;
    std::uint64_t file_size = 0;
  };

  FileAuditLog(AuditLogOptions options, DirectoryLock lock);
  Result<void> start(std::chrono::system_clock::time_point now);
  // `deferred`: queue only (see the top of this file); else write now unless someone is writing.
  void enqueue(RecordTemplate record, AppendCompletion done, bool deferred);
  // Lock held, urgent records queued: writes the queue on this thread if the token is free and
  // the log healthy, else leaves it to the token holder or wakes the writer thread.
  void write_queue_now(std::unique_lock<std::mutex>& lock);
  // Lock held: `queue_` is being taken whole by a writer.
  void queue_taken();
  // Called with mutex_ held (lock) and the token taken: writes the queue inline until it is
  // empty (or the log fails: recovery is the writer thread's), then gives the token back and
  // wakes the writer thread if, and only if, it has something to do.
  void drain_inline(std::unique_lock<std::mutex>& lock);
  void run();
  // Writer thread, lock held, awaiting_ not empty: waits for the group to fill (as many records
  // as the last group had) until `fill_by` (or for group_patience() when not set), then syncs
  // and completes it.
  void group_commit(std::unique_lock<std::mutex>& lock,
                    std::optional<std::chrono::steady_clock::time_point> fill_by);
  // How long a group may take to fill: about one fdatasync (see group_commit).
  std::chrono::steady_clock::duration group_patience() const;
  // fdatasync + "still has a name" check, then completes (or fails) `group`. Writer thread;
  // takes the token to mark the log failed unless `token_held`.
  void sync_group(std::vector<Awaiting>& group, bool token_held);
  // Token held, writer thread, before fd_ is closed or replaced: settles what waits on it.
  void settle_awaiting();
  void take_token(std::unique_lock<std::mutex>& lock);  // writer thread; lock held
  // Token held: seals and writes `batch` in one write(2), then completes its records (strict
  // gated ones are handed to awaiting_). `on_writer_thread`: may rotate (which fdatasyncs, so
  // never on a caller's thread).
  void write_batch(std::vector<Pending>& batch, bool on_writer_thread);
  // The periodic fdatasync of records nobody waits for (batched mode; outcome records in strict
  // mode), run by the writer thread without the token.
  void periodic_sync();
  // Seals `record` onto the chain (state_) and appends its line to buffer_.
  AppendReceipt add_record(const RecordTemplate& record);
  Result<void> add_checkpoint(const char* reason, const std::string& next_file = {});
  // Writes buffer_ (and fdatasyncs when `sync`; checks that the file still has a name when
  // `check_removed`); on failure rolls the chain back (recover() cuts the file back).
  Result<void> flush(bool sync, const ChainState& before, bool check_removed = true);
  Result<void> rotate(std::chrono::system_clock::time_point now);
  // Token held: opens `name` as the current file (a ready spare renamed to it, else a new file)
  // and fsyncs the directory; on failure fd_ is left as it was.
  Result<void> open_next_file(const std::string& name);
  void close_unsynced_next_file();
  // An opened file for the next log file and the NUL bytes it holds ahead of its data.
  struct NewFile {
    int fd = -1;
    std::uint64_t zeroed_end = 0;
  };
  // Token held: the ready spare renamed to `path` and opened, if there is one (else nothing
  // happens and the caller creates the file).
  std::optional<NewFile> install_ready_spare(const std::filesystem::path& path);
  // Token held: the current file has no zeros left ahead of its data and a spare is ready (e.g.
  // after a restart, which continues the newest file by appending): rotate into it early.
  [[nodiscard]] bool spare_rotation_due() const;
  // Token held, before a file is closed: cuts off the NUL bytes after the data and fdatasyncs
  // the size, so only the active file of a running (or crashed) writer ever has such a tail.
  void cut_unwritten_tail();
  void apply_retention();
  Result<void> recover();  // after a failure: reopen/cut/new file, then a recovery record
  void mark_failed(const std::string& why);
  void housekeeping(bool stopping);
  std::chrono::steady_clock::time_point next_deadline() const;
  void fail_all(std::vector<Pending>& batch, const std::string& why);
  std::int64_t now_ms() const;

  const AuditLogOptions options_;
  DirectoryLock lock_;
  Redactor redactor_;
  RecordContext context_;
  std::optional<SigningKey> signer_;
  std::string chain_uid_;

  // The token holder's state (fd_, file_ and last_sync_ change only on the writer thread, so
  // it may also read them without the token).
  int fd_ = -1;
  std::filesystem::path file_;
  std::uint64_t file_size_ = 0;   // bytes of complete, written records
  // The file's length on disk when it was started from a spare: [file_size_, zeroed_end_) are
  // NUL bytes already on disk; == file_size_ or less when there are none (token holder's state).
  std::uint64_t zeroed_end_ = 0;
  // The last spare could not be installed (e.g. no RENAME_NOREPLACE on this file system): no
  // early rotation into the next one, which would fail the same way at every ready spare and
  // start a new file each time. Rotations by size or age still try; a success clears it (token
  // holder's state).
  bool spare_install_failed_ = false;
  std::chrono::steady_clock::time_point file_started_;
  std::chrono::steady_clock::time_point last_sync_;
  std::chrono::steady_clock::time_point last_checkpoint_;
  std::chrono::steady_clock::time_point last_retry_;
  // Written records not yet fdatasynced. Set by token holders, cleared by the writer thread's
  // sync (which runs without the token in batched mode).
  std::atomic<bool> unsynced_{false};
  bool first_unsynced_write_ = false;  // token holder: this write made the file unsynced
  ChainState state_;
  ChainState rollback_;           // write_batch: state_ before the batch
  std::vector<Pending> batch_;    // the records being written (swapped with queue_)
  std::vector<AppendReceipt> receipts_;
  std::string buffer_;
  Sha256 hasher_;
  std::string failure_;           // why the log is failing ("" when healthy)
  std::string pending_next_file_; // named by a rotation checkpoint but not opened yet
  // pending_next_file_, created (or a spare renamed to it) by a try whose directory fsync failed:
  // the next try syncs the directory again instead of failing on the existing name.
  std::optional<NewFile> unsynced_next_file_;

  mutable std::mutex error_mutex_;
  std::string last_error_;        // guarded by error_mutex_
  std::atomic<std::uint64_t> appended_{0};
  std::atomic<std::uint64_t> failed_{0};
  std::atomic<std::uint64_t> batches_{0};
  std::atomic<std::uint64_t> syncs_{0};
  std::atomic<std::uint64_t> sync_micros_{0};
  std::atomic<std::uint64_t> checkpoints_{0};
  std::atomic<std::uint64_t> recoveries_{0};
  std::atomic<std::uint64_t> rotations_{0};
  std::atomic<std::uint64_t> preallocated_files_{0};

  std::atomic<bool> healthy_{false};
  std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<Pending> queue_;    // guarded by mutex_
  // How many records of queue_ must be written without waiting (guarded by mutex_): deferred
  // records do not count, so they never wake the writer thread.
  std::size_t queued_urgent_ = 0;
  // When the oldest deferred record of queue_ was queued (guarded by mutex_): the writer thread
  // writes and fdatasyncs the queue sync_interval after it at the latest.
  std::optional<std::chrono::steady_clock::time_point> deferred_since_;
  // The writer thread sleeps in its main wait until this time (guarded by mutex_; only
  // meaningful while idle_wait_): a deferred record due earlier moves it (deadline_moved_).
  std::chrono::steady_clock::time_point sleeping_until_;
  bool idle_wait_ = false;        // guarded by mutex_
  bool deadline_moved_ = false;   // guarded by mutex_
  std::vector<Awaiting> awaiting_;  // written, waiting for fdatasync (guarded by mutex_)
  std::optional<GroupStart> awaiting_start_;  // where awaiting_'s group starts (mutex_)
  std::size_t wake_at_awaiting_ = 1;  // wake the writer thread at this many (guarded by mutex_)
  bool writing_ = false;          // the writer token (guarded by mutex_)
  bool writer_waiting_ = false;   // the writer thread sleeps on wake_ (guarded by mutex_)
  bool writer_wants_token_ = false;  // ... and waits for the token (guarded by mutex_)
  bool rotate_due_ = false;       // an inline write filled the file (guarded by mutex_)
  bool reschedule_ = false;       // the file became unsynced: plan a sync (guarded by mutex_)
  std::chrono::steady_clock::time_point deadline_;  // writer thread only (written under mutex_)
  std::vector<Awaiting> group_;          // writer thread only: the group being synced
  std::optional<GroupStart> group_start_;  // writer thread only
  std::size_t last_group_size_ = 1;      // writer thread only
  std::chrono::steady_clock::duration last_sync_duration_{};  // writer thread only
  bool stopping_ = false;         // guarded by mutex_
  bool closed_ = false;           // guarded by mutex_
  std::thread writer_;
  // Last: its thread calls back into mutex_ and wake_ (a spare is ready), so it is destroyed
  // first. Set before the writer thread starts; close() stops it, but it lives until the log is
  // destroyed, so stats() can read it from any thread.
  std::unique_ptr<SpareFile> spare_;  // options_.preallocate
};

}  // namespace portcullis::audit::detail
