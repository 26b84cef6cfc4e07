// The evaluator: Cedar expression semantics over one request (errors are values: an erroring
// expression returns false and leaves its message in error()). Recursion depth is bounded by
// the parser's nesting limit. Not thread-safe: one Evaluator per decision (it is cheap).
#pragma once

#include <string>
#include <vector>

#include "policy/ast.hpp"
#include "policy/entity_store.hpp"
#include "policy/eval_value.hpp"
#include "portcullis/policy/request.hpp"

namespace portcullis::policy {

// What a request adds to the store in gateway mode (empty in pure Cedar mode).
struct ImpliedEntity {
  bool exists = false;                  // treat as an existing entity without attributes
  std::vector<EntityUid> ancestors;     // implied ancestors, transitively closed
};

struct RequestView {
  const Request* request = nullptr;
  const Entities::Impl* store = nullptr;
  const ImpliedEntity* implied[3] = {nullptr, nullptr, nullptr};  // principal, action, resource
  // The store's records for principal, action and resource (nullptr if absent), resolved once
  // per request so scope and `in` checks on them need no hash lookup.
  const EntityRecord* records[3] = {nullptr, nullptr, nullptr};
  bool records_resolved = false;  // false: look them up in the store like any other entity
};

enum class Outcome { NotSatisfied, Satisfied, Error };

class Evaluator {
 public:
  explicit Evaluator(const RequestView& view) : view_(view) {}

  // Scope, then every when/unless in order (Cedar's conjunction, short-circuiting).
  Outcome evaluate(const Policy& policy);
  [[nodiscard]] bool scope_matches(const Policy& policy) const;

  // Evaluates one expression; false on error (message in error()).
  bool eval(const Expr& e, EV& out);
  [[nodiscard]] const std::string& error() const { return error_; }

  // `x in y` over the store and the request's implied ancestors (reflexive, transitive).
  [[nodiscard]] bool is_in(const EntityUid& x, const EntityUid& y) const;

 private:
  bool type_error(const char* expected, const EV& got);
  bool fail(std::string message);
  bool eval_binary(const Expr& e, EV& out);
  bool eval_in(const EV& left, const EV& right, EV& out);
  bool eval_ext(const Expr& e, EV& out);
  bool get_attr(const EV& base, const std::string& name, EV& out);
  bool has_attr(const EV& base, const std::string& name, EV& out);
  [[nodiscard]] const EntityRecord* entity(const EntityUid& uid) const;
  [[nodiscard]] const EntityRecord* lookup(const EntityUid& uid) const;
  [[nodiscard]] bool implied_exists(const EntityUid& uid) const;

  RequestView view_;
  std::string error_;
};

}  // namespace portcullis::policy
