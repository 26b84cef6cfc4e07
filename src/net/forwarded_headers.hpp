// Header rewriting at the proxy boundary (RFC 9110 §7.6): hop-by-hop fields are dropped in both
// directions; towards the upstream the gateway sets Host, X-Forwarded-For, Forwarded,
// X-Request-Id and the verified identity header (every incoming copy of those removed first, so
// an agent cannot speak for another identity or forge its address).
#pragma once

#include <boost/beast/http/fields.hpp>
#include <string>
#include <string_view>

namespace portcullis::net {

// Removes Connection, Keep-Alive, Proxy-Connection, Proxy-Authenticate, Proxy-Authorization, TE,
// Trailer, Transfer-Encoding, Upgrade, Content-Length (re-set by the writer) and every field
// named in Connection.
void strip_hop_by_hop(boost::beast::http::fields& fields);

struct ForwardFacts {
  std::string_view upstream_host;    // Host header for the upstream
  std::string_view client_ip;        // the agent's address
  std::string_view listener_host;    // the Host the agent used ("" if none)
  bool tls = false;                  // agent connection was TLS
  std::string_view identity_header;  // e.g. "X-Portcullis-Agent"
  std::string_view identity;         // verified identity
  std::string_view request_id;
};

// Rewrites a request's fields for the upstream (after strip_hop_by_hop).
void set_forward_headers(boost::beast::http::fields& fields, const ForwardFacts& facts);

// "for=...;proto=...;host=..." (RFC 7239), with IPv6 and non-token values quoted.
[[nodiscard]] std::string forwarded_value(std::string_view client_ip, bool tls,
                                          std::string_view host);

}  // namespace portcullis::net
