// Cedar values (Bool, Long, String, Set, Record, Entity, extension values) and their JSON forms.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "portcullis/common/result.hpp"

namespace portcullis::policy {

// An entity's unique id: `Type::"id"`. `type` may be namespaced ("A::B").
struct EntityUid {
  std::string type;
  std::string id;

  friend bool operator==(const EntityUid&, const EntityUid&) = default;
  // Cedar source form, with the id escaped as Cedar escapes strings: Type::"id".
  [[nodiscard]] std::string to_string() const;
};

// An immutable Cedar value; cheap to copy. (Representation is the policy module's business.)
class Value {
 public:
  static Value boolean(bool b);
  static Value integer(std::int64_t n);
  static Value string(std::string s);
  static Value entity(EntityUid uid);
  // Duplicates collapse (Cedar sets).
  static Value set(std::vector<Value> elements);
  // Keys must be distinct; callers that build records from untrusted input de-duplicate first.
  static Value record(std::vector<std::pair<std::string, Value>> fields);
  // An extension value, as Cedar's constructor function would build it:
  // extension("ip", "10.0.0.1"), extension("decimal", "1.25"), extension("datetime", "2024-10-15"),
  // extension("duration", "1h"). Fails with Cedar's message on a malformed argument.
  static Result<Value> extension(std::string_view constructor, std::string_view argument);
  // The datetime `ms_since_epoch` milliseconds after 1970-01-01T00:00:00Z: what
  // extension("datetime", <that instant's text>) builds, without writing and parsing the text.
  static Value datetime(std::int64_t ms_since_epoch);

  Value();  // the empty record {}

  struct Node;  // defined by the policy module
  explicit Value(std::shared_ptr<const Node> node) : node_(std::move(node)) {}
  [[nodiscard]] const Node& node() const { return *node_; }

 private:
  std::shared_ptr<const Node> node_;
};

// Agent-supplied JSON (tool arguments, JSON-RPC params, A2A metadata) → Cedar, by DESIGN.md's
// rules: objects → records, arrays → sets, strings → strings, integers within 64 bits → Long,
// any other number → its JSON text as a String, booleans → Bool, `null` members left out (a null
// array element is left out too). Keys such as "__entity"/"__extn" are plain data here.
// `max_depth` bounds nesting; deeper input fails.
[[nodiscard]] Result<Value> value_from_plain_json(const nlohmann::json& json, int max_depth = 64);

// Cedar's schema-less JSON value form (with the `__entity` / `__extn` escapes), as used in
// entity attributes, request contexts and `check` input.
[[nodiscard]] Result<Value> value_from_cedar_json(const nlohmann::json& json, int max_depth = 64);

// The inverse of value_from_cedar_json (escapes for entities and extension values).
[[nodiscard]] nlohmann::json value_to_cedar_json(const Value& value);

}  // namespace portcullis::policy
