#include "policy/extensions.hpp"

#include <array>
#include <cstdio>
#include <limits>

#include "portcullis/common/ascii.hpp"

namespace portcullis::policy::ext {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Rust's std::net::Ipv4Addr grammar: four decimal octets of 1–3 digits, no leading zeros.
bool parse_ipv4(std::string_view s, std::array<std::uint8_t, 16>& out) {
  std::size_t pos = 0;
  for (int part = 0; part < 4; ++part) {
    if (part > 0) {
      if (pos >= s.size() || s[pos] != '.') return false;
      ++pos;
    }
    const std::size_t start = pos;
    unsigned value = 0;
    while (pos < s.size() && is_digit(s[pos])) {
      if (pos - start == 3) return false;
      value = value * 10 + static_cast<unsigned>(s[pos] - '0');
      ++pos;
    }
    const std::size_t digits = pos - start;
    if (digits == 0 || value > 255 || (digits > 1 && s[start] == '0')) return false;
    out[static_cast<std::size_t>(part)] = static_cast<std::uint8_t>(value);
  }
  return pos == s.size();
}

// Reads up to `limit` ':'-separated hex groups (1–4 digits) starting at `pos`, like Rust's
// read_groups; returns how many were read and leaves `pos` after the last one.
std::size_t read_groups(std::string_view s, std::size_t& pos, std::uint16_t* groups,
                        std::size_t limit) {
  std::size_t count = 0;
  while (count < limit) {
    std::size_t p = pos;
    if (count > 0) {
      if (p >= s.size() || s[p] != ':') break;
      ++p;
    }
    unsigned value = 0;
    std::size_t digits = 0;
    bool too_long = false;
    while (p < s.size() && hex_digit_value(s[p]) >= 0) {
      value = value * 16 + static_cast<unsigned>(hex_digit_value(s[p]));
      ++p;
      if (++digits > 4) {
        too_long = true;
        break;
      }
    }
    if (digits == 0 || too_long) break;
    groups[count++] = static_cast<std::uint16_t>(value);
    pos = p;
  }
  return count;
}

bool parse_ipv6(std::string_view s, std::array<std::uint8_t, 16>& out) {
  // Dotted (IPv4-embedded) forms never reach here: the caller refuses them as Cedar does, and
  // any other '.' cannot parse.
  if (s.find('.') != std::string_view::npos) return false;
  std::uint16_t head[8] = {};
  std::size_t pos = 0;
  const std::size_t head_size = read_groups(s, pos, head, 8);
  std::uint16_t result[8] = {};
  if (head_size == 8) {
    if (pos != s.size()) return false;
    std::copy(head, head + 8, result);
  } else {
    if (s.substr(pos, 2) != "::") return false;
    pos += 2;
    std::uint16_t tail[7] = {};
    const std::size_t limit = 8 - (head_size + 1);
    const std::size_t tail_size = read_groups(s, pos, tail, limit);
    if (pos != s.size()) return false;
    std::copy(head, head + head_size, result);
    std::copy(tail, tail + tail_size, result + (8 - tail_size));
  }
  for (std::size_t i = 0; i < 8; ++i) {
    out[2 * i] = static_cast<std::uint8_t>(result[i] >> 8);
    out[2 * i + 1] = static_cast<std::uint8_t>(result[i] & 0xff);
  }
  return true;
}

bool parse_address(std::string_view s, IpAddr& ip) {
  if (parse_ipv4(s, ip.bytes)) {
    ip.v6 = false;
    return true;
  }
  ip.bytes = {};
  if (parse_ipv6(s, ip.bytes)) {
    ip.v6 = true;
    return true;
  }
  return false;
}

bool at_least_two(std::string_view s, char c) {
  const auto first = s.find(c);
  return first != std::string_view::npos && s.find(c, first + 1) != std::string_view::npos;
}

// 128-bit helpers over the byte array (network order).
struct U128 {
  std::uint64_t hi = 0;
  std::uint64_t lo = 0;
};

U128 to_u128(const IpAddr& ip) {
  U128 v;
  if (!ip.v6) {
    v.lo = (std::uint64_t{ip.bytes[0]} << 24) | (std::uint64_t{ip.bytes[1]} << 16) |
           (std::uint64_t{ip.bytes[2]} << 8) | std::uint64_t{ip.bytes[3]};
    return v;
  }
  for (int i = 0; i < 8; ++i) v.hi = (v.hi << 8) | ip.bytes[static_cast<std::size_t>(i)];
  for (int i = 8; i < 16; ++i) v.lo = (v.lo << 8) | ip.bytes[static_cast<std::size_t>(i)];
  return v;
}

// Host mask for a prefix within `bits` total bits.
U128 host_mask(unsigned prefix, unsigned bits) {
  const unsigned host = bits - prefix;
  U128 m;
  if (host >= 128) {
    m.hi = m.lo = ~std::uint64_t{0};
  } else if (host >= 64) {
    m.lo = ~std::uint64_t{0};
    m.hi = host == 64 ? 0 : (~std::uint64_t{0} >> (128 - host));
  } else {
    m.lo = host == 0 ? 0 : (~std::uint64_t{0} >> (64 - host));
  }
  return m;
}

bool less_equal(const U128& a, const U128& b) {
  return a.hi < b.hi || (a.hi == b.hi && a.lo <= b.lo);
}

bool checked_mul(std::int64_t a, std::int64_t b, std::int64_t& out) {
  return !__builtin_mul_overflow(a, b, &out);
}
bool checked_add(std::int64_t a, std::int64_t b, std::int64_t& out) {
  return !__builtin_add_overflow(a, b, &out);
}
bool checked_sub(std::int64_t a, std::int64_t b, std::int64_t& out) {
  return !__builtin_sub_overflow(a, b, &out);
}

// Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar (H. Hinnant's algorithm).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

bool valid_date(int y, unsigned m, unsigned d) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m < 1 || m > 12 || d < 1) return false;
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  const unsigned max = (m == 2 && leap) ? 29 : kDays[m - 1];
  return d <= max;
}

unsigned digits_value(std::string_view s) {
  unsigned v = 0;
  for (char c : s) v = v * 10 + static_cast<unsigned>(c - '0');
  return v;
}

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!is_digit(c)) return false;
  }
  return true;
}

}  // namespace

std::optional<IpAddr> parse_ip(std::string_view text, std::string& error) {
  IpAddr ip;
  if (text.size() > 43) {
    error = "error parsing IP address from string `" + std::string(text) +
            "`: string length is too large";
    return std::nullopt;
  }
  if (at_least_two(text, ':') && at_least_two(text, '.')) {
    error = "error parsing IP address from string: We do not accept IPv4 embedded in IPv6 (e.g., "
            "::ffff:127.0.0.1). Found: `" + std::string(text) + "`";
    return std::nullopt;
  }
  const auto slash = text.find('/');
  if (slash == std::string_view::npos) {
    if (!parse_address(text, ip)) {
      error = "invalid IP address: " + std::string(text);
      return std::nullopt;
    }
    ip.prefix = ip.v6 ? 128 : 32;
    return ip;
  }
  const std::string_view addr = text.substr(0, slash);
  const std::string_view prefix = text.substr(slash + 1);
  if (!parse_address(addr, ip)) {
    error = "error parsing IP address from the string `" + std::string(addr) + "`";
    return std::nullopt;
  }
  const std::size_t max_len = ip.v6 ? 3 : 2;
  const unsigned max = ip.v6 ? 128 : 32;
  if (prefix.size() > max_len) {
    error = "error parsing prefix: string length " + std::to_string(prefix.size()) +
            " is too large";
    return std::nullopt;
  }
  if (!all_digits(prefix)) {
    error = "error parsing prefix `" + std::string(prefix) + "`: encountered non-digit";
    return std::nullopt;
  }
  if (prefix.size() > 1 && prefix[0] == '0') {
    error = "error parsing prefix `" + std::string(prefix) + "`: leading zero(s)";
    return std::nullopt;
  }
  const unsigned value = digits_value(prefix);
  if (value > max) {
    error = "error parsing prefix: " + std::to_string(value) + " is larger than the limit " +
            std::to_string(max);
    return std::nullopt;
  }
  ip.prefix = static_cast<std::uint8_t>(value);
  return ip;
}

bool ip_is_loopback(const IpAddr& ip) {
  if (!ip.v6) return ip.bytes[0] == 127 && ip.prefix >= 8;
  for (std::size_t i = 0; i < 15; ++i) {
    if (ip.bytes[i] != 0) return false;
  }
  return ip.bytes[15] == 1 && ip.prefix >= 128;
}

bool ip_is_multicast(const IpAddr& ip) {
  if (!ip.v6) return (ip.bytes[0] & 0xf0) == 0xe0 && ip.prefix >= 4;
  return ip.bytes[0] == 0xff && ip.prefix >= 8;
}

bool ip_is_in_range(const IpAddr& child, const IpAddr& range) {
  if (child.v6 != range.v6) return false;
  const unsigned bits = child.v6 ? 128 : 32;
  const U128 c = to_u128(child);
  const U128 r = to_u128(range);
  const U128 ch = host_mask(child.prefix, bits);
  const U128 rh = host_mask(range.prefix, bits);
  const U128 c_net{c.hi & ~ch.hi, c.lo & ~ch.lo};
  const U128 r_net{r.hi & ~rh.hi, r.lo & ~rh.lo};
  const U128 c_bc{c.hi | ch.hi, c.lo | ch.lo};
  const U128 r_bc{r.hi | rh.hi, r.lo | rh.lo};
  // For IPv4 the masks spill into the upper bits: clip them to 32 bits.
  if (!child.v6) {
    const std::uint64_t m32 = 0xffffffffULL;
    return (r_net.lo & m32) <= (c_net.lo & m32) && (c_bc.lo & m32) <= (r_bc.lo & m32);
  }
  return less_equal(r_net, c_net) && less_equal(c_bc, r_bc);
}

std::optional<std::int64_t> parse_decimal(std::string_view text, std::string& error) {
  const auto fail_parse = [&] {
    // Built by appending to a constructed string: GCC 12 reports a false -Wrestrict inside
    // libstdc++ for both "`" + std::string(text) and `error = "`"` at -O2 (GCC bug 105329).
    error = std::string("`").append(text).append("` is not a well-formed decimal value");
    return std::nullopt;
  };
  const auto dot = text.find('.');
  if (dot == std::string_view::npos) return fail_parse();
  std::string_view left = text.substr(0, dot);
  const std::string_view right = text.substr(dot + 1);
  const bool negative = !left.empty() && left[0] == '-';
  if (negative) left.remove_prefix(1);
  if (!all_digits(left) || !all_digits(right)) return fail_parse();
  const auto overflow = [&] {
    error = "overflow when converting to decimal";
    return std::nullopt;
  };
  std::int64_t l = 0;
  for (char c : left) {
    // Accumulate negatively so the most negative value is representable, as i64::from_str does.
    if (!checked_mul(l, 10, l) || !checked_sub(l, c - '0', l)) return overflow();
  }
  if (!negative) {
    if (l == std::numeric_limits<std::int64_t>::min()) return overflow();
    l = -l;
  }
  if (!checked_mul(l, 10000, l)) return overflow();
  if (right.size() > 4) {
    error = "too many digits after the decimal in `" + std::string(text) + "`";
    return std::nullopt;
  }
  std::int64_t r = 0;
  for (char c : right) r = r * 10 + (c - '0');
  for (std::size_t i = right.size(); i < 4; ++i) r *= 10;
  std::int64_t value = 0;
  if (!(negative ? checked_sub(l, r, value) : checked_add(l, r, value))) return overflow();
  return value;
}

std::optional<std::int64_t> parse_duration(std::string_view text, std::string& error) {
  const auto invalid = [&] {
    error = "invalid duration pattern";
    return std::nullopt;
  };
  const auto overflow = [&] {
    error = "Duration overflows internal representation";
    return std::nullopt;
  };
  if (text.empty() || text == "-") return invalid();
  const bool negative = text[0] == '-';
  std::string_view s = negative ? text.substr(1) : text;
  // Units must appear in this order, each at most once: d h m s ms.
  static constexpr std::string_view kUnits[] = {"d", "h", "m", "s", "ms"};
  static constexpr std::int64_t kScale[] = {86400000, 3600000, 60000, 1000, 1};
  std::uint64_t amounts[5] = {0, 0, 0, 0, 0};
  std::size_t next_unit = 0;
  bool overflowed = false;
  while (!s.empty()) {
    std::size_t i = 0;
    while (i < s.size() && is_digit(s[i])) ++i;
    if (i == 0) return invalid();
    const std::string_view digits = s.substr(0, i);
    s.remove_prefix(i);
    std::size_t unit = 5;
    if (s.substr(0, 2) == "ms") {
      unit = 4;
    } else if (!s.empty()) {
      for (std::size_t u = 0; u < 4; ++u) {
        if (s[0] == kUnits[u][0]) unit = u;
      }
    }
    if (unit == 5 || unit < next_unit) return invalid();
    s.remove_prefix(kUnits[unit].size());
    std::uint64_t value = 0;
    for (char c : digits) {
      const auto d = static_cast<std::uint64_t>(c - '0');
      if (value > (std::numeric_limits<std::uint64_t>::max() - d) / 10) {
        overflowed = true;  // does not fit in u64, as Cedar's parse::<u64>() fails
        break;
      }
      value = value * 10 + d;
    }
    amounts[unit] = value;
    next_unit = unit + 1;
  }
  if (overflowed) return overflow();
  constexpr auto kMax = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  // Cedar starts from the milliseconds (where -2^63 is representable) and then adds s, m, h, d
  // in that order, each scaled with overflow checks.
  std::int64_t total = 0;
  if (negative) {
    if (amounts[4] > kMax + 1) return overflow();
    total = amounts[4] == kMax + 1 ? std::numeric_limits<std::int64_t>::min()
                                   : -static_cast<std::int64_t>(amounts[4]);
  } else {
    if (amounts[4] > kMax) return overflow();
    total = static_cast<std::int64_t>(amounts[4]);
  }
  for (int u = 3; u >= 0; --u) {
    const auto idx = static_cast<std::size_t>(u);
    if (amounts[idx] > kMax) return overflow();
    std::int64_t scaled = 0;
    if (!checked_mul(static_cast<std::int64_t>(amounts[idx]), kScale[idx], scaled)) {
      return overflow();
    }
    if (!(negative ? checked_sub(total, scaled, total) : checked_add(total, scaled, total))) {
      return overflow();
    }
  }
  return total;
}

std::optional<std::int64_t> parse_datetime(std::string_view text, std::string& error) {
  // YYYY-MM-DD
  if (text.size() < 10 || !all_digits(text.substr(0, 4)) || text[4] != '-' ||
      !all_digits(text.substr(5, 2)) || text[7] != '-' || !all_digits(text.substr(8, 2))) {
    error = "invalid date pattern";
    return std::nullopt;
  }
  const int year = static_cast<int>(digits_value(text.substr(0, 4)));
  const unsigned month = digits_value(text.substr(5, 2));
  const unsigned day = digits_value(text.substr(8, 2));
  const auto check_date = [&]() -> bool {
    if (!valid_date(year, month, day)) {
      error = "invalid date: " + std::string(text.substr(0, 10));
      return false;
    }
    return true;
  };
  const std::int64_t days = days_from_civil(year, month, day);
  if (text.size() == 10) {
    if (!check_date()) return std::nullopt;
    return days * 86400000;
  }
  std::string_view s = text.substr(10);
  // Thh:mm:ss
  if (s.size() < 9 || s[0] != 'T' || !all_digits(s.substr(1, 2)) || s[3] != ':' ||
      !all_digits(s.substr(4, 2)) || s[6] != ':' || !all_digits(s.substr(7, 2))) {
    error = "invalid hour/minute/second pattern";
    return std::nullopt;
  }
  const unsigned h = digits_value(s.substr(1, 2));
  const unsigned mi = digits_value(s.substr(4, 2));
  const unsigned sec = digits_value(s.substr(7, 2));
  const std::string hms(s.substr(1, 8));
  s.remove_prefix(9);
  // (.SSS)?(Z|(+|-)hhmm)
  unsigned ms = 0;
  if (!s.empty() && s[0] == '.') {
    if (s.size() < 4 || !all_digits(s.substr(1, 3))) {
      error = "invalid millisecond and/or offset pattern";
      return std::nullopt;
    }
    ms = digits_value(s.substr(1, 3));
    s.remove_prefix(4);
  }
  std::int64_t offset_seconds = 0;
  bool offset_valid = true;
  unsigned off_h = 0;
  unsigned off_m = 0;
  if (s == "Z") {
    // UTC
  } else if (s.size() == 5 && (s[0] == '+' || s[0] == '-') && all_digits(s.substr(1))) {
    off_h = digits_value(s.substr(1, 2));
    off_m = digits_value(s.substr(3, 2));
    offset_valid = off_h < 24 && off_m < 60;
    offset_seconds = (s[0] == '+' ? 1 : -1) * static_cast<std::int64_t>(off_h * 3600 + off_m * 60);
  } else {
    error = "invalid millisecond and/or offset pattern";
    return std::nullopt;
  }
  if (!check_date()) return std::nullopt;
  if (h > 23 || mi > 59 || sec > 59) {
    error = "invalid hour/minute/second: " + hms;
    return std::nullopt;
  }
  if (!offset_valid) {
    error = "invalid offset range: " + std::to_string(off_h) + std::to_string(off_m);
    return std::nullopt;
  }
  const std::int64_t seconds = days * 86400 + h * 3600 + mi * 60 + sec - offset_seconds;
  return seconds * 1000 + ms;
}

std::optional<std::int64_t> datetime_to_date(std::int64_t ms) {
  constexpr std::int64_t kDay = 86400000;
  if (ms >= 0) return (ms / kDay) * kDay;
  if (ms % kDay == 0) return ms;
  std::int64_t out = 0;
  if (!checked_mul(ms / kDay - 1, kDay, out)) return std::nullopt;
  return out;
}

std::int64_t datetime_to_time(std::int64_t ms) {
  constexpr std::int64_t kDay = 86400000;
  if (ms >= 0) return ms % kDay;
  const std::int64_t rem = ms % kDay;
  return rem == 0 ? rem : rem + kDay;
}

std::string ip_to_string(const IpAddr& ip) {
  char buf[64];
  if (!ip.v6) {
    std::snprintf(buf, sizeof buf, "%u.%u.%u.%u/%u", ip.bytes[0], ip.bytes[1], ip.bytes[2],
                  ip.bytes[3], ip.prefix);
    return buf;
  }
  std::string out;
  for (std::size_t i = 0; i < 8; ++i) {
    if (i > 0) out += ':';
    std::snprintf(buf, sizeof buf, "%x", (unsigned{ip.bytes[2 * i]} << 8) | ip.bytes[2 * i + 1]);
    out += buf;
  }
  return out + "/" + std::to_string(ip.prefix);
}

std::string decimal_to_string(std::int64_t value) {
  const bool negative = value < 0;
  // Work in unsigned so the most negative value prints correctly.
  const std::uint64_t magnitude =
      negative ? static_cast<std::uint64_t>(-(value + 1)) + 1 : static_cast<std::uint64_t>(value);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%s%llu.%04llu", negative ? "-" : "",
                static_cast<unsigned long long>(magnitude / 10000),
                static_cast<unsigned long long>(magnitude % 10000));
  return buf;
}

std::string duration_to_string(std::int64_t ms) { return std::to_string(ms) + "ms"; }

}  // namespace portcullis::policy::ext
