#include "audit/log_writer.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <utility>

#include "audit/log_recovery.hpp"
#include "portcullis/audit/file_data.hpp"
#include "portcullis/audit/verifier.hpp"

namespace portcullis::audit {

Result<std::unique_ptr<AuditLog>> AuditLog::open(const AuditLogOptions& options) {
  return detail::FileAuditLog::open(options);
}

namespace detail {

using nlohmann::json;
using SteadyClock = std::chrono::steady_clock;

namespace {
std::string local_hostname() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) {
    return {};
  }
  return buf;
}
}  // namespace

FileAuditLog::FileAuditLog(AuditLogOptions options, DirectoryLock lock)
    : options_(std::move(options)),
      lock_(std::move(lock)),
      redactor_(options_.redaction, options_.hmac_key) {
  context_.product_version = options_.product_version;
  context_.log_name = options_.log_name;
  context_.hostname = local_hostname();
  context_.redactor = &redactor_;
  buffer_.reserve(1 << 20);
}

FileAuditLog::~FileAuditLog() {
  close();
  if (fd_ >= 0) {
    ::close(fd_);
  }
  close_unsynced_next_file();
}

void FileAuditLog::close_unsynced_next_file() {
  if (unsynced_next_file_) {
    ::close(unsynced_next_file_->fd);
    unsynced_next_file_.reset();
  }
}

Result<std::unique_ptr<AuditLog>> FileAuditLog::open(const AuditLogOptions& options) {
  if (options.dir.empty()) {
    return fail("audit: no log directory configured");
  }
  std::error_code ec;
  std::filesystem::create_directories(options.dir, ec);
  if (ec) {
    return fail("audit: cannot create " + options.dir.string() + ": " + ec.message());
  }
  auto lock = DirectoryLock::acquire(options.dir);
  if (!lock) {
    return fail("audit: " + lock.error().message);
  }
  std::unique_ptr<FileAuditLog> log(new FileAuditLog(options, std::move(*lock)));
  if (!options.signing_key.empty()) {
    auto key = SigningKey::load(options.signing_key);
    if (!key) {
      return fail("audit: signing key: " + key.error().message);
    }
    log->signer_ = std::move(*key);
  }
  if (auto started = log->start(std::chrono::system_clock::now()); !started) {
    return fail("audit: " + started.error().message);
  }
  if (options.preallocate) {
    // Ready spares wake the writer thread: it rotates early into one when its file has no zeros
    // left (spare_rotation_due), as after a restart.
    const auto wake_writer = [raw = log.get()] {
      {
        std::lock_guard guard(raw->mutex_);
        raw->rotate_due_ = true;
      }
      raw->wake_.notify_all();
    };
    log->spare_ = std::make_unique<SpareFile>(options.dir, options.rotate_bytes, wake_writer);
  }
  log->healthy_ = true;
  const auto now = SteadyClock::now();
  log->last_sync_ = now;
  log->last_checkpoint_ = now;
  log->writer_ = std::thread([raw = log.get()] { raw->run(); });
  return std::unique_ptr<AuditLog>(std::move(log));
}

Result<void> FileAuditLog::start(std::chrono::system_clock::time_point now) {
  auto files = list_log_files(options_.dir);
  if (!files) {
    return tl::unexpected(files.error());
  }
  std::optional<RecoveredLog> recovered;
  if (!files->empty()) {
    auto r = recover_log(*files);
    if (!r) {
      return tl::unexpected(r.error());
    }
    recovered = std::move(*r);
  }
  // What recovery reports as cut: a torn record, never the NUL tail a preallocating writer left
  // (log_recovery.hpp); both go from the file.
  const std::uint64_t cut = recovered ? recovered->torn_bytes() : 0;
  if (recovered) {
    // Cut a torn tail before anything else is written after it.
    auto fd = open_log_file(recovered->last_file);
    if (!fd) {
      return tl::unexpected(fd.error());
    }
    fd_ = *fd;
    file_ = recovered->last_file;
    if (recovered->file_size > recovered->good_end &&
        (::ftruncate(fd_, static_cast<off_t>(recovered->good_end)) != 0 ||
         ::fdatasync(fd_) != 0)) {
      return fail(errno_message("cannot cut the torn tail of " + file_.string(), errno));
    }
    file_size_ = recovered->good_end;
    file_started_ = SteadyClock::now();
  }
  if (!recovered || !recovered->tip.started) {
    // A new chain. Its first record is a checkpoint of the empty tree with no prev_event: the
    // documented way a chain says "I start here".
    chain_uid_ = new_record_uid();
    if (fd_ < 0) {
      if (auto opened = open_next_file(next_log_file_name(now, "")); !opened) {
        return opened;
      }
    }
    const ChainState before = state_;
    buffer_.clear();
    if (auto cp = add_checkpoint("start"); !cp) {
      return cp;
    }
    return flush(true, before);
  }
  const ChainTip& tip = recovered->tip;
  chain_uid_ = tip.chain_uid;
  state_.sequence = tip.sequence;
  state_.last = ChainLink{tip.sequence, tip.uid, tip.fingerprint};
  state_.tree = tip.tree;
  state_.records_since_checkpoint = tip.records_since_checkpoint;
  if (!tip.next_file.empty()) {
    // The newest file ends with a rotation checkpoint: continue in the file it names.
    ::close(fd_);
    fd_ = -1;
    std::error_code ec;
    if (std::filesystem::exists(options_.dir / tip.next_file, ec)) {
      return fail("the rotation checkpoint names " + tip.next_file +
                  ", which exists but was not read as the newest file");
    }
    if (auto opened = open_next_file(tip.next_file); !opened) {
      return opened;
    }
  }
  const bool clean = tip.last_kind == "checkpoint" &&
                     (tip.last_checkpoint_reason == "close" ||
                      tip.last_checkpoint_reason == "start") &&
                     cut == 0;
  if (clean) {
    return {};
  }
  json recovery = {{"reason", cut > 0 ? "torn tail cut" : "unclean shutdown"},
                   {"cut_bytes", cut},
                   {"last_good_sequence", tip.sequence},
                   {"file", recovered->last_file.filename().string()},
                   {"detail", recovered->torn_reason}};
  const ChainState before = state_;
  buffer_.clear();
  add_record(make_recovery_record(now_ms(), recovery, context_));
  if (auto flushed = flush(true, before); !flushed) {
    return flushed;
  }
  ++recoveries_;
  return {};
}

std::int64_t FileAuditLog::now_ms() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void FileAuditLog::enqueue(RecordTemplate record, AppendCompletion done, bool deferred) {
  const bool gated = record.kind != RecordKind::Outcome;
  std::unique_lock lock(mutex_);
  if (stopping_) {
    lock.unlock();
    ++failed_;
    done(fail("audit log is closed"));
    return;
  }
  queue_.push_back(Pending{std::move(record), std::move(done), gated});
  if (deferred) {
    if (deferred_since_) {
      return;  // the writer thread already plans for the oldest one
    }
    const auto now = SteadyClock::now();
    deferred_since_ = now;
    // The writer thread must write it by now + sync_interval if nobody else does. It wakes by
    // then anyway unless it sleeps longer (nothing written is waiting for a sync): only then is
    // it woken, to move its deadline — at most once per sync_interval, not once per record.
    const bool wake = idle_wait_ && !deadline_moved_ && now + options_.sync_interval < sleeping_until_;
    deadline_moved_ = deadline_moved_ || wake;
    lock.unlock();
    if (wake) {
      wake_.notify_one();
    }
    return;
  }
  ++queued_urgent_;
  write_queue_now(lock);
}

void FileAuditLog::write_queue_now(std::unique_lock<std::mutex>& lock) {
  if (writing_) {
    return;  // the token holder writes the queue (or wakes the writer thread) before letting go
  }
  if (!healthy_ || rotate_due_) {
    // Recovery and rotation (and every record until they are done) are the writer thread's.
    const bool wake = writer_waiting_;
    lock.unlock();
    if (wake) {
      wake_.notify_one();
    }
    return;
  }
  writing_ = true;
  drain_inline(lock);
}

void FileAuditLog::queue_taken() {
  queued_urgent_ = 0;
  deferred_since_.reset();
}

void FileAuditLog::flush() {
  std::unique_lock lock(mutex_);
  if (queue_.empty()) {
    return;
  }
  // From now on the queue is urgent: whoever holds the token (or the writer thread, when the log
  // is failing or rotating) writes it without waiting for the deferred deadline.
  queued_urgent_ = queue_.size();
  write_queue_now(lock);
}

void FileAuditLog::drain_inline(std::unique_lock<std::mutex>& lock) {
  while (!queue_.empty() && healthy_ && !rotate_due_) {
    batch_.swap(queue_);
    queue_taken();
    lock.unlock();
    write_batch(batch_, false);
    batch_.clear();
    lock.lock();
  }
  writing_ = false;
  // Wake the writer thread only when it has something to do: a wake-up per inline write would
  // cost the very context switch the inline path avoids. The first unsynced write after a sync
  // wakes it once, so that it plans the next sync sync_interval from now — unless a strict group
  // is waiting, whose fdatasync will cover this write anyway.
  if (first_unsynced_write_) {
    first_unsynced_write_ = false;
    reschedule_ = reschedule_ || awaiting_.empty();
  }
  const bool wake = writer_waiting_ &&
                    (writer_wants_token_ || rotate_due_ || reschedule_ || queued_urgent_ > 0 ||
                     awaiting_.size() >= wake_at_awaiting_);
  lock.unlock();
  if (wake) {
    wake_.notify_one();
  }
}

void FileAuditLog::append(const DecisionEvent& event, AppendCompletion done) {
  enqueue(make_decision_record(event, context_), std::move(done), false);
}

void FileAuditLog::append(const OutcomeEvent& event, AppendCompletion done) {
  // Not gated: no write(2) of its own (log_writer.hpp), it goes with the next write.
  enqueue(make_outcome_record(event, context_), std::move(done), true);
}

void FileAuditLog::append(const AdminEvent& event, AppendCompletion done) {
  enqueue(make_admin_record(event, context_), std::move(done), false);
}

void FileAuditLog::append_deferred(const DecisionEvent& event, AppendCompletion done) {
  enqueue(make_decision_record(event, context_), std::move(done), true);
}

void FileAuditLog::close() {
  {
    std::lock_guard lock(mutex_);
    if (closed_) {
      return;
    }
    closed_ = true;
    stopping_ = true;
  }
  wake_.notify_one();
  if (writer_.joinable()) {
    writer_.join();
  }
  if (spare_) {
    spare_->stop();  // no zeros are left behind
  }
}

std::string FileAuditLog::last_error() const {
  std::lock_guard lock(error_mutex_);
  return last_error_;
}

AuditLogStats FileAuditLog::stats() const {
  AuditLogStats s;
  s.appended = appended_.load();
  s.failed = failed_.load();
  s.batches = batches_.load();
  s.syncs = syncs_.load();
  s.sync_micros = sync_micros_.load();
  s.checkpoints = checkpoints_.load();
  s.recoveries = recoveries_.load();
  s.rotations = rotations_.load();
  s.preallocated_files = preallocated_files_.load();
  s.spare_ready = spare_ && spare_->ready();
  s.spare_failures = spare_ ? spare_->failures() : 0;
  return s;
}

SteadyClock::time_point FileAuditLog::next_deadline() const {
  auto deadline = SteadyClock::now() + std::chrono::seconds(1);
  if (!healthy_) {
    deadline = std::min(deadline, last_retry_ + options_.retry_interval);
    return deadline;
  }
  if (unsynced_) {
    deadline = std::min(deadline, last_sync_ + options_.sync_interval);
  }
  if (state_.records_since_checkpoint > 0) {
    deadline = std::min(deadline, last_checkpoint_ + options_.checkpoint_interval);
  }
  return std::min(deadline, file_started_ + options_.rotate_interval);
}

void FileAuditLog::take_token(std::unique_lock<std::mutex>& lock) {
  writer_wants_token_ = true;
  writer_waiting_ = true;
  wake_.wait(lock, [this] { return !writing_; });  // an inline writer wakes us when it lets go
  writer_wants_token_ = false;
  writer_waiting_ = false;
  writing_ = true;
}

void FileAuditLog::run() {
  deadline_ = next_deadline();  // no append can run before open() returns
  std::unique_lock lock(mutex_);
  // Set right after a strict group completed: its callers are expected back with their next
  // records, so the writer sleeps until the whole group is back (one wake-up, not one at the
  // first record and one when the group is full) or this time has passed.
  std::optional<SteadyClock::time_point> refill_by;
  while (true) {
    if (deferred_since_) {
      deadline_ = std::min(deadline_, *deferred_since_ + options_.sync_interval);
    }
    const std::size_t wake_at = refill_by ? last_group_size_ : 1;
    wake_at_awaiting_ = wake_at;
    writer_waiting_ = true;
    idle_wait_ = true;
    sleeping_until_ = refill_by ? std::min(deadline_, *refill_by) : deadline_;
    wake_.wait_until(lock, sleeping_until_, [&] {
      return stopping_ || rotate_due_ || reschedule_ || deadline_moved_ ||
             awaiting_.size() >= wake_at || (!writing_ && queued_urgent_ > 0);
    });
    writer_waiting_ = false;
    idle_wait_ = false;
    deadline_moved_ = false;
    wake_at_awaiting_ = 1;
    const bool other_work = stopping_ || rotate_due_ || reschedule_ ||
                            (!writing_ && queued_urgent_ > 0) || SteadyClock::now() >= deadline_;
    if (!awaiting_.empty() && !stopping_ && !rotate_due_) {
      group_commit(lock, refill_by);
      const bool more = rotate_due_ || reschedule_ || (!writing_ && queued_urgent_ > 0) ||
                        SteadyClock::now() >= deadline_ || !healthy_;
      if (!more) {
        // The hot strict loop: sync, complete, wait for the group to come back.
        refill_by = SteadyClock::now() + group_patience();
        continue;
      }
    } else if (!other_work) {
      // Nobody came back in time for the group, or a deferred record moved the deadline: wait
      // for the next record (or the new deadline) as usual.
      refill_by.reset();
      continue;
    }
    refill_by.reset();
    take_token(lock);
    // Deferred records whose time is up are written now and fdatasynced in this same turn, so
    // none waits longer than sync_interval (plus this turn) for its sync.
    const bool deferred_due = deferred_since_.has_value() &&
                              SteadyClock::now() >= *deferred_since_ + options_.sync_interval;
    batch_.swap(queue_);
    queue_taken();
    rotate_due_ = false;
    reschedule_ = false;
    const bool stopping = stopping_;
    lock.unlock();

    if (!batch_.empty()) {
      write_batch(batch_, true);
      batch_.clear();
    }
    housekeeping(stopping);
    if (stopping) {
      settle_awaiting();  // written before the final checkpoint: sync and complete them
    }
    const bool sync_due =
        !stopping && healthy_ && unsynced_ &&
        (deferred_due || SteadyClock::now() - last_sync_ >= options_.sync_interval);

    lock.lock();
    deadline_ = next_deadline();
    writing_ = false;
    if (stopping) {
      return;
    }
    if (sync_due) {
      // Callers keep writing inline while the disk syncs.
      lock.unlock();
      periodic_sync();
      lock.lock();
      deadline_ = next_deadline();  // from this sync, not the one before it
    }
  }
}

SteadyClock::duration FileAuditLog::group_patience() const {
  // Closed-loop callers released by a sync append again after R = their wake-up, build and
  // write. Waiting for all of them gives one group of n per S + R (S = one fdatasync); syncing
  // what is there at once splits them into two groups that alternate, n/2 per S. Waiting is
  // better while R < S, so wait at most one fdatasync (past that, two groups are as good), and
  // never more than 1 ms (the strict p99 budget is 2 ms). One caller at a time never waits
  // (1 >= 1).
  return std::min<SteadyClock::duration>(last_sync_duration_, std::chrono::milliseconds(1));
}

void FileAuditLog::group_commit(std::unique_lock<std::mutex>& lock,
                                std::optional<SteadyClock::time_point> fill_by) {
  const std::size_t want = last_group_size_;
  if (awaiting_.size() < want) {
    const auto by = fill_by ? *fill_by : SteadyClock::now() + group_patience();
    wake_at_awaiting_ = want;
    writer_waiting_ = true;
    wake_.wait_until(lock, by, [&] { return stopping_ || awaiting_.size() >= want; });
    writer_waiting_ = false;
    wake_at_awaiting_ = 1;
  }
  group_.swap(awaiting_);
  group_start_ = std::move(awaiting_start_);
  awaiting_start_.reset();
  lock.unlock();
  sync_group(group_, false);
  lock.lock();
}

void FileAuditLog::sync_group(std::vector<Awaiting>& group, bool token_held) {
  // Only this thread replaces fd_ and file_, so both stay valid without the token. Everything in
  // `group` was written before it was handed over, so this fdatasync covers it; records written
  // after the flag is cleared set it again.
  unsynced_ = false;
  const auto started = SteadyClock::now();
  std::string why;
  if (::fdatasync(fd_) != 0) {
    why = errno_message("fdatasync", errno);
  } else if (lost_its_name(fd_)) {
    why = "the audit file " + file_.string() + " was removed";
  }
  last_sync_ = SteadyClock::now();
  last_sync_duration_ = last_sync_ - started;
  ++syncs_;
  sync_micros_ += static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(last_sync_duration_).count());
  if (why.empty()) {
    if (group.empty()) {
      return;
    }
    group_start_.reset();
    last_group_size_ = group.size();
    appended_ += group.size();
    for (auto& a : group) {
      a.done(std::move(a.receipt));
    }
    group.clear();
    return;
  }
  // Not known durable: the group's calls are refused, and the chain and the file go back to
  // where the group started (recover() cuts the file there), which also refuses the strict
  // records written after it; outcome records written meanwhile are lost with them.
  std::unique_lock lock(mutex_, std::defer_lock);
  if (!token_held) {
    lock.lock();
    take_token(lock);
  } else {
    lock.lock();
  }
  std::vector<Awaiting> later;
  later.swap(awaiting_);
  awaiting_start_.reset();
  lock.unlock();
  if (!group.empty()) {
    why += "; records from sequence " + std::to_string(group.front().receipt.sequence) +
           " on were refused and are cut";
  }
  if (group_start_) {
    state_ = group_start_->state;
    file_size_ = group_start_->file_size;
    group_start_.reset();
  }
  mark_failed(why);
  if (!token_held) {
    lock.lock();
    writing_ = false;
    lock.unlock();
  }
  failed_ += group.size() + later.size();
  for (auto& a : group) {
    a.done(fail("audit record not durable: " + why));
  }
  for (auto& a : later) {
    a.done(fail("audit record not durable: " + why));
  }
  group.clear();
}

void FileAuditLog::settle_awaiting() {
  {
    std::lock_guard lock(mutex_);
    if (awaiting_.empty()) {
      return;
    }
    group_.swap(awaiting_);
    group_start_ = std::move(awaiting_start_);
    awaiting_start_.reset();
  }
  sync_group(group_, true);
}

void FileAuditLog::periodic_sync() {
  // Strict records already written are covered by this fdatasync: complete them with it rather
  // than making them wait for a group sync of their own after it.
  {
    std::lock_guard lock(mutex_);
    group_.swap(awaiting_);
    group_start_ = std::move(awaiting_start_);
    awaiting_start_.reset();
  }
  sync_group(group_, false);
}

void FileAuditLog::fail_all(std::vector<Pending>& batch, const std::string& why) {
  failed_ += batch.size();
  for (auto& p : batch) {
    p.done(fail(why));
  }
}

void FileAuditLog::write_batch(std::vector<Pending>& batch, bool on_writer_thread) {
  if (!healthy_) {
    last_retry_ = SteadyClock::now();
    if (auto r = recover(); !r) {
      fail_all(batch, "audit log unavailable: " + failure_);
      return;
    }
  }
  if (on_writer_thread && file_size_ >= options_.rotate_bytes) {
    (void)rotate(std::chrono::system_clock::now());  // a full file takes no more records
    if (!healthy_) {
      fail_all(batch, "audit log unavailable: " + failure_);
      return;
    }
  }
  const bool strict = options_.mode == DurabilityMode::Strict;
  bool gated = false;
  for (const auto& p : batch) {
    gated = gated || p.gated;
  }
  // Copy-assigned into a member: reuses its storage, no allocation per batch.
  rollback_ = state_;
  const ChainState& before = rollback_;
  buffer_.clear();
  receipts_.clear();
  for (auto& p : batch) {
    receipts_.push_back(add_record(p.record));
    if (state_.records_since_checkpoint >= options_.checkpoint_every_records) {
      if (auto cp = add_checkpoint("count"); !cp) {
        state_ = before;
        fail_all(batch, "audit checkpoint failed: " + cp.error().message);
        return;
      }
    }
  }
  // Batched mode checks after each write holding a gated record that the file still has a name
  // (fail closed: a decision written to a removed file would be lost); strict mode checks after
  // the fdatasync instead (sync_group). Outcome records alone are not checked: one statx less
  // per call, and the next gated record or sync notices.
  if (auto flushed = flush(false, before, gated && !strict); !flushed) {
    fail_all(batch, "audit record not written: " + flushed.error().message);
    return;
  }
  bool awaited = false;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (strict && batch[i].gated) {
      awaited = true;
      continue;
    }
    ++appended_;
    batch[i].done(std::move(receipts_[i]));
  }
  if (awaited) {
    std::lock_guard lock(mutex_);
    if (awaiting_.empty()) {
      awaiting_start_ = GroupStart{rollback_, file_size_ - buffer_.size()};
    }
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if (batch[i].gated) {
        awaiting_.push_back(Awaiting{std::move(batch[i].done), std::move(receipts_[i])});
      }
    }
  }
  if (file_size_ >= options_.rotate_bytes) {
    if (on_writer_thread) {
      (void)rotate(std::chrono::system_clock::now());
    } else {
      // Rotation fdatasyncs and opens files: the writer thread's job (woken when we let go).
      std::lock_guard lock(mutex_);
      rotate_due_ = true;
    }
  }
}

void FileAuditLog::housekeeping(bool stopping) {
  const auto now = SteadyClock::now();
  if (!healthy_) {
    if (now - last_retry_ >= options_.retry_interval || stopping) {
      last_retry_ = now;
      (void)recover();
    }
    if (!healthy_) {
      return;
    }
  }
  if (stopping) {
    const ChainState before = state_;
    buffer_.clear();
    if (add_checkpoint("close") && flush(true, before)) {
      cut_unwritten_tail();
    }
    return;
  }
  if (state_.records_since_checkpoint > 0 &&
      now - last_checkpoint_ >= options_.checkpoint_interval) {
    const ChainState before = state_;
    buffer_.clear();
    if (auto cp = add_checkpoint("interval"); !cp) {
      mark_failed("checkpoint: " + cp.error().message);  // retried after retry_interval
      return;
    }
    (void)flush(true, before);
  }
  if (healthy_ && (now - file_started_ >= options_.rotate_interval ||
                   file_size_ >= options_.rotate_bytes || spare_rotation_due())) {
    (void)rotate(std::chrono::system_clock::now());
  }
}

AppendReceipt FileAuditLog::add_record(const RecordTemplate& record) {
  const std::uint64_t seq = state_.sequence + 1;
  // Sealed straight onto the write buffer: no copy of the ~3 KB line per record.
  const Digest fp = append_sealed_record(record, chain_uid_, state_.last, seq, hasher_, buffer_);
  state_.tree.append_leaf(merkle_leaf_hash(fp));
  state_.sequence = seq;
  if (state_.last) {
    // Reuses the link's string (uids have one length): no allocation per record.
    state_.last->sequence = seq;
    state_.last->uid.assign(record.uid);
    state_.last->fingerprint = fp;
  } else {
    state_.last = ChainLink{seq, record.uid, fp};
  }
  if (record.kind == RecordKind::Checkpoint) {
    state_.records_since_checkpoint = 0;
  } else {
    ++state_.records_since_checkpoint;
  }
  return AppendReceipt{seq, record.uid};
}

Result<void> FileAuditLog::add_checkpoint(const char* reason, const std::string& next_file) {
  const std::int64_t time = now_ms();
  const std::string root = to_hex(state_.tree.root());
  const std::uint64_t tree_size = state_.tree.size();
  json cp = {{"tree_size", tree_size}, {"root", root}, {"reason", reason}};
  json frontier = json::array();
  for (const auto& h : state_.tree.hashes()) {
    frontier.push_back(to_hex(h));
  }
  cp["frontier"] = std::move(frontier);
  if (!next_file.empty()) {
    cp["next_file"] = next_file;
  }
  if (signer_) {
    auto signature = signer_->sign(checkpoint_signing_payload(chain_uid_, tree_size, root, time));
    if (!signature) {
      return tl::unexpected(signature.error());
    }
    cp["key_id"] = signer_->key_id();
    cp["algorithm"] = "Ed25519";
    cp["signature"] = base64_encode(*signature);
  }
  add_record(make_checkpoint_record(time, cp, context_));
  last_checkpoint_ = SteadyClock::now();
  ++checkpoints_;
  return {};
}

void FileAuditLog::mark_failed(const std::string& why) {
  failure_ = why;
  healthy_ = false;
  std::lock_guard lock(error_mutex_);
  last_error_ = why;
}

Result<void> FileAuditLog::flush(bool sync, const ChainState& before, bool check_removed) {
  Result<void> result;
  if (fd_ < 0) {
    result = fail("no audit file is open");
  } else {
    // Over a spare's zeros, the write goes on with zeros to the end of its last page: a write
    // that covers only part of a page that is not in the page cache makes the kernel read the
    // page from disk first (the spare's zeros were written with O_DIRECT), and that read would
    // cost as much as the fdatasync saves. Readers end the data at the first NUL byte.
    const std::size_t data = buffer_.size();
    const std::uint64_t end = file_size_ + data;
    if (end < zeroed_end_) {
      const std::uint64_t page_end =
          std::min<std::uint64_t>((end + 4095) / 4096 * 4096, zeroed_end_);
      buffer_.append(static_cast<std::size_t>(page_end - end), '\0');
    }
    result = write_all_at(fd_, buffer_, file_size_);
    buffer_.resize(data);
    if (result && sync) {
      ++syncs_;
      if (::fdatasync(fd_) != 0) {
        result = fail(errno_message("fdatasync", errno));
      }
    }
    if (result && check_removed && lost_its_name(fd_)) {
      result = fail("the audit file " + file_.string() + " was removed");
    }
  }
  if (!result) {
    state_ = before;  // the records in buffer_ are not part of the log
    mark_failed(result.error().message);
    return result;
  }
  ++batches_;
  file_size_ += buffer_.size();
  if (sync) {
    last_sync_ = SteadyClock::now();
    unsynced_ = false;
  } else if (!unsynced_.exchange(true)) {
    first_unsynced_write_ = true;
  }
  return {};
}

std::optional<FileAuditLog::NewFile> FileAuditLog::install_ready_spare(
    const std::filesystem::path& path) {
  if (!spare_) {
    return std::nullopt;
  }
  auto spare = spare_->claim();
  if (!spare) {
    return std::nullopt;
  }
  auto fd = install_spare(*spare, path);
  spare_->done_with_claim();  // the next one is prepared while this file fills
  if (!fd) {
    spare_install_failed_ = true;
    return std::nullopt;  // the caller creates the file as without a spare (the error shows there)
  }
  auto size = file_size_of(*fd);
  if (!size) {
    ::close(*fd);
    spare_install_failed_ = true;
    return std::nullopt;  // named now: create_log_file fails with EEXIST and says so
  }
  spare_install_failed_ = false;
  ++preallocated_files_;
  return NewFile{*fd, *size};
}

bool FileAuditLog::spare_rotation_due() const {
  return spare_ && !spare_install_failed_ && fd_ >= 0 && file_size_ >= zeroed_end_ &&
         spare_->ready();
}

void FileAuditLog::cut_unwritten_tail() {
  if (fd_ < 0 || zeroed_end_ <= file_size_) {
    return;
  }
  // If this fails the zeros stay: every reader ends the data at the first NUL, and the next
  // start-up cuts them.
  if (::ftruncate(fd_, static_cast<off_t>(file_size_)) == 0) {
    (void)::fdatasync(fd_);
  }
  zeroed_end_ = 0;
}

Result<void> FileAuditLog::open_next_file(const std::string& name) {
  const auto path = options_.dir / name;
  std::optional<NewFile> next;
  if (unsynced_next_file_ && pending_next_file_ == name) {
    next = std::exchange(unsynced_next_file_, std::nullopt);
  } else {
    close_unsynced_next_file();
    next = install_ready_spare(path);
  }
  if (!next) {
    auto fd = create_log_file(path);
    if (!fd) {
      pending_next_file_ = name;
      return tl::unexpected(fd.error());
    }
    next = NewFile{*fd, 0};
  }
  if (auto synced = sync_directory(options_.dir); !synced) {
    // The file has its name but it may not survive a power failure: not a file to write to
    // yet. It is kept open for the next try, which syncs the directory again.
    pending_next_file_ = name;
    unsynced_next_file_ = next;
    return synced;
  }
  if (fd_ >= 0) {
    ::close(fd_);
  }
  fd_ = next->fd;
  zeroed_end_ = next->zeroed_end;
  file_ = path;
  file_size_ = 0;
  file_started_ = SteadyClock::now();
  pending_next_file_.clear();
  return {};
}

Result<void> FileAuditLog::rotate(std::chrono::system_clock::time_point now) {
  const std::string name = next_log_file_name(now, file_.filename().string());
  const ChainState before = state_;
  buffer_.clear();
  if (auto cp = add_checkpoint("rotate", name); !cp) {
    state_ = before;
    mark_failed("rotation checkpoint: " + cp.error().message);
    return cp;
  }
  if (auto flushed = flush(true, before); !flushed) {
    return flushed;
  }
  // Strict records written to this file were made durable by that flush (fdatasync + name
  // check): they complete once the rotation is done, as a record that fills the file does.
  std::vector<Awaiting> synced;
  {
    std::lock_guard lock(mutex_);
    synced.swap(awaiting_);
    awaiting_start_.reset();
  }
  const auto complete_synced = [&] {
    appended_ += synced.size();
    for (auto& a : synced) {
      a.done(std::move(a.receipt));
    }
  };
  cut_unwritten_tail();
  ::close(fd_);
  fd_ = -1;
  if (auto opened = open_next_file(name); !opened) {
    mark_failed("rotation: " + opened.error().message);
    complete_synced();
    return opened;
  }
  ++rotations_;
  complete_synced();
  apply_retention();
  return {};
}

void FileAuditLog::apply_retention() {
  if (options_.retention_files == 0) {
    return;
  }
  auto files = list_log_files(options_.dir);
  if (!files || files->size() <= options_.retention_files) {
    return;
  }
  const std::size_t excess = files->size() - options_.retention_files;
  for (std::size_t i = 0; i < excess; ++i) {
    if ((*files)[i] != file_) {
      std::error_code ec;
      std::filesystem::remove((*files)[i], ec);
    }
  }
  (void)sync_directory(options_.dir);
}

Result<void> FileAuditLog::recover() {
  if (spare_) {
    spare_->give_back();  // if the disk is full, its space lets the log write again
  }
  if (fd_ >= 0) {
    settle_awaiting();  // strict records written before the failure: durable or refused now
  }
  std::uint64_t cut = 0;
  std::string what;
  bool new_file = fd_ < 0;
  if (fd_ >= 0) {
    struct stat st {};
    if (::fstat(fd_, &st) != 0 || st.st_nlink == 0) {
      new_file = true;
      what = "the audit file was removed";
    } else if (static_cast<std::uint64_t>(st.st_size) < file_size_) {
      new_file = true;
      what = "the audit file was shortened by someone else";
    } else if (static_cast<std::uint64_t>(st.st_size) > file_size_) {
      // A failed write left part of a batch: those records were refused, so they go. Over a
      // spare's zeros only the bytes before the first NUL were written (a record holds none),
      // and only those are reported as cut; the zeros go too (the file appends from now on).
      std::uint64_t written_end = static_cast<std::uint64_t>(st.st_size);
      if (zeroed_end_ > file_size_) {
        auto data = read_lines(file_, file_size_, TailCheck::Stop, [](std::string_view) {});
        if (!data) {
          return tl::unexpected(data.error());
        }
        written_end = data->data_end;
      }
      if (::ftruncate(fd_, static_cast<off_t>(file_size_)) != 0 || ::fdatasync(fd_) != 0) {
        return fail(errno_message("cannot cut the failed write", errno));
      }
      zeroed_end_ = 0;
      cut = written_end - file_size_;
    }
  }
  if (new_file) {
    const std::string name =
        !pending_next_file_.empty()
            ? pending_next_file_
            : next_log_file_name(std::chrono::system_clock::now(), file_.filename().string());
    if (auto opened = open_next_file(name); !opened) {
      mark_failed(opened.error().message);
      return opened;
    }
  }
  json recovery = {{"reason", "write failure"},
                   {"error", failure_},
                   {"cut_bytes", cut},
                   {"last_good_sequence", state_.sequence},
                   {"file", file_.filename().string()},
                   {"detail", what}};
  const ChainState before = state_;
  buffer_.clear();
  add_record(make_recovery_record(now_ms(), recovery, context_));
  if (auto flushed = flush(true, before); !flushed) {
    return flushed;
  }
  healthy_ = true;
  failure_.clear();
  ++recoveries_;
  return {};
}

}  // namespace detail
}  // namespace portcullis::audit
