// policy::Value: constructors, the total order, and the JSON forms (Cedar's escaped form and the
// gateway's plain form for agent-supplied data).
#include "portcullis/policy/value.hpp"

#include <algorithm>
#include <optional>
#include <nlohmann/json.hpp>

#include "policy/extensions.hpp"
#include "policy/value_node.hpp"

namespace portcullis::policy {
namespace {

std::shared_ptr<Value::Node> make_node(Kind kind) {
  auto node = std::make_shared<Value::Node>();
  node->kind = kind;
  return node;
}

}  // namespace

int compare_uids(const EntityUid& a, const EntityUid& b) {
  const int t = a.type.compare(b.type);
  if (t != 0) return t < 0 ? -1 : 1;
  const int i = a.id.compare(b.id);
  return i < 0 ? -1 : (i > 0 ? 1 : 0);
}

int compare_ips(const IpAddr& a, const IpAddr& b) {
  if (a.v6 != b.v6) return three_way(a.v6, b.v6);
  if (a.bytes != b.bytes) return three_way(a.bytes, b.bytes);
  return three_way(a.prefix, b.prefix);
}

int compare_nodes(const Value::Node& a, const Value::Node& b) {
  if (a.kind != b.kind) return three_way(a.kind, b.kind);
  switch (a.kind) {
    case Kind::Bool:
      return three_way(a.b, b.b);
    case Kind::Long:
      return three_way(a.n, b.n);
    case Kind::String:
      return a.s.compare(b.s) < 0 ? -1 : (a.s == b.s ? 0 : 1);
    case Kind::Entity:
      return compare_uids(a.uid, b.uid);
    case Kind::Set: {
      const std::size_t n = std::min(a.elements.size(), b.elements.size());
      for (std::size_t i = 0; i < n; ++i) {
        const int c = compare_values(a.elements[i], b.elements[i]);
        if (c != 0) return c;
      }
      return three_way(a.elements.size(), b.elements.size());
    }
    case Kind::Record: {
      const std::size_t n = std::min(a.fields.size(), b.fields.size());
      for (std::size_t i = 0; i < n; ++i) {
        const int k = a.fields[i].first.compare(b.fields[i].first);
        if (k != 0) return k < 0 ? -1 : 1;
        const int c = compare_values(a.fields[i].second, b.fields[i].second);
        if (c != 0) return c;
      }
      return three_way(a.fields.size(), b.fields.size());
    }
    case Kind::Extension: {
      if (a.ext.kind != b.ext.kind) return three_way(a.ext.kind, b.ext.kind);
      if (a.ext.kind == ExtKind::Ip) return compare_ips(a.ext.ip, b.ext.ip);
      return three_way(a.ext.n, b.ext.n);
    }
  }
  return 0;
}

namespace {

const char* kind_word(Kind kind) {
  switch (kind) {
    case Kind::Bool:
      return "Bool";
    case Kind::Long:
      return "Long";
    case Kind::String:
      return "String";
    case Kind::Entity:
      return "Entity";
    case Kind::Set:
      return "Set";
    case Kind::Record:
      return "Record";
    case Kind::Extension:
      return "Extension";
  }
  return "?";
}

}  // namespace

int compare_values(const Value& a, const Value& b) {
  if (&a.node() == &b.node()) return 0;
  return compare_nodes(a.node(), b.node());
}

const char* type_name(Kind kind, ExtKind ext) {
  if (kind != Kind::Extension) return kind_word(kind);
  switch (ext) {
    case ExtKind::Ip:
      return "ipaddr";
    case ExtKind::Decimal:
      return "decimal";
    case ExtKind::Datetime:
      return "datetime";
    case ExtKind::Duration:
      return "duration";
  }
  return "?";
}

bool is_valid_entity_type(std::string_view type) {
  static constexpr std::string_view kReserved[] = {"true", "false", "if",  "then", "else",
                                                   "in",   "is",    "like", "has", "__cedar"};
  std::size_t start = 0;
  while (true) {
    const std::size_t end = type.find("::", start);
    const std::string_view part = type.substr(start, end == std::string_view::npos ? end : end - start);
    if (part.empty()) return false;
    const char first = part[0];
    if (!(first == '_' || (first >= 'a' && first <= 'z') || (first >= 'A' && first <= 'Z'))) {
      return false;
    }
    for (const char c : part) {
      if (!(c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
            (c >= '0' && c <= '9'))) {
        return false;
      }
    }
    for (const auto r : kReserved) {
      if (part == r) return false;
    }
    if (end == std::string_view::npos) return true;
    start = end + 2;
  }
}

bool is_action_type(std::string_view type) {
  constexpr std::string_view kAction = "Action";
  constexpr std::string_view kSuffix = "::Action";
  return type == kAction ||
         (type.size() > kSuffix.size() && type.substr(type.size() - kSuffix.size()) == kSuffix);
}

const Value* find_field(const Value::Node& record, std::string_view key) {
  // Binary search, but most probes are decided by the first byte alone (context keys like
  // "rate"/"route"/"session"/"time" mostly differ there), so that byte is compared inline and
  // the full comparison (a memcmp call) runs only when it is equal; a match ends the search at
  // once. Same order as the sort in Value::record: std::string's, bytes compared unsigned.
  const auto& fields = record.fields;
  const unsigned char first = key.empty() ? 0 : static_cast<unsigned char>(key.front());
  std::size_t low = 0;
  std::size_t high = fields.size();
  while (low < high) {
    const std::size_t mid = low + (high - low) / 2;
    const std::string& name = fields[mid].first;
    int order = 0;
    if (!name.empty() && !key.empty() && name.front() != key.front()) {
      order = static_cast<unsigned char>(name.front()) < first ? -1 : 1;
    } else {
      order = std::string_view(name).compare(key);
    }
    if (order == 0) return &fields[mid].second;
    if (order < 0) {
      low = mid + 1;
    } else {
      high = mid;
    }
  }
  return nullptr;
}

std::string EntityUid::to_string() const {
  std::string out = type + "::\"";
  for (const unsigned char c : id) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\0':
        out += "\\0";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          static constexpr char kHex[] = "0123456789abcdef";
          out += "\\u{";
          if (c >= 16) out += kHex[c >> 4];
          out += kHex[c & 15];
          out += '}';
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
  return out;
}

Value::Value() {
  static const std::shared_ptr<const Node> kEmptyRecord = make_node(Kind::Record);
  node_ = kEmptyRecord;
}

Value Value::boolean(bool b) {
  static const std::shared_ptr<const Node> kTrue = [] {
    auto n = make_node(Kind::Bool);
    n->b = true;
    return n;
  }();
  static const std::shared_ptr<const Node> kFalse = make_node(Kind::Bool);
  return Value(b ? kTrue : kFalse);
}

Value Value::integer(std::int64_t n) {
  auto node = make_node(Kind::Long);
  node->n = n;
  return Value(std::move(node));
}

Value Value::string(std::string s) {
  auto node = make_node(Kind::String);
  node->s = std::move(s);
  return Value(std::move(node));
}

Value Value::entity(EntityUid uid) {
  auto node = make_node(Kind::Entity);
  node->uid = std::move(uid);
  return Value(std::move(node));
}

Value Value::set(std::vector<Value> elements) {
  auto node = make_node(Kind::Set);
  std::sort(elements.begin(), elements.end(),
            [](const Value& a, const Value& b) { return compare_values(a, b) < 0; });
  elements.erase(std::unique(elements.begin(), elements.end(),
                             [](const Value& a, const Value& b) {
                               return compare_values(a, b) == 0;
                             }),
                 elements.end());
  node->elements = std::move(elements);
  return Value(std::move(node));
}

Value Value::record(std::vector<std::pair<std::string, Value>> fields) {
  auto node = make_node(Kind::Record);
  // Fields from a JSON object (a std::map) or a record literal usually arrive sorted and unique
  // already: then there is nothing to sort and nothing to drop.
  const bool sorted_unique =
      std::adjacent_find(fields.begin(), fields.end(), [](const auto& a, const auto& b) {
        return !(a.first < b.first);
      }) == fields.end();
  if (sorted_unique) {
    node->fields = std::move(fields);
    return Value(std::move(node));
  }
  // Stable, then keep the last of equal keys: a later field wins, as in a JSON object.
  std::stable_sort(fields.begin(), fields.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::pair<std::string, Value>> unique;
  unique.reserve(fields.size());
  for (auto& f : fields) {
    if (!unique.empty() && unique.back().first == f.first) {
      unique.back() = std::move(f);
    } else {
      unique.push_back(std::move(f));
    }
  }
  node->fields = std::move(unique);
  return Value(std::move(node));
}

Value Value::datetime(std::int64_t ms_since_epoch) {
  auto node = make_node(Kind::Extension);
  node->ext.kind = ExtKind::Datetime;
  node->ext.n = ms_since_epoch;
  return Value(std::move(node));
}

Result<Value> Value::extension(std::string_view constructor, std::string_view argument) {
  // The extension types whose payload is one 64-bit number, by constructor name.
  using ScalarParser = std::optional<std::int64_t> (*)(std::string_view, std::string&);
  struct ScalarExtension {
    std::string_view constructor;
    ExtKind kind;
    ScalarParser parse;
  };
  static constexpr ScalarExtension kScalarExtensions[] = {
      {"decimal", ExtKind::Decimal, &ext::parse_decimal},
      {"datetime", ExtKind::Datetime, &ext::parse_datetime},
      {"duration", ExtKind::Duration, &ext::parse_duration},
  };
  auto node = make_node(Kind::Extension);
  std::string error;
  if (constructor == "ip") {
    auto ip = ext::parse_ip(argument, error);
    if (!ip) return fail(error);
    node->ext.kind = ExtKind::Ip;
    node->ext.ip = *ip;
    return Value(std::move(node));
  }
  for (const auto& scalar : kScalarExtensions) {
    if (constructor != scalar.constructor) continue;
    auto n = scalar.parse(argument, error);
    if (!n) return fail(error);
    node->ext.kind = scalar.kind;
    node->ext.n = *n;
    return Value(std::move(node));
  }
  return fail("unknown extension function `" + std::string(constructor) + "`");
}

namespace {

// The two JSON forms a Cedar value is read from. Cedar's own form has escapes for entities and
// extension values, and anything Cedar cannot hold is an error. The plain form (agent-supplied
// data) has no escapes, drops nulls inside arrays and objects, and keeps a number that is no
// Long as its JSON text.
enum class JsonForm { Cedar, Plain };

template <JsonForm kForm>
Result<Value> from_json(const nlohmann::json& json, int depth_left);

// The body of an `__entity` escape; nullopt if it does not have the escape's shape (Cedar then
// reads the whole object as a plain record).
std::optional<EntityUid> uid_shape(const nlohmann::json& json) {
  if (!json.is_object() || json.size() != 2) return std::nullopt;
  const auto type = json.find("type");
  const auto id = json.find("id");
  if (type == json.end() || id == json.end() || !type->is_string() || !id->is_string()) {
    return std::nullopt;
  }
  return EntityUid{type->get<std::string>(), id->get<std::string>()};
}

// A Cedar-form object that is an escape ({"__entity": ..}, {"__extn": ..}, {"__expr": ..}):
// its value or its error; nullopt when the object is a plain record.
std::optional<Result<Value>> from_escape(const nlohmann::json& json, int depth_left) {
  if (json.size() == 1 && json.contains("__entity")) {
    if (auto uid = uid_shape(json["__entity"])) {
      if (!is_valid_entity_type(uid->type)) {
        return fail("in __entity escape: `" + uid->type + "` is not a valid entity type name");
      }
      return Value::entity(std::move(*uid));
    }
    // Not an escape after all: a record with an "__entity" attribute, as in Cedar.
  } else if (json.size() == 1 && json.contains("__extn")) {
    const auto& extn = json["__extn"];
    if (!extn.is_object() || !extn.contains("fn") || !extn["fn"].is_string()) {
      return fail("in __extn escape: expected {\"fn\": ..., \"arg\": ...}");
    }
    const auto fn = extn["fn"].get<std::string>();
    if (extn.size() == 2 && extn.contains("arg")) {
      const auto& arg = extn["arg"];
      if (!arg.is_string()) {
        return fail("in __extn escape: the argument of " + fn + " must be a string");
      }
      auto v = Value::extension(fn, arg.get<std::string>());
      if (!v) return fail("in __extn escape: " + v.error().message);
      return v;
    }
    // The two-argument form Cedar prints for datetimes: offset(datetime(..), duration(..)).
    if (fn == "offset" && extn.size() == 2 && extn.contains("args") && extn["args"].is_array() &&
        extn["args"].size() == 2) {
      auto base = from_json<JsonForm::Cedar>(extn["args"][0], depth_left - 1);
      auto delta = from_json<JsonForm::Cedar>(extn["args"][1], depth_left - 1);
      if (!base) return base;
      if (!delta) return delta;
      const auto& b = base->node();
      const auto& d = delta->node();
      if (b.kind != Kind::Extension || b.ext.kind != ExtKind::Datetime ||
          d.kind != Kind::Extension || d.ext.kind != ExtKind::Duration) {
        return fail("in __extn escape: offset needs a datetime and a duration");
      }
      std::int64_t sum = 0;
      if (__builtin_add_overflow(b.ext.n, d.ext.n, &sum)) {
        return fail("in __extn escape: offset overflows");
      }
      auto node = std::make_shared<Value::Node>();
      node->kind = Kind::Extension;
      node->ext.kind = ExtKind::Datetime;
      node->ext.n = sum;
      return Value(std::move(node));
    }
    return fail("in __extn escape: unsupported form for function `" + fn + "`");
  }
  if (json.contains("__expr")) return fail("the __expr escape is not supported");
  return std::nullopt;
}

template <JsonForm kForm>
Result<Value> from_json(const nlohmann::json& json, int depth_left) {
  constexpr bool kPlain = kForm == JsonForm::Plain;
  if (depth_left < 0) return fail("JSON value nested too deeply");
  switch (json.type()) {
    case nlohmann::json::value_t::boolean:
      return Value::boolean(json.get<bool>());
    case nlohmann::json::value_t::number_integer:
      return Value::integer(json.get<std::int64_t>());
    case nlohmann::json::value_t::number_unsigned: {
      const auto u = json.get<std::uint64_t>();
      if (u <= static_cast<std::uint64_t>(INT64_MAX)) {
        return Value::integer(static_cast<std::int64_t>(u));
      }
      if constexpr (kPlain) {
        return Value::string(json.dump());
      } else {
        return fail("integer " + json.dump() + " does not fit in a Cedar Long");
      }
    }
    case nlohmann::json::value_t::number_float:
      if constexpr (kPlain) {
        return Value::string(json.dump());
      } else {
        return fail("number " + json.dump() + " is not an integer (Cedar has no floats)");
      }
    case nlohmann::json::value_t::string:
      return Value::string(*json.get_ptr<const std::string*>());
    case nlohmann::json::value_t::array: {
      std::vector<Value> elements;
      elements.reserve(json.size());
      for (const auto& e : json) {
        if (kPlain && e.is_null()) continue;
        auto v = from_json<kForm>(e, depth_left - 1);
        if (!v) return v;
        elements.push_back(std::move(*v));
      }
      return Value::set(std::move(elements));
    }
    case nlohmann::json::value_t::object: {
      if constexpr (!kPlain) {
        if (auto escaped = from_escape(json, depth_left)) return std::move(*escaped);
      }
      std::vector<std::pair<std::string, Value>> fields;
      fields.reserve(json.size());
      for (auto it = json.begin(); it != json.end(); ++it) {
        if (kPlain && it.value().is_null()) continue;
        auto v = from_json<kForm>(it.value(), depth_left - 1);
        if (!v) {
          if constexpr (kPlain) {
            return v;
          } else {
            return fail("in attribute \"" + it.key() + "\": " + v.error().message);
          }
        }
        fields.emplace_back(it.key(), std::move(*v));
      }
      return Value::record(std::move(fields));
    }
    case nlohmann::json::value_t::null:
      if constexpr (!kPlain) {
        return fail("null is not a Cedar value");
      }
      break;
    case nlohmann::json::value_t::binary:
    case nlohmann::json::value_t::discarded:
      break;
  }
  if constexpr (kPlain) {
    return fail("JSON null or binary value cannot become a Cedar value");
  } else {
    return fail("unsupported JSON value");
  }
}

}  // namespace

Result<Value> value_from_plain_json(const nlohmann::json& json, int max_depth) {
  return from_json<JsonForm::Plain>(json, max_depth);
}

Result<Value> value_from_cedar_json(const nlohmann::json& json, int max_depth) {
  return from_json<JsonForm::Cedar>(json, max_depth);
}

nlohmann::json value_to_cedar_json(const Value& value) {
  const auto& n = value.node();
  switch (n.kind) {
    case Kind::Bool:
      return n.b;
    case Kind::Long:
      return n.n;
    case Kind::String:
      return n.s;
    case Kind::Entity:
      return {{"__entity", {{"type", n.uid.type}, {"id", n.uid.id}}}};
    case Kind::Set: {
      auto out = nlohmann::json::array();
      for (const auto& e : n.elements) out.push_back(value_to_cedar_json(e));
      return out;
    }
    case Kind::Record: {
      auto out = nlohmann::json::object();
      for (const auto& [k, v] : n.fields) out[k] = value_to_cedar_json(v);
      return out;
    }
    case Kind::Extension:
      switch (n.ext.kind) {
        case ExtKind::Ip:
          return {{"__extn", {{"fn", "ip"}, {"arg", ext::ip_to_string(n.ext.ip)}}}};
        case ExtKind::Decimal:
          return {{"__extn", {{"fn", "decimal"}, {"arg", ext::decimal_to_string(n.ext.n)}}}};
        case ExtKind::Duration:
          return {{"__extn", {{"fn", "duration"}, {"arg", ext::duration_to_string(n.ext.n)}}}};
        case ExtKind::Datetime:
          return {{"__extn",
                   {{"fn", "offset"},
                    {"args",
                     {{{"__extn", {{"fn", "datetime"}, {"arg", "1970-01-01"}}}},
                      {{"__extn", {{"fn", "duration"},
                                   {"arg", ext::duration_to_string(n.ext.n)}}}}}}}}};
      }
  }
  return nullptr;
}

}  // namespace portcullis::policy
