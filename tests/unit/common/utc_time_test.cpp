#include <catch2/catch.hpp>

#include "portcullis/common/utc_time.hpp"

using portcullis::format_utc_millis;

TEST_CASE("UTC timestamps are RFC 3339 with three fraction digits and a Z") {
  struct Case {
    std::int64_t epoch_ms;
    const char* text;
  };
  const Case cases[] = {
      {0, "1970-01-01T00:00:00.000Z"},
      {1, "1970-01-01T00:00:00.001Z"},
      {951782400000, "2000-02-29T00:00:00.000Z"},          // leap day of a century leap year
      {4102444799999, "2099-12-31T23:59:59.999Z"},
      {1795822200005, "2026-11-27T23:30:00.005Z"},
      {253402300799999, "9999-12-31T23:59:59.999Z"},
  };
  for (const auto& c : cases) {
    INFO(c.epoch_ms);
    CHECK(format_utc_millis(c.epoch_ms) == c.text);
  }
}

TEST_CASE("UTC timestamps before the epoch count backwards from it") {
  CHECK(format_utc_millis(-1) == "1969-12-31T23:59:59.999Z");
  CHECK(format_utc_millis(-86400000) == "1969-12-31T00:00:00.000Z");
}
