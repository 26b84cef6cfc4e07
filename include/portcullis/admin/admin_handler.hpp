// AdminHandler: the admin listener's endpoints as a pure handler (no sockets): the `net` module
// parses HTTP and verifies mTLS, then hands over an AdminRequest and writes the AdminResponse.
//
//   GET    /healthz             open   200 {"status":"ok"}
//   GET    /readyz              open   200 {"status":"ready",...} or 503 with the failing checks
//   GET    /metrics             open   200 Prometheus text 0.0.4
//   POST   /reload              admin  200 {"status":"reloaded","policy_set":HASH,
//                                      "needs_restart":[SETTING...]} or 422/500
//   GET    /quarantine          admin  200 {"quarantined":[{agent,reason,by,since}...]}
//   POST   /quarantine          admin  body {"agent":ID,"reason":TEXT} → 200, or 500 if it could
//                                      not be recorded (the quarantine is engaged regardless)
//   DELETE /quarantine/<id>     admin  <id> percent-decoded (slashes may be raw or %2F) → 200,
//                                      404 if not quarantined, 503 if it could not be recorded
//                                      (then it is NOT lifted)
// "admin" = only for a verified identity in allowed_identities; no identity → 403. Errors are
// RFC 9457 application/problem+json. Unknown path 404, wrong method 405 with Allow.
//
// Fail-closed asymmetry, on purpose: engaging a quarantine tightens, so it takes effect at once
// even when the audit log cannot record it (the kill switch must work while the disk is full);
// the answer is 500 and says the action is not recorded and will not survive a restart.
// Lifting loosens, so it happens only after the audit log has durably recorded it.
//
// Threading: handle() may be called from any thread, concurrently. `respond` is called exactly
// once, either inline (most endpoints) or later from the thread that completes an injected
// callback (the audit writer thread for quarantine actions, whatever thread the reload callback
// completes on). `respond` must not block: post back to your own strand.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "portcullis/admin/metrics.hpp"
#include "portcullis/admin/quarantine_list.hpp"
#include "portcullis/audit/audit_log.hpp"
#include "portcullis/audit/event.hpp"
#include "portcullis/common/result.hpp"

namespace portcullis::admin {

struct AdminRequest {
  std::string method;                  // "GET", "POST", "DELETE", ... (case-sensitive)
  std::string target;                  // origin-form request target, e.g. "/quarantine/a%2Fb?x"
  std::string body;
  std::optional<std::string> identity;  // the verified mTLS identity; nullopt on a plain listener
};

struct AdminResponse {
  int status = 500;
  std::string content_type;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers (e.g. Allow)
  std::string body;
};

using AdminRespond = std::function<void(AdminResponse)>;

// What a successful reload reports.
struct ReloadOutcome {
  std::string policy_set;  // the hash of the policy set now in force
  // Start-only settings the reloaded file changes (config::start_only_changes): validated, not
  // applied; they keep their values until a restart.
  std::vector<std::string> needs_restart;
};

// What a reload reports: on success the outcome; on failure the message listing every problem
// (the old set keeps running).
using ReloadDone = std::function<void(Result<ReloadOutcome>)>;

struct AdminCallbacks {
  // Revalidates config/policies/entities and swaps atomically (shared with SIGHUP). `by` is the
  // operator identity, for the audit record the reload writes. Must call `done` exactly once.
  // Also the place that counts GatewayMetrics::count_reload (so SIGHUP is counted too).
  std::function<void(std::string by, ReloadDone done)> reload;
  // Appends an admin record; wire it to AuditLog::append(AdminEvent, AppendCompletion).
  std::function<void(audit::AdminEvent event, audit::AppendCompletion done)> record;
  // Readiness checks for /readyz; an unset function counts as "not ready".
  std::function<bool()> policies_loaded;
  std::function<bool()> audit_writable;
  // Unix epoch ms for records and the quarantine list (injected for tests; unset = system clock).
  std::function<std::int64_t()> now_ms;
};

struct AdminHandlerOptions {
  std::vector<std::string> allowed_identities;  // exact, byte-for-byte
  std::size_t max_body_bytes = std::size_t{64} * 1024;       // larger bodies → 413
};

class AdminHandler {
 public:
  // `quarantine` and `metrics` must outlive the handler (and any callback still in flight).
  AdminHandler(AdminHandlerOptions options, AdminCallbacks callbacks, QuarantineList& quarantine,
               GatewayMetrics& metrics);

  void handle(const AdminRequest& request, AdminRespond respond) const;

  // Whether `identity` may use the admin-only endpoints.
  [[nodiscard]] bool is_admin(const std::optional<std::string>& identity) const;

 private:
  void handle_reload(const AdminRequest& request, AdminRespond respond) const;
  void handle_quarantine_post(const AdminRequest& request, AdminRespond respond) const;
  void handle_quarantine_delete(const AdminRequest& request, std::string agent,
                                AdminRespond respond) const;
  [[nodiscard]] AdminResponse quarantine_listing() const;
  [[nodiscard]] AdminResponse readiness() const;

  AdminHandlerOptions options_;
  AdminCallbacks callbacks_;
  QuarantineList& quarantine_;
  GatewayMetrics& metrics_;
};

// Builders for answers (exposed for tests and for `net`'s own admin errors).
AdminResponse json_response(int status, const nlohmann::json& body);
// RFC 9457: {"type":"about:blank","title":<reason phrase>,"status":N,"detail":...}.
AdminResponse problem_response(int status, std::string_view detail);

// Percent-decodes a path segment strictly: "%" must be followed by two hex digits; a decoded
// NUL is refused. Used for DELETE /quarantine/<id>.
[[nodiscard]] Result<std::string> percent_decode(std::string_view text);

}  // namespace portcullis::admin
