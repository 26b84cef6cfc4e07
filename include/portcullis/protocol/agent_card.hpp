// A2A agent-card rewriting: the card tells clients where to send calls, so every call URL in it
// must point at the gateway, never at the upstream agent directly (DESIGN.md "Protocols").
//
// `url` (v0.3 top level), `supportedInterfaces[].url` (v1.0) and `additionalInterfaces[].url`
// (v0.3) are rewritten from the upstream base (origin + base path of the route's upstream URL)
// to the public base (listener public_url + route prefix), keeping the rest of the path and the
// query. Fail closed:
//  - an interface entry whose URL does not start with the upstream base (points elsewhere), or
//    whose binding (`protocolBinding` / `transport`) is not JSONRPC (the gateway proxies only
//    the JSON-RPC binding), is dropped;
//  - a top-level `url` that points elsewhere, or a `preferredTransport` other than JSONRPC,
//    refuses the whole card (the caller answers 502 and records it);
//  - a card that is not a JSON object, or an interface list that is not an array, is refused.
// Origins compare case-insensitively on scheme and host with default ports made explicit; the
// path must match the base on a whole segment. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "portcullis/common/result.hpp"
#include "portcullis/config/config.hpp"

namespace portcullis::protocol {

struct CardRewrite {
  std::string upstream_base;  // e.g. "http://127.0.0.1:4001" or "http://10.0.0.5:80/agents/a"
  std::string public_base;    // e.g. "https://gw.example:8443/peer"
};

// The rewrite for `route` served on `listener`.
[[nodiscard]] CardRewrite card_rewrite_for(const config::Listener& listener,
                                           const config::Route& route);

// Rewrites a parsed card in place (also for a GetExtendedAgentCard result).
[[nodiscard]] Result<void> rewrite_agent_card(nlohmann::json& card, const CardRewrite& rewrite);

// Parses a card body strictly, rewrites it and serialises it again.
[[nodiscard]] Result<std::string> rewrite_agent_card_body(std::string_view body,
                                                          const CardRewrite& rewrite,
                                                          std::uint32_t max_depth = 64);

// The JSON-RPC answer to GetExtendedAgentCard / agent/getAuthenticatedExtendedCard (JSON body
// or one SSE event's data): its `result` is a card and is rewritten like the public one; an
// error response passes unchanged. Refused (the caller answers 502) like a bad card.
[[nodiscard]] Result<std::string> rewrite_extended_card_response(std::string_view body,
                                                                 const CardRewrite& rewrite,
                                                                 std::uint32_t max_depth = 64);

// One URL → its rewritten form; error if it does not start with the upstream base.
[[nodiscard]] Result<std::string> rewrite_card_url(std::string_view url,
                                                   const CardRewrite& rewrite);

}  // namespace portcullis::protocol
