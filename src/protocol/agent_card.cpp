// Agent-card URL rewriting (fail closed: a call URL we cannot route through the gateway is
// dropped, or the card is refused).
#include "portcullis/protocol/agent_card.hpp"

#include <algorithm>

#include "portcullis/protocol/strict_json.hpp"

namespace portcullis::protocol {
namespace {

using json = nlohmann::json;

constexpr std::string_view kJsonRpc = "JSONRPC";

std::string lowercase(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  });
  return out;
}

// scheme, host and port of an absolute URL, normalised for comparison; `rest` = everything
// from the path on (path, query, fragment).
struct Split {
  std::string origin;  // "scheme://host:port", lowercase, port explicit
  std::string_view rest;
};

Result<Split> split(std::string_view url) {
  const auto sep = url.find("://");
  if (sep == std::string_view::npos) {
    return fail("'" + std::string(url) + "' is not an absolute URL");
  }
  const std::string scheme = lowercase(url.substr(0, sep));
  if (scheme != "http" && scheme != "https") {
    return fail("'" + std::string(url) + "' is not an http(s) URL");
  }
  std::string_view after = url.substr(sep + 3);
  const auto end = after.find_first_of("/?#");
  std::string_view authority = after.substr(0, end);
  if (authority.empty() || authority.find('@') != std::string_view::npos) {
    return fail("'" + std::string(url) + "' has a bad authority");
  }
  std::string host(authority);
  std::string port;
  if (authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) {
      return fail("'" + std::string(url) + "' has a bad IPv6 host");
    }
    host = std::string(authority.substr(0, close + 1));
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') {
        return fail("'" + std::string(url) + "' has a bad authority");
      }
      port = std::string(authority.substr(close + 2));
    }
  } else if (const auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = std::string(authority.substr(0, colon));
    port = std::string(authority.substr(colon + 1));
  }
  if (port.empty()) {
    port = scheme == "https" ? "443" : "80";
  }
  while (port.size() > 1 && port.front() == '0') {
    port.erase(0, 1);
  }
  Split out;
  out.origin = scheme + "://" + lowercase(host) + ":" + port;
  out.rest = end == std::string_view::npos ? std::string_view{} : after.substr(end);
  return out;
}

bool binding_is_jsonrpc(const json& entry) {
  for (const char* key : {"protocolBinding", "transport"}) {
    auto it = entry.find(key);
    if (it != entry.end()) {
      return it->is_string() && *it == kJsonRpc;
    }
  }
  return false;  // no binding named: we cannot tell that the gateway can proxy it
}

Result<void> rewrite_interfaces(json& card, const char* key, const CardRewrite& rewrite) {
  auto it = card.find(key);
  if (it == card.end()) {
    return {};
  }
  if (!it->is_array()) {
    return fail(std::string(key) + " is not an array");
  }
  json kept = json::array();
  for (auto& entry : *it) {
    if (!entry.is_object() || !binding_is_jsonrpc(entry)) {
      continue;
    }
    auto url = entry.find("url");
    if (url == entry.end() || !url->is_string()) {
      continue;
    }
    auto rewritten = rewrite_card_url(url->get_ref<const std::string&>(), rewrite);
    if (!rewritten) {
      continue;  // points somewhere else: never advertise a way around the gateway
    }
    *url = std::move(*rewritten);
    kept.push_back(std::move(entry));
  }
  *it = std::move(kept);
  return {};
}

}  // namespace

CardRewrite card_rewrite_for(const config::Listener& listener, const config::Route& route) {
  CardRewrite out;
  out.upstream_base = route.upstream.origin() + route.upstream.path;
  out.public_base = listener.public_url + (route.prefix == "/" ? std::string() : route.prefix);
  return out;
}

Result<std::string> rewrite_card_url(std::string_view url, const CardRewrite& rewrite) {
  auto target = split(url);
  if (!target) {
    return fail(target.error().message);
  }
  auto base = split(rewrite.upstream_base);
  if (!base) {
    return fail("upstream base: " + base.error().message);
  }
  std::string_view base_path = base->rest;
  while (!base_path.empty() && base_path.back() == '/') {
    base_path.remove_suffix(1);
  }
  std::string_view rest = target->rest;
  const bool same_origin = target->origin == base->origin;
  const bool under_base =
      rest.substr(0, base_path.size()) == base_path &&
      (rest.size() == base_path.size() || rest[base_path.size()] == '/' ||
       rest[base_path.size()] == '?' || rest[base_path.size()] == '#');
  if (!same_origin || !under_base) {
    return fail("'" + std::string(url) + "' does not point at the route's upstream " +
                rewrite.upstream_base);
  }
  std::string public_base = rewrite.public_base;
  while (!public_base.empty() && public_base.back() == '/') {
    public_base.pop_back();
  }
  return public_base + std::string(rest.substr(base_path.size()));
}

Result<void> rewrite_agent_card(json& card, const CardRewrite& rewrite) {
  if (!card.is_object()) {
    return fail("the agent card is not a JSON object");
  }
  auto preferred = card.find("preferredTransport");
  if (preferred != card.end() && !(preferred->is_string() && *preferred == kJsonRpc)) {
    return fail("the agent card prefers a transport other than JSONRPC, which the gateway does "
                "not proxy");
  }
  auto url = card.find("url");
  if (url != card.end()) {
    if (!url->is_string()) {
      return fail("the agent card's url is not a string");
    }
    auto rewritten = rewrite_card_url(url->get_ref<const std::string&>(), rewrite);
    if (!rewritten) {
      return fail("the agent card's url " + rewritten.error().message);
    }
    *url = std::move(*rewritten);
  }
  if (auto r = rewrite_interfaces(card, "supportedInterfaces", rewrite); !r) {
    return r;
  }
  return rewrite_interfaces(card, "additionalInterfaces", rewrite);
}

Result<std::string> rewrite_agent_card_body(std::string_view body, const CardRewrite& rewrite,
                                            std::uint32_t max_depth) {
  auto card = parse_strict_json(body, max_depth);
  if (!card) {
    return fail("agent card: " + card.error().message);
  }
  if (auto r = rewrite_agent_card(*card, rewrite); !r) {
    return fail(r.error().message);
  }
  return card->dump(-1, ' ', false, json::error_handler_t::strict);
}

Result<std::string> rewrite_extended_card_response(std::string_view body,
                                                   const CardRewrite& rewrite,
                                                   std::uint32_t max_depth) {
  auto response = parse_strict_json(body, max_depth);
  if (!response) {
    return fail("extended agent card: " + response.error().message);
  }
  if (!response->is_object()) {
    return fail("extended agent card: the answer is not a JSON-RPC response object");
  }
  auto result = response->find("result");
  if (result == response->end()) {
    if (response->contains("error")) {
      return std::string(body);  // an error carries no card
    }
    return fail("extended agent card: the answer has neither result nor error");
  }
  if (auto r = rewrite_agent_card(*result, rewrite); !r) {
    return fail(r.error().message);
  }
  return response->dump(-1, ' ', false, json::error_handler_t::strict);
}

}  // namespace portcullis::protocol
