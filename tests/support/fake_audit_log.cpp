#include "support/fake_audit_log.hpp"

#include <future>

namespace portcullis::test {

FakeAuditLog::FakeAuditLog() : writer_([this] { run(); }) {}

FakeAuditLog::~FakeAuditLog() {
  {
    const std::lock_guard lock(mutex_);
    stop_ = true;
  }
  cv_.notify_all();
  writer_.join();
}

void FakeAuditLog::enqueue(std::function<void()> work) {
  {
    std::unique_lock lock(mutex_);
    if (closed_.load()) {
      // As the real log: after close() the completion runs inline with an Error (`work` sees
      // closed_), never later on the writer thread, when its caller may be gone.
      lock.unlock();
      work();
      return;
    }
    queue_.push_back(std::move(work));
  }
  cv_.notify_all();
}

void FakeAuditLog::run_queued_work() {
  std::promise<void> reached;
  auto barrier = reached.get_future();
  {
    const std::lock_guard lock(mutex_);
    queue_.push_back([&reached] { reached.set_value(); });
  }
  cv_.notify_all();
  barrier.wait();  // the queue is FIFO: everything queued before the barrier has run
}

void FakeAuditLog::run() {
  for (;;) {
    std::function<void()> work;
    {
      std::unique_lock lock(mutex_);
      cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
      if (queue_.empty()) {
        return;
      }
      work = std::move(queue_.front());
      queue_.pop_front();
    }
    work();
  }
}

// Each append: on the writer thread, either fail (nothing stored) or store and hand out a receipt.
#define PORTCULLIS_FAKE_APPEND(EventType, member)                                          \
  void FakeAuditLog::append(const EventType& event, audit::AppendCompletion done) {        \
    enqueue([this, event, done = std::move(done)]() mutable {                              \
      if (fail_.load() || closed_.load()) {                                                \
        done(fail("fake audit log: append failed (disk full)"));                           \
        return;                                                                            \
      }                                                                                    \
      audit::AppendReceipt receipt;                                                        \
      {                                                                                    \
        const std::lock_guard lock(mutex_);                                                \
        receipt.sequence = ++sequence_;                                                    \
        receipt.uid = "uid-" + std::to_string(receipt.sequence);                           \
        member.push_back(std::move(event));                                                \
      }                                                                                    \
      cv_.notify_all();                                                                    \
      done(receipt);                                                                       \
    });                                                                                    \
  }

PORTCULLIS_FAKE_APPEND(audit::DecisionEvent, decisions_)
PORTCULLIS_FAKE_APPEND(audit::OutcomeEvent, outcomes_)
PORTCULLIS_FAKE_APPEND(audit::AdminEvent, admin_)
#undef PORTCULLIS_FAKE_APPEND

void FakeAuditLog::append_deferred(const audit::DecisionEvent& event,
                                   audit::AppendCompletion done) {
  if (!deferred_.load()) {
    return append(event, std::move(done));
  }
  const std::lock_guard lock(mutex_);
  held_.emplace_back(event, std::move(done));
}

void FakeAuditLog::flush() {
  std::vector<std::pair<audit::DecisionEvent, audit::AppendCompletion>> held;
  {
    const std::lock_guard lock(mutex_);
    held.swap(held_);
  }
  if (held.empty()) {
    return;
  }
  ++flushes_with_records_;
  for (auto& [event, done] : held) {
    append(event, std::move(done));
  }
}

void FakeAuditLog::close() {
  flush();  // held records complete (written or failed) before close() returns, like the rest
  // The real log's close() writes what is queued and joins its writer thread: every completion
  // has run when it returns. Gateway::shutdown relies on that (the completions use the gateway's
  // metrics, destroyed with the gateway right after); a fake that ran them later made ASan report
  // a heap-use-after-free. So: what was queued before close() is written; what came in meanwhile
  // fails; both complete before close() returns, and later appends fail inline.
  run_queued_work();
  {
    const std::lock_guard lock(mutex_);
    closed_.store(true);
  }
  run_queued_work();
}

audit::AuditLogStats FakeAuditLog::stats() const {
  const std::lock_guard lock(mutex_);
  audit::AuditLogStats out;
  out.appended = sequence_;
  return out;
}

std::vector<audit::DecisionEvent> FakeAuditLog::decisions() const {
  const std::lock_guard lock(mutex_);
  return decisions_;
}

std::vector<audit::OutcomeEvent> FakeAuditLog::outcomes() const {
  const std::lock_guard lock(mutex_);
  return outcomes_;
}

std::vector<audit::AdminEvent> FakeAuditLog::admin_events() const {
  const std::lock_guard lock(mutex_);
  return admin_;
}

bool FakeAuditLog::wait_for_outcomes(std::size_t n, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  return cv_.wait_for(lock, timeout, [&] { return outcomes_.size() >= n; });
}

}  // namespace portcullis::test
