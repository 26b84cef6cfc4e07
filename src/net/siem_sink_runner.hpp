// SiemSinkRunner: one SIEM sink's delivery loop on its own thread — read the audit log from the
// cursor, send through a SiemTransport, advance and persist the cursor over what the transport
// confirms, back off with jitter on failures, keep the lag figure and raise the lag alarm.
//
// Delivery rules:
//   - the cursor never passes a record the transport has not confirmed (RELP: acknowledged;
//     syslog: handed to the kernel);
//   - after a failure the reader goes back to the last confirmed record, so unconfirmed records
//     are sent again (same bytes, same uid);
//   - a transport without acknowledgements (syslog) re-sends `resend_window` records before the
//     cursor after every connect, including the first one after a restart.
//
// Shutdown: finish_by(deadline) lets the sink deliver what the log holds (the audit log's final
// checkpoint included) and stop once it has caught up, or at the deadline; request_stop() stops
// it after the current send. Either way it confirms what it can and stores its cursor, so what
// is left is delivered at the next start.
//
// Threading: start(), finish_by(), request_stop(), join() and stop() from the owner's thread;
// lag(), stats() from any thread (snapshots under a mutex); everything else runs on the sink's
// thread.
#pragma once

#include <chrono>
#include <deque>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>

#include "net/siem_backoff.hpp"
#include "net/siem_syslog_format.hpp"
#include "net/siem_transport.hpp"
#include "portcullis/audit/delivery_cursor.hpp"
#include "portcullis/audit/log_reader.hpp"
#include "portcullis/net/siem_sink.hpp"

namespace portcullis::net::detail {

class SiemSinkRunner final : public SiemSink {
 public:
  SiemSinkRunner(SiemSinkOptions options, std::filesystem::path log_dir,
                 audit::DeliveryCursor cursor, std::unique_ptr<SiemTransport> transport,
                 SyslogHeader header);
  ~SiemSinkRunner() override;
  SiemSinkRunner(const SiemSinkRunner&) = delete;
  SiemSinkRunner& operator=(const SiemSinkRunner&) = delete;

  void start();
  // Asks the thread to deliver every record the log holds and then stop, giving up at
  // `deadline`; no wait. Records appended after the thread has caught up are not waited for.
  void finish_by(std::chrono::steady_clock::time_point deadline);
  // Asks the thread to stop after its current send (confirm what it can, store the cursor); no
  // wait. Ends a finish_by() early too.
  void request_stop();
  // Waits for the thread to end (after finish_by() or request_stop()). Idempotent.
  void join();
  // request_stop() and join(). Idempotent.
  void stop();

  [[nodiscard]] const std::string& name() const override { return options_.name; }
  [[nodiscard]] SiemSinkType type() const override { return options_.type; }
  [[nodiscard]] SiemLag lag() const override;
  [[nodiscard]] SiemSinkStats stats() const override;

 private:
  using Clock = std::chrono::steady_clock;

  struct InFlight {
    audit::LogPosition end;  // position after the record
    std::int64_t time_ms = 0;
  };

  void run(const std::stop_token& stop);
  // One pass of the delivery loop; false once the sink should stop. `stop` ends the thread at
  // once; `wake` (stop, or finish_by()) cuts short the waits for new records.
  bool step(const std::stop_token& stop, const std::stop_token& wake);
  // Set by finish_by(): the sink stops once caught up, or at this time.
  [[nodiscard]] std::optional<Clock::time_point> finishing_deadline() const;
  // Connects and positions the reader for the new connection. false on failure.
  bool connect(const std::stop_token& stop);
  void send_batch(const std::vector<audit::LogRecord>& batch);
  // Confirms everything in flight (RELP: closes the session). false on failure.
  bool settle();
  void confirm(std::uint64_t confirmed_count);
  void on_failure(const std::string& what, const std::string& message);
  void store_cursor(bool force);
  void refresh_lag(bool force);
  void sleep_until(Clock::time_point when, const std::stop_token& stop);

  const SiemSinkOptions options_;
  const std::filesystem::path log_dir_;
  const SyslogHeader header_;

  // Owned by the sink thread.
  audit::DeliveryCursor cursor_;
  audit::LogReader reader_;
  std::unique_ptr<SiemTransport> transport_;
  SiemBackoff backoff_;
  audit::LogPosition delivered_;      // last confirmed record (the cursor, before fsync)
  std::uint64_t highest_sent_ = 0;    // to count re-sends
  std::deque<InFlight> in_flight_;    // sent on this connection, not yet confirmed
  std::uint64_t popped_ = 0;          // of this connection's sends, how many left in_flight_
  Clock::time_point next_attempt_{};  // no attempt before this after a failure
  Clock::time_point last_store_{};
  Clock::time_point last_lag_refresh_{};
  std::string last_logged_error_;
  Clock::time_point last_error_log_{};

  mutable std::mutex mutex_;  // guards lag_, stats_ and finish_deadline_
  SiemLag lag_;
  SiemSinkStats stats_;
  std::optional<Clock::time_point> finish_deadline_;
  std::stop_source wake_;  // requested by finish_by() and by the thread's own stop

  std::jthread thread_;
};

}  // namespace portcullis::net::detail
