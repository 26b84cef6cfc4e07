// Entities: Cedar's JSON entity format → the entity store, with ancestor sets precomputed.
#include "portcullis/policy/entities.hpp"

#include <algorithm>
#include <optional>

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

// Where the parts of an entities file start, for diagnostics. The text is scanned again (by
// JsonTextMap) only when a problem needs a position, so a clean load pays nothing.
class EntityPositions {
 public:
  explicit EntityPositions(std::string_view text) : map_(text) {}

  [[nodiscard]] std::size_t root() const { return map_.root(); }
  // Entity #i's object.
  std::size_t entity(std::size_t i) {
    if (!scanned_) {
      entities_ = map_.elements(map_.root());
      scanned_ = true;
    }
    return i < entities_.size() ? entities_[i] : map_.root();
  }
  // The name of entity #i's member `name` (an unknown field is reported there).
  std::size_t key(std::size_t i, std::string_view name) {
    JsonTextMap::Member member;
    return map_.find_member(entity(i), name, member) ? member.key_offset : entity(i);
  }
  // The value of entity #i's member `name`; the entity when it has no such member.
  std::size_t value(std::size_t i, std::string_view name) {
    JsonTextMap::Member member;
    return map_.find_member(entity(i), name, member) ? member.value_offset : entity(i);
  }
  // Element #j of entity #i's "parents" array.
  std::size_t parent(std::size_t i, std::size_t j) {
    const std::size_t parents = value(i, "parents");
    const auto elements = map_.elements(parents);
    return j < elements.size() ? elements[j] : parents;
  }
  void line_column(std::size_t offset, std::uint32_t& line, std::uint32_t& column) const {
    map_.line_column(offset, line, column);
  }

 private:
  JsonTextMap map_;
  bool scanned_ = false;
  std::vector<std::size_t> entities_;  // offset of each top-level element
};

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
  nlohmann::json json;
  JsonError error;
  if (!parse_json_text(text, kMaxEntityJsonDepth + 4, json, error)) {
    diagnostics.push_back(Diagnostic{file, error.line, error.column, error.message});
    return nullptr;
  }
  EntityPositions positions(text);
  const auto problem = [&](std::size_t offset, std::string message) {
    Diagnostic d{file, 0, 0, std::move(message)};
    positions.line_column(offset, d.line, d.column);
    diagnostics.push_back(std::move(d));
  };
  if (!json.is_array()) {
    problem(positions.root(),
            "an entities file is a JSON array of {\"uid\", \"attrs\", \"parents\"} objects");
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
  // The array index each defined record came from (cycle errors point at the entity).
  std::vector<std::size_t> defined_at;
  for (std::size_t i = 0; i < json.size(); ++i) {
    const auto& e = json[i];
    const std::string where = "entity #" + std::to_string(i) + ": ";
    if (!e.is_object()) {
      problem(positions.entity(i), where + "expected an object");
      continue;
    }
    bool ok = true;
    for (auto it = e.begin(); it != e.end(); ++it) {
      if (it.key() != "uid" && it.key() != "attrs" && it.key() != "parents" &&
          it.key() != "tags") {
        problem(positions.key(i, it.key()), where + "unknown field \"" + it.key() + "\"");
        ok = false;
      }
    }
    if (!e.contains("uid")) {
      problem(positions.entity(i), where + "missing \"uid\"");
      continue;
    }
    // Cedar's format has three required members; only "tags" may be left out.
    for (const char* required : {"attrs", "parents"}) {
      if (!e.contains(required)) {
        problem(positions.entity(i), where + "missing \"" + required + "\"");
        ok = false;
      }
    }
    auto uid = parse_uid(e["uid"]);
    if (!uid) {
      problem(positions.value(i, "uid"), where + "uid: " + uid.error().message);
      continue;
    }
    const std::string who = "entity " + uid->to_string() + ": ";
    // Member `key` ("attrs" or "tags"), a JSON object, as a Cedar value; nullopt after
    // reporting the problem.
    const auto object_member = [&](const char* key) -> std::optional<Value> {
      if (!e[key].is_object()) {
        problem(positions.value(i, key), who + "\"" + key + "\" must be an object");
        return std::nullopt;
      }
      auto v = value_from_cedar_json(e[key], kMaxEntityJsonDepth);
      if (!v) {
        problem(positions.value(i, key), who + key + ": " + v.error().message);
        return std::nullopt;
      }
      return std::move(*v);
    };
    Value attrs;
    if (e.contains("attrs")) {
      auto v = object_member("attrs");
      if (!v) {
        ok = false;
      } else {
        attrs = std::move(*v);
      }
    }
    Value tags;
    if (e.contains("tags")) {
      auto v = object_member("tags");
      if (!v) {
        ok = false;
      } else if (v->node().kind != Kind::Record) {
        // {"__entity": ...} or {"__extn": ...} as the whole tags object.
        problem(positions.value(i, "tags"),
                who + "\"tags\" must be a map from tag names to values");
        ok = false;
      } else {
        tags = std::move(*v);
      }
    }
    std::vector<EntityUid> parents;
    if (e.contains("parents")) {
      if (!e["parents"].is_array()) {
        problem(positions.value(i, "parents"), who + "\"parents\" must be an array");
        ok = false;
      } else {
        const auto& parent_list = e["parents"];
        for (std::size_t j = 0; j < parent_list.size(); ++j) {
          auto puid = parse_uid(parent_list[j]);
          if (!puid) {
            problem(positions.parent(i, j), who + "parents: " + puid.error().message);
            ok = false;
            continue;
          }
          if (is_action_type(uid->type) && !is_action_type(puid->type)) {
            problem(positions.parent(i, j),
                    who + "an action's parents must be actions, not " + puid->to_string());
            ok = false;
            continue;
          }
          parents.push_back(std::move(*puid));
        }
      }
    }
    if (attrs.node().kind != Kind::Record) {
      problem(positions.value(i, "attrs"),
              who + "\"attrs\" must be a map from attribute names to values");
      ok = false;
    }
    if (!ok) continue;
    const std::uint32_t idx = intern(*uid);
    EntityRecord& r = impl.records[idx];
    if (r.defined) {
      problem(positions.entity(i), who + "defined more than once");
      continue;
    }
    r.defined = true;
    if (defined_at.size() <= idx) defined_at.resize(idx + 1);
    defined_at[idx] = i;
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
      // Only a defined entity has parents, so one on a cycle has its index in defined_at.
      problem(positions.entity(defined_at[i]),
              "entity " + r.uid.to_string() + ": the parent hierarchy has a cycle through it");
    }
  }
  if (cycles > 0) return nullptr;
  return entities;
}

}  // namespace portcullis::policy
