// Cedar's JSON request form ↔ policy::Request.
#include "portcullis/policy/request.hpp"

#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>
#include <string_view>
#include <vector>

#include "policy/extensions.hpp"
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
// RFC 8785 written here rather than borrowed from the audit module, which the policy module must
// not depend on. Cedar values need only part of it: strings, 64-bit integers, booleans, arrays
// and objects. tests/unit/policy/request_jcs_test.cpp checks every byte against the audit
// module's generic canonicaliser applied to request_to_json.
namespace {

// Integers up to 2^53 are exact doubles, so their ECMAScript form is their decimal form.
constexpr std::uint64_t kMaxSafeInteger = 9007199254740992ull;

void append_string(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  std::size_t run = 0;  // start of the pending run of bytes that need no escaping
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(text.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        out += "\\u00";
        out.push_back(kHex[c >> 4]);
        out.push_back(kHex[c & 0xf]);
        break;
    }
  }
  out.append(text.data() + run, text.size() - run);
  out.push_back('"');
}

// A Long as JavaScript prints the nearest double (JCS numbers are IEEE doubles). Beyond 2^53
// that double is an integer of 16 to 19 digits, which ECMAScript writes as its shortest
// round-trip digits padded with zeros (never in exponent form below 10^21).
void append_long(std::string& out, std::int64_t value) {
  const std::uint64_t magnitude =
      value < 0 ? static_cast<std::uint64_t>(-(value + 1)) + 1 : static_cast<std::uint64_t>(value);
  char buf[32];
  if (magnitude <= kMaxSafeInteger) {
    const auto res = std::to_chars(buf, buf + sizeof buf, value);
    out.append(buf, static_cast<std::size_t>(res.ptr - buf));
    return;
  }
  // "d.ddddde+XX": the shortest digits and the decimal exponent.
  const auto res =
      std::to_chars(buf, buf + sizeof buf, static_cast<double>(magnitude), std::chars_format::scientific);
  const std::string_view sci(buf, static_cast<std::size_t>(res.ptr - buf));
  const std::size_t e = sci.find('e');
  int exponent = 0;
  std::from_chars(sci.data() + e + 2, sci.data() + sci.size(), exponent);  // "e+XX"
  if (value < 0) out.push_back('-');
  std::size_t digits = 0;
  for (std::size_t i = 0; i < e; ++i) {
    if (sci[i] != '.') {
      out.push_back(sci[i]);
      ++digits;
    }
  }
  out.append(static_cast<std::size_t>(exponent + 1) - digits, '0');
}

// JCS orders members by UTF-16 code units; Value keeps record fields in byte (= code point)
// order, which differs only when a key holds a supplementary character (lead byte F0-F4) and
// one of U+E000..U+FFFF (lead byte EE or EF).
bool needs_utf16_order(std::string_view key) {
  return std::any_of(key.begin(), key.end(),
                     [](char c) { return static_cast<unsigned char>(c) >= 0xEE; });
}

// UTF-16 code units of the code point at s[i] (valid UTF-8), advancing i.
std::pair<std::uint32_t, std::uint32_t> next_utf16(std::string_view s, std::size_t& i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  const std::size_t len = b0 < 0x80 ? 1 : b0 >= 0xF0 ? 4 : b0 >= 0xE0 ? 3 : 2;
  char32_t cp = len == 1 ? b0 : (b0 & (0x3F >> (len - 1)));
  for (std::size_t k = 1; k < len && i + k < s.size(); ++k) {
    cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
  }
  i += len;
  if (cp < 0x10000) return {cp, 0};
  return {0xD800 + ((cp - 0x10000) >> 10), 0xDC00 + ((cp - 0x10000) & 0x3FF)};
}

bool utf16_less(std::string_view a, std::string_view b) {
  std::size_t i = 0;
  std::size_t j = 0;
  while (i < a.size() && j < b.size()) {
    const auto ua = next_utf16(a, i);
    const auto ub = next_utf16(b, j);
    if (ua != ub) return ua < ub;
  }
  return i == a.size() && j != b.size();
}

void append_uid(std::string& out, const EntityUid& uid) {
  out += "{\"id\":";
  append_string(out, uid.id);
  out += ",\"type\":";
  append_string(out, uid.type);
  out.push_back('}');
}

void append_extn(std::string& out, std::string_view fn, std::string_view arg) {
  out += "{\"__extn\":{\"arg\":";
  append_string(out, arg);
  out += ",\"fn\":";
  append_string(out, fn);
  out += "}}";
}

void append_value(std::string& out, const Value& value);

void append_record(std::string& out, const Value::Node& n) {
  out.push_back('{');
  const bool utf16 = std::any_of(n.fields.begin(), n.fields.end(),
                                 [](const auto& f) { return needs_utf16_order(f.first); });
  if (!utf16) {
    for (std::size_t k = 0; k < n.fields.size(); ++k) {
      if (k != 0) out.push_back(',');
      append_string(out, n.fields[k].first);
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
      append_string(out, sorted[k]->first);
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
      append_long(out, n.n);
      return;
    case Kind::String:
      append_string(out, n.s);
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
          append_extn(out, "ip", ext::ip_to_string(n.ext.ip));
          return;
        case ExtKind::Decimal:
          append_extn(out, "decimal", ext::decimal_to_string(n.ext.n));
          return;
        case ExtKind::Duration:
          append_extn(out, "duration", ext::duration_to_string(n.ext.n));
          return;
        case ExtKind::Datetime:
          out += "{\"__extn\":{\"args\":[";
          append_extn(out, "datetime", "1970-01-01");
          out.push_back(',');
          append_extn(out, "duration", ext::duration_to_string(n.ext.n));
          out += "],\"fn\":\"offset\"}}";
          return;
      }
  }
  out += "null";
}

}  // namespace

void append_request_jcs(std::string& out, const Request& request) {
  out += "{\"action\":";
  append_uid(out, request.action);
  out += ",\"context\":";
  append_value(out, request.context);
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
