#include <catch2/catch.hpp>

#include "portcullis/config/config.hpp"
#include "portcullis/config/time_zone.hpp"

using namespace portcullis::config;
using namespace std::chrono;

TEST_CASE("Durations parse with units and refuse anything else", "[config][values]") {
  CHECK(*parse_duration("250ms") == milliseconds(250));
  CHECK(*parse_duration("30s") == seconds(30));
  CHECK(*parse_duration("30") == seconds(30));
  CHECK(*parse_duration("5m") == minutes(5));
  CHECK(*parse_duration("1h") == hours(1));
  CHECK(*parse_duration("2d") == hours(48));
  CHECK_FALSE(parse_duration(""));
  CHECK_FALSE(parse_duration("s"));
  CHECK_FALSE(parse_duration("-1s"));
  CHECK_FALSE(parse_duration("1.5s"));
  CHECK_FALSE(parse_duration("1 s"));
  CHECK_FALSE(parse_duration("1w"));
  CHECK_FALSE(parse_duration("99999999999999999d"));
}

TEST_CASE("Byte sizes parse with binary and decimal units", "[config][values]") {
  CHECK(*parse_byte_size("4096") == 4096);
  CHECK(*parse_byte_size("64KiB") == 64 * 1024);
  CHECK(*parse_byte_size("1MiB") == 1024 * 1024);
  CHECK(*parse_byte_size("2GiB") == 2ull * 1024 * 1024 * 1024);
  CHECK(*parse_byte_size("3KB") == 3000);
  CHECK(*parse_byte_size("10B") == 10);
  CHECK_FALSE(parse_byte_size("1kib"));
  CHECK_FALSE(parse_byte_size("MiB"));
  CHECK_FALSE(parse_byte_size("99999999999999999999GiB"));
}

TEST_CASE("URLs are split into scheme, host, port and path", "[config][values]") {
  auto u = parse_url("HTTP://Example.COM/a/b/");
  REQUIRE(u);
  CHECK(u->scheme == "http");
  CHECK(u->host == "example.com");
  CHECK(u->port == 80);
  CHECK(u->path == "/a/b");
  CHECK(u->origin() == "http://example.com");
  auto v6 = parse_url("https://[::1]:8443");
  REQUIRE(v6);
  CHECK(v6->host == "::1");
  CHECK(v6->port == 8443);
  CHECK(v6->path.empty());
  CHECK(v6->origin() == "https://[::1]:8443");
  CHECK(parse_url("https://h/")->path.empty());
  CHECK_FALSE(parse_url("h:80/x"));
  CHECK_FALSE(parse_url("http://user@h/"));
  CHECK_FALSE(parse_url("http://h:0/"));
  CHECK_FALSE(parse_url("http://h/a#f"));
  CHECK_FALSE(parse_url("http:///x"));
  CHECK_FALSE(parse_url("http://h/a/../b"));
  CHECK_FALSE(parse_url("http://h/a%2fb"));
}

TEST_CASE("Addresses need host and port", "[config][values]") {
  CHECK(parse_host_port("0.0.0.0:0")->port == 0);
  CHECK(parse_host_port("[::]:443")->host == "::");
  CHECK_FALSE(parse_host_port("[::]"));
  CHECK_FALSE(parse_host_port(":80"));
  CHECK_FALSE(parse_host_port("h:"));
  CHECK_FALSE(parse_host_port("h:x"));
}

TEST_CASE("The path rule names what makes a path ambiguous", "[config][values]") {
  CHECK(ambiguous_path_reason("/") == "");
  CHECK(ambiguous_path_reason("/mcp/") == "");
  CHECK(ambiguous_path_reason("/a%20b") == "");
  CHECK(ambiguous_path_reason("/a%C3%A9") == "");
  CHECK(ambiguous_path_reason("/%61dmin") == "contains an encoded unreserved character (%61 is 'a')");
  CHECK(ambiguous_path_reason("/x%7E") == "contains an encoded unreserved character (%7E is '~')");
  CHECK(ambiguous_path_reason("/x%2D") == "contains an encoded unreserved character (%2D is '-')");
  CHECK(ambiguous_path_reason("/admin;x") == "contains ';' (path parameters)");
  CHECK(ambiguous_path_reason("mcp") == "must begin with '/'");
  CHECK(ambiguous_path_reason("//mcp") == "contains an empty segment ('//')");
  CHECK(ambiguous_path_reason("/a//b") == "contains an empty segment ('//')");
  CHECK(ambiguous_path_reason("/a/./b") == "contains a dot segment ('.')");
  CHECK(ambiguous_path_reason("/a/..") == "contains a dot segment ('..')");
  CHECK(ambiguous_path_reason("/a%2Fb") == "contains an encoded '/', '\\', '.' or NUL (%2F)");
  CHECK(ambiguous_path_reason("/a%5cb") == "contains an encoded '/', '\\', '.' or NUL (%5c)");
  CHECK(ambiguous_path_reason("/%2E%2e") == "contains an encoded '/', '\\', '.' or NUL (%2E)");
  CHECK(ambiguous_path_reason("/a%00") == "contains an encoded '/', '\\', '.' or NUL (%00)");
  CHECK(ambiguous_path_reason("/a%2") == "contains a '%' not followed by two hex digits");
  CHECK(ambiguous_path_reason("/a%zz") == "contains a '%' not followed by two hex digits");
  CHECK(ambiguous_path_reason("/a\\b") == "contains '\\'");
  CHECK(ambiguous_path_reason("/a b") == "contains a control, space or non-ASCII byte");
  CHECK(ambiguous_path_reason("/\xc3\xa9") == "contains a control, space or non-ASCII byte");
}

TEST_CASE("Local time gives hour and ISO weekday in the configured zone", "[config][time]") {
  // 2026-11-27 is a Friday. 23:30 UTC is Saturday 00:30 in Berlin (UTC+1 in winter).
  const auto when = sys_days{year{2026} / November / 27} + hours(23) + minutes(30);
  const TimeZone utc;
  CHECK(utc.local_time(when).hour == 23);
  CHECK(utc.local_time(when).weekday == 5);
  auto berlin = TimeZone::locate("Europe/Berlin");
  REQUIRE(berlin);
  CHECK(berlin->local_time(when).hour == 0);
  CHECK(berlin->local_time(when).weekday == 6);
  const auto sunday = sys_days{year{2026} / November / 29} + hours(12);
  CHECK(utc.local_time(sunday).weekday == 7);
  CHECK_FALSE(TimeZone::locate("Nowhere/Atlantis"));
}
