// FakeAuditLog: an in-memory audit::AuditLog for gateway tests. Records every event; can be told
// to fail appends (disk full) so tests prove that nothing is forwarded without a durable record.
// Completions run on a writer thread of its own, like the real log's.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <variant>
#include <vector>

#include "portcullis/audit/audit_log.hpp"

namespace portcullis::test {

class FakeAuditLog : public audit::AuditLog {
 public:
  FakeAuditLog();
  ~FakeAuditLog() override;

  void append(const audit::DecisionEvent& event, audit::AppendCompletion done) override;
  void append(const audit::OutcomeEvent& event, audit::AppendCompletion done) override;
  void append(const audit::AdminEvent& event, audit::AppendCompletion done) override;
  // Deferred mode (set_deferred): queued until flush(), as the real log queues them.
  void append_deferred(const audit::DecisionEvent& event, audit::AppendCompletion done) override;
  void flush() override;
  [[nodiscard]] bool healthy() const override { return !fail_.load(); }
  [[nodiscard]] std::string last_error() const override {
    return fail_.load() ? "fake audit log: append failed (disk full)" : "";
  }
  [[nodiscard]] audit::AuditLogStats stats() const override;
  void close() override;

  // From now on every append fails (true) or succeeds (false).
  void set_failing(bool fail) { fail_.store(fail); }
  // From now on append_deferred() holds decision records until flush() appends them (true), as
  // the real log does, or appends them at once (false, AuditLog's default).
  void set_deferred(bool deferred) { deferred_.store(deferred); }
  // How many flush() calls found deferred records to write.
  [[nodiscard]] std::size_t flushes_with_records() const { return flushes_with_records_.load(); }

  [[nodiscard]] std::vector<audit::DecisionEvent> decisions() const;
  [[nodiscard]] std::vector<audit::OutcomeEvent> outcomes() const;
  [[nodiscard]] std::vector<audit::AdminEvent> admin_events() const;
  [[nodiscard]] bool closed() const { return closed_.load(); }
  // Waits until at least `n` outcome records arrived (they follow the answer).
  bool wait_for_outcomes(std::size_t n, std::chrono::milliseconds timeout) const;

 private:
  void enqueue(std::function<void()> work);
  // Returns once the writer thread has run everything queued before this call.
  void run_queued_work();
  void run();

  mutable std::mutex mutex_;
  mutable std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  std::vector<audit::DecisionEvent> decisions_;
  std::vector<audit::OutcomeEvent> outcomes_;
  std::vector<audit::AdminEvent> admin_;
  std::uint64_t sequence_ = 0;
  std::atomic<bool> fail_{false};
  std::atomic<bool> closed_{false};
  std::atomic<bool> deferred_{false};
  std::atomic<std::size_t> flushes_with_records_{0};
  std::vector<std::pair<audit::DecisionEvent, audit::AppendCompletion>> held_;  // under mutex_
  bool stop_ = false;
  std::thread writer_;
};

}  // namespace portcullis::test
