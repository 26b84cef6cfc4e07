// SIEM delivery against a real rsyslogd: RELP over TLS survives kill -9 of the receiver with
// every record delivered exactly as written; syslog over TLS survives a clean restart
// (at-least-once, duplicates carry the same uid); certificates are verified; the cursor resumes
// a restarted delivery; the lag alarm rises when the receiver is gone; stopping with a drain
// timeout delivers what the log holds first, and gives up at the timeout.
#include <sys/resource.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <functional>
#include <map>
#include <set>
#include <thread>

#include "portcullis/audit/audit_log.hpp"
#include "portcullis/audit/delivery_cursor.hpp"
#include "portcullis/audit/jcs.hpp"
#include "portcullis/audit/log_reader.hpp"
#include "portcullis/net/siem_sink.hpp"
#include "siem_fixture.hpp"

namespace {

using namespace std::chrono_literals;
using portcullis::net::SiemDelivery;
using portcullis::net::SiemDeliveryOptions;
using portcullis::net::SiemSinkOptions;
using portcullis::net::SiemSinkType;
namespace fx = portcullis::test::siem;

SiemSinkOptions sink_options(SiemSinkType type, const fx::Certificates& certs, std::uint16_t port) {
  SiemSinkOptions options;
  options.name = type == SiemSinkType::Relp ? "relp-test" : "syslog-test";
  options.type = type;
  options.address = "127.0.0.1:" + std::to_string(port);
  options.tls.ca = certs.ca;
  options.tls.cert = certs.client_cert;
  options.tls.key = certs.client_key;
  options.tls.server_name = "localhost";
  options.resend_window = 500;
  options.relp_window = 32;
  options.batch_records = 64;
  options.connect_timeout = 2s;
  options.io_timeout = 3s;
  options.backoff_initial = 50ms;
  options.backoff_max = 400ms;
  options.poll_interval = 20ms;
  options.cursor_sync_interval = 50ms;
  options.relp_idle_close = 100ms;
  return options;
}

// The rsyslog input that speaks what a sink of `type` sends, over TLS.
fx::RsyslogInput rsyslog_input_for(SiemSinkType type) {
  return type == SiemSinkType::Relp ? fx::RsyslogInput::RelpTls : fx::RsyslogInput::SyslogTls;
}

std::unique_ptr<SiemDelivery> start_delivery(const std::filesystem::path& root,
                                             const SiemSinkOptions& sink) {
  SiemDeliveryOptions options;
  options.log_dir = root / "log";
  options.cursor_dir = root / "cursors";
  options.sinks.push_back(sink);
  auto delivery = SiemDelivery::start(std::move(options));
  REQUIRE(delivery);
  return std::move(*delivery);
}

std::string uid_in(const std::string& line) {
  auto record = portcullis::audit::parse_audit_record_line(line);
  return record ? record->uid : std::string();
}

// What arrived, checked against the files: every line is byte-for-byte a record of the log,
// and after de-duplication by uid the set is exactly records 1..last. Returns the duplicates.
std::size_t check_received_exactly(const fx::AuditFiles& files,
                                   const std::vector<std::string>& received) {
  std::map<std::string, std::uint64_t> sequence_of_uid;
  for (std::uint64_t seq = 1; seq <= files.last_sequence(); ++seq) {
    sequence_of_uid.emplace(fx::AuditFiles::uid_of(seq), seq);
  }
  std::set<std::string> seen;
  std::size_t duplicates = 0;
  for (const auto& line : received) {
    const auto uid = uid_in(line);
    const auto known = sequence_of_uid.find(uid);
    INFO("received: " << line.substr(0, 160));
    REQUIRE(known != sequence_of_uid.end());
    REQUIRE(line == files.line(known->second));
    if (!seen.insert(uid).second) {
      ++duplicates;
    }
  }
  CHECK(seen.size() == files.last_sequence());
  return duplicates;
}

// Plays the audit writer: calls `step(i)` every 10 ms (at least 40 times) until finish().
class BackgroundWriter {
 public:
  explicit BackgroundWriter(std::function<void(int)> step)
      : thread_([this, step = std::move(step)] {
          for (int i = 0; keep_going_ || i < 40; ++i) {
            step(i);
            std::this_thread::sleep_for(10ms);
          }
        }) {}
  ~BackgroundWriter() { finish(); }
  BackgroundWriter(const BackgroundWriter&) = delete;
  BackgroundWriter& operator=(const BackgroundWriter&) = delete;
  void finish() {
    keep_going_ = false;
    if (thread_.joinable()) {
      thread_.join();
    }
  }

 private:
  std::atomic<bool> keep_going_{true};
  std::thread thread_;
};

const portcullis::net::SiemSink& only_sink(const SiemDelivery& delivery, const std::string& name) {
  const auto* sink = delivery.sink(name);
  REQUIRE(sink != nullptr);
  return *sink;
}

}  // namespace

TEST_CASE("RELP over TLS delivers every record exactly as written across a kill -9 of rsyslog",
          "[siem][relp][integration]") {
  fx::TempDir tmp;
  const auto certs = fx::make_certificates(tmp.path());
  fx::AuditFiles files(tmp.path() / "log");
  files.append(300);
  files.rotate();
  files.append(200);
  fx::Rsyslog rsyslog(tmp.path() / "rsyslog", certs, fx::RsyslogInput::RelpTls, fx::free_port());
  rsyslog.start();
  const auto options = sink_options(SiemSinkType::Relp, certs, rsyslog.port());
  auto delivery = start_delivery(tmp.path(), options);
  const auto& sink = only_sink(*delivery, options.name);

  // The audit writer keeps appending (and rotating) until after the receiver is back.
  BackgroundWriter writer([&files](int i) {
    files.append(25);
    if (i == 20 || i == 50) {
      files.rotate();
    }
  });
  REQUIRE(fx::wait_until([&] { return rsyslog.received().size() >= 800; }, 20s));
  rsyslog.kill9();
  std::this_thread::sleep_for(300ms);
  rsyslog.start();
  std::this_thread::sleep_for(300ms);
  writer.finish();

  // A torn last line is not a record yet: it must not be sent until it is complete.
  const auto complete = files.last_sequence();
  files.append_torn(120);
  REQUIRE(fx::wait_until([&] { return sink.lag().delivered_sequence == complete; }, 30s));
  std::this_thread::sleep_for(200ms);
  for (const auto& line : rsyslog.received()) {
    REQUIRE(uid_in(line) != fx::AuditFiles::uid_of(complete + 1));
  }
  files.complete_torn();
  files.append(10);
  REQUIRE(
      fx::wait_until([&] { return sink.lag().delivered_sequence == files.last_sequence(); }, 30s));
  delivery->stop();

  const auto duplicates = check_received_exactly(files, rsyslog.received());
  const auto stats = sink.stats();
  INFO("duplicates " << duplicates << ", resent " << stats.resent << ", connects " << stats.connects
                     << ", failures " << stats.failures);
  CHECK(stats.failures >= 1);  // the kill was noticed
  CHECK(duplicates <= stats.resent);
  CHECK(sink.lag().records == 0);
  auto cursor = portcullis::audit::DeliveryCursor::open(tmp.path() / "cursors", options.name);
  REQUIRE(cursor);
  CHECK(cursor->position().sequence == files.last_sequence());
}

TEST_CASE("Syslog over TLS delivers every record at least once across a clean rsyslog restart",
          "[siem][syslog][integration]") {
  fx::TempDir tmp;
  const auto certs = fx::make_certificates(tmp.path());
  fx::AuditFiles files(tmp.path() / "log");
  files.append(400);
  fx::Rsyslog rsyslog(tmp.path() / "rsyslog", certs, fx::RsyslogInput::SyslogTls, fx::free_port());
  rsyslog.start();
  const auto options = sink_options(SiemSinkType::Syslog, certs, rsyslog.port());
  auto delivery = start_delivery(tmp.path(), options);
  const auto& sink = only_sink(*delivery, options.name);

  BackgroundWriter writer([&files](int i) {
    files.append(25);
    if (i == 30) {
      files.rotate();
    }
  });
  REQUIRE(fx::wait_until([&] { return rsyslog.received().size() >= 700; }, 20s));
  rsyslog.terminate();
  std::this_thread::sleep_for(300ms);
  rsyslog.start();
  std::this_thread::sleep_for(300ms);
  writer.finish();
  REQUIRE(fx::wait_until(
      [&] {
        return sink.lag().delivered_sequence == files.last_sequence() && sink.stats().connects >= 2;
      },
      30s));
  // Give the receiver a moment to write what it read.
  REQUIRE(fx::wait_until(
      [&] {
        std::set<std::string> uids;
        for (const auto& line : rsyslog.received()) {
          uids.insert(uid_in(line));
        }
        return uids.size() == files.last_sequence();
      },
      10s));
  delivery->stop();

  const auto duplicates = check_received_exactly(files, rsyslog.received());
  const auto stats = sink.stats();
  INFO("duplicates " << duplicates << ", resent " << stats.resent);
  CHECK(stats.resent >= 1);  // the window was re-sent after the reconnect
  CHECK(duplicates <= stats.resent);
}

TEST_CASE("A RELP delivery restarted from its cursor sends each record once",
          "[siem][relp][integration]") {
  fx::TempDir tmp;
  const auto certs = fx::make_certificates(tmp.path());
  fx::AuditFiles files(tmp.path() / "log");
  files.append(100);
  fx::Rsyslog rsyslog(tmp.path() / "rsyslog", certs, fx::RsyslogInput::RelpTls, fx::free_port());
  rsyslog.start();
  const auto options = sink_options(SiemSinkType::Relp, certs, rsyslog.port());
  std::uint64_t resent_before_restart = 0;
  {
    auto delivery = start_delivery(tmp.path(), options);
    REQUIRE(fx::wait_until(
        [&] { return only_sink(*delivery, options.name).lag().delivered_sequence == 100; }, 15s));
    delivery->stop();
    resent_before_restart = only_sink(*delivery, options.name).stats().resent;
  }
  files.rotate();
  files.append(50);
  auto delivery = start_delivery(tmp.path(), options);
  const auto& sink = only_sink(*delivery, options.name);
  REQUIRE(fx::wait_until([&] { return sink.lag().delivered_sequence == 150; }, 15s));
  delivery->stop();
  // The restarted sink started after its cursor: it sent the 50 new records, each once, plus
  // only what a session that failed under load made it send again (RELP re-sends the
  // unacknowledged window; none when nothing failed).
  const auto stats = sink.stats();
  CHECK(stats.sent - stats.resent == 50);
  const auto duplicates = check_received_exactly(files, rsyslog.received());
  INFO("resent " << resent_before_restart << " then " << stats.resent);
  CHECK(duplicates <= resent_before_restart + stats.resent);
}

TEST_CASE("A receiver whose certificate fails verification is never sent a record",
          "[siem][tls][integration]") {
  fx::TempDir tmp;
  const auto certs = fx::make_certificates(tmp.path());
  fx::AuditFiles files(tmp.path() / "log");
  files.append(20);
  const auto type = GENERATE(SiemSinkType::Relp, SiemSinkType::Syslog);
  fx::Rsyslog rsyslog(tmp.path() / "rsyslog", certs, rsyslog_input_for(type), fx::free_port());
  rsyslog.start();
  auto options = sink_options(type, certs, rsyslog.port());
  SECTION("issued by another CA") { options.tls.ca = certs.rogue_ca; }
  SECTION("issued for another name") { options.tls.server_name = "siem.example.org"; }
  auto delivery = start_delivery(tmp.path(), options);
  const auto& sink = only_sink(*delivery, options.name);
  REQUIRE(fx::wait_until([&] { return sink.stats().failures >= 2; }, 10s));
  delivery->stop();
  CHECK(rsyslog.received().empty());
  CHECK(sink.lag().delivered_sequence == 0);
  CHECK(sink.stats().connects == 0);
  CHECK_FALSE(sink.stats().last_error.empty());
}

TEST_CASE("The lag alarm rises while the receiver is unreachable", "[siem][lag][integration]") {
  fx::TempDir tmp;
  const auto certs = fx::make_certificates(tmp.path());
  fx::AuditFiles files(tmp.path() / "log");
  files.append(50);
  // The records carry the time they were written: let the oldest be measurably old before the
  // sink first measures it (the alarm, on the record count, can rise within a millisecond).
  std::this_thread::sleep_for(50ms);
  auto options = sink_options(SiemSinkType::Syslog, certs, fx::free_port());  // nobody listens
  options.lag_alarm_records = 10;
  auto delivery = start_delivery(tmp.path(), options);
  const auto& sink = only_sink(*delivery, options.name);
  REQUIRE(fx::wait_until([&] { return sink.lag().alarm && sink.stats().failures >= 1; }, 5s));
  const auto lag = sink.lag();
  CHECK(lag.records == 50);
  CHECK(lag.latest_sequence == 50);
  CHECK(lag.delivered_sequence == 0);
  CHECK(lag.seconds >= 0.05);
  CHECK(sink.stats().alarms == 1);
  delivery->stop();
}

TEST_CASE("Stopped with time to drain, a sink delivers what the log holds and stops once it has",
          "[siem][drain][integration]") {
  fx::TempDir tmp;
  const auto certs = fx::make_certificates(tmp.path());
  fx::AuditFiles files(tmp.path() / "log");
  files.append(100);
  const auto type = GENERATE(SiemSinkType::Relp, SiemSinkType::Syslog);
  fx::Rsyslog rsyslog(tmp.path() / "rsyslog", certs, rsyslog_input_for(type), fx::free_port());
  rsyslog.start();
  auto options = sink_options(type, certs, rsyslog.port());
  // An idle sink then looks for new records once a second (its idle wait), not every 20 ms: the
  // records appended below are still unseen when stop() is called, as a shutdown's final
  // checkpoint is.
  options.poll_interval = 5s;
  {
    auto delivery = start_delivery(tmp.path(), options);
    const auto& sink = only_sink(*delivery, options.name);
    REQUIRE(fx::wait_until([&] { return sink.lag().delivered_sequence == 100; }, 15s));
    std::this_thread::sleep_for(300ms);  // settled and idle, in its 5 s wait
    files.append(50);
    const auto began = std::chrono::steady_clock::now();
    delivery->stop(10s);
    const auto took = std::chrono::steady_clock::now() - began;
    CHECK(sink.lag().delivered_sequence == 150);
    CHECK(sink.lag().records == 0);
    CHECK(took < 9s);  // it stopped once caught up, not at the 10 s drain timeout
  }
  REQUIRE(fx::wait_until([&] { return rsyslog.received().size() >= 150; }, 10s));
  CHECK(check_received_exactly(files, rsyslog.received()) == 0);
  auto cursor = portcullis::audit::DeliveryCursor::open(tmp.path() / "cursors", options.name);
  REQUIRE(cursor);
  CHECK(cursor->position().sequence == 150);
}

TEST_CASE("A sink whose receiver is down keeps trying until the drain timeout, then stops",
          "[siem][drain][integration]") {
  fx::TempDir tmp;
  const auto certs = fx::make_certificates(tmp.path());
  fx::AuditFiles files(tmp.path() / "log");
  files.append(20);
  auto options = sink_options(SiemSinkType::Relp, certs, fx::free_port());  // nobody listens
  auto delivery = start_delivery(tmp.path(), options);
  const auto& sink = only_sink(*delivery, options.name);
  REQUIRE(fx::wait_until([&] { return sink.stats().failures >= 1; }, 5s));
  const auto failures_before = sink.stats().failures;
  const auto began = std::chrono::steady_clock::now();
  delivery->stop(1s);
  const auto took = std::chrono::steady_clock::now() - began;
  CHECK(took >= 900ms);
  CHECK(took < 1s + options.connect_timeout + 1s);
  CHECK(sink.stats().failures > failures_before);  // it went on connecting while draining
  CHECK(sink.lag().delivered_sequence == 0);
  auto cursor = portcullis::audit::DeliveryCursor::open(tmp.path() / "cursors", options.name);
  REQUIRE(cursor);
  CHECK(cursor->position().sequence == 0);
}

double process_cpu_seconds() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

// Hidden (not run by ctest): prints delivery throughput to a local rsyslogd.
//   build/.../siem_integration_tests "[perf]"
TEST_CASE("Delivery throughput to rsyslog over TLS on loopback", "[.][siem][perf]") {
  constexpr std::size_t kRecords = 20000;
  const auto type = GENERATE(SiemSinkType::Relp, SiemSinkType::Syslog);
  fx::TempDir tmp;
  const auto certs = fx::make_certificates(tmp.path());
  fx::AuditFiles files(tmp.path() / "log", 1500);
  files.append(kRecords);
  fx::Rsyslog rsyslog(
      tmp.path() / "rsyslog", certs,
      type == SiemSinkType::Relp ? fx::RsyslogInput::RelpTls : fx::RsyslogInput::SyslogTls,
      fx::free_port());
  rsyslog.start();
  auto options = sink_options(type, certs, rsyslog.port());
  options.batch_records = 256;
  options.relp_window = 128;
  options.cursor_sync_interval = 500ms;
  const auto start = std::chrono::steady_clock::now();
  const double cpu_start = process_cpu_seconds();
  auto delivery = start_delivery(tmp.path(), options);
  const auto& sink = only_sink(*delivery, options.name);
  REQUIRE(fx::wait_until([&] { return sink.lag().delivered_sequence == kRecords; }, 120s));
  const auto delivered = std::chrono::steady_clock::now();
  const double cpu = process_cpu_seconds() - cpu_start;
  REQUIRE(fx::wait_until([&] { return rsyslog.received().size() >= kRecords; }, 60s));
  const double seconds = std::chrono::duration<double>(delivered - start).count();
  WARN(std::string(portcullis::net::to_string(type))
       << ": " << kRecords << " records of 1500 bytes confirmed in " << seconds
       << " s = " << static_cast<long>(kRecords / seconds) << " records/s ("
       << kRecords * 1500 / seconds / 1e6 << " MB/s); sender CPU " << cpu
       << " s = " << static_cast<long>(kRecords / cpu) << " records per CPU-second");
  delivery->stop();
}

TEST_CASE("Records written by the audit writer arrive byte for byte over RELP, across rotation",
          "[siem][relp][integration]") {
  fx::TempDir tmp;
  const auto certs = fx::make_certificates(tmp.path());
  portcullis::audit::AuditLogOptions log_options;
  log_options.dir = tmp.path() / "log";
  log_options.mode = portcullis::audit::DurabilityMode::Batched;
  log_options.rotate_bytes = 256 * 1024;  // several files
  log_options.checkpoint_every_records = 100;
  auto log = portcullis::audit::AuditLog::open(log_options);
  REQUIRE(log);
  fx::Rsyslog rsyslog(tmp.path() / "rsyslog", certs, fx::RsyslogInput::RelpTls, fx::free_port());
  rsyslog.start();
  const auto options = sink_options(SiemSinkType::Relp, certs, rsyslog.port());
  auto delivery = start_delivery(tmp.path(), options);
  const auto& sink = only_sink(*delivery, options.name);

  constexpr int kEvents = 1500;
  std::atomic<int> done{0};
  std::atomic<int> failed{0};
  for (int i = 0; i < kEvents; ++i) {
    portcullis::audit::DecisionEvent event;
    event.time_ms = 1795740000000 + i;
    event.request_id = "req-" + std::to_string(i);
    event.agent = "spiffe://example.org/agent/" + std::to_string(i % 7);
    event.protocol = "mcp";
    event.action = "tools/call";
    event.method = "tools/call";
    event.resource_type = "Tool";
    event.resource_id = "tools/echo";
    event.disposition = i % 5 == 0 ? portcullis::audit::Disposition::Blocked
                                   : portcullis::audit::Disposition::Allowed;
    event.policy_set_hash = "sha256:0";
    event.cedar_request_jcs = portcullis::audit::jcs(
        nlohmann::json{{"context", {{"input", {{"text", "caf\u00e9 \"quoted\" ]"}}}}}});
    (*log)->append(std::move(event), [&](portcullis::Result<portcullis::audit::AppendReceipt> r) {
      (r ? done : failed)++;
    });
  }
  REQUIRE(fx::wait_until([&] { return done + failed == kEvents; }, 30s));
  CHECK(failed == 0);
  (*log)->close();  // final checkpoint

  auto last = portcullis::audit::read_last_audit_record(log_options.dir);
  REQUIRE(last);
  REQUIRE(last->sequence > static_cast<std::uint64_t>(kEvents));  // + checkpoints
  REQUIRE(fx::wait_until([&] { return sink.lag().delivered_sequence == last->sequence; }, 30s));
  delivery->stop();

  // Everything in the files, in order, as the reader sees it...
  portcullis::audit::LogReader reader(log_options.dir);
  portcullis::audit::LogReaderLimits all;
  all.max_records = 1000000;
  auto records = reader.read(all);
  REQUIRE(records);
  REQUIRE(records->size() == last->sequence);
  CHECK(portcullis::audit::list_audit_log_files(log_options.dir)->size() >= 2);
  // ... is what rsyslog wrote: every record, byte for byte (a session that failed under load
  // may have re-sent some; they are identical and de-duplicate by uid).
  std::map<std::string, const std::string*> line_of_uid;
  for (const auto& record : *records) {
    line_of_uid.emplace(record.uid, &record.line);
  }
  std::set<std::string> seen;
  for (const auto& line : rsyslog.received()) {
    const auto uid = uid_in(line);
    const auto known = line_of_uid.find(uid);
    INFO("received: " << line.substr(0, 200));
    REQUIRE(known != line_of_uid.end());
    REQUIRE(line == *known->second);
    seen.insert(uid);
  }
  CHECK(seen.size() == records->size());
}
