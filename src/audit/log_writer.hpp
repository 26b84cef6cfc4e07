// FileAuditLog: the AuditLog implementation. Callers canonicalise their record on their own
// thread (make_*_record) and queue it; one writer thread seals records into the chain, writes
// everything that queued up while the previous write/fdatasync ran in one write (group
// commit), then runs the completions. Private to the audit module.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "audit/log_directory.hpp"
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

  void append(DecisionEvent event, AppendCompletion done) override;
  void append(OutcomeEvent event, AppendCompletion done) override;
  void append(AdminEvent event, AppendCompletion done) override;
  [[nodiscard]] bool healthy() const override { return healthy_.load(); }
  [[nodiscard]] std::string last_error() const override;
  [[nodiscard]] AuditLogStats stats() const override;
  void close() override;

 private:
  struct Pending {
    RecordTemplate record;
    AppendCompletion done;
  };
  // Everything that must roll back when a write fails.
  struct ChainState {
    std::uint64_t sequence = 0;
    std::optional<ChainLink> last;
    MerkleFrontier tree;
    std::uint64_t records_since_checkpoint = 0;
  };

  FileAuditLog(AuditLogOptions options, DirectoryLock lock);
  Result<void> start(std::chrono::system_clock::time_point now);
  void enqueue(RecordTemplate record, AppendCompletion done);
  void run();
  void write_batch(std::vector<Pending>& batch);
  // Seals `record` onto the chain (state_) and appends its line to buffer_.
  AppendReceipt add_record(const RecordTemplate& record);
  Result<void> add_checkpoint(const char* reason, const std::string& next_file = {});
  // Writes buffer_ (and fdatasyncs when `sync`); on failure rolls the chain and file back.
  Result<void> flush(bool sync, const ChainState& before);
  Result<void> sync_now();
  Result<void> rotate(std::chrono::system_clock::time_point now);
  Result<void> open_next_file(const std::string& name);
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

  // Writer-thread state.
  int fd_ = -1;
  std::filesystem::path file_;
  std::uint64_t file_size_ = 0;   // bytes of complete, written records
  std::chrono::steady_clock::time_point file_started_;
  std::chrono::steady_clock::time_point last_sync_;
  std::chrono::steady_clock::time_point last_checkpoint_;
  std::chrono::steady_clock::time_point last_retry_;
  bool unsynced_ = false;
  ChainState state_;
  std::string buffer_;
  std::string line_;
  Sha256 hasher_;
  std::string failure_;           // why the log is failing ("" when healthy)
  std::string pending_next_file_; // named by a rotation checkpoint but not created yet

  mutable std::mutex error_mutex_;
  std::string last_error_;        // guarded by error_mutex_
  std::atomic<std::uint64_t> appended_{0};
  std::atomic<std::uint64_t> failed_{0};
  std::atomic<std::uint64_t> batches_{0};
  std::atomic<std::uint64_t> checkpoints_{0};
  std::atomic<std::uint64_t> recoveries_{0};
  std::atomic<std::uint64_t> rotations_{0};

  std::atomic<bool> healthy_{false};
  std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<Pending> queue_;    // guarded by mutex_
  bool stopping_ = false;         // guarded by mutex_
  bool closed_ = false;           // guarded by mutex_
  std::thread writer_;
};

}  // namespace portcullis::audit::detail
