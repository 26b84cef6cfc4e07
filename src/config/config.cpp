// Small value parsers of the configuration (URLs, addresses, durations, sizes, paths) and the
// Config accessors. Shared by the loader and by modules that must agree with it.
#include "portcullis/config/config.hpp"

#include <algorithm>
#include <charconv>
#include <limits>
#include <span>

#include "portcullis/common/ascii.hpp"

namespace portcullis::config {
namespace {

// `text` between two characters (quotes, brackets), built by appending: GCC 12 reports a false
// -Wrestrict inside libstdc++ for `"'" + std::string(text)` at -O2 (GCC bug 105329).
std::string enclosed(char open, std::string_view text, char close) {
  std::string out(1, open);
  out += text;
  out += close;
  return out;
}

bool is_hex(char c) { return hex_digit_value(c) >= 0; }

// A DNS name or IPv4 literal: letters, digits, '-', '.', '_'. IPv6 literals come bracketed and
// are checked separately.
bool is_reg_name(std::string_view host) {
  if (host.empty()) {
    return false;
  }
  return std::all_of(host.begin(), host.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '.' || c == '_';
  });
}

bool is_ipv6_literal(std::string_view host) {
  if (host.empty()) {
    return false;
  }
  return std::all_of(host.begin(), host.end(),
                     [](char c) { return is_hex(c) || c == ':' || c == '.'; }) &&
         host.find(':') != std::string_view::npos;
}

Result<std::uint16_t> parse_port(std::string_view text) {
  if (text.empty() || text.size() > 5) {
    return fail("port must be a number 0-65535");
  }
  unsigned value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size() || value > 65535) {
    return fail("port must be a number 0-65535");
  }
  return static_cast<std::uint16_t>(value);
}

// Splits "host", "host:port", "[v6]", "[v6]:port". `port` is "" when absent.
Result<std::pair<std::string, std::string_view>> split_authority(std::string_view authority) {
  if (authority.empty()) {
    return fail("missing host");
  }
  if (authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos) {
      return fail("unterminated '[' in IPv6 address");
    }
    std::string_view host = authority.substr(1, close - 1);
    if (!is_ipv6_literal(host)) {
      return fail("invalid IPv6 address '" + std::string(host) + "'");
    }
    std::string_view after = authority.substr(close + 1);
    if (after.empty()) {
      return std::make_pair(ascii_lowercase(host), std::string_view{});
    }
    if (after.front() != ':') {
      return fail("unexpected text after ']'");
    }
    return std::make_pair(ascii_lowercase(host), after.substr(1));
  }
  auto colon = authority.rfind(':');
  std::string_view host = authority.substr(0, colon);
  std::string_view port =
      colon == std::string_view::npos ? std::string_view{} : authority.substr(colon + 1);
  if (colon != std::string_view::npos && port.empty()) {
    return fail("empty port after ':'");
  }
  if (!is_reg_name(host)) {
    return fail("invalid host '" + std::string(host) + "'");
  }
  return std::make_pair(ascii_lowercase(host), port);
}

}  // namespace

std::string HostPort::to_string() const {
  std::string out = host.find(':') != std::string::npos ? enclosed('[', host, ']') : host;
  return out + ":" + std::to_string(port);
}

std::string Url::origin() const {
  std::string out = scheme + "://";
  out += host.find(':') != std::string::npos ? enclosed('[', host, ']') : host;
  const std::uint16_t default_port = scheme == "https" ? 443 : 80;
  if (port != default_port) {
    out += ':';
    out += std::to_string(port);
  }
  return out;
}

Result<Url> parse_url(std::string_view text) {
  Url url;
  url.text = std::string(text);
  auto sep = text.find("://");
  if (sep == std::string_view::npos) {
    return fail("not an absolute URL (expected http://host[:port][/path])");
  }
  url.scheme = ascii_lowercase(text.substr(0, sep));
  if (url.scheme != "http" && url.scheme != "https") {
    return fail("URL scheme must be http or https, not '" + std::string(text.substr(0, sep)) + "'");
  }
  std::string_view rest = text.substr(sep + 3);
  if (rest.find_first_of("?#") != std::string_view::npos) {
    return fail("URL must not have a query or fragment");
  }
  auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash);
  if (authority.find('@') != std::string_view::npos) {
    return fail("URL must not contain user information ('@')");
  }
  auto parts = split_authority(authority);
  if (!parts) {
    return fail("URL " + parts.error().message);
  }
  url.host = parts->first;
  if (parts->second.empty()) {
    url.port = url.scheme == "https" ? 443 : 80;
  } else {
    auto port = parse_port(parts->second);
    if (!port || *port == 0) {
      return fail("URL port must be a number 1-65535");
    }
    url.port = *port;
  }
  while (path.size() > 1 && path.back() == '/') {
    path.remove_suffix(1);
  }
  if (path == "/") {
    path = {};
  }
  if (!path.empty()) {
    std::string reason = ambiguous_path_reason(path);
    if (!reason.empty()) {
      return fail("URL path " + reason);
    }
  }
  url.path = std::string(path);
  return url;
}

Result<HostPort> parse_host_port(std::string_view text) {
  auto parts = split_authority(text);
  if (!parts) {
    return fail(parts.error().message + " (expected host:port)");
  }
  if (parts->second.empty()) {
    return fail("missing port (expected host:port)");
  }
  auto port = parse_port(parts->second);
  if (!port) {
    return fail(port.error().message);
  }
  return HostPort{parts->first, *port};
}

std::string ambiguous_path_reason(std::string_view path) {
  if (path.empty() || path.front() != '/') {
    return "must begin with '/'";
  }
  for (std::size_t i = 0; i < path.size(); ++i) {
    const auto c = static_cast<unsigned char>(path[i]);
    if (c <= 0x20 || c >= 0x7f) {
      return "contains a control, space or non-ASCII byte";
    }
    if (c == '\\') {
      return "contains '\\'";
    }
    if (c == '#') {
      return "contains '#'";
    }
    if (c == '%') {
      if (i + 2 >= path.size() || !is_hex(path[i + 1]) || !is_hex(path[i + 2])) {
        return "contains a '%' not followed by two hex digits";
      }
      const std::string code = ascii_lowercase(path.substr(i + 1, 2));
      if (code == "2f" || code == "5c" || code == "2e" || code == "00") {
        return "contains an encoded '/', '\\', '.' or NUL (%" + std::string(path.substr(i + 1, 2)) +
               ")";
      }
      // RFC 3986 §6.2.2.2: an encoded unreserved character means the same as the character,
      // so "/%61dmin" is "/admin" upstream but would not match the "/admin" route here.
      const char decoded = static_cast<char>(hex_digit_value(code[0]) * 16 + hex_digit_value(code[1]));
      const bool unreserved = (decoded >= 'a' && decoded <= 'z') ||
                              (decoded >= 'A' && decoded <= 'Z') ||
                              (decoded >= '0' && decoded <= '9') || decoded == '-' ||
                              decoded == '_' || decoded == '~';
      if (unreserved) {
        return "contains an encoded unreserved character (%" + std::string(path.substr(i + 1, 2)) +
               " is '" + std::string(1, decoded) + "')";
      }
    }
    if (c == ';') {
      // Servlet containers and some frameworks strip ";params" from segments, so "/admin;x"
      // would reach "/admin" upstream while routing here sees another segment.
      return "contains ';' (path parameters)";
    }
  }
  // Segments: "" (from "//"), "." and ".." are refused. A single trailing '/' is an empty last
  // segment and is allowed ("/mcp/" is unambiguous).
  std::size_t start = 1;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) {
      end = path.size();
    }
    std::string_view segment = path.substr(start, end - start);
    if (segment.empty() && end != path.size()) {
      return "contains an empty segment ('//')";
    }
    if (segment == "." || segment == "..") {
      return "contains a dot segment ('" + std::string(segment) + "')";
    }
    start = end + 1;
  }
  return {};
}

std::string_view to_string(RouteProtocol protocol) {
  switch (protocol) {
    case RouteProtocol::Mcp:
      return "mcp";
    case RouteProtocol::A2a:
      return "a2a";
    case RouteProtocol::Http:
      return "http";
  }
  return "http";
}

const Route* Config::find_route(std::string_view name) const {
  for (const auto& route : routes) {
    if (route.name == name) {
      return &route;
    }
  }
  return nullptr;
}

Diagnostic Config::diagnostic_at(std::string_view path, std::string message) const {
  Diagnostic d;
  d.file = file.string();
  d.message = std::move(message);
  auto it = positions.find(path);
  if (it != positions.end()) {
    d.line = it->second.line;
    d.column = it->second.column;
  }
  return d;
}

namespace {

// One unit of a quantity written as a whole number and a unit suffix ("" for a bare number).
struct Unit {
  std::string_view suffix;
  std::uint64_t factor;
};

// How one kind of quantity is written, and the words of its errors (each follows the quoted text).
struct Quantity {
  std::span<const Unit> units;
  std::uint64_t max;         // the largest value accepted, in the smallest unit
  const char* not_a_number;  // e.g. " is not a size (e.g. ...)"
  const char* unknown_unit;  // e.g. " has an unknown size unit (...)"
  const char* too_large;     // e.g. " is too large"
};

// `text` as a whole number times its unit's factor, at most `quantity.max`.
Result<std::uint64_t> parse_quantity(std::string_view text, const Quantity& quantity) {
  std::uint64_t number = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (ec != std::errc() || ptr == text.data()) {
    return fail(enclosed('\'', text, '\'') + quantity.not_a_number);
  }
  const std::string_view suffix(ptr, static_cast<std::size_t>(text.data() + text.size() - ptr));
  const auto unit = std::find_if(quantity.units.begin(), quantity.units.end(),
                                 [&](const Unit& u) { return u.suffix == suffix; });
  if (unit == quantity.units.end()) {
    return fail(enclosed('\'', text, '\'') + quantity.unknown_unit);
  }
  if (number > quantity.max / unit->factor) {
    return fail(enclosed('\'', text, '\'') + quantity.too_large);
  }
  return number * unit->factor;
}

}  // namespace

Result<Milliseconds> parse_duration(std::string_view text) {
  static constexpr Unit kUnits[] = {{"", 1000},       {"s", 1000},        {"ms", 1},
                                    {"m", 60 * 1000}, {"h", 3600 * 1000}, {"d", 24 * 3600 * 1000}};
  // Ten years is far beyond any sensible timeout and keeps every later arithmetic safe.
  static constexpr Quantity kDuration{
      kUnits, 10ull * 365 * 24 * 3600 * 1000, " is not a duration (e.g. 250ms, 30s, 5m, 1h, 2d)",
      " has an unknown duration unit (ms, s, m, h, d)", " is too long a duration"};
  auto ms = parse_quantity(text, kDuration);
  if (!ms) {
    return tl::unexpected(ms.error());
  }
  return Milliseconds(static_cast<Milliseconds::rep>(*ms));
}

Result<std::uint64_t> parse_byte_size(std::string_view text) {
  static constexpr Unit kUnits[] = {{"", 1},
                                    {"B", 1},
                                    {"KiB", 1024},
                                    {"MiB", 1024ull * 1024},
                                    {"GiB", 1024ull * 1024 * 1024},
                                    {"KB", 1000},
                                    {"MB", 1000ull * 1000},
                                    {"GB", 1000ull * 1000 * 1000}};
  static constexpr Quantity kSize{kUnits, std::numeric_limits<std::uint64_t>::max(),
                                  " is not a size (e.g. 4096, 64KiB, 1MiB, 2GiB)",
                                  " has an unknown size unit (B, KiB, MiB, GiB, KB, MB, GB)",
                                  " is too large"};
  return parse_quantity(text, kSize);
}

}  // namespace portcullis::config
