#include "net/forwarded_headers.hpp"

#include <boost/container/small_vector.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/status.hpp>
#include <charconv>
#include <utility>

namespace portcullis::net {
namespace http = boost::beast::http;

namespace {

// The values of every Connection field of a message: the fields they name are hop-by-hop too
// (RFC 9110 §7.6.1). Collected by one scan of the field list — not with fields.equal_range,
// whose range runs in list order from the first to the last Connection field and so takes in
// any field between them.
using ConnectionValues = boost::container::small_vector<std::string_view, 2>;

bool is_hop_by_hop(http::field name) {
  switch (name) {
    case http::field::connection:
    case http::field::keep_alive:
    case http::field::proxy_connection:
    case http::field::proxy_authenticate:
    case http::field::proxy_authorization:
    case http::field::te:
    case http::field::trailer:
    case http::field::transfer_encoding:
    case http::field::upgrade:
    case http::field::content_length:  // re-set from the body the gateway sends
      return true;
    default:
      return false;
  }
}

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

ConnectionValues connection_values(const http::fields& fields) {
  ConnectionValues values;
  for (const auto& field : fields) {
    if (field.name() == http::field::connection) {
      values.push_back(field.value());
    }
  }
  return values;
}

// Whether a Connection field (any copy) names `name` as hop-by-hop (RFC 9110 §7.6.1).
bool named_by_connection(const ConnectionValues& connection, std::string_view name) {
  for (const std::string_view value : connection) {
    std::size_t pos = 0;
    while (pos <= value.size()) {
      std::size_t comma = value.find(',', pos);
      if (comma == std::string_view::npos) {
        comma = value.size();
      }
      const std::string_view token = trim_ows(value.substr(pos, comma - pos));
      if (!token.empty() && boost::beast::iequals(token, name)) {
        return true;
      }
      pos = comma + 1;
    }
  }
  return false;
}

// True when the field does not cross the proxy: hop-by-hop by definition or by Connection.
bool is_dropped_hop_field(const http::fields::value_type& field, const ConnectionValues& connection) {
  return is_hop_by_hop(field.name()) ||
         (!connection.empty() && named_by_connection(connection, field.name_string()));
}

// A value the gateway writes into a head: CR or LF would end the field (header injection), NUL
// is refused by every strict parser.
bool is_header_safe(std::string_view value) {
  // A plain loop: string_view::find_first_of calls memchr once per character.
  for (const char c : value) {
    if (c == '\r' || c == '\n' || c == '\0') {
      return false;
    }
  }
  return true;
}

void append_field(std::string& out, std::string_view name, std::string_view value) {
  out.append(name);
  out.append(": ");
  out.append(value);
  out.append("\r\n");
}

void append_number(std::string& out, std::uint64_t n) {
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof digits, n).ptr;
  out.append(digits, static_cast<std::size_t>(end - digits));
}

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

void append_quoted(std::string& out, std::string_view s) {
  out += '"';
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
    }
    out += c;
  }
  out += '"';
}

void append_forwarded_value(std::string& out, std::string_view client_ip, bool tls,
                            std::string_view host) {
  out += "for=";
  if (client_ip.find(':') != std::string_view::npos) {
    out += "\"[";
    out += client_ip;  // an IPv6 address: hex digits, ':' and '.', nothing to escape
    out += "]\"";
  } else if (is_token(client_ip)) {
    out += client_ip;
  } else {
    append_quoted(out, client_ip);
  }
  out += tls ? ";proto=https" : ";proto=http";
  if (!host.empty()) {
    out += ";host=";
    if (is_token(host)) {
      out += host;
    } else {
      append_quoted(out, host);
    }
  }
}

bool starts_with_x(std::string_view name) {
  return !name.empty() && (name.front() == 'x' || name.front() == 'X');
}

// Fields only the gateway may set towards the upstream: every copy the agent sent is dropped.
bool is_gateway_owned(const http::fields::value_type& field, const ForwardFacts& facts) {
  switch (field.name()) {
    case http::field::host:
    case http::field::forwarded:
    case http::field::expect:  // the body is already read: nobody waits for 100 Continue
      return true;
    case http::field::accept_encoding:
      return facts.identity_encoding;
    default:
      break;
  }
  const std::string_view name = field.name_string();
  if (!facts.identity_header.empty() && boost::beast::iequals(name, facts.identity_header)) {
    return true;
  }
  return starts_with_x(name) &&
         (boost::beast::iequals(name, "X-Forwarded-For") ||
          boost::beast::iequals(name, "X-Forwarded-Proto") ||
          boost::beast::iequals(name, "X-Forwarded-Host") ||
          boost::beast::iequals(name, "X-Request-Id"));
}

bool request_needs_content_length(std::string_view method, std::size_t body_size) {
  // As Beast's prepare_payload: a body, or a method whose empty body is still a body.
  return body_size > 0 || method == "POST" || method == "PUT" || method == "OPTIONS";
}

}  // namespace

bool write_upstream_request_head(std::string& out, const AgentRequestHead& request,
                                 const ForwardFacts& facts) {
  const http::fields& fields = *request.fields;
  if (!is_header_safe(request.target) || !is_header_safe(facts.upstream_host) ||
      !is_header_safe(facts.client_ip) || !is_header_safe(facts.identity_header) ||
      !is_header_safe(facts.identity) || !is_header_safe(facts.request_id)) {
    return false;
  }
  out.append(request.method);
  out += ' ';
  out.append(request.target);
  out.append(" HTTP/1.1\r\n");
  append_field(out, "Host", facts.upstream_host);

  const ConnectionValues connection = connection_values(fields);
  std::string_view listener_host;
  bool have_listener_host = false;
  for (const auto& field : fields) {
    if (field.name() == http::field::host && !have_listener_host) {
      listener_host = field.value();  // the first Host, as the router read it
      have_listener_host = true;
    }
    if (is_dropped_hop_field(field, connection) || is_gateway_owned(field, facts)) {
      continue;
    }
    append_field(out, field.name_string(), field.value());
  }

  append_field(out, "X-Forwarded-For", facts.client_ip);
  append_field(out, "X-Forwarded-Proto", facts.tls ? "https" : "http");
  if (!listener_host.empty()) {
    append_field(out, "X-Forwarded-Host", listener_host);
  }
  out.append("Forwarded: ");
  append_forwarded_value(out, facts.client_ip, facts.tls, listener_host);
  out.append("\r\n");
  append_field(out, "X-Request-Id", facts.request_id);
  if (!facts.identity_header.empty()) {
    append_field(out, facts.identity_header, facts.identity);
  }
  if (request_needs_content_length(request.method, request.body_size)) {
    out.append("Content-Length: ");
    append_number(out, request.body_size);
    out.append("\r\n");
  }
  out.append("\r\n");
  return true;
}

void write_agent_answer_head(std::string& out, const AnswerHead& answer) {
  out.append(answer.version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ");
  append_number(out, answer.status);
  out += ' ';
  // The standard phrase, as Beast's serializer wrote it: the upstream's own phrase is not
  // relayed (it carries no meaning, RFC 9112 §4).
  const std::string_view reason = http::obsolete_reason(static_cast<http::status>(answer.status));
  out.append(reason.data(), reason.size());
  out.append("\r\n");

  const http::fields& fields = *answer.upstream_fields;
  const ConnectionValues connection = connection_values(fields);
  for (const auto& field : fields) {
    if (is_dropped_hop_field(field, connection)) {
      continue;
    }
    if (starts_with_x(field.name_string()) &&
        boost::beast::iequals(field.name_string(), "X-Request-Id")) {
      continue;  // ours replaces it: the id the audit records carry
    }
    append_field(out, field.name_string(), field.value());
  }
  append_field(out, "X-Request-Id", answer.request_id);
  if (answer.framing.content_length) {
    out.append("Content-Length: ");
    append_number(out, *answer.framing.content_length);
    out.append("\r\n");
  } else if (answer.framing.chunked) {
    out.append("Transfer-Encoding: chunked\r\n");
  }
  // HTTP/1.1 is persistent unless it says close; HTTP/1.0 only when it says keep-alive.
  if (answer.version == 10 && answer.keep_alive) {
    out.append("Connection: keep-alive\r\n");
  } else if (answer.version != 10 && !answer.keep_alive) {
    out.append("Connection: close\r\n");
  }
  out.append("\r\n");
}

std::string forwarded_value(std::string_view client_ip, bool tls, std::string_view host) {
  std::string out;
  append_forwarded_value(out, client_ip, tls, host);
  return out;
}

}  // namespace portcullis::net
