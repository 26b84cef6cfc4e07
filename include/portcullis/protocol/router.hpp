// Router: request target → route and upstream target. Pure functions over strings, no I/O.
//
// DESIGN.md "Request path" step 3: the longest route prefix that matches whole path segments
// wins (a route with a `host` is preferred over a host-less one with the same prefix); ambiguous
// targets are refused with 400 rather than normalised; the upstream path is the upstream URL's
// path followed by the rest of the request path after the prefix; the query is unchanged.
//
// Thread safety: a Router is immutable after construction; match() may run on any thread. It
// points into the Config it was built from, which must outlive it (keep the
// shared_ptr<const Config> alongside).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "portcullis/config/config.hpp"
#include "portcullis/protocol/rejection.hpp"

namespace portcullis::protocol {

// A request target split into path and query. Views into the target string.
struct TargetParts {
  std::string_view path;   // begins with '/'
  std::string_view query;  // without '?'; "" when absent
  bool has_query = false;  // "?" present (possibly with an empty query)
};

// Splits an origin-form ("/p?q") or absolute-form ("http://host:port/p?q") target. For
// absolute-form the authority must equal `host_header` (case-insensitive host, default ports
// made explicit on both sides), else HostMismatch. Any other form (authority-form, "*"), a
// fragment, bytes outside visible ASCII, a bad percent-escape, or an ambiguous path is
// BadTarget. `host_header` is the Host header's value as received.
[[nodiscard]] Outcome<TargetParts> split_target(std::string_view target,
                                                std::string_view host_header);

// The path rules alone (also used by config for route prefixes): begins with '/', no empty
// segment ("//"), no "." or ".." segment, no %2F %5C %2E (any case), no encoded unreserved
// character, no ';', no '\\', no "%00", every
// '%' followed by two hex digits, only visible ASCII. Returns "" when fine, else the reason.
[[nodiscard]] std::string ambiguous_path_reason(std::string_view path);

struct RouteMatch {
  const config::Route* route = nullptr;  // never null in a successful match
  std::string_view path;                 // request path as received (prefix included)
  std::string_view rest;                 // the part after the prefix ("" or begins with '/')
  std::string_view query;                // raw query, without '?'
  bool has_query = false;
  std::string upstream_target;           // upstream path + rest (+ "?" + query if has_query)
};

class Router {
 public:
  // Routes are taken from `config`; the Router refers to them (see thread-safety note).
  explicit Router(const config::Config& config);
  explicit Router(const std::vector<config::Route>& routes);

  // `target` = the HTTP request target; `host_header` = the Host header value ("" if none).
  [[nodiscard]] Outcome<RouteMatch> match(std::string_view target,
                                          std::string_view host_header) const;

 private:
  std::vector<const config::Route*> by_prefix_length_;  // longest first, host routes first
};

// Host header → lowercase host without port and without IPv6 brackets ("Example.com:8443" →
// "example.com"). For route host matching.
[[nodiscard]] std::string host_without_port(std::string_view host_header);

}  // namespace portcullis::protocol
