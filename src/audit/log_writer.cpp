#include "audit/log_writer.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "audit/log_recovery.hpp"
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
  const std::uint64_t cut =
      recovered ? recovered->file_size - recovered->good_end : 0;
  if (recovered) {
    // Cut a torn tail before anything else is written after it.
    auto fd = open_log_file(recovered->last_file);
    if (!fd) {
      return tl::unexpected(fd.error());
    }
    fd_ = *fd;
    file_ = recovered->last_file;
    if (cut > 0 && (::ftruncate(fd_, static_cast<off_t>(recovered->good_end)) != 0 ||
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

void FileAuditLog::enqueue(RecordTemplate record, AppendCompletion done) {
  {
    std::unique_lock lock(mutex_);
    if (!stopping_) {
      queue_.push_back(Pending{std::move(record), std::move(done)});
      lock.unlock();
      wake_.notify_one();
      return;
    }
  }
  ++failed_;
  done(fail("audit log is closed"));
}

void FileAuditLog::append(DecisionEvent event, AppendCompletion done) {
  enqueue(make_decision_record(event, context_), std::move(done));
}

void FileAuditLog::append(OutcomeEvent event, AppendCompletion done) {
  enqueue(make_outcome_record(event, context_), std::move(done));
}

void FileAuditLog::append(AdminEvent event, AppendCompletion done) {
  enqueue(make_admin_record(event, context_), std::move(done));
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
  s.checkpoints = checkpoints_.load();
  s.recoveries = recoveries_.load();
  s.rotations = rotations_.load();
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

void FileAuditLog::run() {
  std::vector<Pending> batch;
  while (true) {
    const auto deadline = next_deadline();
    bool stopping = false;
    {
      std::unique_lock lock(mutex_);
      wake_.wait_until(lock, deadline, [this] { return !queue_.empty() || stopping_; });
      batch.swap(queue_);
      stopping = stopping_;
    }
    if (!batch.empty()) {
      write_batch(batch);
      batch.clear();
    }
    housekeeping(stopping);
    if (stopping) {
      return;
    }
  }
}

void FileAuditLog::fail_all(std::vector<Pending>& batch, const std::string& why) {
  failed_ += batch.size();
  for (auto& p : batch) {
    p.done(fail(why));
  }
}

void FileAuditLog::write_batch(std::vector<Pending>& batch) {
  if (!healthy_) {
    last_retry_ = SteadyClock::now();
    if (auto r = recover(); !r) {
      fail_all(batch, "audit log unavailable: " + failure_);
      return;
    }
  }
  const ChainState before = state_;
  buffer_.clear();
  std::vector<AppendReceipt> receipts;
  receipts.reserve(batch.size());
  for (const auto& p : batch) {
    receipts.push_back(add_record(p.record));
    if (state_.records_since_checkpoint >= options_.checkpoint_every_records) {
      if (auto cp = add_checkpoint("count"); !cp) {
        state_ = before;
        fail_all(batch, "audit checkpoint failed: " + cp.error().message);
        return;
      }
    }
  }
  if (auto flushed = flush(options_.mode == DurabilityMode::Strict, before); !flushed) {
    fail_all(batch, "audit record not written: " + flushed.error().message);
    return;
  }
  appended_ += batch.size();
  for (std::size_t i = 0; i < batch.size(); ++i) {
    batch[i].done(std::move(receipts[i]));
  }
  if (file_size_ >= options_.rotate_bytes) {
    (void)rotate(std::chrono::system_clock::now());
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
    if (add_checkpoint("close")) {
      (void)flush(true, before);
    }
    return;
  }
  if (unsynced_ && now - last_sync_ >= options_.sync_interval) {
    (void)sync_now();
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
                   file_size_ >= options_.rotate_bytes)) {
    (void)rotate(std::chrono::system_clock::now());
  }
}

AppendReceipt FileAuditLog::add_record(const RecordTemplate& record) {
  const std::uint64_t seq = state_.sequence + 1;
  const Digest fp = seal_record(record, chain_uid_, state_.last, seq, hasher_, line_);
  buffer_ += line_;
  state_.tree.append_leaf(merkle_leaf_hash(fp));
  state_.sequence = seq;
  state_.last = ChainLink{seq, record.uid, fp};
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

Result<void> FileAuditLog::flush(bool sync, const ChainState& before) {
  Result<void> result;
  if (fd_ < 0) {
    result = fail("no audit file is open");
  } else {
    result = write_all(fd_, buffer_);
    if (result && sync && ::fdatasync(fd_) != 0) {
      result = fail(errno_message("fdatasync", errno));
    }
    struct stat st {};
    if (result && (::fstat(fd_, &st) != 0 || st.st_nlink == 0)) {
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
  } else {
    unsynced_ = true;
  }
  return {};
}

Result<void> FileAuditLog::sync_now() {
  if (::fdatasync(fd_) != 0) {
    const std::string why = errno_message("fdatasync", errno);
    mark_failed(why);
    return fail(why);
  }
  last_sync_ = SteadyClock::now();
  unsynced_ = false;
  return {};
}

Result<void> FileAuditLog::open_next_file(const std::string& name) {
  const auto path = options_.dir / name;
  auto fd = create_log_file(path);
  if (!fd) {
    pending_next_file_ = name;
    return tl::unexpected(fd.error());
  }
  if (auto synced = sync_directory(options_.dir); !synced) {
    ::close(*fd);
    pending_next_file_ = name;
    return synced;
  }
  if (fd_ >= 0) {
    ::close(fd_);
  }
  fd_ = *fd;
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
  ::close(fd_);
  fd_ = -1;
  if (auto opened = open_next_file(name); !opened) {
    mark_failed("rotation: " + opened.error().message);
    return opened;
  }
  ++rotations_;
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
      // A failed write left part of a batch: those records were refused, so they go.
      if (::ftruncate(fd_, static_cast<off_t>(file_size_)) != 0 || ::fdatasync(fd_) != 0) {
        return fail(errno_message("cannot cut the failed write", errno));
      }
      cut = static_cast<std::uint64_t>(st.st_size) - file_size_;
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
