// EV: a value during evaluation. It points at values that already exist (policy literals, the
// request, entity attributes) instead of copying them, so evaluating a typical policy allocates
// nothing; only set/record literals with non-constant members own a freshly built Value.
#pragma once

#include <optional>
#include <string_view>

#include "policy/value_node.hpp"

namespace portcullis::policy {

struct EV {
  Kind kind = Kind::Bool;
  ExtKind ext = ExtKind::Decimal;
  bool b = false;
  std::int64_t n = 0;                  // Long; decimal/datetime/duration payload
  IpAddr ip;                           // ipaddr
  std::string_view str;                // String
  const EntityUid* uid = nullptr;      // Entity
  const Value* ref = nullptr;          // Set / Record (borrowed)
  std::optional<Value> own;            // Set / Record (built during evaluation)

  [[nodiscard]] const Value::Node& node() const { return own ? own->node() : ref->node(); }

  static EV boolean(bool v) {
    EV e;
    e.kind = Kind::Bool;
    e.b = v;
    return e;
  }
  static EV integer(std::int64_t v) {
    EV e;
    e.kind = Kind::Long;
    e.n = v;
    return e;
  }
  static EV entity(const EntityUid& u) {
    EV e;
    e.kind = Kind::Entity;
    e.uid = &u;
    return e;
  }
  static EV extension(ExtKind k, std::int64_t v) {
    EV e;
    e.kind = Kind::Extension;
    e.ext = k;
    e.n = v;
    return e;
  }
};

// A borrowed view of `value` (which must outlive the EV).
EV view(const Value& value);
// An owned Value equal to `ev` (allocates).
Value to_value(const EV& ev);
// Total order consistent with compare_values; 0 iff Cedar `==`.
int compare_ev(const EV& a, const EV& b);
// Cedar's name of the value's type.
const char* ev_type_name(const EV& ev);

}  // namespace portcullis::policy
