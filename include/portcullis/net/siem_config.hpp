// SIEM delivery options from the configuration's `audit` section (config::Audit::sinks), so the
// gateway does not have to know how sinks are named or where cursors live.
#pragma once

#include <filesystem>

#include "portcullis/config/config.hpp"
#include "portcullis/net/siem_sink.hpp"

namespace portcullis::net {

// One SiemSinkOptions per `audit.sinks` entry, in order: type, address, TLS (absent = plain TCP),
// name = default_siem_sink_name(type, host, port); every other field keeps its default.
// `cursor_dir` "" = `<audit.dir>/siem-cursors` (the log reader ignores anything in the log
// directory that is not an `audit-*.jsonl` file).
[[nodiscard]] SiemDeliveryOptions siem_delivery_options(const config::Audit& audit,
                                                        std::filesystem::path cursor_dir = {});

}  // namespace portcullis::net
