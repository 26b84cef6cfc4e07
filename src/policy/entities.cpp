// Entities: Cedar's JSON entity format → the entity store, with ancestor sets precomputed.
#include "portcullis/policy/entities.hpp"

#include <algorithm>

#include "policy/entity_store.hpp"
#include "policy/json_text.hpp"
#include "policy/value_node.hpp"

namespace portcullis::policy {
namespace {

constexpr int kMaxEntityJsonDepth = 64;

Result<EntityUid> parse_uid(const nlohmann::json& j) {
  const nlohmann::json* body = &j;
  if (j.is_object() && j.size() == 1 && j.contains("__entity")) body = &j["__entity"];
  if (!body->is_object() || body->size() != 2 || !body->contains("type") ||
      !body->contains("id") || !(*body)["type"].is_string() || !(*body)["id"].is_string()) {
    return fail("expected an entity reference {\"type\": \"...\", \"id\": \"...\"}");
  }
  EntityUid uid{(*body)["type"].get<std::string>(), (*body)["id"].get<std::string>()};
  if (!is_valid_entity_type(uid.type)) {
    return fail("`" + uid.type + "` is not a valid entity type name");
  }
  return uid;
}

}  // namespace

void Entities::Impl::compute_ancestors() {
  // Iterative DFS from each entity; `seen` stamps make it cycle-safe and linear per entity.
  const std::size_t n = records.size();
  std::vector<std::vector<std::uint32_t>> parent_index(n);
  for (std::size_t i = 0; i < n; ++i) {
    for (const auto& p : records[i].parents) {
      const auto it = index.find(p);
      if (it != index.end()) parent_index[i].push_back(it->second);
    }
  }
  std::vector<std::uint32_t> seen(n, 0);
  std::vector<std::uint32_t> stack;
  for (std::size_t i = 0; i < n; ++i) {
    if (parent_index[i].empty()) continue;
    const auto stamp = static_cast<std::uint32_t>(i + 1);
    // `i` is not pre-marked: reaching it again means a cycle, and it then lists itself.
    stack.assign(parent_index[i].begin(), parent_index[i].end());
    auto& out = records[i].ancestors;
    while (!stack.empty()) {
      const std::uint32_t a = stack.back();
      stack.pop_back();
      if (seen[a] == stamp) continue;
      seen[a] = stamp;
      out.push_back(a);
      for (const auto p : parent_index[a]) {
        if (seen[p] != stamp) stack.push_back(p);
      }
    }
    std::sort(out.begin(), out.end());
  }
}

Entities::Entities() : impl_(std::make_unique<Impl>()) {}
Entities::~Entities() = default;
Entities::Entities(Entities&&) noexcept = default;
Entities& Entities::operator=(Entities&&) noexcept = default;

std::size_t Entities::size() const {
  std::size_t n = 0;
  for (const auto& r : impl_->records) n += r.defined ? 1 : 0;
  return n;
}

std::shared_ptr<const Entities> Entities::from_json_text(std::string_view text,
                                                         const std::string& file,
                                                         Diagnostics& diagnostics) {
  const std::size_t before = diagnostics.size();
  const auto problem = [&](std::uint32_t line, std::uint32_t column, std::string message) {
    diagnostics.push_back(Diagnostic{file, line, column, std::move(message)});
  };
  nlohmann::json json;
  JsonError error;
  if (!parse_json_text(text, kMaxEntityJsonDepth + 4, json, error)) {
    problem(error.line, error.column, error.message);
    return nullptr;
  }
  if (!json.is_array()) {
    problem(1, 1, "an entities file is a JSON array of {\"uid\", \"attrs\", \"parents\"} objects");
    return nullptr;
  }
  auto entities = std::make_shared<Entities>();
  Impl& impl = *entities->impl_;
  impl.records.reserve(json.size());
  const auto intern = [&impl](const EntityUid& uid) -> std::uint32_t {
    const auto [it, inserted] =
        impl.index.emplace(uid, static_cast<std::uint32_t>(impl.records.size()));
    if (inserted) {
      EntityRecord r;
      r.uid = uid;
      impl.records.push_back(std::move(r));
    }
    return it->second;
  };
  for (std::size_t i = 0; i < json.size(); ++i) {
    const auto& e = json[i];
    const std::string where = "entity #" + std::to_string(i) + ": ";
    if (!e.is_object()) {
      problem(0, 0, where + "expected an object");
      continue;
    }
    bool ok = true;
    for (auto it = e.begin(); it != e.end(); ++it) {
      if (it.key() != "uid" && it.key() != "attrs" && it.key() != "parents" &&
          it.key() != "tags") {
        problem(0, 0, where + "unknown field \"" + it.key() + "\"");
        ok = false;
      }
    }
    if (!e.contains("uid")) {
      problem(0, 0, where + "missing \"uid\"");
      continue;
    }
    // Cedar's format has three required members; only "tags" may be left out.
    for (const char* required : {"attrs", "parents"}) {
      if (!e.contains(required)) {
        problem(0, 0, where + "missing \"" + required + "\"");
        ok = false;
      }
    }
    auto uid = parse_uid(e["uid"]);
    if (!uid) {
      problem(0, 0, where + "uid: " + uid.error().message);
      continue;
    }
    const std::string who = "entity " + uid->to_string() + ": ";
    Value attrs;
    if (e.contains("attrs")) {
      if (!e["attrs"].is_object()) {
        problem(0, 0, who + "\"attrs\" must be an object");
        ok = false;
      } else {
        auto v = value_from_cedar_json(e["attrs"], kMaxEntityJsonDepth);
        if (!v) {
          problem(0, 0, who + "attrs: " + v.error().message);
          ok = false;
        } else {
          attrs = std::move(*v);
        }
      }
    }
    Value tags;
    if (e.contains("tags")) {
      if (!e["tags"].is_object()) {
        problem(0, 0, who + "\"tags\" must be an object");
        ok = false;
      } else {
        auto v = value_from_cedar_json(e["tags"], kMaxEntityJsonDepth);
        if (!v) {
          problem(0, 0, who + "tags: " + v.error().message);
          ok = false;
        } else if (v->node().kind != Kind::Record) {
          // {"__entity": ...} or {"__extn": ...} as the whole tags object.
          problem(0, 0, who + "\"tags\" must be a map from tag names to values");
          ok = false;
        } else {
          tags = std::move(*v);
        }
      }
    }
    std::vector<EntityUid> parents;
    if (e.contains("parents")) {
      if (!e["parents"].is_array()) {
        problem(0, 0, who + "\"parents\" must be an array");
        ok = false;
      } else {
        for (const auto& p : e["parents"]) {
          auto puid = parse_uid(p);
          if (!puid) {
            problem(0, 0, who + "parents: " + puid.error().message);
            ok = false;
            continue;
          }
          if (is_action_type(uid->type) && !is_action_type(puid->type)) {
            problem(0, 0, who + "an action's parents must be actions, not " + puid->to_string());
            ok = false;
            continue;
          }
          parents.push_back(std::move(*puid));
        }
      }
    }
    if (attrs.node().kind != Kind::Record) {
      problem(0, 0, who + "\"attrs\" must be a map from attribute names to values");
      ok = false;
    }
    if (!ok) continue;
    const std::uint32_t idx = intern(*uid);
    EntityRecord& r = impl.records[idx];
    if (r.defined) {
      problem(0, 0, who + "defined more than once");
      continue;
    }
    r.defined = true;
    r.attrs = std::move(attrs);
    r.tags = std::move(tags);
    for (const auto& p : parents) intern(p);
    impl.records[idx].parents = std::move(parents);
  }
  if (diagnostics.size() != before) return nullptr;
  impl.compute_ancestors();
  // Cedar requires the parent relation to be acyclic (its transitive closure refuses cycles).
  std::size_t cycles = 0;
  for (std::size_t i = 0; i < impl.records.size(); ++i) {
    const auto& r = impl.records[i];
    const bool on_cycle = std::binary_search(r.ancestors.begin(), r.ancestors.end(),
                                             static_cast<std::uint32_t>(i));
    if (on_cycle && ++cycles <= 10) {
      problem(0, 0, "entity " + r.uid.to_string() + ": the parent hierarchy has a cycle through it");
    }
  }
  if (cycles > 0) return nullptr;
  return entities;
}

}  // namespace portcullis::policy
