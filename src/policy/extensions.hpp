// Cedar's extension types: the `ip`, `decimal`, `datetime` and `duration` constructors (string →
// value, exactly as cedar-policy-core parses them) and the arithmetic their methods need.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "policy/value_node.hpp"

namespace portcullis::policy::ext {

// Each parser returns nullopt and sets `error` to Cedar's reason on malformed input.
std::optional<IpAddr> parse_ip(std::string_view text, std::string& error);
std::optional<std::int64_t> parse_decimal(std::string_view text, std::string& error);
std::optional<std::int64_t> parse_datetime(std::string_view text, std::string& error);
std::optional<std::int64_t> parse_duration(std::string_view text, std::string& error);

bool ip_is_loopback(const IpAddr& ip);
bool ip_is_multicast(const IpAddr& ip);
bool ip_is_in_range(const IpAddr& child, const IpAddr& range);

// datetime.toDate() (nullopt on overflow) and datetime.toTime().
std::optional<std::int64_t> datetime_to_date(std::int64_t ms);
std::int64_t datetime_to_time(std::int64_t ms);

// Text forms used when values are printed back as Cedar JSON (`__extn` escapes).
std::string ip_to_string(const IpAddr& ip);
std::string decimal_to_string(std::int64_t value);
std::string duration_to_string(std::int64_t ms);

}  // namespace portcullis::policy::ext
