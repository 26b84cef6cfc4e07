// Header rewriting at the proxy boundary (RFC 9110 §7.6), written straight into the bytes that go
// on the wire: the gateway controls the header set in both directions, so it serialises the
// heads itself (one reusable string, one gather write with the body) instead of copying every
// field into a Beast message and running Beast's serializer over it.
//
// - Hop-by-hop fields are dropped in both directions: Connection, Keep-Alive, Proxy-Connection,
//   Proxy-Authenticate, Proxy-Authorization, TE, Trailer, Transfer-Encoding, Upgrade and every
//   field named in Connection; Content-Length is re-set from the body the gateway sends.
// - Towards the upstream the gateway sets Host, X-Forwarded-For, X-Forwarded-Proto,
//   X-Forwarded-Host, Forwarded, X-Request-Id and the verified identity header — every incoming
//   copy of those removed first, so an agent cannot speak for another identity or forge its
//   address — and drops Expect (the body is already read).
// - Towards the agent the gateway sets X-Request-Id (the upstream's copy removed) and the framing
//   and Connection fields for the agent's connection.
#pragma once

#include <boost/beast/http/fields.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace portcullis::net {

// What the gateway itself puts in the upstream request's head.
struct ForwardFacts {
  std::string_view upstream_host;    // Host header for the upstream
  std::string_view client_ip;        // the agent's address
  bool tls = false;                  // agent connection was TLS
  std::string_view identity_header;  // e.g. "X-Portcullis-Agent"; "" = not passed upstream
  std::string_view identity;         // verified identity
  std::string_view request_id;
  bool identity_encoding = false;    // drop Accept-Encoding: the gateway must read the answer
};

// The request line and fields of the agent's request, as the upstream will get them.
struct AgentRequestHead {
  std::string_view method;
  std::string_view target;  // already rewritten for the upstream
  const boost::beast::http::fields* fields = nullptr;
  std::size_t body_size = 0;
};

// Appends the HTTP/1.1 request head for the upstream (request line, fields, blank line) to
// `out`. Returns false, and leaves `out` unspecified, when a value the gateway adds contains CR,
// LF or NUL (an identity taken from a certificate is not trusted to be header-safe): the request
// must not be sent. The agent's own field names and values were validated by the parser.
[[nodiscard]] bool write_upstream_request_head(std::string& out, const AgentRequestHead& request,
                                               const ForwardFacts& facts);

// How the agent's answer body is delimited.
struct AnswerFraming {
  std::optional<std::uint64_t> content_length{};  // Content-Length: n
  bool chunked = false;                         // Transfer-Encoding: chunked
  // Neither: no body (HEAD, 1xx, 204, 304) or the body ends when the connection closes.
};

struct AnswerHead {
  unsigned status = 200;
  unsigned version = 11;  // the agent's HTTP version: 10 or 11
  const boost::beast::http::fields* upstream_fields = nullptr;
  std::string_view request_id;
  AnswerFraming framing;
  bool keep_alive = true;  // whether the agent's connection stays open after this answer
};

// Appends the response head for the agent (status line with the standard reason phrase, the
// upstream's end-to-end fields, X-Request-Id, framing, Connection as HTTP/1.0 or 1.1 needs it).
void write_agent_answer_head(std::string& out, const AnswerHead& answer);

// "for=...;proto=...;host=..." (RFC 7239), with IPv6 and non-token values quoted.
[[nodiscard]] std::string forwarded_value(std::string_view client_ip, bool tls,
                                          std::string_view host);

}  // namespace portcullis::net
