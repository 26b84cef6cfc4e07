#include "portcullis/audit/redaction.hpp"

#include "portcullis/audit/digest.hpp"
#include "portcullis/audit/jcs.hpp"

namespace portcullis::audit {

Redactor::Redactor(std::vector<RedactionRule> rules, std::string hmac_key)
    : hmac_key_(std::move(hmac_key)) {
  for (auto& rule : rules) {
    CompiledRule compiled;
    compiled.action = rule.action;
    compiled.path = rule.path;
    std::size_t start = 0;
    while (start <= rule.path.size()) {
      const std::size_t dot = rule.path.find('.', start);
      const std::size_t end = dot == std::string::npos ? rule.path.size() : dot;
      compiled.segments.push_back(rule.path.substr(start, end - start));
      start = end + 1;
    }
    rules_.push_back(std::move(compiled));
  }
}

std::string Redactor::hmac_of(const nlohmann::json& value) const {
  return "hmac-sha256:" + to_hex(hmac_sha256(hmac_key_, jcs(value)));
}

bool Redactor::apply_at(nlohmann::json& node, const CompiledRule& rule, std::size_t depth) const {
  if (node.is_array()) {
    bool changed = false;
    for (auto& element : node) {
      changed = apply_at(element, rule, depth) || changed;
    }
    return changed;
  }
  if (!node.is_object()) {
    return false;
  }
  auto it = node.find(rule.segments[depth]);
  if (it == node.end()) {
    return false;
  }
  if (depth + 1 < rule.segments.size()) {
    return apply_at(*it, rule, depth + 1);
  }
  switch (rule.action) {
    case RedactionRule::Action::Drop:
      node.erase(it);
      return true;
    case RedactionRule::Action::Hmac:
      *it = hmac_of(*it);
      return true;
  }
  return false;
}

std::vector<std::string> Redactor::apply(nlohmann::json& cedar_request) const {
  std::vector<std::string> applied;
  if (rules_.empty() || !cedar_request.is_object()) {
    return applied;
  }
  auto context = cedar_request.find("context");
  if (context == cedar_request.end()) {
    return applied;
  }
  for (const auto& rule : rules_) {
    if (apply_at(*context, rule, 0)) {
      applied.push_back(
          std::string(rule.action == RedactionRule::Action::Drop ? "drop:" : "hmac:") + rule.path);
    }
  }
  return applied;
}

}  // namespace portcullis::audit
