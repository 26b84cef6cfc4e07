// The authorizer: Cedar's decision procedure over the scope-indexed candidates, with the
// gateway's additions behind one switch (AuthorizerOptions::gateway_additions).
#include "portcullis/policy/authorizer.hpp"

#include <algorithm>

#include "policy/evaluator.hpp"
#include "policy/policy_set_impl.hpp"
#include "policy/value_node.hpp"

namespace portcullis::policy {
namespace {

// Built-in action groups (DESIGN.md "Action groups") for an action id under a protocol.
void builtin_groups(Protocol protocol, const std::string& action, std::vector<EntityUid>& out) {
  const auto group = [&out](const char* id) { out.push_back(EntityUid{"Action", id}); };
  const auto ends_with = [&action](std::string_view suffix) {
    return action.size() >= suffix.size() &&
           action.compare(action.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  switch (protocol) {
    case Protocol::Mcp:
      group("mcp");
      if (action == "initialize" || action.rfind("notifications/", 0) == 0 || action == "ping" ||
          action == "response" || action == "mcp/stream" || action == "mcp/end-session") {
        group("mcp/session");
      }
      if (ends_with("/list") || action == "resources/read" || action == "prompts/get") {
        group("mcp/read");
      }
      return;
    case Protocol::A2a:
      group("a2a");
      if (action == "SendMessage" || action == "SendStreamingMessage") group("a2a/send");
      if (action == "GetTask" || action == "ListTasks" || action == "SubscribeToTask" ||
          action == "GetAgentCard" || action == "GetExtendedAgentCard") {
        group("a2a/read");
      }
      return;
    case Protocol::Http:
      group("http");
      return;
  }
}

// Adds `uid` and its ancestors in the store to `out` (no duplicates).
void add_with_ancestors(const Entities::Impl& store, const EntityUid& uid,
                        std::vector<EntityUid>& out) {
  const auto push = [&out](const EntityUid& u) {
    if (std::find(out.begin(), out.end(), u) == out.end()) out.push_back(u);
  };
  push(uid);
  if (const EntityRecord* r = store.find(uid)) {
    for (const auto a : r->ancestors) push(store.records[a].uid);
  }
}

bool defined(const Entities::Impl& store, const EntityUid& uid) {
  const EntityRecord* r = store.find(uid);
  return r != nullptr && r->defined;
}

void append(std::vector<std::uint32_t>& out, const std::vector<std::uint32_t>* list) {
  if (list != nullptr) out.insert(out.end(), list->begin(), list->end());
}

template <typename Map, typename Key>
const std::vector<std::uint32_t>* lookup(const Map& map, const Key& key) {
  if (map.empty()) return nullptr;
  const auto it = map.find(key);
  return it == map.end() ? nullptr : &it->second;
}

// Candidates for one request variable's "in" bucket: the entity itself, its stored ancestors
// and its implied ancestors.
void add_in_candidates(const PolicyIndex::UidMap& map, const Entities::Impl& store,
                       const EntityUid& uid, const EntityRecord* record,
                       const ImpliedEntity& implied, std::vector<std::uint32_t>& out) {
  if (map.empty()) return;
  append(out, lookup(map, uid));
  if (const EntityRecord* r = record) {
    for (const auto a : r->ancestors) append(out, lookup(map, store.records[a].uid));
  }
  for (const auto& a : implied.ancestors) append(out, lookup(map, a));
}

}  // namespace

Authorizer::Authorizer(std::shared_ptr<const PolicySet> policies,
                       std::shared_ptr<const Entities> entities, AuthorizerOptions options)
    : policies_(std::move(policies)),
      entities_(entities ? std::move(entities) : std::make_shared<const Entities>()),
      options_(std::move(options)) {}

Response Authorizer::is_authorized(const Request& request) const {
  const PolicySet::Impl& set = policies_->impl();
  const Entities::Impl& store = entities_->impl();

  ImpliedEntity implied[3];  // principal, action, resource
  if (options_.gateway_additions) {
    std::string route;
    bool have_route = false;
    if (request.context.node().kind == Kind::Record) {
      if (const Value* r = find_field(request.context.node(), "route")) {
        if (r->node().kind == Kind::String) {
          route = r->node().s;
          have_route = true;
        }
      }
    }
    implied[0].exists = !defined(store, request.principal);
    if (!defined(store, request.resource)) {
      implied[2].exists = true;
      const std::string& t = request.resource.type;
      if (have_route && (t == "Tool" || t == "Resource" || t == "Prompt")) {
        add_with_ancestors(store, EntityUid{"Server", route}, implied[2].ancestors);
      }
    }
    if (have_route) {
      const auto it = options_.route_protocols.find(route);
      if (it != options_.route_protocols.end() && request.action.type == "Action") {
        std::vector<EntityUid> groups;
        builtin_groups(it->second, request.action.id, groups);
        for (const auto& g : groups) add_with_ancestors(store, g, implied[1].ancestors);
      }
    }
  }

  RequestView view;
  view.request = &request;
  view.store = &store;
  for (int i = 0; i < 3; ++i) view.implied[i] = &implied[i];
  view.records[0] = store.find(request.principal);
  view.records[1] = store.find(request.action);
  view.records[2] = store.find(request.resource);
  view.records_resolved = true;

  // Candidates from the scope index; a policy can be listed twice (action in [a, group]).
  thread_local std::vector<std::uint32_t> candidates;
  candidates.clear();
  const PolicyIndex& index = set.index;
  append(candidates, lookup(index.resource_eq, request.resource));
  append(candidates, lookup(index.principal_eq, request.principal));
  add_in_candidates(index.action_keys, store, request.action, view.records[1], implied[1],
                    candidates);
  add_in_candidates(index.resource_in, store, request.resource, view.records[2], implied[2],
                    candidates);
  add_in_candidates(index.principal_in, store, request.principal, view.records[0], implied[0],
                    candidates);
  append(candidates, lookup(index.resource_is, request.resource.type));
  append(candidates, lookup(index.principal_is, request.principal.type));
  append(candidates, &index.always);
  std::sort(candidates.begin(), candidates.end());
  candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());

  Response response;
  std::vector<std::string> permits;
  std::vector<std::string> forbids;
  std::vector<std::pair<std::string, std::string>> errors;  // id, message
  Evaluator evaluator(view);
  for (const std::uint32_t position : candidates) {
    const Policy& policy = set.policies[position];
    switch (evaluator.evaluate(policy)) {
      case Outcome::NotSatisfied:
        break;
      case Outcome::Satisfied:
        if (policy.effect == Effect::Permit) {
          permits.push_back(policy.id);
        } else if (options_.gateway_additions && set.log_only[position]) {
          response.would_deny.push_back(policy.id);
        } else {
          forbids.push_back(policy.id);
        }
        break;
      case Outcome::Error:
        errors.emplace_back(policy.id, evaluator.error());
        break;
    }
  }

  std::sort(errors.begin(), errors.end());
  for (auto& [id, message] : errors) {
    response.errors.push_back(id);
    response.diagnostics.push_back(id + ": " + message);
  }
  if (!forbids.empty()) {
    response.decision = Decision::Deny;
    response.reasons = std::move(forbids);
  } else if (!permits.empty()) {
    response.decision = Decision::Allow;
    response.reasons = std::move(permits);
  }
  if (options_.policy_errors == PolicyErrors::Deny && !response.errors.empty() &&
      response.decision == Decision::Allow) {
    // Fail closed: a policy we could not evaluate might have been a forbid that applies.
    response.decision = Decision::Deny;
    response.reasons.clear();
  }
  if (options_.gateway_additions && response.decision == Decision::Allow) {
    for (const auto& id : response.reasons) {
      const auto it = set.by_id.find(id);
      if (it == set.by_id.end()) continue;
      if (const Annotation* label = set.policies[it->second].annotation("label")) {
        response.labels.push_back(label->value);
      }
    }
    std::sort(response.labels.begin(), response.labels.end());
    response.labels.erase(std::unique(response.labels.begin(), response.labels.end()),
                          response.labels.end());
  }
  std::sort(response.reasons.begin(), response.reasons.end());
  std::sort(response.would_deny.begin(), response.would_deny.end());
  return response;
}

}  // namespace portcullis::policy
