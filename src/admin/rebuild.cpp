#include "portcullis/admin/rebuild.hpp"

#include <algorithm>
#include <string>
#include <vector>

namespace portcullis::admin {

using nlohmann::json;

namespace {

// The string at `object[key]`, or nullptr when absent or not a string.
const std::string* string_at(const json& object, const char* key) {
  if (!object.is_object()) {
    return nullptr;
  }
  const auto it = object.find(key);
  if (it == object.end() || !it->is_string()) {
    return nullptr;
  }
  return it->get_ptr<const std::string*>();
}

const json* member(const json& object, const char* key) {
  if (!object.is_object()) {
    return nullptr;
  }
  const auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

}  // namespace

StateRebuilder::StateRebuilder(QuarantineList& quarantine, SessionState& sessions, WallTime now)
    : quarantine_(quarantine), sessions_(sessions), now_(now) {}

void StateRebuilder::feed(const json& record) {
  ++stats_.records;
  const json* unmapped = member(record, "unmapped");
  const std::string* kind = unmapped != nullptr ? string_at(*unmapped, "kind") : nullptr;
  if (kind == nullptr || (*kind != "admin" && *kind != "decision")) {
    ++stats_.skipped;
    return;
  }
  const json* time = member(record, "time");
  if (time == nullptr || !time->is_number_integer()) {
    ++stats_.malformed;
    return;
  }
  const auto time_ms = time->get<std::int64_t>();
  if (*kind == "admin") {
    const json* admin = member(*unmapped, "admin");
    if (admin == nullptr || !admin->is_object()) {
      ++stats_.malformed;
      return;
    }
    feed_admin(*admin, time_ms);
  } else {
    feed_decision(record, time_ms);
  }
}

void StateRebuilder::feed_admin(const json& admin, std::int64_t time_ms) {
  const std::string* action = string_at(admin, "action");
  if (action == nullptr) {
    ++stats_.malformed;
    return;
  }
  if (*action != "quarantine" && *action != "unquarantine") {
    ++stats_.skipped;  // reloads and future admin actions change no state kept here
    return;
  }
  const std::string* agent = string_at(admin, "agent");
  if (agent == nullptr || agent->empty()) {
    ++stats_.malformed;
    return;
  }
  if (*action == "unquarantine") {
    quarantine_.lift(*agent);
    ++stats_.lifts;
    return;
  }
  const std::string* reason = string_at(admin, "reason");
  const std::string* by = string_at(admin, "operator");
  auto added = quarantine_.quarantine(*agent, reason != nullptr ? *reason : std::string(),
                                      by != nullptr ? *by : std::string(), time_ms);
  if (added) {
    ++stats_.quarantines;
  } else {
    ++stats_.unrestored_quarantines;
  }
}

void StateRebuilder::feed_decision(const json& record, std::int64_t time_ms) {
  const json* disposition = member(record, "disposition_id");
  if (disposition == nullptr || !disposition->is_number_integer()) {
    ++stats_.malformed;
    return;
  }
  if (disposition->get<std::int64_t>() != 1) {
    ++stats_.skipped;  // blocked calls attach nothing
    return;
  }
  // Dry-run forwards calls the policies denied: their disposition is Allowed (they were
  // executed) but the gateway attaches nothing for them live (SessionState is fed only for
  // calls the policies allowed), and the record tells them apart by the deny message.
  const json& unmapped_fields = record.at("unmapped");
  if (const json* dry_run = member(unmapped_fields, "dry_run");
      dry_run != nullptr && dry_run->is_boolean() && dry_run->get<bool>()) {
    if (const std::string* message = string_at(record, "message");
        message != nullptr && !message->empty()) {
      ++stats_.skipped;
      return;
    }
  }
  const WallTime at{std::chrono::milliseconds(time_ms)};
  const auto& options = sessions_.options();
  const auto horizon = std::max<std::chrono::seconds>(options.label_ttl, options.session_idle_ttl);
  if (at + horizon < now_) {
    ++stats_.expired;  // nothing it attached can still be alive: spare the LRU the churn
    return;
  }
  const json& unmapped = unmapped_fields;
  const json* ai_agent = member(record, "ai_agent");
  const std::string* agent = ai_agent != nullptr ? string_at(*ai_agent, "uid") : nullptr;
  if (agent == nullptr || agent->empty()) {
    ++stats_.malformed;
    return;
  }
  const std::string* session = string_at(*ai_agent, "instance_uid");
  std::vector<std::string> labels;
  if (const json* raw = member(unmapped, "labels"); raw != nullptr) {
    if (!raw->is_array()) {
      ++stats_.malformed;
      return;
    }
    for (const auto& label : *raw) {
      if (!label.is_string()) {
        ++stats_.malformed;
        return;
      }
      labels.push_back(label.get<std::string>());
    }
  }
  // The tool name as the gateway recorded it live: the Tool resource's uid minus "<route>/".
  std::string tool;
  const json* resources = member(record, "resources");
  const std::string* route = string_at(unmapped, "route");
  if (resources != nullptr && resources->is_array() && !resources->empty() && route != nullptr) {
    const json& resource = resources->front();
    const std::string* type = string_at(resource, "type");
    const std::string* uid = string_at(resource, "uid");
    const std::string prefix = *route + "/";
    if (type != nullptr && *type == "Tool" && uid != nullptr && uid->starts_with(prefix)) {
      tool = uid->substr(prefix.size());
    }
  }
  sessions_.record_allowed(session != nullptr ? *session : std::string(), *agent, tool, labels,
                           at);
  ++stats_.allowed_decisions;
}

Result<RebuildStats> rebuild_from_audit(const RecordScanner& scan, QuarantineList& quarantine,
                                        SessionState& sessions, WallTime now) {
  StateRebuilder rebuilder(quarantine, sessions, now);
  auto scanned = scan([&](const json& record) { rebuilder.feed(record); });
  if (!scanned) {
    return fail("rebuilding state from the audit log: " + scanned.error().message);
  }
  if (rebuilder.stats().unrestored_quarantines != 0) {
    return fail("rebuilding state from the audit log: " +
                std::to_string(rebuilder.stats().unrestored_quarantines) +
                " quarantines could not be restored (the quarantine list is full)");
  }
  return rebuilder.stats();
}

}  // namespace portcullis::admin
