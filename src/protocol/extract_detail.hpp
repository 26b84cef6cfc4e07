// Per-protocol action extraction, behind protocol::extract_actions. Private to protocol.
#pragma once

#include <string_view>

#include "portcullis/protocol/action.hpp"

namespace portcullis::protocol::detail {

[[nodiscard]] Outcome<Extraction> extract_mcp(const RouteMatch& match,
                                              const HttpRequestView& request,
                                              const config::Limits& limits);
[[nodiscard]] Outcome<Extraction> extract_a2a(const RouteMatch& match,
                                              const HttpRequestView& request,
                                              const config::Limits& limits);
[[nodiscard]] Extraction extract_http(const RouteMatch& match, const HttpRequestView& request);

// True when the Content-Type is application/json (any case) with no charset or charset=utf-8:
// a body in another charset would be decoded differently upstream than we decode it.
[[nodiscard]] bool is_json_content_type(std::string_view content_type);

// Strict JSON-RPC parsing with the configured limits.
[[nodiscard]] Outcome<JsonRpcBody> parse_body(const HttpRequestView& request,
                                              const config::Limits& limits);

}  // namespace portcullis::protocol::detail
