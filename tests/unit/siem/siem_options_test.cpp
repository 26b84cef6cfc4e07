#include <catch2/catch.hpp>
#include <fstream>

#include "log_files.hpp"
#include "portcullis/net/siem_config.hpp"
#include "portcullis/net/siem_sink.hpp"

using portcullis::net::SiemDelivery;
using portcullis::net::SiemDeliveryOptions;
using portcullis::net::SiemSinkOptions;
using portcullis::net::SiemSinkType;
using portcullis::test::siem_unit::TempDir;

namespace {

SiemSinkOptions plain_sink(std::string name) {
  SiemSinkOptions options;
  options.name = std::move(name);
  options.type = SiemSinkType::Syslog;
  options.address = "127.0.0.1:6514";
  options.tls.enabled = false;
  return options;
}

}  // namespace

TEST_CASE("Sink types parse from their config spelling", "[siem][options]") {
  CHECK(portcullis::net::parse_siem_sink_type("relp").value() == SiemSinkType::Relp);
  CHECK(portcullis::net::parse_siem_sink_type("syslog").value() == SiemSinkType::Syslog);
  CHECK_FALSE(portcullis::net::parse_siem_sink_type("RELP"));
  CHECK(portcullis::net::to_string(SiemSinkType::Relp) == "relp");
}

TEST_CASE("Invalid sink options are refused with the reason", "[siem][options]") {
  TempDir dir;
  std::ofstream(dir.path() / "ca.pem") << "x";
  struct Case {
    std::function<void(SiemSinkOptions&)> change;
    std::string reason;
  };
  const auto c = GENERATE_REF(values<Case>({
      {[](SiemSinkOptions& o) { o.name = "bad name"; }, "name must be"},
      {[](SiemSinkOptions& o) { o.address = "nohost"; }, "expected host:port"},
      {[](SiemSinkOptions& o) {
         o.tls.enabled = true;
         o.type = SiemSinkType::Relp;
       },
       "tls.ca is required for RELP"},
      {[&](SiemSinkOptions& o) {
         o.tls.enabled = true;
         o.tls.ca = dir.path() / "missing.pem";
       },
       "cannot be read"},
      {[&](SiemSinkOptions& o) {
         o.tls.enabled = true;
         o.tls.ca = dir.path() / "ca.pem";
         o.tls.cert = dir.path() / "ca.pem";
       },
       "tls.cert and tls.key go together"},
      {[](SiemSinkOptions& o) { o.resend_window = 0; }, "resend_window"},
      {[](SiemSinkOptions& o) { o.relp_window = 1; }, "relp_window"},
      {[](SiemSinkOptions& o) { o.batch_records = 0; }, "batch_records"},
      {[](SiemSinkOptions& o) { o.io_timeout = std::chrono::milliseconds(0); }, "positive"},
      {[](SiemSinkOptions& o) { o.facility = 24; }, "facility"},
  }));
  auto options = plain_sink("s");
  c.change(options);
  auto valid = portcullis::net::validate_siem_sink(options);
  REQUIRE_FALSE(valid);
  CHECK_THAT(valid.error().message, Catch::Contains(c.reason));
}

TEST_CASE("A syslog sink over TLS may use the system trust store", "[siem][options]") {
  auto options = plain_sink("s");
  options.tls.enabled = true;
  CHECK(portcullis::net::validate_siem_sink(options));
}

TEST_CASE("Default sink names are stable and usable as file names", "[siem][options]") {
  CHECK(portcullis::net::default_siem_sink_name(SiemSinkType::Relp, "siem.example.org", 2514) ==
        "relp-siem.example.org-2514");
  CHECK(portcullis::net::default_siem_sink_name(SiemSinkType::Syslog, "::1", 6514) ==
        "syslog-__1-6514");
}

TEST_CASE("Two sinks with one name start nothing", "[siem][options]") {
  TempDir dir;
  SiemDeliveryOptions options;
  options.log_dir = dir.path() / "log";
  options.cursor_dir = dir.path() / "cursors";
  options.sinks = {plain_sink("same"), plain_sink("same")};
  auto delivery = SiemDelivery::start(options);
  REQUIRE_FALSE(delivery);
  CHECK_THAT(delivery.error().message, Catch::Contains("configured twice"));
}

TEST_CASE("A delivery reports the status of each sink by name", "[siem][options]") {
  TempDir dir;
  SiemDeliveryOptions options;
  options.log_dir = dir.path() / "log";
  options.cursor_dir = dir.path() / "cursors";
  options.sinks = {plain_sink("a"), plain_sink("b")};
  options.sinks[1].type = SiemSinkType::Relp;
  auto delivery = SiemDelivery::start(options);
  REQUIRE(delivery);
  const auto status = (*delivery)->status();
  REQUIRE(status.size() == 2);
  CHECK(status[0].name == "a");
  CHECK(status[1].type == SiemSinkType::Relp);
  CHECK((*delivery)->sink("b") != nullptr);
  CHECK((*delivery)->sink("c") == nullptr);
  (*delivery)->stop();
  (*delivery)->stop();  // idempotent
}

TEST_CASE("Configured audit sinks become delivery options", "[siem][options]") {
  portcullis::config::Audit audit;
  audit.dir = "/var/lib/portcullis/audit";
  portcullis::config::Sink relp;
  relp.type = portcullis::config::SinkType::Relp;
  relp.address = {"siem.example.org", 2514};
  relp.tls = portcullis::config::ClientTls{"/etc/ca.pem", "/etc/gw.pem", "/etc/gw.key", "siem"};
  portcullis::config::Sink syslog;
  syslog.type = portcullis::config::SinkType::Syslog;
  syslog.address = {"::1", 514};
  audit.sinks = {relp, syslog};

  const auto options = portcullis::net::siem_delivery_options(audit);
  CHECK(options.log_dir == audit.dir);
  CHECK(options.cursor_dir == audit.dir / "siem-cursors");
  REQUIRE(options.sinks.size() == 2);
  CHECK(options.sinks[0].name == "relp-siem.example.org-2514");
  CHECK(options.sinks[0].type == SiemSinkType::Relp);
  CHECK(options.sinks[0].address == "siem.example.org:2514");
  CHECK(options.sinks[0].tls.enabled);
  CHECK(options.sinks[0].tls.ca == "/etc/ca.pem");
  CHECK(options.sinks[0].tls.server_name == "siem");
  CHECK(options.sinks[1].address == "[::1]:514");
  CHECK_FALSE(options.sinks[1].tls.enabled);
  CHECK(portcullis::net::siem_delivery_options(audit, "/run/cursors").cursor_dir == "/run/cursors");
}
