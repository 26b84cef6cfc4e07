// Redaction of the Cedar request stored in audit records: per field path, drop the value or
// replace it by "hmac-sha256:<hex>" = HMAC-SHA-256(key, JCS(value)), so secrets and personal
// data stay out of the log while whoever holds the key can still prove what was sent.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "portcullis/audit/audit_log.hpp"

namespace portcullis::audit {

class Redactor {
 public:
  Redactor() = default;
  Redactor(std::vector<RedactionRule> rules, std::string hmac_key);

  // Applies every rule to `cedar_request["context"]` (paths are relative to the context: a
  // rule "input.password" changes context.input.password). Path segments are object keys
  // separated by '.'; an array on the way is entered element by element (every element is
  // redacted). Returns "<action>:<path>" for each rule that changed something.
  std::vector<std::string> apply(nlohmann::json& cedar_request) const;

  [[nodiscard]] bool empty() const { return rules_.empty(); }

  // The replacement value an Hmac rule writes for `value`.
  [[nodiscard]] std::string hmac_of(const nlohmann::json& value) const;

 private:
  struct CompiledRule {
    std::vector<std::string> segments;
    RedactionRule::Action action;
    std::string path;
  };
  bool apply_at(nlohmann::json& node, const CompiledRule& rule, std::size_t depth) const;

  std::vector<CompiledRule> rules_;
  std::string hmac_key_;
};

}  // namespace portcullis::audit
