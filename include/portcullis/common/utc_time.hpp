// RFC 3339 UTC timestamps with milliseconds ("2026-11-27T23:30:00.005Z"): the text of Cedar's
// datetime() extension values in a request's context and the TIMESTAMP of the syslog messages
// the SIEM sinks send, one formatter for both.
#pragma once

#include <cstdint>
#include <string>

namespace portcullis {

// `epoch_ms` milliseconds since 1970-01-01T00:00:00Z, proleptic Gregorian calendar; times
// before the epoch count backwards from it ("1969-12-31T23:59:59.999Z" for -1).
[[nodiscard]] std::string format_utc_millis(std::int64_t epoch_ms);

}  // namespace portcullis
