// Content-Encoding on requests whose body the gateway decides on (MCP and A2A JSON-RPC): the
// gateway parses the bytes it received, so a body the upstream would first decompress is one it
// never decided on. Such requests are refused (415, RFC 9110 section 15.5.16), never forwarded.
#pragma once

#include <boost/beast/http/fields.hpp>

namespace portcullis::net {

// True when the request's body is exactly the bytes received: no Content-Encoding field, or
// only `identity` codings (case-insensitive, RFC 9110 section 8.4.1; empty list elements are
// ignored, section 5.6.1). Every copy of the field counts: "gzip" in any of them is a coding.
[[nodiscard]] bool body_is_unencoded(const boost::beast::http::fields& fields);

}  // namespace portcullis::net
