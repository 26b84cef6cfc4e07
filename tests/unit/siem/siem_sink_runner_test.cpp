// The delivery loop against a fake transport: what the cursor may cover, what is re-sent after
// failures and reconnects, back-off, log errors and lag.
#include "net/siem_sink_runner.hpp"

#include <catch2/catch.hpp>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

#include "log_files.hpp"
#include "support/wait_until.hpp"

using namespace std::chrono_literals;
using portcullis::Result;
using portcullis::audit::DeliveryCursor;
using portcullis::audit::LogPosition;
using portcullis::net::SiemSinkOptions;
using portcullis::net::detail::SiemSinkRunner;
using portcullis::net::detail::SiemTransport;
using portcullis::net::detail::SyslogHeader;
using portcullis::test::siem_unit::append_records;
using portcullis::test::siem_unit::TempDir;

namespace {

constexpr const char* kFile = "audit-20261127-010000.jsonl";

// What the fake receiver saw and how it should misbehave; shared with the sink thread.
struct FakeState {
  std::mutex mutex;
  bool acknowledges = true;
  std::uint64_t window = 3;  // acknowledging transport: unconfirmed frames in flight
  int connect_failures_left = 0;
  std::map<std::uint64_t, bool> fail_send_number;  // 1-based count of send() calls to fail
  std::uint64_t send_calls = 0;
  std::vector<std::uint64_t> sequences;    // sequence of every message accepted, in order
  std::vector<std::size_t> connect_marks;  // sequences.size() at each successful connect
  int connects = 0;
  int flushes = 0;
};

std::uint64_t sequence_in(std::string_view message) {
  const auto at = message.find("seq=\"");
  return std::stoull(std::string(message.substr(at + 5)));
}

class FakeTransport final : public SiemTransport {
 public:
  explicit FakeTransport(std::shared_ptr<FakeState> state) : state_(std::move(state)) {}
  Result<void> connect() override {
    std::lock_guard lock(state_->mutex);
    if (state_->connect_failures_left > 0) {
      --state_->connect_failures_left;
      return portcullis::fail("connection refused (fake)");
    }
    connected_ = true;
    sent_ = 0;
    confirmed_ = 0;
    ++state_->connects;
    state_->connect_marks.push_back(state_->sequences.size());
    return {};
  }
  bool connected() const override { return connected_; }
  Result<void> send(std::string_view message) override {
    std::lock_guard lock(state_->mutex);
    ++state_->send_calls;
    if (state_->fail_send_number.count(state_->send_calls) != 0) {
      connected_ = false;
      return portcullis::fail("connection reset (fake)");
    }
    state_->sequences.push_back(sequence_in(message));
    ++sent_;
    confirmed_ =
        !state_->acknowledges ? sent_ : (sent_ > state_->window ? sent_ - state_->window : 0);
    return {};
  }
  std::uint64_t confirmed() const override { return confirmed_; }
  Result<void> flush() override {
    std::lock_guard lock(state_->mutex);
    ++state_->flushes;
    confirmed_ = sent_;
    if (state_->acknowledges) {
      connected_ = false;  // like RELP: confirming means closing
    }
    return {};
  }
  void disconnect() override { connected_ = false; }
  bool acknowledges() const override {
    std::lock_guard lock(state_->mutex);
    return state_->acknowledges;
  }

 private:
  std::shared_ptr<FakeState> state_;
  bool connected_ = false;
  std::uint64_t sent_ = 0;
  std::uint64_t confirmed_ = 0;
};

SiemSinkOptions fast_options() {
  SiemSinkOptions options;
  options.name = "fake";
  options.address = "127.0.0.1:1";
  options.tls.enabled = false;
  options.backoff_initial = 5ms;
  options.backoff_max = 20ms;
  options.poll_interval = 5ms;
  options.cursor_sync_interval = 0ms;
  options.relp_idle_close = 20ms;
  options.resend_window = 3;
  options.batch_records = 4;
  return options;
}

struct Harness {
  TempDir dir;
  std::shared_ptr<FakeState> state = std::make_shared<FakeState>();
  std::unique_ptr<SiemSinkRunner> runner;

  void start(const SiemSinkOptions& options) {
    auto cursor = DeliveryCursor::open(dir.path() / "cursors", options.name);
    REQUIRE(cursor);
    runner =
        std::make_unique<SiemSinkRunner>(options, dir.path() / "log", std::move(*cursor),
                                         std::make_unique<FakeTransport>(state), SyslogHeader{});
    runner->start();
  }
  std::filesystem::path log() const { return dir.path() / "log"; }
  bool wait_delivered(std::uint64_t sequence, std::chrono::milliseconds timeout = 5s) {
    return portcullis::test::wait_until(
        [&] { return runner->lag().delivered_sequence == sequence; }, timeout, 2ms);
  }
  std::vector<std::uint64_t> sent() {
    std::lock_guard lock(state->mutex);
    return state->sequences;
  }
  std::uint64_t stored_cursor() {
    auto cursor = DeliveryCursor::open(dir.path() / "cursors", "fake");
    REQUIRE(cursor);
    return cursor->position().sequence;
  }
};

std::vector<std::uint64_t> range(std::uint64_t first, std::uint64_t last) {
  std::vector<std::uint64_t> out;
  for (auto s = first; s <= last; ++s) {
    out.push_back(s);
  }
  return out;
}

bool wait_for(const std::function<bool()>& done, std::chrono::milliseconds timeout = 5s) {
  return portcullis::test::wait_until(done, timeout, 2ms);
}

}  // namespace

TEST_CASE("The cursor covers only acknowledged records until the session is closed",
          "[siem][runner]") {
  Harness h;
  std::filesystem::create_directories(h.log());
  append_records(h.log(), kFile, 1, 10);
  auto options = fast_options();
  options.relp_idle_close = 10min;  // never close while the test looks
  h.start(options);
  REQUIRE(h.wait_delivered(7));  // 10 sent, window 3 unacknowledged
  std::this_thread::sleep_for(50ms);
  CHECK(h.runner->lag().delivered_sequence == 7);
  CHECK(h.runner->lag().records == 3);
  h.runner->stop();  // closing confirms the window
  CHECK(h.runner->lag().delivered_sequence == 10);
  CHECK(h.stored_cursor() == 10);
  CHECK(h.sent() == range(1, 10));
}

TEST_CASE("An idle acknowledging session is closed to confirm its tail", "[siem][runner]") {
  Harness h;
  std::filesystem::create_directories(h.log());
  append_records(h.log(), kFile, 1, 5);
  h.start(fast_options());
  REQUIRE(h.wait_delivered(5));
  append_records(h.log(), kFile, 6, 6);
  REQUIRE(h.wait_delivered(6));
  h.runner->stop();
  CHECK(h.sent() == range(1, 6));
  CHECK(h.state->connects == 2);  // a new session after the idle close
  CHECK(h.runner->stats().failures == 0);
}

TEST_CASE("After a failed send, unacknowledged records are sent again from the cursor",
          "[siem][runner]") {
  Harness h;
  std::filesystem::create_directories(h.log());
  append_records(h.log(), kFile, 1, 12);
  h.state->fail_send_number[8] = true;  // records 1..7 sent, 1..4 acknowledged
  h.start(fast_options());
  REQUIRE(h.wait_delivered(12));
  h.runner->stop();
  std::vector<std::uint64_t> expected = range(1, 7);
  const auto again = range(5, 12);
  expected.insert(expected.end(), again.begin(), again.end());
  CHECK(h.sent() == expected);
  CHECK(h.runner->stats().failures == 1);
  CHECK(h.runner->stats().resent == 3);  // 5, 6, 7
  CHECK(h.runner->stats().delivered == 12);
  CHECK(h.stored_cursor() == 12);
}

TEST_CASE("Without acknowledgements every reconnect re-sends the window before the cursor",
          "[siem][runner]") {
  Harness h;
  std::filesystem::create_directories(h.log());
  append_records(h.log(), kFile, 1, 10);
  h.state->acknowledges = false;
  h.state->fail_send_number[11] = true;  // the connection dies when record 11 is sent
  h.start(fast_options());
  REQUIRE(h.wait_delivered(10));
  append_records(h.log(), kFile, 11, 12);
  REQUIRE(h.wait_delivered(12));
  h.runner->stop();
  std::vector<std::uint64_t> expected = range(1, 10);
  const auto again = range(8, 12);  // window 3 before the cursor (10), then the new records
  expected.insert(expected.end(), again.begin(), again.end());
  CHECK(h.sent() == expected);
  CHECK(h.runner->stats().resent == 3);
}

TEST_CASE("A restarted sink resumes from its stored cursor", "[siem][runner]") {
  Harness h;
  std::filesystem::create_directories(h.log());
  append_records(h.log(), kFile, 1, 8);
  {
    auto cursor = DeliveryCursor::open(h.dir.path() / "cursors", "fake");
    REQUIRE(cursor);
    const auto line = portcullis::test::siem_unit::record_line(1).size() + 1;
    REQUIRE(cursor->store(LogPosition{kFile, 5 * line, 5}));
  }
  const bool acknowledges = GENERATE(true, false);
  h.state->acknowledges = acknowledges;
  h.start(fast_options());
  REQUIRE(h.wait_delivered(8));
  h.runner->stop();
  // An acknowledging transport starts after the cursor; syslog re-sends its window first.
  CHECK(h.sent() == (acknowledges ? range(6, 8) : range(3, 8)));
}

TEST_CASE("Connection failures are retried with back-off and counted", "[siem][runner]") {
  Harness h;
  std::filesystem::create_directories(h.log());
  append_records(h.log(), kFile, 1, 3);
  h.state->connect_failures_left = 3;
  h.start(fast_options());
  REQUIRE(h.wait_delivered(3));
  h.runner->stop();
  const auto stats = h.runner->stats();
  CHECK(stats.failures == 3);
  CHECK(stats.connects >= 1);
  CHECK(stats.last_error.empty());  // cleared by the delivery that followed
  CHECK(h.sent() == range(1, 3));
}

TEST_CASE("Finishing, a sink delivers the records it had not seen yet, then stops",
          "[siem][runner][drain]") {
  Harness h;
  std::filesystem::create_directories(h.log());
  append_records(h.log(), kFile, 1, 5);
  auto options = fast_options();
  options.poll_interval = 10min;  // idle, it looks at the log once a second (its idle wait)
  const bool acknowledges = GENERATE(true, false);
  h.state->acknowledges = acknowledges;
  h.start(options);
  REQUIRE(h.wait_delivered(5));
  append_records(h.log(), kFile, 6, 9);  // as the shutdown checkpoint is written
  h.runner->finish_by(std::chrono::steady_clock::now() + 10min);
  h.runner->join();  // returns once caught up, long before the deadline
  CHECK(h.runner->lag().delivered_sequence == 9);
  CHECK(h.stored_cursor() == 9);
  CHECK(h.sent() == range(1, 9));
  CHECK(h.runner->stats().failures == 0);
}

// Four records to deliver and a receiver that refuses every connection; returns once the sink
// has failed at least once.
void start_against_refusing_receiver(Harness& h) {
  std::filesystem::create_directories(h.log());
  append_records(h.log(), kFile, 1, 4);
  h.state->connect_failures_left = 1'000'000;
  h.start(fast_options());
  REQUIRE(wait_for([&] { return h.runner->stats().failures >= 1; }));
}

TEST_CASE("Finishing, a sink keeps retrying a failing receiver until the deadline only",
          "[siem][runner][drain]") {
  Harness h;
  start_against_refusing_receiver(h);
  const auto failures_before = h.runner->stats().failures;
  const auto began = std::chrono::steady_clock::now();
  h.runner->finish_by(began + 300ms);
  h.runner->join();
  const auto took = std::chrono::steady_clock::now() - began;
  CHECK(took >= 290ms);
  CHECK(took < 5s);
  CHECK(h.runner->stats().failures > failures_before);  // it kept trying meanwhile
  CHECK(h.runner->lag().delivered_sequence == 0);
  CHECK(h.sent().empty());
}

TEST_CASE("A stop request ends a finishing sink at once", "[siem][runner][drain]") {
  Harness h;
  start_against_refusing_receiver(h);
  const auto began = std::chrono::steady_clock::now();
  h.runner->finish_by(began + 10min);
  h.runner->stop();
  CHECK(std::chrono::steady_clock::now() - began < 5s);
}

TEST_CASE("A corrupt log stalls delivery at the bad record and reports it", "[siem][runner]") {
  Harness h;
  std::filesystem::create_directories(h.log());
  append_records(h.log(), kFile, 1, 3);
  append_records(h.log(), kFile, 5, 6);  // record 4 is missing
  h.start(fast_options());
  REQUIRE(h.wait_delivered(3));
  REQUIRE(wait_for(
      [&] { return h.runner->stats().failures >= 1 && h.runner->lag().latest_sequence == 6; }));
  const auto stats = h.runner->stats();
  CHECK(stats.failures >= 1);
  CHECK_THAT(stats.last_error, Catch::Contains("sequence 5 where 4 was expected"));
  CHECK(h.runner->lag().delivered_sequence == 3);
  CHECK(h.runner->lag().latest_sequence == 6);
  h.runner->stop();
  CHECK(h.sent() == range(1, 3));
}

TEST_CASE("Lag counts undelivered records and their age and raises the alarm once",
          "[siem][runner]") {
  Harness h;
  std::filesystem::create_directories(h.log());
  append_records(h.log(), kFile, 1, 20);  // times are in 2023: old
  h.state->connect_failures_left = 1000000;
  auto options = fast_options();
  options.lag_alarm_records = 100;
  options.lag_alarm_age = 60s;
  h.start(options);
  REQUIRE(wait_for([&] { return h.runner->lag().alarm; }));
  const auto lag = h.runner->lag();
  CHECK(lag.records == 20);
  CHECK(lag.latest_sequence == 20);
  CHECK(lag.seconds > 3600);
  CHECK(lag.alarm);  // by age
  CHECK(h.runner->stats().alarms == 1);
  h.runner->stop();
}
