#include "portcullis/admin/admin_handler.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <set>
#include <utility>

#include "portcullis/common/ascii.hpp"
#include "portcullis/common/http_reason.hpp"

namespace portcullis::admin {

using nlohmann::json;

namespace {

constexpr std::string_view kJson = "application/json";
constexpr std::string_view kProblemJson = "application/problem+json";
constexpr std::size_t kMaxAgentBytes = 4096;
constexpr std::size_t kMaxReasonBytes = 4096;

// Identities and percent-decoded path bytes may be any bytes: never let dump() throw on them.
std::string dump(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

AdminResponse method_not_allowed(std::string_view allow) {
  AdminResponse response = problem_response(405, "allowed methods: " + std::string(allow));
  response.headers.emplace_back("Allow", std::string(allow));
  return response;
}

std::int64_t now_ms_or_clock(const AdminCallbacks& callbacks) {
  if (callbacks.now_ms) {
    return callbacks.now_ms();
  }
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string rfc3339_utc(std::int64_t ms) {
  const auto seconds = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  if (gmtime_r(&seconds, &tm) == nullptr) {
    return {};
  }
  std::array<char, 32> buffer{};
  const std::size_t n = std::strftime(buffer.data(), buffer.size(), "%Y-%m-%dT%H:%M:%S", &tm);
  std::array<char, 8> millis{};
  std::snprintf(millis.data(), millis.size(), ".%03dZ",
                static_cast<int>(((ms % 1000) + 1000) % 1000));
  return std::string(buffer.data(), n) + millis.data();
}

// Parses an admin request body: one JSON object, no duplicate keys at any depth (a body another
// parser could read differently is refused, as on the data path).
Result<json> parse_strict_object(std::string_view body) {
  std::vector<std::set<std::string>> keys_per_object;
  bool duplicate = false;
  const json::parser_callback_t track = [&](int /*depth*/, json::parse_event_t event,
                                            json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start:
        keys_per_object.emplace_back();
        break;
      case json::parse_event_t::object_end:
        if (!keys_per_object.empty()) {
          keys_per_object.pop_back();
        }
        break;
      case json::parse_event_t::key:
        if (!keys_per_object.empty() &&
            !keys_per_object.back().insert(parsed.get<std::string>()).second) {
          duplicate = true;
        }
        break;
      case json::parse_event_t::array_start:
      case json::parse_event_t::array_end:
      case json::parse_event_t::value:
        break;
    }
    return true;
  };
  json parsed = json::parse(body.begin(), body.end(), track, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    return fail("the body is not valid JSON");
  }
  if (duplicate) {
    return fail("the body has a duplicate key");
  }
  if (!parsed.is_object()) {
    return fail("the body must be a JSON object");
  }
  return parsed;
}

struct QuarantineBody {
  std::string agent;
  std::string reason;
};

Result<QuarantineBody> parse_quarantine_body(std::string_view body) {
  auto parsed = parse_strict_object(body);
  if (!parsed) {
    return tl::unexpected(parsed.error());
  }
  QuarantineBody out;
  for (const auto& [key, value] : parsed->items()) {
    if (key != "agent" && key != "reason") {
      return fail("unknown field \"" + key + R"(" (expected "agent" and "reason"))");
    }
    if (!value.is_string()) {
      return fail("\"" + key + "\" must be a string");
    }
  }
  const auto agent = parsed->find("agent");
  if (agent == parsed->end() || agent->get_ref<const std::string&>().empty()) {
    return fail("\"agent\" is required and must not be empty");
  }
  const auto reason = parsed->find("reason");
  if (reason == parsed->end() || reason->get_ref<const std::string&>().empty()) {
    return fail("\"reason\" is required and must not be empty (say why, for the record)");
  }
  out.agent = agent->get<std::string>();
  out.reason = reason->get<std::string>();
  if (out.agent.size() > kMaxAgentBytes) {
    return fail("\"agent\" is longer than " + std::to_string(kMaxAgentBytes) + " bytes");
  }
  if (out.reason.size() > kMaxReasonBytes) {
    return fail("\"reason\" is longer than " + std::to_string(kMaxReasonBytes) + " bytes");
  }
  return out;
}

}  // namespace

AdminResponse json_response(int status, const json& body) {
  AdminResponse response;
  response.status = status;
  response.content_type = std::string(kJson);
  response.body = dump(body);
  return response;
}

AdminResponse problem_response(int status, std::string_view detail) {
  AdminResponse response;
  response.status = status;
  response.content_type = std::string(kProblemJson);
  response.body = dump(json{{"type", "about:blank"},
                            {"title", std::string(http_reason_phrase(status))},
                            {"status", status},
                            {"detail", std::string(detail)}});
  return response;
}

Result<std::string> percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c != '%') {
      out += c;
      continue;
    }
    if (text.size() - i < 3) {
      return fail("truncated percent escape at byte " + std::to_string(i));
    }
    const int hi = hex_digit_value(text[i + 1]);
    const int lo = hex_digit_value(text[i + 2]);
    if (hi < 0 || lo < 0) {
      return fail("invalid percent escape at byte " + std::to_string(i));
    }
    const char decoded = static_cast<char>((hi << 4) | lo);
    if (decoded == '\0') {
      return fail("a percent escape decodes to NUL at byte " + std::to_string(i));
    }
    out += decoded;
    i += 2;
  }
  return out;
}

AdminHandler::AdminHandler(AdminHandlerOptions options, AdminCallbacks callbacks,
                           QuarantineList& quarantine, GatewayMetrics& metrics)
    : options_(std::move(options)),
      callbacks_(std::move(callbacks)),
      quarantine_(quarantine),
      metrics_(metrics) {}

bool AdminHandler::is_admin(const std::optional<std::string>& identity) const {
  if (!identity || identity->empty()) {
    return false;
  }
  return std::find(options_.allowed_identities.begin(), options_.allowed_identities.end(),
                   *identity) != options_.allowed_identities.end();
}

void AdminHandler::handle(const AdminRequest& request, AdminRespond respond) const {
  const std::string_view target = request.target;
  if (target.empty() || target.front() != '/') {
    return respond(problem_response(400, "the request target must be a path (origin-form)"));
  }
  // The query string selects nothing here; it is ignored.
  const std::string_view path = target.substr(0, target.find('?'));
  const std::string& method = request.method;

  if (path == "/healthz") {
    if (method != "GET") {
      return respond(method_not_allowed("GET"));
    }
    return respond(json_response(200, json{{"status", "ok"}}));
  }
  if (path == "/readyz") {
    if (method != "GET") {
      return respond(method_not_allowed("GET"));
    }
    return respond(readiness());
  }
  if (path == "/metrics") {
    if (method != "GET") {
      return respond(method_not_allowed("GET"));
    }
    AdminResponse response;
    response.status = 200;
    response.content_type = std::string(kPrometheusContentType);
    response.body = metrics_.render();
    return respond(std::move(response));
  }

  constexpr std::string_view kQuarantinePrefix = "/quarantine/";
  const bool is_reload = path == "/reload";
  const bool is_quarantine = path == "/quarantine";
  const bool is_quarantine_item = path.starts_with(kQuarantinePrefix);
  if (!is_reload && !is_quarantine && !is_quarantine_item) {
    return respond(problem_response(404, "no such admin endpoint"));
  }
  const std::string_view allow = is_reload ? "POST" : is_quarantine ? "GET, POST" : "DELETE";
  const bool method_ok = is_reload        ? method == "POST"
                         : is_quarantine ? (method == "GET" || method == "POST")
                                         : method == "DELETE";
  if (!method_ok) {
    return respond(method_not_allowed(allow));
  }
  // Admin-only from here: a verified identity in allowed_identities, nothing else.
  if (!request.identity) {
    return respond(problem_response(
        403, "this endpoint needs a verified client certificate (admin listener with mTLS)"));
  }
  if (!is_admin(request.identity)) {
    return respond(problem_response(403, "this identity is not in admin.allowed_identities"));
  }
  if (request.body.size() > options_.max_body_bytes) {
    return respond(problem_response(
        413, "the body is larger than " + std::to_string(options_.max_body_bytes) + " bytes"));
  }
  if (is_reload) {
    return handle_reload(request, std::move(respond));
  }
  if (is_quarantine) {
    if (method == "GET") {
      return respond(quarantine_listing());
    }
    return handle_quarantine_post(request, std::move(respond));
  }
  auto agent = percent_decode(path.substr(kQuarantinePrefix.size()));
  if (!agent) {
    return respond(problem_response(400, "the agent id in the path: " + agent.error().message));
  }
  if (agent->empty()) {
    return respond(problem_response(400, "the agent id is missing: DELETE /quarantine/<id>"));
  }
  return handle_quarantine_delete(request, std::move(*agent), std::move(respond));
}

AdminResponse AdminHandler::readiness() const {
  const bool policies = callbacks_.policies_loaded && callbacks_.policies_loaded();
  const bool audit = callbacks_.audit_writable && callbacks_.audit_writable();
  const bool ready = policies && audit;
  return json_response(ready ? 200 : 503,
                       json{{"status", ready ? "ready" : "not ready"},
                            {"checks", {{"policies_loaded", policies}, {"audit_writable", audit}}}});
}

AdminResponse AdminHandler::quarantine_listing() const {
  json list = json::array();
  for (const auto& entry : quarantine_.list()) {
    list.push_back({{"agent", entry.agent},
                    {"reason", entry.reason},
                    {"by", entry.by},
                    {"since", rfc3339_utc(entry.since_ms)},
                    {"since_ms", entry.since_ms}});
  }
  return json_response(200, json{{"quarantined", std::move(list)}});
}

void AdminHandler::handle_reload(const AdminRequest& request, AdminRespond respond) const {
  if (!callbacks_.reload) {
    return respond(problem_response(500, "reload is not wired in this process"));
  }
  callbacks_.reload(*request.identity, [respond = std::move(respond)](
                                           Result<ReloadOutcome> result) {
    if (result) {
      respond(json_response(200, json{{"status", "reloaded"},
                                      {"policy_set", result->policy_set},
                                      {"needs_restart", result->needs_restart}}));
    } else {
      respond(problem_response(
          422, "reload refused, the previous configuration keeps running: " +
                   result.error().message));
    }
  });
}

void AdminHandler::handle_quarantine_post(const AdminRequest& request,
                                          AdminRespond respond) const {
  auto body = parse_quarantine_body(request.body);
  if (!body) {
    return respond(problem_response(400, body.error().message));
  }
  const std::int64_t now = now_ms_or_clock(callbacks_);
  // The kill switch engages first, whatever happens to the record below.
  if (auto added = quarantine_.quarantine(body->agent, body->reason, *request.identity, now);
      !added) {
    return respond(problem_response(500, added.error().message));
  }
  metrics_.set_quarantined_agents(quarantine_.size());

  audit::AdminEvent event;
  event.kind = audit::AdminEvent::Kind::Quarantine;
  event.time_ms = now;
  event.operator_identity = *request.identity;
  event.agent = body->agent;
  event.reason = body->reason;
  const auto not_recorded = [agent = body->agent](std::string_view why) {
    return problem_response(
        500, "agent " + agent +
                 " is quarantined now, but the quarantine could not be recorded in the audit "
                 "log (" + std::string(why) +
                 "): it will not survive a restart; repeat the request once the audit log is "
                 "writable");
  };
  if (!callbacks_.record) {
    return respond(not_recorded("no audit log is wired in this process"));
  }
  callbacks_.record(std::move(event), [respond = std::move(respond), agent = body->agent,
                                       not_recorded, &metrics = metrics_](
                                          Result<audit::AppendReceipt> receipt) {
    if (!receipt) {
      metrics.count_audit_append_failure();
      respond(not_recorded(receipt.error().message));
      return;
    }
    respond(json_response(
        200, json{{"status", "quarantined"}, {"agent", agent}, {"audit_uid", receipt->uid}}));
  });
}

void AdminHandler::handle_quarantine_delete(const AdminRequest& request, std::string agent,
                                            AdminRespond respond) const {
  // An identity must not lift its own quarantine, even if it is (also) an operator.
  if (agent == *request.identity) {
    return respond(problem_response(403, "an identity cannot lift its own quarantine"));
  }
  if (!quarantine_.is_quarantined(agent)) {
    return respond(problem_response(404, "agent " + agent + " is not quarantined"));
  }
  if (!callbacks_.record) {
    return respond(problem_response(
        503, "not lifted: lifting a quarantine must be recorded first and no audit log is "
             "wired in this process"));
  }
  audit::AdminEvent event;
  event.kind = audit::AdminEvent::Kind::Unquarantine;
  event.time_ms = now_ms_or_clock(callbacks_);
  event.operator_identity = *request.identity;
  event.agent = agent;
  // Lifting loosens: it takes effect only once the record is durable.
  callbacks_.record(std::move(event), [respond = std::move(respond), agent = std::move(agent),
                                       &quarantine = quarantine_, &metrics = metrics_](
                                          Result<audit::AppendReceipt> receipt) {
    if (!receipt) {
      metrics.count_audit_append_failure();
      respond(problem_response(503, "agent " + agent +
                                        " stays quarantined: lifting it could not be recorded "
                                        "in the audit log (" +
                                        receipt.error().message + ")"));
      return;
    }
    quarantine.lift(agent);
    metrics.set_quarantined_agents(quarantine.size());
    respond(json_response(
        200, json{{"status", "lifted"}, {"agent", agent}, {"audit_uid", receipt->uid}}));
  });
}

}  // namespace portcullis::admin
