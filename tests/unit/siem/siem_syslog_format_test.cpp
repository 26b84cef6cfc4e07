#include "net/siem_syslog_format.hpp"

#include <catch2/catch.hpp>

#include "net/siem_transport.hpp"

using namespace portcullis::net::detail;

namespace {

portcullis::audit::LogRecord record(std::uint64_t sequence, std::string uid, std::int64_t time_ms,
                                    std::string line) {
  portcullis::audit::LogRecord r;
  r.sequence = sequence;
  r.uid = std::move(uid);
  r.time_ms = time_ms;
  r.line = std::move(line);
  return r;
}

}  // namespace

TEST_CASE("An RFC 5424 message carries PRI, header, structured data and the JSON record",
          "[siem][syslog]") {
  SyslogHeader header;
  header.facility = 13;
  header.severity = 6;
  header.hostname = "gw-1.example.org";
  header.app_name = "portcullis";
  header.procid = "4242";
  const auto r = record(7, "0192f1a0-7000", 1795740010123, R"({"metadata":{"sequence":7}})");
  CHECK(format_syslog_message(header, r) ==
        "<110>1 2026-11-27T00:40:10.123Z gw-1.example.org portcullis 4242 audit "
        "[portcullis@32473 seq=\"7\" uid=\"0192f1a0-7000\"] {\"metadata\":{\"sequence\":7}}");
}

TEST_CASE("Header fields are NILVALUE when empty and printable ASCII only", "[siem][syslog]") {
  SyslogHeader header;
  header.hostname = "";
  header.app_name = "app name\xc3\xa9";
  header.procid = "";
  header.msgid = std::string(40, 'm');
  header.facility = 99;  // out of range falls back to log audit / informational
  header.severity = -1;
  const auto message = format_syslog_message(header, record(1, "u", 0, "{}"));
  CHECK(message == "<110>1 - - app_name__ - " + std::string(32, 'm') +
                       " [portcullis@32473 seq=\"1\" uid=\"u\"] {}");
}

TEST_CASE("Structured data parameter values escape quote, backslash and bracket",
          "[siem][syslog]") {
  CHECK(escape_sd_param_value(R"(a"b\c]d)") == R"(a\"b\\c\]d)");
  CHECK(escape_sd_param_value("plain") == "plain");
}

TEST_CASE("Timestamps are RFC 3339 UTC with milliseconds", "[siem][syslog]") {
  CHECK(format_syslog_timestamp(0) == "-");
  CHECK(format_syslog_timestamp(1) == "1970-01-01T00:00:00.001Z");
  CHECK(format_syslog_timestamp(951782400000) == "2000-02-29T00:00:00.000Z");
  CHECK(format_syslog_timestamp(4102444799999) == "2099-12-31T23:59:59.999Z");
}

TEST_CASE("Octet counting prefixes the byte length and a space (RFC 6587)", "[siem][syslog]") {
  CHECK(frame_octet_counted("<14>1 - - - - - - x") == "19 <14>1 - - - - - - x");
  CHECK(frame_octet_counted("") == "0 ");
  const std::string utf8 = "caf\xc3\xa9";  // 5 bytes, 4 characters
  CHECK(frame_octet_counted(utf8) == "5 " + utf8);
}

TEST_CASE("Addresses split into host and port", "[siem][syslog]") {
  auto v4 = split_host_port("127.0.0.1:6514");
  REQUIRE(v4);
  CHECK(v4->host == "127.0.0.1");
  CHECK(v4->port == "6514");
  auto v6 = split_host_port("[::1]:2514");
  REQUIRE(v6);
  CHECK(v6->host == "::1");
  CHECK(v6->port == "2514");
  const auto bad = GENERATE(as<std::string>{}, "", "host", "host:", ":514", "host:0", "host:65536",
                            "host:12x", "::1:514", "[::1]514", "[::1]");
  CHECK_FALSE(split_host_port(bad));
}
