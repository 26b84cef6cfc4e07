// Gateway: the running `portcullis serve` — data listeners (mTLS), the admin listener, N I/O
// threads, hot reload and graceful drain. Owns everything the data path shares.
//
// Lifecycle: create() (loads policies, builds TLS contexts, binds nothing) → start() (binds,
// starts the I/O threads) → reload() any number of times, from any thread → shutdown() (stop
// accepting, drain in-flight requests up to a deadline, final audit checkpoint) → destructor.
// Asio stays out of this header (pimpl) so users of the gateway do not compile it.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "portcullis/admin/admin_handler.hpp"
#include "portcullis/admin/metrics.hpp"
#include "portcullis/admin/quarantine_list.hpp"
#include "portcullis/admin/session_state.hpp"
#include "portcullis/audit/audit_log.hpp"
#include "portcullis/common/diagnostic.hpp"
#include "portcullis/common/result.hpp"
#include "portcullis/config/config.hpp"

namespace portcullis::net {

class SiemDelivery;

struct GatewayOptions {
  std::shared_ptr<const config::Config> config;  // validated (load_config)
  std::shared_ptr<audit::AuditLog> audit;        // opened; the gateway closes it at shutdown
  // Overrides config.threads when > 0 (tests use 1–2).
  std::uint32_t threads = 0;
};

class Gateway {
 public:
  // Loads policies/entities and TLS material; every problem goes to `diagnostics`.
  [[nodiscard]] static Result<std::unique_ptr<Gateway>> create(GatewayOptions options,
                                                               Diagnostics& diagnostics);
  ~Gateway();
  Gateway(const Gateway&) = delete;
  Gateway& operator=(const Gateway&) = delete;

  // Binds every listener (and the admin listener) and starts the I/O threads.
  [[nodiscard]] Result<void> start();

  // The bound port of a data listener (by name) / of the admin listener; 0 if unknown.
  [[nodiscard]] std::uint16_t port(std::string_view listener) const;
  [[nodiscard]] std::uint16_t admin_port() const;

  // Re-reads the config file, policies and entities, validates all of it and swaps the runtime
  // atomically; on any problem the running set stays and the error lists every problem.
  // Listener TLS material (certificate, key, client CA, CRL) is rebuilt too and used by the
  // next handshake of each listener (and of the admin listener); connections already open keep
  // theirs. Start-only settings (config/start_only.hpp: listener addresses, TLS versus plain,
  // the admin listener, the audit section, ...) keep their values; each one the file changes is
  // logged and named in the outcome's needs_restart.
  // Blocking (file I/O): call it off the I/O threads. `by` names who asked (audit record).
  [[nodiscard]] Result<admin::ReloadOutcome> reload(const std::string& by);

  // Stops accepting, lets in-flight exchanges finish for up to `deadline`, closes what is left,
  // stops the threads and closes the audit log (final checkpoint). Idempotent; blocking.
  void shutdown(std::chrono::milliseconds deadline);

  // Blocks until shutdown() has completed (from another thread or a signal).
  void wait();

  // Installs SIGHUP (reload) and SIGTERM/SIGINT (shutdown with `drain_deadline`) handlers on the
  // gateway's own I/O context.
  void handle_signals(std::chrono::milliseconds drain_deadline);

  // Exports the SIEM sinks' delivery state (lag, alarm, delivered, connects, failures) in
  // /metrics from now on. `siem` must stay alive until shutdown() has returned: shutdown stops
  // reading it. Any thread.
  void watch_siem(const SiemDelivery& siem);

  [[nodiscard]] admin::QuarantineList& quarantine();
  [[nodiscard]] admin::SessionState& sessions();
  [[nodiscard]] admin::GatewayMetrics& metrics();
  // Hash of the policy set now in force.
  [[nodiscard]] std::string policy_set_hash() const;
  // Client connections open right now (data listeners).
  [[nodiscard]] std::size_t open_connections() const;

  struct Impl;

 private:
  explicit Gateway(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace portcullis::net
