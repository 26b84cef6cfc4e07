// GatewayCore: the state every connection of a running gateway shares. Everything in it is
// either immutable, atomic, or a thread-safe service of another module, so any strand may use it.
#pragma once

#include <atomic>
#include <boost/asio/ssl/context.hpp>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "net/runtime.hpp"
#include "portcullis/admin/metrics.hpp"
#include "portcullis/admin/quarantine_list.hpp"
#include "portcullis/admin/rate_counter.hpp"
#include "portcullis/admin/session_state.hpp"
#include "portcullis/audit/audit_log.hpp"

namespace portcullis::net {

class SessionRegistry;

// What a data listener tells its connections (fixed for the listener's life).
struct ListenerContext {
  std::string name;
  std::string identity_header;              // where the verified identity goes upstream
  std::string public_url;                   // for agent-card rewriting
  std::shared_ptr<boost::asio::ssl::context> tls;  // null = plain listener
  std::string plaintext_identity;           // plain listener only
};

struct GatewayCore {
  // The current configuration + policies; swapped whole by reload.
  std::atomic<std::shared_ptr<const Runtime>> runtime;

  audit::AuditLog* audit = nullptr;  // outlives the core (owned by the Gateway)
  admin::GatewayMetrics* metrics = nullptr;
  admin::QuarantineList* quarantine = nullptr;
  admin::SessionState* sessions = nullptr;
  admin::RateCounter* rates = nullptr;

  std::atomic<std::size_t> connections{0};  // open client connections (all data listeners)
  std::atomic<std::size_t> exchanges{0};    // requests between read and the end of the answer
  std::atomic<bool> draining{false};        // SIGTERM: finish in-flight, accept nothing new
  std::atomic<std::uint64_t> request_counter{0};
  SessionRegistry* registry = nullptr;      // live data sessions, for drain (owned by Gateway)

  [[nodiscard]] std::shared_ptr<const Runtime> current() const { return runtime.load(); }
  // At most one agent connection is open: no other connection's work can be queued behind the
  // current handler, so work that waits for the end of the event-loop turn (to batch with other
  // connections) may as well be done now.
  [[nodiscard]] bool single_connection() const {
    return connections.load(std::memory_order_relaxed) <= 1;
  }
};

}  // namespace portcullis::net
