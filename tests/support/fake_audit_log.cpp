#include "support/fake_audit_log.hpp"

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
    const std::lock_guard lock(mutex_);
    queue_.push_back(std::move(work));
  }
  cv_.notify_all();
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
  void FakeAuditLog::append(EventType event, audit::AppendCompletion done) {               \
    enqueue([this, event = std::move(event), done = std::move(done)]() mutable {           \
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

void FakeAuditLog::close() { closed_.store(true); }

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
