// TimeZone over Howard Hinnant's date/tz (Debian builds it with USE_OS_TZDB: the zone files in
// /usr/share/zoneinfo are read on first use and cached for the life of the process).
#include "portcullis/config/time_zone.hpp"

#include <date/date.h>
#include <date/tz.h>

#include <exception>

namespace portcullis::config {
namespace {

const date::time_zone* as_zone(const void* zone) { return static_cast<const date::time_zone*>(zone); }

LocalTime from_local_days(date::local_time<std::chrono::system_clock::duration> local) {
  const auto day = date::floor<date::days>(local);
  const auto since_midnight = local - day;
  LocalTime out;
  out.hour = static_cast<int>(std::chrono::duration_cast<std::chrono::hours>(since_midnight).count());
  out.weekday = static_cast<int>(date::weekday(day).iso_encoding());
  return out;
}

}  // namespace

TimeZone::TimeZone() = default;

Result<TimeZone> TimeZone::locate(std::string_view name) {
  TimeZone zone;
  zone.name_ = std::string(name);
  if (name == "UTC") {
    return zone;  // no database needed
  }
  try {
    zone.zone_ = date::locate_zone(name);
  } catch (const std::exception& e) {
    return fail("unknown time zone '" + std::string(name) + "' (" + e.what() + ")");
  }
  if (zone.zone_ == nullptr) {
    return fail("unknown time zone '" + std::string(name) + "'");
  }
  return zone;
}

LocalTime TimeZone::local_time(std::chrono::system_clock::time_point when) const {
  if (zone_ == nullptr) {
    return from_local_days(date::local_time<std::chrono::system_clock::duration>(when.time_since_epoch()));
  }
  // to_local never throws for sys → local (only the reverse can be ambiguous).
  return from_local_days(as_zone(zone_)->to_local(when));
}

}  // namespace portcullis::config
