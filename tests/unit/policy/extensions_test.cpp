// Extension constructors: the exact accepted forms (Cedar's) and their values.
#include <catch2/catch.hpp>

#include "policy/extensions.hpp"

namespace portcullis::policy {
namespace {

TEST_CASE("ip() accepts Cedar's forms and refuses the others", "[policy][extensions]") {
  const char* good[] = {"0.0.0.0", "255.255.255.255", "10.0.0.0/0", "10.0.0.0/32", "::",
                        "::1", "2001:db8::/32", "FFFF::1", "1:2:3:4:5:6:7:8", "1::8/128",
                        "1:2:3:4:5:6:7::"};
  for (const char* s : good) {
    INFO(s);
    std::string error;
    CHECK(ext::parse_ip(s, error));
  }
  const char* bad[] = {"", "1.2.3", "1.2.3.4.5", "256.0.0.1", "01.0.0.1", "1.2.3.4/", "1.2.3.4/-1",
                       "1.2.3.4/033", "::/129", "1:2:3:4:5:6:7:8:9", "1:::2", "12345::",
                       "::ffff:1.2.3.4", "::1.2", "fe80::1%eth0", "1.2.3.4 ", " 1.2.3.4",
                       "1111:2222:3333:4444:5555:6666:7777:8888/128x"};
  for (const char* s : bad) {
    INFO(s);
    std::string error;
    CHECK_FALSE(ext::parse_ip(s, error));
    CHECK_FALSE(error.empty());
  }
}

TEST_CASE("ip() keeps the prefix and host bits as written", "[policy][extensions]") {
  std::string error;
  auto ip = ext::parse_ip("10.1.2.3/8", error);
  REQUIRE(ip);
  CHECK(ip->prefix == 8);
  CHECK(ip->bytes[3] == 3);
  auto v6 = ext::parse_ip("2001:db8::ff", error);
  REQUIRE(v6);
  CHECK(v6->v6);
  CHECK(v6->prefix == 128);
  CHECK(v6->bytes[0] == 0x20);
  CHECK(v6->bytes[15] == 0xff);
}

TEST_CASE("decimal() parses up to four fractional digits within i64", "[policy][extensions]") {
  struct Case {
    const char* text;
    std::int64_t value;
  };
  const Case good[] = {{"0.0", 0},         {"1.5", 15000},     {"-1.5", -15000},
                       {"-0.5", -5000},    {"0.0001", 1},      {"007.10", 71000},
                       {"922337203685477.5807", INT64_MAX},
                       {"-922337203685477.5808", INT64_MIN}};
  for (const auto& c : good) {
    INFO(c.text);
    std::string error;
    const auto v = ext::parse_decimal(c.text, error);
    REQUIRE(v);
    CHECK(*v == c.value);
  }
  const char* bad[] = {"1", "1.", ".1", "1.23456", "+1.0", "1.0.0", "1e3", "--1.0",
                       "922337203685478.0", "99999999999999999999.0"};
  for (const char* s : bad) {
    INFO(s);
    std::string error;
    CHECK_FALSE(ext::parse_decimal(s, error));
  }
}

TEST_CASE("datetime() applies offsets and rejects leap seconds", "[policy][extensions]") {
  std::string error;
  CHECK(ext::parse_datetime("1970-01-01", error) == 0);
  CHECK(ext::parse_datetime("1970-01-01T00:00:01Z", error) == 1000);
  CHECK(ext::parse_datetime("1970-01-01T00:00:00.001Z", error) == 1);
  CHECK(ext::parse_datetime("1970-01-01T01:00:00+0100", error) == 0);
  CHECK(ext::parse_datetime("1969-12-31T23:00:00-0100", error) == 0);
  CHECK(ext::parse_datetime("1969-12-31", error) == -86400000);
  CHECK(ext::parse_datetime("0000-01-01", error) == -62167219200000);
  CHECK(ext::parse_datetime("9999-12-31T23:59:59.999Z", error) == 253402300799999);
  const char* bad[] = {"", "2024", "2024-1-01", "10000-01-01", "2024-13-01", "2024-02-30",
                       "2023-02-29", "2024-01-01T", "2024-01-01T24:00:00Z", "2024-01-01T00:60:00Z",
                       "2024-01-01T00:00:60Z", "2024-01-01T00:00:00", "2024-01-01T00:00:00z",
                       "2024-01-01T00:00:00+01", "2024-01-01T00:00:00+0160",
                       "2024-01-01T00:00:00.1Z", "2024-01-01 00:00:00Z"};
  for (const char* s : bad) {
    INFO(s);
    CHECK_FALSE(ext::parse_datetime(s, error));
  }
}

TEST_CASE("duration() units come in order d h m s ms, each at most once", "[policy][extensions]") {
  std::string error;
  CHECK(ext::parse_duration("1ms", error) == 1);
  CHECK(ext::parse_duration("1m", error) == 60000);
  CHECK(ext::parse_duration("1m1ms", error) == 60001);
  CHECK(ext::parse_duration("-1d1s", error) == -86401000);
  CHECK(ext::parse_duration("0s", error) == 0);
  CHECK(ext::parse_duration("-9223372036854775808ms", error) == INT64_MIN);
  const char* bad[] = {"", "-", "1", "d", "1x", "1s1m", "1d1d", "1ms1s", "1.5h", "+1h", "1h ",
                       "9223372036854775808ms", "99999999999999999999d"};
  for (const char* s : bad) {
    INFO(s);
    CHECK_FALSE(ext::parse_duration(s, error));
  }
}

TEST_CASE("toDate and toTime floor toward negative infinity", "[policy][extensions]") {
  CHECK(ext::datetime_to_date(-1) == -86400000);
  CHECK(ext::datetime_to_date(-86400000) == -86400000);
  CHECK(ext::datetime_to_date(86400001) == 86400000);
  CHECK(ext::datetime_to_time(-1) == 86399999);
  CHECK(ext::datetime_to_time(-86400000) == 0);
  CHECK_FALSE(ext::datetime_to_date(INT64_MIN));
}

}  // namespace
}  // namespace portcullis::policy
