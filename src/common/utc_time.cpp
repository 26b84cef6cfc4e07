#include "portcullis/common/utc_time.hpp"

#include <chrono>
#include <cstdio>

namespace portcullis {

std::string format_utc_millis(std::int64_t epoch_ms) {
  using namespace std::chrono;
  const sys_time<milliseconds> time{milliseconds(epoch_ms)};
  const auto day = floor<days>(time);
  const year_month_day ymd{day};
  const hh_mm_ss<milliseconds> tod{time - day};
  char buffer[40];
  std::snprintf(buffer, sizeof buffer, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ",
                static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                static_cast<unsigned>(ymd.day()), static_cast<int>(tod.hours().count()),
                static_cast<int>(tod.minutes().count()), static_cast<int>(tod.seconds().count()),
                static_cast<int>(tod.subseconds().count()));
  return buffer;
}

}  // namespace portcullis
