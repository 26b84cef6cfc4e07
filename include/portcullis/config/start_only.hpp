// Settings the gateway reads once, when it starts: the bound listeners, the admin listener and
// who may use it, the I/O threads, logging, label_ttl and the whole `audit` section (the log is
// opened, its keys read and its sinks started at start-up). A reload validates them like every
// other field but cannot apply them; start_only_changes() names the ones a reloaded file changes,
// so the reload can say that they need a restart instead of silently keeping the old values.
#pragma once

#include <string>
#include <vector>

#include "portcullis/config/config.hpp"

namespace portcullis::config {

// The start-only settings that differ between `running` (the configuration the gateway started
// with) and `next` (a reloaded one), each named by its path in the file ("audit.redaction",
// "listeners[name=public].address", "threads"), in the order of the file's sections. Only the
// values in the file are compared: a key or certificate file rewritten in place is not seen.
[[nodiscard]] std::vector<std::string> start_only_changes(const Config& running,
                                                          const Config& next);

}  // namespace portcullis::config
