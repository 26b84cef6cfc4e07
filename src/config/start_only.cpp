#include "portcullis/config/start_only.hpp"

#include <algorithm>
#include <string_view>

namespace portcullis::config {
namespace {

bool same_sink(const Sink& a, const Sink& b) {
  return a.type == b.type && a.address == b.address && a.tls == b.tls;
}

bool same_rule(const RedactionRule& a, const RedactionRule& b) {
  return a.path == b.path && a.action == b.action;
}

template <typename T, typename Same>
bool same_list(const std::vector<T>& a, const std::vector<T>& b, Same same) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), same);
}

const Listener* find_listener(const Config& config, std::string_view name) {
  const auto it = std::find_if(config.listeners.begin(), config.listeners.end(),
                               [&](const Listener& l) { return l.name == name; });
  return it == config.listeners.end() ? nullptr : &*it;
}

void listener_changes(const Config& running, const Config& next, std::vector<std::string>& out) {
  for (const auto& was : running.listeners) {
    const std::string where = "listeners[name=" + was.name + "]";
    const Listener* now = find_listener(next, was.name);
    if (now == nullptr) {
      out.push_back(where + " (removed)");
      continue;
    }
    if (now->address != was.address) {
      out.push_back(where + ".address");
    }
    if (now->tls.has_value() != was.tls.has_value()) {
      out.push_back(where + ".tls (added or removed)");
    }
  }
  for (const auto& now : next.listeners) {
    if (find_listener(running, now.name) == nullptr) {
      out.push_back("listeners[name=" + now.name + "] (added)");
    }
  }
}

void admin_changes(const Config& running, const Config& next, std::vector<std::string>& out) {
  if (running.admin.has_value() != next.admin.has_value()) {
    out.emplace_back("admin (added or removed)");
    return;
  }
  if (!running.admin) {
    return;
  }
  if (next.admin->address != running.admin->address) {
    out.emplace_back("admin.address");
  }
  if (next.admin->tls.has_value() != running.admin->tls.has_value()) {
    out.emplace_back("admin.tls (added or removed)");
  }
  if (next.admin->allowed_identities != running.admin->allowed_identities) {
    out.emplace_back("admin.allowed_identities");
  }
}

void audit_changes(const Audit& running, const Audit& next, std::vector<std::string>& out) {
  const auto check = [&out](bool same, const char* field) {
    if (!same) {
      out.push_back(std::string("audit.") + field);
    }
  };
  check(next.dir == running.dir, "dir");
  check(next.mode == running.mode, "mode");
  check(next.sync_interval == running.sync_interval, "sync_interval");
  check(next.rotate_bytes == running.rotate_bytes, "rotate_bytes");
  check(next.rotate_interval == running.rotate_interval, "rotate_interval");
  check(next.preallocate == running.preallocate, "preallocate");
  check(next.retention_files == running.retention_files, "retention_files");
  check(next.checkpoint_every_records == running.checkpoint_every_records,
        "checkpoint_every_records");
  check(next.checkpoint_interval == running.checkpoint_interval, "checkpoint_interval");
  check(next.signing_key == running.signing_key, "signing_key");
  check(same_list(next.redaction, running.redaction, same_rule), "redaction");
  check(next.hmac_key_file == running.hmac_key_file, "hmac_key_file");
  check(same_list(next.sinks, running.sinks, same_sink), "sinks");
  check(next.sink_drain_timeout == running.sink_drain_timeout, "sink_drain_timeout");
}

}  // namespace

std::vector<std::string> start_only_changes(const Config& running, const Config& next) {
  std::vector<std::string> out;
  listener_changes(running, next, out);
  admin_changes(running, next, out);
  audit_changes(running.audit, next.audit, out);
  if (next.threads != running.threads) {
    out.emplace_back("threads");
  }
  if (next.label_ttl != running.label_ttl) {
    out.emplace_back("label_ttl");
  }
  if (next.logging.level != running.logging.level || next.logging.json != running.logging.json) {
    out.emplace_back("logging");
  }
  return out;
}

}  // namespace portcullis::config
