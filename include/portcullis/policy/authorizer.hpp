// The authorizer: decides a Request against a PolicySet and Entities, in pure Cedar mode or with
// the gateway's additions (one code path with a switch — `check --config` == `serve`).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "portcullis/policy/entities.hpp"
#include "portcullis/policy/policy_set.hpp"
#include "portcullis/policy/request.hpp"

namespace portcullis::policy {

enum class Decision { Deny, Allow };  // Deny first: a default-constructed decision denies.

enum class PolicyErrors {
  Deny,  // the gateway's default: any policy error on a request denies it (fail closed)
  Skip,  // pure Cedar: an erroring policy is skipped and reported
};

enum class Protocol { Mcp, A2a, Http };

struct AuthorizerOptions {
  // false: pure Cedar (what `check --policies` does). true: the gateway's additions:
  //  - the principal entity, and the resource entity of type Tool/Resource/Prompt with parent
  //    Server::"<context.route>" (other resource types: no parent), are added when the entity
  //    store does not define them;
  //  - the action gets the built-in action-group parents of DESIGN.md ("mcp", "mcp/session",
  //    "mcp/read", "a2a", "a2a/send", "a2a/read", "http") for the protocol of `context.route`
  //    (looked up in route_protocols), on top of any parents the entities file gives it;
  //  - forbids annotated @mode("log-only") never deny; when satisfied they are reported in
  //    Response::would_deny;
  //  - Response::labels carries the @label values of the satisfied permits of an allowed call.
  bool gateway_additions = false;
  PolicyErrors policy_errors = PolicyErrors::Skip;
  std::map<std::string, Protocol> route_protocols;  // route name → protocol (gateway mode)
};

struct Response {
  Decision decision = Decision::Deny;
  std::vector<std::string> reasons;      // determining policy ids, sorted by byte order
  std::vector<std::string> errors;       // ids of policies that errored, sorted
  std::vector<std::string> diagnostics;  // error messages, "policyX: message", in id order
  std::vector<std::string> would_deny;   // gateway mode: satisfied log-only forbids, sorted
  std::vector<std::string> labels;       // gateway mode, allowed calls: @label values, sorted
};

class Authorizer {
 public:
  Authorizer(std::shared_ptr<const PolicySet> policies, std::shared_ptr<const Entities> entities,
             AuthorizerOptions options);

  [[nodiscard]] Response is_authorized(const Request& request) const;

  [[nodiscard]] const PolicySet& policies() const { return *policies_; }
  [[nodiscard]] const AuthorizerOptions& options() const { return options_; }

 private:
  std::shared_ptr<const PolicySet> policies_;
  std::shared_ptr<const Entities> entities_;
  AuthorizerOptions options_;
};

}  // namespace portcullis::policy
