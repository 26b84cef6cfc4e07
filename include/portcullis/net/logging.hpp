// Process logging for `serve`: spdlog to stderr, plain text or one JSON object per line.
// Messages are key=value text; the JSON form escapes them, so no log line can be forged by a
// value containing quotes or newlines. Secrets (keys, bodies, headers) are never logged.
#pragma once

#include "portcullis/config/config.hpp"

namespace portcullis::net {

void configure_logging(const config::Logging& logging);

}  // namespace portcullis::net
