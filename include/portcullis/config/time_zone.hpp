// TimeZone: an IANA time zone resolved once at load time, for context.hour / context.weekday.
//
// Backed by Howard Hinnant's date/tz (Debian's build reads the OS tz database,
// /usr/share/zoneinfo, package `tzdata`). The date headers stay out of this header.
// Thread safety: immutable; local_time() may be called from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "portcullis/common/result.hpp"

namespace portcullis::config {

// The wall-clock facts the Cedar context needs.
struct LocalTime {
  int hour = 0;     // 0..23
  int weekday = 1;  // ISO: 1 = Monday ... 7 = Sunday
};

class TimeZone {
 public:
  TimeZone();  // UTC

  // Looks `name` up in the tz database ("UTC", "Europe/Berlin", ...). Fails with a message
  // naming the zone when it is unknown or the database cannot be read. Never throws.
  [[nodiscard]] static Result<TimeZone> locate(std::string_view name);

  [[nodiscard]] const std::string& name() const { return name_; }
  [[nodiscard]] LocalTime local_time(std::chrono::system_clock::time_point when) const;

 private:
  std::string name_ = "UTC";
  const void* zone_ = nullptr;  // const date::time_zone*; nullptr = UTC
};

}  // namespace portcullis::config
