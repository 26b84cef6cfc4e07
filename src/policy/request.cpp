// Cedar's JSON request form ↔ policy::Request.
#include "portcullis/policy/request.hpp"

#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>
#include <string_view>
#include <vector>

#include "policy/extensions.hpp"
#include "portcullis/common/jcs_text.hpp"
#include "policy/parser.hpp"
#include "policy/value_node.hpp"

namespace portcullis::policy {
namespace {

// {"type": T, "id": I}, {"__entity": {...}} or the string form `T::"I"`.
Result<EntityUid> uid_from_json(const nlohmann::json& j, const char* field) {
  if (j.is_string()) {
    const std::string s = j.get<std::string>();
    const auto sep = s.find("::\"");
    if (sep == std::string::npos || s.size() < sep + 4 || s.back() != '"') {
      return fail(std::string("\"") + field + "\": expected Type::\"id\"");
    }
    EntityUid uid;
    uid.type = s.substr(0, sep);
    if (!is_valid_entity_type(uid.type)) {
      return fail(std::string("\"") + field + "\": `" + uid.type +
                  "` is not a valid entity type name");
    }
    std::string error;
    if (!unescape_cedar_string(std::string_view(s).substr(sep + 3, s.size() - sep - 4), uid.id,
                               error)) {
      return fail(std::string("\"") + field + "\": " + error);
    }
    return uid;
  }
  const nlohmann::json* body = &j;
  if (j.is_object() && j.size() == 1 && j.contains("__entity")) body = &j["__entity"];
  if (!body->is_object() || body->size() != 2 || !body->contains("type") ||
      !body->contains("id") || !(*body)["type"].is_string() || !(*body)["id"].is_string()) {
    return fail(std::string("\"") + field + "\": expected {\"type\": \"...\", \"id\": \"...\"}");
  }
  EntityUid uid{(*body)["type"].get<std::string>(), (*body)["id"].get<std::string>()};
  if (!is_valid_entity_type(uid.type)) {
    return fail(std::string("\"") + field + "\": `" + uid.type +
                "` is not a valid entity type name");
  }
  return uid;
}

}  // namespace

Result<Request> request_from_json(const nlohmann::json& json) {
  if (!json.is_object()) return fail("a request is a JSON object");
  for (auto it = json.begin(); it != json.end(); ++it) {
    const auto& k = it.key();
    if (k != "principal" && k != "action" && k != "resource" && k != "context") {
      return fail("unknown request field \"" + k + "\"");
    }
  }
  Request request;
  const char* fields[] = {"principal", "action", "resource"};
  EntityUid* targets[] = {&request.principal, &request.action, &request.resource};
  for (int i = 0; i < 3; ++i) {
    if (!json.contains(fields[i])) return fail(std::string("missing \"") + fields[i] + "\"");
    auto uid = uid_from_json(json[fields[i]], fields[i]);
    if (!uid) return tl::unexpected(uid.error());
    *targets[i] = std::move(*uid);
  }
  if (json.contains("context")) {
    auto context = value_from_cedar_json(json["context"]);
    if (!context) return fail("\"context\": " + context.error().message);
    if (context->node().kind != Kind::Record) return fail("\"context\" must be a record");
    request.context = std::move(*context);
  }
  return request;
}

nlohmann::json request_to_json(const Request& request) {
  const auto uid = [](const EntityUid& u) { return nlohmann::json{{"type", u.type}, {"id", u.id}}; };
  return nlohmann::json{{"principal", uid(request.principal)},
                        {"action", uid(request.action)},
                        {"resource", uid(request.resource)},
                        {"context", value_to_cedar_json(request.context)}};
}

// --- JCS text straight from the request -----------------------------------------------------
// The RFC 8785 primitives (strings, integers, UTF-16 member order) are common's, shared with the
// audit module's canonicaliser. Cedar values need only strings, 64-bit integers, booleans,
// arrays and objects. tests/unit/policy/request_jcs_test.cpp checks every byte against the audit
// module's generic canonicaliser applied to request_to_json.
namespace {

void append_uid(std::string& out, const EntityUid& uid) {
  out += "{\"id\":";
  append_jcs_string(out, uid.id);
  out += ",\"type\":";
  append_jcs_string(out, uid.type);
  out.push_back('}');
}

void append_extn(std::string& out, std::string_view fn, std::string_view arg) {
  out += "{\"__extn\":{\"arg\":";
  append_jcs_string(out, arg);
  out += ",\"fn\":";
  append_jcs_string(out, fn);
  out += "}}";
}

// `"<ms>ms"`: the JCS string of ext::duration_to_string(ms), written in place (digits, '-' and
// "ms" need no escaping).
void append_duration_string(std::string& out, std::int64_t ms) {
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof digits, ms).ptr;
  out.push_back('"');
  out.append(digits, end);
  out.append("ms\"", 3);
}

// Appends 0..255 in decimal.
void append_small_decimal(std::string& out, unsigned v) {
  if (v >= 100) out.push_back(static_cast<char>('0' + v / 100));
  if (v >= 10) out.push_back(static_cast<char>('0' + v / 10 % 10));
  out.push_back(static_cast<char>('0' + v % 10));
}

// An IPv4 `ipaddr` as {"__extn":{"arg":"a.b.c.d/p","fn":"ip"}}: ext::ip_to_string's text
// written in place (the source address of every request is one).
void append_ipv4_extn(std::string& out, const IpAddr& ip) {
  out += "{\"__extn\":{\"arg\":\"";
  for (std::size_t i = 0; i < 4; ++i) {
    if (i != 0) out.push_back('.');
    append_small_decimal(out, ip.bytes[i]);
  }
  out.push_back('/');
  append_small_decimal(out, ip.prefix);
  out += "\",\"fn\":\"ip\"}}";
}

void append_value(std::string& out, const Value& value);

void append_record(std::string& out, const Value::Node& n) {
  out.push_back('{');
  const bool utf16 = std::any_of(n.fields.begin(), n.fields.end(),
                                 [](const auto& f) { return needs_utf16_order(f.first); });
  if (!utf16) {
    for (std::size_t k = 0; k < n.fields.size(); ++k) {
      if (k != 0) out.push_back(',');
      append_jcs_string(out, n.fields[k].first);
      out.push_back(':');
      append_value(out, n.fields[k].second);
    }
  } else {
    std::vector<const std::pair<std::string, Value>*> sorted;
    sorted.reserve(n.fields.size());
    for (const auto& f : n.fields) sorted.push_back(&f);
    std::sort(sorted.begin(), sorted.end(),
              [](const auto* a, const auto* b) { return utf16_less(a->first, b->first); });
    for (std::size_t k = 0; k < sorted.size(); ++k) {
      if (k != 0) out.push_back(',');
      append_jcs_string(out, sorted[k]->first);
      out.push_back(':');
      append_value(out, sorted[k]->second);
    }
  }
  out.push_back('}');
}

// Mirrors value_to_cedar_json, member for member, in canonical order.
void append_value(std::string& out, const Value& value) {
  const auto& n = value.node();
  switch (n.kind) {
    case Kind::Bool:
      out += n.b ? "true" : "false";
      return;
    case Kind::Long:
      append_jcs_integer(out, n.n);
      return;
    case Kind::String:
      append_jcs_string(out, n.s);
      return;
    case Kind::Entity:
      out += "{\"__entity\":";
      append_uid(out, n.uid);
      out.push_back('}');
      return;
    case Kind::Set:
      out.push_back('[');
      for (std::size_t k = 0; k < n.elements.size(); ++k) {
        if (k != 0) out.push_back(',');
        append_value(out, n.elements[k]);
      }
      out.push_back(']');
      return;
    case Kind::Record:
      append_record(out, n);
      return;
    case Kind::Extension:
      switch (n.ext.kind) {
        case ExtKind::Ip:
          if (!n.ext.ip.v6) {
            append_ipv4_extn(out, n.ext.ip);
          } else {
            append_extn(out, "ip", ext::ip_to_string(n.ext.ip));
          }
          return;
        case ExtKind::Decimal:
          append_extn(out, "decimal", ext::decimal_to_string(n.ext.n));
          return;
        case ExtKind::Duration:
          out += "{\"__extn\":{\"arg\":";
          append_duration_string(out, n.ext.n);
          out += ",\"fn\":\"duration\"}}";
          return;
        case ExtKind::Datetime:
          out += "{\"__extn\":{\"args\":[{\"__extn\":{\"arg\":\"1970-01-01\",\"fn\":\"datetime\"}},"
                 "{\"__extn\":{\"arg\":";
          append_duration_string(out, n.ext.n);
          out += ",\"fn\":\"duration\"}}],\"fn\":\"offset\"}}";
          return;
      }
  }
  out += "null";
}

// The context record. Its members that repeat from request to request (the TLS record, the
// session, the source address, the route: protocol/cedar_request.cpp reuses their Values while
// their inputs are equal) are usually the very node the previous request on this thread had at
// the same position, so each member's text is kept per thread with a reference to its node and
// copied when the node is the same. Values are immutable, so one node always has one text; the
// kept reference stops the node from being freed and another allocated at its address while its
// text is kept. Keys needing UTF-16 order (never a gateway context's) take the general path.
void append_context(std::string& out, const Value& context) {
  const auto& n = context.node();
  if (n.kind != Kind::Record ||
      std::any_of(n.fields.begin(), n.fields.end(),
                  [](const auto& f) { return needs_utf16_order(f.first); })) {
    append_value(out, context);
    return;
  }
  struct MemberText {
    Value value;
    std::string text;  // "" until written: no Value's text is empty
  };
  thread_local std::vector<MemberText> previous;
  if (previous.size() < n.fields.size()) previous.resize(n.fields.size());
  out.push_back('{');
  for (std::size_t k = 0; k < n.fields.size(); ++k) {
    if (k != 0) out.push_back(',');
    append_jcs_string(out, n.fields[k].first);
    out.push_back(':');
    const Value& member = n.fields[k].second;
    MemberText& kept = previous[k];
    if (!kept.text.empty() && &kept.value.node() == &member.node()) {
      out += kept.text;
      continue;
    }
    const std::size_t start = out.size();
    append_value(out, member);
    kept.value = member;
    kept.text.assign(out, start, std::string::npos);
  }
  out.push_back('}');
}

}  // namespace

void append_request_jcs(std::string& out, const Request& request) {
  out += "{\"action\":";
  append_uid(out, request.action);
  out += ",\"context\":";
  append_context(out, request.context);
  out += ",\"principal\":";
  append_uid(out, request.principal);
  out += ",\"resource\":";
  append_uid(out, request.resource);
  out.push_back('}');
}

std::string request_to_jcs(const Request& request) {
  std::string out;
  out.reserve(1024);
  append_request_jcs(out, request);
  return out;
}

}  // namespace portcullis::policy
