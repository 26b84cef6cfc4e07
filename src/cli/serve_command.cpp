// `portcullis serve --config FILE`: load and validate everything, open the audit log, start the
// gateway, run until SIGTERM/SIGINT (drain, final checkpoint, exit 0); SIGHUP reloads.
#include <iostream>
#include <memory>
#include <spdlog/spdlog.h>
#include <string>

#include "cli/commands.hpp"
#include "cli/read_input.hpp"
#include "portcullis/audit/audit_log.hpp"
#include "portcullis/config/config.hpp"
#include "portcullis/net/gateway.hpp"
#include "portcullis/net/logging.hpp"
#include "portcullis/net/siem_config.hpp"
#include "portcullis/net/siem_sink.hpp"
#include "portcullis/protocol/config_check.hpp"

namespace portcullis::cli {
namespace {

Result<audit::AuditLogOptions> audit_options(const config::Config& config) {
  audit::AuditLogOptions options;
  const auto& a = config.audit;
  options.dir = a.dir;
  options.mode = a.mode == config::AuditMode::Strict ? audit::DurabilityMode::Strict
                                                     : audit::DurabilityMode::Batched;
  options.sync_interval = a.sync_interval;
  options.rotate_bytes = a.rotate_bytes;
  options.rotate_interval = a.rotate_interval;
  options.preallocate = a.preallocate;
  options.retention_files = a.retention_files;
  options.checkpoint_every_records = a.checkpoint_every_records;
  options.checkpoint_interval = a.checkpoint_interval;
  options.signing_key = a.signing_key;
  for (const auto& rule : a.redaction) {
    options.redaction.push_back(
        {rule.path, rule.action == config::RedactionRule::Action::Drop
                        ? audit::RedactionRule::Action::Drop
                        : audit::RedactionRule::Action::Hmac});
  }
  if (!a.hmac_key_file.empty()) {
    auto key = read_file(a.hmac_key_file.string());
    if (!key) {
      return fail("cannot read the HMAC key file " + a.hmac_key_file.string());
    }
    options.hmac_key = std::move(*key);
  }
  options.product_version = PORTCULLIS_VERSION;
  return options;
}

int serve(const std::string& config_file, int drain_seconds, std::uint32_t threads) {
  Diagnostics diagnostics;
  auto config = config::load_config(config_file, diagnostics);
  if (!config || !protocol::check_config_files(**config, diagnostics)) {
    for (const auto& d : diagnostics) {
      std::cerr << d.to_string() << "\n";
    }
    std::cerr << "portcullis serve: the configuration has problems; not starting\n";
    return 1;
  }
  net::configure_logging((*config)->logging);
  for (const auto& warning : (*config)->warnings) {
    spdlog::warn("config: {}", warning.to_string());
  }
  auto options = audit_options(**config);
  if (!options) {
    spdlog::critical("audit: {}", options.error().message);
    return 1;
  }
  auto log = audit::AuditLog::open(*options);
  if (!log) {
    spdlog::critical("audit log {}: {}", (*config)->audit.dir.string(), log.error().message);
    return 1;
  }
  net::GatewayOptions gateway_options;
  gateway_options.config = *config;
  gateway_options.audit = std::shared_ptr<audit::AuditLog>(std::move(*log));
  gateway_options.threads = threads;
  auto gateway = net::Gateway::create(std::move(gateway_options), diagnostics);
  if (!gateway) {
    spdlog::critical("{}", gateway.error().message);
    return 1;
  }
  if (auto started = (*gateway)->start(); !started) {
    spdlog::critical("{}", started.error().message);
    (*gateway)->shutdown(std::chrono::milliseconds(0));
    return 1;
  }
  std::unique_ptr<net::SiemDelivery> siem;
  if (!(*config)->audit.sinks.empty()) {
    auto delivery = net::SiemDelivery::start(net::siem_delivery_options((*config)->audit));
    if (!delivery) {
      spdlog::critical("SIEM sinks: {}", delivery.error().message);
      (*gateway)->shutdown(std::chrono::milliseconds(0));
      return 1;
    }
    siem = std::move(*delivery);
    (*gateway)->watch_siem(*siem);  // lag, alarm and delivery per sink in /metrics
  }
  (*gateway)->handle_signals(std::chrono::seconds(drain_seconds));
  (*gateway)->wait();
  if (siem) {
    // After the audit log's final checkpoint, so that ships too.
    siem->stop((*config)->audit.sink_drain_timeout);
  }
  return 0;
}

}  // namespace

void add_serve_command(CLI::App& app, int& exit_code) {
  struct Options {
    std::string config;
    int drain_seconds = 30;
    std::uint32_t threads = 0;
  };
  auto options = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("serve", "Run the gateway");
  cmd->add_option("--config", options->config, "The gateway's YAML configuration")->required();
  cmd->add_option("--drain-timeout", options->drain_seconds,
                  "Seconds in-flight requests may take to finish after SIGTERM (default 30)");
  cmd->add_option("--threads", options->threads, "I/O threads (overrides the config's `threads`)");
  cmd->callback([options, &exit_code] {
    exit_code = serve(options->config, options->drain_seconds, options->threads);
  });
}

}  // namespace portcullis::cli
