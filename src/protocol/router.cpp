// Router: target splitting, the ambiguity rule, longest whole-segment prefix matching.
#include "portcullis/protocol/router.hpp"

#include <algorithm>

namespace portcullis::protocol {
namespace {

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string lowercase(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), lower);
  return out;
}

bool starts_with_icase(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && lowercase(text.substr(0, prefix.size())) == prefix;
}

// (lowercase host, port) of "host[:port]" / "[v6][:port]"; the port defaults to
// `default_port`. nullopt-like empty host when malformed.
std::pair<std::string, std::string> host_and_port(std::string_view authority,
                                                  std::string_view default_port) {
  std::string_view host = authority;
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos) {
      return {};
    }
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') {
        return {};
      }
      port = after.substr(1);
    }
  } else {
    auto colon = authority.rfind(':');
    if (colon != std::string_view::npos) {
      host = authority.substr(0, colon);
      port = authority.substr(colon + 1);
    }
  }
  if (port.empty()) {
    port = default_port;
  }
  // Leading zeros would make "443" and "0443" different strings for one port.
  while (port.size() > 1 && port.front() == '0') {
    port.remove_prefix(1);
  }
  return {lowercase(host), std::string(port)};
}

bool query_is_clean(std::string_view query) {
  return std::all_of(query.begin(), query.end(), [](char c) {
    const auto b = static_cast<unsigned char>(c);
    return b > 0x20 && b < 0x7f && c != '#';
  });
}

bool prefix_matches(std::string_view path, std::string_view prefix) {
  if (prefix == "/") {
    return true;
  }
  if (path.size() < prefix.size() || path.compare(0, prefix.size(), prefix) != 0) {
    return false;
  }
  return path.size() == prefix.size() || path[prefix.size()] == '/';
}

}  // namespace

std::string ambiguous_path_reason(std::string_view path) {
  return config::ambiguous_path_reason(path);
}

std::string host_without_port(std::string_view host_header) {
  return host_and_port(host_header, "").first;
}

Outcome<TargetParts> split_target(std::string_view target, std::string_view host_header) {
  if (target.empty()) {
    return reject(RejectReason::BadTarget, "empty request target");
  }
  std::string_view rest = target;
  if (target.front() != '/') {
    std::string_view scheme;
    if (starts_with_icase(target, "http://")) {
      scheme = "http";
    } else if (starts_with_icase(target, "https://")) {
      scheme = "https";
    } else {
      return reject(RejectReason::BadTarget,
                    "request target must be a path (origin-form) or an absolute http(s) URL");
    }
    std::string_view after = target.substr(scheme.size() + 3);
    const auto end = after.find_first_of("/?#");
    std::string_view authority = after.substr(0, end);
    if (authority.empty() || authority.find('@') != std::string_view::npos) {
      return reject(RejectReason::BadTarget, "absolute-form target has a bad authority");
    }
    const std::string_view default_port = scheme == "https" ? "443" : "80";
    const auto target_host = host_and_port(authority, default_port);
    const auto header_host = host_and_port(host_header, default_port);
    if (target_host.first.empty() || target_host != header_host) {
      return reject(RejectReason::HostMismatch,
                    "absolute-form target authority '" + std::string(authority) +
                        "' does not match the Host header '" + std::string(host_header) + "'");
    }
    rest = end == std::string_view::npos ? std::string_view("/") : after.substr(end);
    if (rest.front() == '?') {
      return reject(RejectReason::BadTarget, "absolute-form target has a query but no path");
    }
  }
  if (rest.find('#') != std::string_view::npos) {
    return reject(RejectReason::BadTarget, "request target contains a fragment ('#')");
  }
  TargetParts parts;
  const auto question = rest.find('?');
  parts.path = rest.substr(0, question);
  if (question != std::string_view::npos) {
    parts.has_query = true;
    parts.query = rest.substr(question + 1);
    if (!query_is_clean(parts.query)) {
      return reject(RejectReason::BadTarget, "query contains a control, space or non-ASCII byte");
    }
  }
  std::string reason = config::ambiguous_path_reason(parts.path);
  if (!reason.empty()) {
    return reject(RejectReason::BadTarget, "ambiguous request path: " + reason);
  }
  return parts;
}

Router::Router(const config::Config& config) : Router(config.routes) {}

Router::Router(const std::vector<config::Route>& routes) {
  for (const auto& route : routes) {
    by_prefix_length_.push_back(&route);
  }
  std::stable_sort(by_prefix_length_.begin(), by_prefix_length_.end(),
                   [](const config::Route* a, const config::Route* b) {
                     if (a->prefix.size() != b->prefix.size()) {
                       return a->prefix.size() > b->prefix.size();
                     }
                     return !a->host.empty() && b->host.empty();
                   });
}

Outcome<RouteMatch> Router::match(std::string_view target, std::string_view host_header) const {
  auto parts = split_target(target, host_header);
  if (!parts) {
    return tl::unexpected(parts.error());
  }
  const std::string host = host_without_port(host_header);
  for (const config::Route* route : by_prefix_length_) {
    if (!route->host.empty() && route->host != host) {
      continue;
    }
    if (!prefix_matches(parts->path, route->prefix)) {
      continue;
    }
    RouteMatch match;
    match.route = route;
    match.path = parts->path;
    match.rest = route->prefix == "/" ? parts->path : parts->path.substr(route->prefix.size());
    match.query = parts->query;
    match.has_query = parts->has_query;
    match.upstream_target = route->upstream.path + std::string(match.rest);
    if (match.upstream_target.empty()) {
      // push_back, not `= "/"`: GCC 12 reports a false -Wrestrict inside libstdc++ for assigning
      // a one-character literal at -O2 (GCC bug 105329).
      match.upstream_target.push_back('/');
    }
    if (match.has_query) {
      match.upstream_target += "?";
      match.upstream_target += match.query;
    }
    return match;
  }
  return reject(RejectReason::NoRoute, "no route for " + std::string(parts->path));
}

}  // namespace portcullis::protocol
