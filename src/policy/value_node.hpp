// The representation behind policy::Value: one immutable node per value (sets sorted and
// de-duplicated, records sorted by key) so equality, `contains` and attribute lookup need no
// allocation.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "portcullis/policy/value.hpp"

namespace portcullis::policy {

// Value kinds in Cedar's order for the total order used to sort sets (the order itself is ours;
// Cedar only needs equality, but a total order lets sets be sorted and searched).
enum class Kind : std::uint8_t { Bool, Long, String, Entity, Set, Record, Extension };

enum class ExtKind : std::uint8_t { Ip, Decimal, Datetime, Duration };

// An `ipaddr` value: an address and its prefix length (a single address has /32 or /128).
struct IpAddr {
  bool v6 = false;
  std::uint8_t prefix = 32;
  std::array<std::uint8_t, 16> bytes{};  // IPv4 uses bytes[0..3]

  friend bool operator==(const IpAddr&, const IpAddr&) = default;
};

// An extension value. Decimal: value × 10⁻⁴; datetime: ms since the epoch; duration: ms.
struct ExtValue {
  ExtKind kind = ExtKind::Decimal;
  std::int64_t n = 0;
  IpAddr ip;
};

struct Value::Node {
  Kind kind = Kind::Record;
  bool b = false;
  std::int64_t n = 0;
  std::string s;                                       // String
  EntityUid uid;                                       // Entity
  std::vector<Value> elements;                         // Set: sorted by compare(), unique
  std::vector<std::pair<std::string, Value>> fields;   // Record: sorted by key, unique
  ExtValue ext;                                        // Extension
};

// Lookup of a record field by key (binary search); nullptr if absent.
const Value* find_field(const Value::Node& record, std::string_view key);

// -1, 0 or 1 as a is less than, equal to or greater than b under `<`.
template <typename T>
int three_way(const T& a, const T& b) {
  return a < b ? -1 : (b < a ? 1 : 0);
}

// Total order over values (equal iff Cedar `==` holds).
int compare_nodes(const Value::Node& a, const Value::Node& b);
int compare_values(const Value& a, const Value& b);
// The parts of that order the evaluator's borrowed values (eval_value.hpp) share: entity UIDs by
// type then id, ip addresses by family, bytes, then prefix length.
int compare_uids(const EntityUid& a, const EntityUid& b);
int compare_ips(const IpAddr& a, const IpAddr& b);

// True if `type` is a Cedar name: Ident ('::' Ident)*, no reserved word as a component.
bool is_valid_entity_type(std::string_view type);
// True for `Action` and `<Namespace>::Action`.
bool is_action_type(std::string_view type);

// Cedar's type name of a value, for error messages ("Long", "Set", "ipaddr", ...). `ext` is
// read only when `kind` is Kind::Extension.
const char* type_name(Kind kind, ExtKind ext);
inline const char* type_name(const Value::Node& node) {
  return type_name(node.kind, node.ext.kind);
}

}  // namespace portcullis::policy
