#include "net/siem_syslog_format.hpp"

#include "portcullis/common/utc_time.hpp"

namespace portcullis::net::detail {

std::string sanitize_header_field(std::string_view value, std::size_t max_length) {
  if (value.empty()) {
    return "-";
  }
  std::string out;
  out.reserve(std::min(value.size(), max_length));
  for (const char c : value.substr(0, max_length)) {
    const auto byte = static_cast<unsigned char>(c);
    out.push_back(byte >= 33 && byte <= 126 ? c : '_');
  }
  return out;
}

std::string escape_sd_param_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (const char c : value) {
    if (c == '"' || c == '\\' || c == ']') {
      out.push_back('\\');
    }
    out.push_back(c);
  }
  return out;
}

std::string format_syslog_timestamp(std::int64_t epoch_ms) {
  return epoch_ms > 0 ? format_utc_millis(epoch_ms) : "-";
}

std::string format_syslog_message(const SyslogHeader& header, const audit::LogRecord& record) {
  const int facility = header.facility >= 0 && header.facility <= 23 ? header.facility : 13;
  const int severity = header.severity >= 0 && header.severity <= 7 ? header.severity : 6;
  std::string out;
  out.reserve(record.line.size() + 160);
  out += '<';
  out += std::to_string(facility * 8 + severity);
  out += ">1 ";
  out += format_syslog_timestamp(record.time_ms);
  out += ' ';
  out += sanitize_header_field(header.hostname, 255);
  out += ' ';
  out += sanitize_header_field(header.app_name, 48);
  out += ' ';
  out += sanitize_header_field(header.procid, 128);
  out += ' ';
  out += sanitize_header_field(header.msgid, 32);
  out += " [portcullis@32473 seq=\"";
  out += std::to_string(record.sequence);
  out += "\" uid=\"";
  out += escape_sd_param_value(record.uid);
  out += "\"] ";
  out += record.line;
  return out;
}

std::string frame_octet_counted(std::string_view message) {
  std::string out = std::to_string(message.size());
  out.reserve(out.size() + 1 + message.size());
  out += ' ';
  out += message;
  return out;
}

}  // namespace portcullis::net::detail
