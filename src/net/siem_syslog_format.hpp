// RFC 5424 syslog messages carrying one audit record, and RFC 6587 octet-counted framing.
//
// The message is
//   <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [portcullis@32473 seq="N" uid="U"] JSON
// PRI = facility * 8 + severity; TIMESTAMP is the record's own `time` in UTC with milliseconds
// ("-" when the record has none); the structured data repeats the record's sequence and uid so a
// receiver can de-duplicate without parsing the JSON (32473 is the enterprise number RFC 5612
// reserves for documentation; no IANA number of our own exists yet). MSG is the JSON record as
// the file holds it, without a BOM: JSON parsers downstream reject one.
// The same message is the payload of a RELP `syslog` frame.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "portcullis/audit/log_reader.hpp"

namespace portcullis::net::detail {

struct SyslogHeader {
  int facility = 13;            // 0..23
  int severity = 6;             // 0..7
  std::string hostname;         // PRINTUSASCII, <= 255; "" = "-"
  std::string app_name;         // <= 48
  std::string procid;           // <= 128
  std::string msgid = "audit";  // <= 32
};

// The RFC 5424 message for one record (no framing, no trailing newline).
[[nodiscard]] std::string format_syslog_message(const SyslogHeader& header,
                                                const audit::LogRecord& record);

// RFC 6587 section 3.4.1: "MSG-LEN SP SYSLOG-MSG".
[[nodiscard]] std::string frame_octet_counted(std::string_view message);

// RFC 3339 / RFC 5424 TIMESTAMP in UTC with milliseconds: 2026-11-27T01:40:10.123Z.
[[nodiscard]] std::string format_syslog_timestamp(std::int64_t epoch_ms);

// A header field as RFC 5424 allows it: printable US-ASCII (33..126) only — other bytes become
// '_' — cut to `max_length`; an empty field is the NILVALUE "-".
[[nodiscard]] std::string sanitize_header_field(std::string_view value, std::size_t max_length);

// PARAM-VALUE escaping (RFC 5424 section 6.3.3): '"', '\' and ']' are preceded by '\'.
[[nodiscard]] std::string escape_sd_param_value(std::string_view value);

}  // namespace portcullis::net::detail
