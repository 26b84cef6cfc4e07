#include "net/forwarded_headers.hpp"

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/field.hpp>
#include <vector>

namespace portcullis::net {
namespace http = boost::beast::http;

void strip_hop_by_hop(http::fields& fields) {
  // Fields named by Connection are hop-by-hop too (collected before erasing anything).
  std::vector<std::string> named;
  for (auto range = fields.equal_range(http::field::connection); range.first != range.second;
       ++range.first) {
    const std::string_view value = range.first->value();
    std::size_t pos = 0;
    while (pos <= value.size()) {
      std::size_t comma = value.find(',', pos);
      if (comma == std::string_view::npos) {
        comma = value.size();
      }
      std::string_view token = value.substr(pos, comma - pos);
      while (!token.empty() && (token.front() == ' ' || token.front() == '\t')) {
        token.remove_prefix(1);
      }
      while (!token.empty() && (token.back() == ' ' || token.back() == '\t')) {
        token.remove_suffix(1);
      }
      if (!token.empty()) {
        named.emplace_back(token);
      }
      pos = comma + 1;
    }
  }
  for (const auto& name : named) {
    fields.erase(name);
  }
  for (const http::field f :
       {http::field::connection, http::field::keep_alive, http::field::proxy_connection,
        http::field::proxy_authenticate, http::field::proxy_authorization, http::field::te,
        http::field::trailer, http::field::transfer_encoding, http::field::upgrade,
        http::field::content_length}) {
    fields.erase(f);
  }
}

namespace {
bool is_token(std::string_view s) {
  if (s.empty()) {
    return false;
  }
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '.' || c == '_' || c == '~' || c == '!' || c == '*' ||
                    c == '+' || c == '^' || c == '`' || c == '|' || c == '#' || c == '$' ||
                    c == '%' || c == '&' || c == '\'';
    if (!ok) {
      return false;
    }
  }
  return true;
}

std::string quote_value(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
    }
    out += c;
  }
  out += '"';
  return out;
}
}  // namespace

std::string forwarded_value(std::string_view client_ip, bool tls, std::string_view host) {
  std::string out = "for=";
  if (client_ip.find(':') != std::string_view::npos) {
    // Built by appending: GCC 12 reports a false -Wstringop-overflow inside libstdc++ for
    // `"[" + std::string(...)` (string::insert at offset 0) at -O2.
    std::string bracketed = "[";
    bracketed += client_ip;
    bracketed += ']';
    out += quote_value(bracketed);
  } else {
    out += is_token(client_ip) ? std::string(client_ip) : quote_value(client_ip);
  }
  out += tls ? ";proto=https" : ";proto=http";
  if (!host.empty()) {
    out += ";host=";
    out += is_token(host) ? std::string(host) : quote_value(host);
  }
  return out;
}

void set_forward_headers(http::fields& fields, const ForwardFacts& facts) {
  // The gateway is the only source of these: drop whatever the agent sent.
  fields.erase(http::field::host);
  fields.erase("X-Forwarded-For");
  fields.erase("X-Forwarded-Proto");
  fields.erase("X-Forwarded-Host");
  fields.erase(http::field::forwarded);
  fields.erase("X-Request-Id");
  if (!facts.identity_header.empty()) {
    fields.erase(facts.identity_header);
  }
  fields.set(http::field::host, facts.upstream_host);
  fields.set("X-Forwarded-For", facts.client_ip);
  fields.set("X-Forwarded-Proto", facts.tls ? "https" : "http");
  if (!facts.listener_host.empty()) {
    fields.set("X-Forwarded-Host", facts.listener_host);
  }
  fields.set(http::field::forwarded,
             forwarded_value(facts.client_ip, facts.tls, facts.listener_host));
  fields.set("X-Request-Id", facts.request_id);
  if (!facts.identity_header.empty()) {
    fields.set(facts.identity_header, facts.identity);
  }
}

}  // namespace portcullis::net
