// What /metrics shows beyond the request counters: the session and rate state the gateway
// keeps, and the SIEM sinks' delivery state (lag, alarm, delivered, connects, failures).
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <future>
#include <thread>

#include "integration/gateway/test_helpers.hpp"
#include "portcullis/audit/audit_log.hpp"
#include "portcullis/net/siem_sink.hpp"
#include "support/gateway_fixture.hpp"

using namespace portcullis::test;
using namespace std::chrono_literals;

namespace {

std::string scrape(GatewayFixture& gw) {
  auto anonymous = gw.admin(std::nullopt);
  auto response = anonymous->request("GET", "/metrics", "");
  REQUIRE(response.result_int() == 200);
  return response.body();
}

// The value of the sample `series` (name with labels), or -1 when it is not there.
double sample(const std::string& text, const std::string& series) {
  const std::string prefix = "\n" + series + " ";
  const std::size_t at = text.find(prefix);
  if (at == std::string::npos) {
    return -1;
  }
  const std::size_t start = at + prefix.size();
  return std::stod(text.substr(start, text.find('\n', start) - start));
}

// A syslog receiver that accepts connections one after another and discards what they send.
class DiscardReceiver {
 public:
  DiscardReceiver() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(0x7f000001U);  // 127.0.0.1
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(::listen(fd_, 4) == 0);
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] {
      for (;;) {
        const int connection = ::accept(fd_, nullptr, nullptr);
        if (connection < 0) {
          return;  // shut down
        }
        char buffer[4096];
        while (::read(connection, buffer, sizeof buffer) > 0) {
        }
        ::close(connection);
      }
    });
  }
  ~DiscardReceiver() {
    ::shutdown(fd_, SHUT_RDWR);  // wakes accept()
    thread_.join();
    ::close(fd_);
  }
  DiscardReceiver(const DiscardReceiver&) = delete;
  DiscardReceiver& operator=(const DiscardReceiver&) = delete;
  [[nodiscard]] std::uint16_t port() const { return port_; }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

// A port nothing listens on (bound, then released).
std::uint16_t closed_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(0x7f000001U);  // 127.0.0.1
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

// Writes `n` admin records into a real audit log in `dir` and closes it; returns how many
// records the files hold (the log may add its own).
std::uint64_t write_audit_log(const std::filesystem::path& dir, int n) {
  portcullis::audit::AuditLogOptions options;
  options.dir = dir;
  auto log = portcullis::audit::AuditLog::open(options);
  REQUIRE(log);
  for (int i = 0; i < n; ++i) {
    std::promise<bool> written;
    portcullis::audit::AdminEvent event;
    event.kind = portcullis::audit::AdminEvent::Kind::Reload;
    event.time_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
    event.operator_identity = kOperator;
    event.detail = "hash-" + std::to_string(i);
    (*log)->append(std::move(event), [&written](auto receipt) { written.set_value(receipt.has_value()); });
    REQUIRE(written.get_future().get());
  }
  (*log)->close();
  std::uint64_t lines = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() == ".jsonl") {
      std::ifstream in(entry.path());
      std::string line;
      while (std::getline(in, line)) {
        ++lines;
      }
    }
  }
  return lines;
}

portcullis::net::SiemSinkOptions syslog_sink(const std::string& name, std::uint16_t port) {
  portcullis::net::SiemSinkOptions sink;
  sink.name = name;
  sink.type = portcullis::net::SiemSinkType::Syslog;
  sink.address = "127.0.0.1:" + std::to_string(port);
  sink.tls.enabled = false;
  sink.connect_timeout = 1s;
  sink.io_timeout = 1s;
  sink.backoff_initial = 50ms;
  sink.backoff_max = 200ms;
  sink.poll_interval = 20ms;
  sink.cursor_sync_interval = 20ms;
  sink.lag_alarm_records = 1;
  return sink;
}

}  // namespace

TEST_CASE("/metrics shows the session and rate state the gateway keeps", "[gateway][metrics]") {
  GatewayFixture gw;
  const std::string before = scrape(gw);
  CHECK(has_metric_line(before, "portcullis_sessions 0"));
  CHECK(has_metric_line(before, "portcullis_rate_keys 0"));

  // One allowed call in MCP session s1: one session with the tool, agent A labelled "echoed"
  // (the echo permit's @label), one agent window and one agent+tool window.
  const auto response = gw.post_as_a("/mcp", echo_call(), {{"Mcp-Session-Id", "s1"}});
  REQUIRE(body_json(response)["result"]["upstream"] == "ok");
  const std::string after = scrape(gw);
  CHECK(has_metric_line(after, "portcullis_sessions 1"));
  CHECK(has_metric_line(after, "portcullis_session_agents 1"));
  CHECK(has_metric_line(after, "portcullis_rate_keys 2"));
  CHECK(has_metric_line(after, "portcullis_session_evictions_total 0"));
  CHECK(has_metric_line(after, "portcullis_rate_evictions_total 0"));
}

TEST_CASE("/metrics shows the audit log's own totals", "[gateway][metrics]") {
  GatewayFixture gw;
  CHECK(has_metric_line(scrape(gw), "portcullis_audit_records_total 0"));
  const auto response = gw.post_as_a("/mcp", echo_call());
  REQUIRE(body_json(response)["result"]["upstream"] == "ok");
  // The decision record, then the outcome record (written after the answer).
  REQUIRE(gw.audit().wait_for_outcomes(1, std::chrono::seconds(3)));
  const std::string after = scrape(gw);
  CHECK(has_metric_line(after, "portcullis_audit_records_total 2"));
  CHECK(has_metric_line(after, "portcullis_audit_spare_ready 0"));
}

TEST_CASE("/metrics shows each SIEM sink's lag, alarm and delivery", "[gateway][metrics][siem]") {
  GatewayFixture gw;
  const auto log_dir = gw.dir() / "siem-log";
  const std::uint64_t records = write_audit_log(log_dir, 5);
  REQUIRE(records >= 5);
  std::this_thread::sleep_for(50ms);  // so the oldest undelivered record is measurably old

  DiscardReceiver receiver;
  portcullis::net::SiemDeliveryOptions options;
  options.log_dir = log_dir;
  options.cursor_dir = gw.dir() / "siem-cursors";
  options.sinks.push_back(syslog_sink("down", closed_port()));
  options.sinks.push_back(syslog_sink("up", receiver.port()));
  auto started = portcullis::net::SiemDelivery::start(options);
  REQUIRE(started);
  std::unique_ptr<portcullis::net::SiemDelivery> delivery = std::move(*started);
  gw.gateway().watch_siem(*delivery);

  // Settled: the live sink has delivered everything, the dead one has failed at least once.
  REQUIRE(eventually(
      [&] {
        const auto* up = delivery->sink("up");
        const auto* down = delivery->sink("down");
        const auto up_lag = up->lag();
        return up->stats().delivered == records && up_lag.records == 0 && !up_lag.alarm &&
               up_lag.seconds == 0 && down->stats().failures > 0 && down->lag().alarm;
      },
      5s));

  const std::string text = scrape(gw);
  INFO(text);
  const std::string n = std::to_string(records);
  CHECK(has_metric_line(text, R"(portcullis_audit_sink_lag_records{sink="down"} )" + n));
  CHECK(has_metric_line(text, R"(portcullis_audit_sink_lag_alarm{sink="down"} 1)"));
  CHECK(has_metric_line(text, R"(portcullis_audit_sink_connected{sink="down"} 0)"));
  CHECK(has_metric_line(text, R"(portcullis_audit_sink_connects_total{sink="down"} 0)"));
  CHECK(has_metric_line(text, R"(portcullis_audit_sink_delivered_records_total{sink="down"} 0)"));
  CHECK(sample(text, R"(portcullis_audit_sink_failures_total{sink="down"})") >= 1);
  // The records were written before the sinks started: the dead sink is behind in time too.
  CHECK(sample(text, R"(portcullis_audit_sink_lag_seconds{sink="down"})") > 0);

  CHECK(has_metric_line(text, R"(portcullis_audit_sink_lag_records{sink="up"} 0)"));
  CHECK(has_metric_line(text, R"(portcullis_audit_sink_lag_seconds{sink="up"} 0)"));
  CHECK(has_metric_line(text, R"(portcullis_audit_sink_lag_alarm{sink="up"} 0)"));
  CHECK(has_metric_line(text, R"(portcullis_audit_sink_delivered_records_total{sink="up"} )" + n));
  CHECK(has_metric_line(text, R"(portcullis_audit_sink_connects_total{sink="up"} 1)"));
  CHECK(sample(text, R"(portcullis_audit_sink_failures_total{sink="up"})") == 0);

  // After shutdown the gateway no longer reads the delivery, which may then go (ASan checks
  // that nothing still points into it).
  gw.gateway().shutdown(std::chrono::milliseconds(100));
  delivery.reset();
  const std::string last = gw.gateway().metrics().render();
  CHECK(has_metric_line(last, R"(portcullis_audit_sink_lag_records{sink="down"} )" + n));
}
