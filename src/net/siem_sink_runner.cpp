#include "net/siem_sink_runner.hpp"

#include <signal.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <condition_variable>
#include <utility>

namespace portcullis::net::detail {
namespace {

// Lag needs the log's last record: read at most this often.
constexpr auto kLagRefresh = std::chrono::milliseconds(500);
// The same failure is logged again at most this often (counted every time).
constexpr auto kRepeatLogEvery = std::chrono::seconds(30);
// How long an idle sink sleeps between lag refreshes when the log is quiet.
constexpr auto kIdleWait = std::chrono::milliseconds(1000);

std::int64_t now_epoch_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Writes to a socket whose peer is gone raise SIGPIPE in the writing thread; OpenSSL and
// librelp write with plain write()/send(). Blocking it here turns that into EPIPE for this
// thread only, without touching the process's disposition.
void block_sigpipe_in_this_thread() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

}  // namespace

SiemSinkRunner::SiemSinkRunner(SiemSinkOptions options, std::filesystem::path log_dir,
                               audit::DeliveryCursor cursor,
                               std::unique_ptr<SiemTransport> transport, SyslogHeader header)
    : options_(std::move(options)),
      log_dir_(std::move(log_dir)),
      header_(std::move(header)),
      cursor_(std::move(cursor)),
      reader_(log_dir_, cursor_.position()),
      transport_(std::move(transport)),
      backoff_(options_.backoff_initial, options_.backoff_max),
      delivered_(cursor_.position()) {
  lag_.delivered_sequence = delivered_.sequence;
}

SiemSinkRunner::~SiemSinkRunner() { stop(); }

void SiemSinkRunner::start() {
  thread_ = std::jthread([this](const std::stop_token& stop) { run(stop); });
}

void SiemSinkRunner::finish_by(Clock::time_point deadline) {
  {
    std::lock_guard lock(mutex_);
    finish_deadline_ = deadline;
  }
  wake_.request_stop();
}

void SiemSinkRunner::request_stop() { thread_.request_stop(); }

void SiemSinkRunner::join() {
  if (thread_.joinable()) {
    thread_.join();
  }
}

void SiemSinkRunner::stop() {
  request_stop();
  join();
}

std::optional<SiemSinkRunner::Clock::time_point> SiemSinkRunner::finishing_deadline() const {
  std::lock_guard lock(mutex_);
  return finish_deadline_;
}

SiemLag SiemSinkRunner::lag() const {
  std::lock_guard lock(mutex_);
  return lag_;
}

SiemSinkStats SiemSinkRunner::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

void SiemSinkRunner::sleep_until(Clock::time_point when, const std::stop_token& stop) {
  std::mutex mutex;
  std::condition_variable_any cv;
  std::unique_lock lock(mutex);
  cv.wait_until(lock, stop, when, [] { return false; });
}

void SiemSinkRunner::run(const std::stop_token& stop) {
  block_sigpipe_in_this_thread();
  // A stop cuts the waits for new records short, as finish_by() does.
  const std::stop_callback wake_on_stop(stop, [this] { wake_.request_stop(); });
  const std::stop_token wake = wake_.get_token();
  spdlog::info("siem[{}]: delivering {} to {} ({}) from sequence {}", options_.name,
               log_dir_.string(), options_.address, to_string(options_.type),
               delivered_.sequence + 1);
  refresh_lag(true);
  while (!stop.stop_requested() && step(stop, wake)) {
  }
  // Shutting down: confirm what we can (RELP closes cleanly), then persist.
  if (transport_->connected()) {
    settle();
    transport_->disconnect();
  }
  store_cursor(true);
  refresh_lag(true);
  const auto left = lag().records;
  if (left == 0) {
    spdlog::info("siem[{}]: stopped at sequence {}, caught up", options_.name,
                 delivered_.sequence);
  } else {
    spdlog::warn("siem[{}]: stopped at sequence {}, {} records left for the next start",
                 options_.name, delivered_.sequence, left);
  }
}

bool SiemSinkRunner::step(const std::stop_token& stop, const std::stop_token& wake) {
  const auto finishing = finishing_deadline();
  const auto now = Clock::now();
  if (finishing && now >= *finishing) {
    return false;  // out of time: the rest goes from the cursor at the next start
  }
  if (now < next_attempt_) {
    if (finishing) {
      // `wake` is already requested: back off on `stop` alone, and not past the deadline.
      sleep_until(std::min(next_attempt_, *finishing), stop);
    } else {
      sleep_until(next_attempt_, wake);
    }
    return true;
  }
  audit::LogReaderLimits limits;
  limits.max_records = std::max<std::size_t>(1, options_.batch_records);
  auto batch = reader_.read(limits);
  if (!batch) {
    // Deliver what was sent before stalling on the bad spot; the alarm will show the stall.
    settle();
    on_failure("read the audit log", batch.error().message);
    refresh_lag(false);
    return true;
  }
  if (batch->empty()) {
    bool confirmed = true;
    if (transport_->connected()) {
      // RELP confirms the tail of its window only by closing: wait a little for more records
      // first, so a steady trickle keeps one session (not when finishing: nothing is coming).
      if (!finishing && transport_->acknowledges() && !in_flight_.empty() &&
          reader_.wait_for_records(options_.relp_idle_close, options_.poll_interval, wake)) {
        return true;
      }
      confirmed = settle();
    }
    store_cursor(true);
    refresh_lag(false);
    if (finishing) {
      return !confirmed;  // caught up: done; the tail unconfirmed: again, until the deadline
    }
    reader_.wait_for_records(kIdleWait, options_.poll_interval, wake);
    return true;
  }
  if (!transport_->connected()) {
    connect(stop);
    return true;  // re-read from where the new connection must start
  }
  send_batch(*batch);
  store_cursor(false);
  refresh_lag(false);
  return true;
}

bool SiemSinkRunner::connect(const std::stop_token& stop) {
  if (stop.stop_requested()) {
    return false;
  }
  auto connected = transport_->connect();
  if (!connected) {
    reader_.seek(delivered_);
    on_failure("connect", connected.error().message);
    return false;
  }
  in_flight_.clear();
  popped_ = 0;
  {
    std::lock_guard lock(mutex_);
    ++stats_.connects;
    stats_.connected = true;
  }
  if (transport_->acknowledges()) {
    reader_.seek(delivered_);
    return true;
  }
  // No acknowledgements: whatever the previous connection (or process) sent last may be lost.
  const std::uint64_t window = std::min(options_.resend_window, delivered_.sequence);
  if (window == 0) {
    reader_.seek(delivered_);
    return true;
  }
  auto positioned = reader_.seek_to_sequence(delivered_.sequence + 1 - window);
  if (!positioned) {
    reader_.seek(delivered_);
    transport_->disconnect();
    on_failure("rewind the resend window", positioned.error().message);
    return false;
  }
  return true;
}

void SiemSinkRunner::send_batch(const std::vector<audit::LogRecord>& batch) {
  std::uint64_t sent = 0;
  std::uint64_t resent = 0;
  for (const auto& record : batch) {
    auto result = transport_->send(format_syslog_message(header_, record));
    if (!result) {
      {
        std::lock_guard lock(mutex_);
        stats_.sent += sent;
        stats_.resent += resent;
      }
      in_flight_.clear();
      popped_ = 0;
      reader_.seek(delivered_);
      on_failure("send", result.error().message);
      return;
    }
    ++sent;
    if (record.sequence <= highest_sent_) {
      ++resent;
    }
    highest_sent_ = std::max(highest_sent_, record.sequence);
    in_flight_.push_back(InFlight{record.end, record.time_ms});
    confirm(transport_->confirmed());
  }
  std::lock_guard lock(mutex_);
  stats_.sent += sent;
  stats_.resent += resent;
}

bool SiemSinkRunner::settle() {
  if (!transport_->connected()) {
    return true;
  }
  auto flushed = transport_->flush();
  if (!flushed) {
    in_flight_.clear();
    popped_ = 0;
    reader_.seek(delivered_);
    on_failure("confirm delivery", flushed.error().message);
    return false;
  }
  confirm(transport_->confirmed());
  if (!transport_->connected()) {
    // RELP closed its session to confirm; the next record opens a new one.
    in_flight_.clear();
    popped_ = 0;
    std::lock_guard lock(mutex_);
    stats_.connected = false;
  }
  return true;
}

void SiemSinkRunner::confirm(std::uint64_t confirmed_count) {
  std::uint64_t newly = 0;
  while (popped_ < confirmed_count && !in_flight_.empty()) {
    const InFlight done = std::move(in_flight_.front());
    in_flight_.pop_front();
    ++popped_;
    if (done.end.sequence > delivered_.sequence) {
      newly += done.end.sequence - delivered_.sequence;
      delivered_ = done.end;
    }
  }
  if (newly > 0) {
    backoff_.reset();
    std::lock_guard lock(mutex_);
    stats_.delivered += newly;
    stats_.last_error.clear();
    // Between lag refreshes (which read the log's tail) keep the record count current.
    lag_.delivered_sequence = delivered_.sequence;
    lag_.latest_sequence = std::max(lag_.latest_sequence, delivered_.sequence);
    lag_.records = lag_.latest_sequence - delivered_.sequence;
  }
}

void SiemSinkRunner::on_failure(const std::string& what, const std::string& message) {
  const auto delay = backoff_.next();
  next_attempt_ = Clock::now() + delay;
  const std::string text = what + ": " + message;
  {
    std::lock_guard lock(mutex_);
    ++stats_.failures;
    stats_.last_error = text;
    stats_.connected = transport_->connected();
  }
  const auto now = Clock::now();
  if (text != last_logged_error_ || now - last_error_log_ >= kRepeatLogEvery) {
    spdlog::warn("siem[{}]: {}; retrying in {} ms", options_.name, text, delay.count());
    last_logged_error_ = text;
    last_error_log_ = now;
  }
}

void SiemSinkRunner::store_cursor(bool force) {
  if (delivered_ == cursor_.position()) {
    return;
  }
  const auto now = Clock::now();
  if (!force && now - last_store_ < options_.cursor_sync_interval) {
    return;
  }
  last_store_ = now;
  if (auto stored = cursor_.store(delivered_); !stored) {
    // Delivery goes on; a stale cursor only means re-sends after a restart.
    std::lock_guard lock(mutex_);
    ++stats_.failures;
    stats_.last_error = "store the cursor: " + stored.error().message;
    spdlog::error("siem[{}]: {}", options_.name, stats_.last_error);
  }
}

void SiemSinkRunner::refresh_lag(bool force) {
  const auto now = Clock::now();
  if (!force && now - last_lag_refresh_ < kLagRefresh) {
    return;
  }
  last_lag_refresh_ = now;
  auto latest = audit::read_last_audit_record(log_dir_);
  if (!latest) {
    return;  // the reader reports log errors; keep the previous figure
  }
  SiemLag lag;
  lag.delivered_sequence = delivered_.sequence;
  lag.latest_sequence = std::max(latest->sequence, delivered_.sequence);
  lag.records = lag.latest_sequence - delivered_.sequence;
  if (lag.records > 0) {
    // The oldest undelivered record: the first one in flight, or the next one in the log.
    std::int64_t oldest_ms = 0;
    for (const auto& sent : in_flight_) {
      if (sent.end.sequence > delivered_.sequence) {
        oldest_ms = sent.time_ms;
        break;
      }
    }
    if (oldest_ms == 0) {
      audit::LogReader peek(log_dir_, delivered_);
      audit::LogReaderLimits one;
      one.max_records = 1;
      if (auto next = peek.read(one); next && !next->empty()) {
        oldest_ms = next->front().time_ms;
      }
    }
    if (oldest_ms > 0) {
      lag.seconds = std::max<double>(0, static_cast<double>(now_epoch_ms() - oldest_ms) / 1000.0);
    }
  }
  lag.alarm = lag.records > options_.lag_alarm_records ||
              lag.seconds > static_cast<double>(options_.lag_alarm_age.count());
  bool raised = false;
  bool cleared = false;
  {
    std::lock_guard lock(mutex_);
    raised = lag.alarm && !lag_.alarm;
    cleared = !lag.alarm && lag_.alarm;
    if (raised) {
      ++stats_.alarms;
    }
    stats_.skipped_records = reader_.skipped_records();
    lag_ = lag;
  }
  if (raised) {
    spdlog::warn(
        "siem[{}]: ALARM delivery lag {} records / {:.1f} s (thresholds {} records / {} s); "
        "delivered up to sequence {}, log at {}",
        options_.name, lag.records, lag.seconds, options_.lag_alarm_records,
        options_.lag_alarm_age.count(), lag.delivered_sequence, lag.latest_sequence);
  } else if (cleared) {
    spdlog::info("siem[{}]: delivery lag back under thresholds ({} records / {:.1f} s)",
                 options_.name, lag.records, lag.seconds);
  }
}

}  // namespace portcullis::net::detail
