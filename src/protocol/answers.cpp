// The gateway's own answers, byte-for-byte as DESIGN.md "Answers the gateway gives" specifies.
#include "portcullis/protocol/answers.hpp"

#include <nlohmann/json.hpp>

#include "portcullis/common/http_reason.hpp"

namespace portcullis::protocol {
namespace {

using json = nlohmann::json;

constexpr std::string_view kJson = "application/json";
constexpr std::string_view kProblem = "application/problem+json";

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) {
    out += (out.empty() ? "" : ", ") + item;
  }
  return out;
}

// Agent-supplied ids and policy text go back into JSON; invalid UTF-8 must not abort dump().
std::string dump(const json& value) { return value.dump(-1, ' ', false, json::error_handler_t::replace); }

json deny_data(const Denial& denial, std::string_view request_id) {
  return json::object({{"policy_ids", denial.policy_ids},
                       {"audit_uid", denial.audit_uid},
                       {"request_id", std::string(request_id)}});
}

json jsonrpc_error(const json& id, int code, const std::string& message, json data) {
  json error = json::object({{"code", code}, {"message", message}});
  if (!data.is_null()) {
    error["data"] = std::move(data);
  }
  return json::object({{"jsonrpc", "2.0"}, {"id", id}, {"error", std::move(error)}});
}

json problem(int status, const std::string& detail, std::string_view request_id) {
  return json::object({{"type", "about:blank"},
                       {"title", std::string(http_reason_phrase(status))},
                       {"status", status},
                       {"detail", detail},
                       {"request_id", std::string(request_id)}});
}

Answer problem_denial(const Denial& denial, std::string_view request_id) {
  json body = problem(403, denial.message, request_id);
  body["policy_ids"] = denial.policy_ids;
  body["audit_uid"] = denial.audit_uid;
  return Answer{403, std::string(kProblem), dump(body)};
}

const json& id_of(const Action& action) {
  static const json kNull;
  return action.jsonrpc_id ? *action.jsonrpc_id : kNull;
}

struct FailureShape {
  int status;
  int code;
  const char* message;
};

FailureShape shape_of(GatewayFailure failure) {
  switch (failure) {
    case GatewayFailure::AuditUnavailable:
      return {503, kAuditFailedCode, "the audit record could not be written; nothing was forwarded"};
    case GatewayFailure::UpstreamUnreachable:
      return {502, kUpstreamFailedCode, "the upstream could not be reached"};
    case GatewayFailure::UpstreamTimeout:
      return {504, kUpstreamFailedCode, "the upstream did not answer in time"};
  }
  return {502, kUpstreamFailedCode, "upstream failure"};
}

}  // namespace

std::string deny_message(const policy::Response& response, const policy::PolicySet& policies,
                         std::string_view action) {
  for (const auto& id : response.reasons) {
    auto reason = policies.annotation(id, "reason");
    if (reason && !reason->empty()) {
      return *reason;
    }
  }
  if (!response.reasons.empty()) {
    return "denied by policy " + join(response.reasons);
  }
  if (!response.errors.empty()) {
    return "denied: policy " + join(response.errors) + " could not be evaluated";
  }
  return "no policy permits " + std::string(action);
}

Answer denied_answer(const Extraction& extraction, std::span<const Verdict> verdicts,
                     std::string_view request_id, int deny_code) {
  // The first denial answers everything that is not a JSON-RPC request.
  std::size_t first_denied = 0;
  while (first_denied < verdicts.size() && verdicts[first_denied].allowed) {
    ++first_denied;
  }
  static const Denial kUnknown{"denied", {}, {}};
  const Denial& first =
      first_denied < verdicts.size() ? verdicts[first_denied].denial : kUnknown;

  if (!extraction.jsonrpc || extraction.actions.empty()) {
    return problem_denial(first, request_id);
  }
  if (!extraction.batch) {
    const Action& action = extraction.actions.front();
    if (action.kind != ActionKind::Request) {
      return problem_denial(first, request_id);
    }
    return Answer{200, std::string(kJson),
                  dump(jsonrpc_error(id_of(action), deny_code, first.message,
                                     deny_data(first, request_id)))};
  }
  json array = json::array();
  for (std::size_t i = 0; i < extraction.actions.size(); ++i) {
    const Action& action = extraction.actions[i];
    if (action.kind != ActionKind::Request) {
      continue;  // JSON-RPC 2.0 §6: no response object for notifications (or responses)
    }
    const bool denied = i < verdicts.size() ? !verdicts[i].allowed : true;
    if (denied) {
      const Denial& d = i < verdicts.size() ? verdicts[i].denial : kUnknown;
      array.push_back(jsonrpc_error(id_of(action), deny_code, d.message, deny_data(d, request_id)));
    } else {
      array.push_back(jsonrpc_error(id_of(action), kBatchRefusedCode,
                                    "batch refused: another call in it was denied",
                                    json::object({{"request_id", std::string(request_id)}})));
    }
  }
  if (array.empty()) {
    return problem_denial(first, request_id);
  }
  return Answer{200, std::string(kJson), dump(array)};
}

Answer failure_answer(const Extraction& extraction, GatewayFailure failure,
                      std::string_view request_id) {
  const FailureShape shape = shape_of(failure);
  const json data = json::object({{"request_id", std::string(request_id)}});
  if (!extraction.jsonrpc) {
    return failure_answer(false, failure, request_id);
  }
  if (!extraction.batch) {
    if (extraction.actions.empty() || extraction.actions.front().kind != ActionKind::Request) {
      return failure_answer(false, failure, request_id);
    }
    return Answer{shape.status, std::string(kJson),
                  dump(jsonrpc_error(id_of(extraction.actions.front()), shape.code, shape.message,
                                     data))};
  }
  json array = json::array();
  for (const Action& action : extraction.actions) {
    if (action.kind == ActionKind::Request) {
      array.push_back(jsonrpc_error(id_of(action), shape.code, shape.message, data));
    }
  }
  if (array.empty()) {
    return failure_answer(false, failure, request_id);
  }
  return Answer{shape.status, std::string(kJson), dump(array)};
}

Answer failure_answer(bool jsonrpc, GatewayFailure failure, std::string_view request_id) {
  const FailureShape shape = shape_of(failure);
  if (jsonrpc) {
    return Answer{shape.status, std::string(kJson),
                  dump(jsonrpc_error(json(), shape.code, shape.message,
                                     json::object({{"request_id", std::string(request_id)}})))};
  }
  return Answer{shape.status, std::string(kProblem),
                dump(problem(shape.status, shape.message, request_id))};
}

Answer rejection_answer(const Rejection& rejection, std::string_view request_id) {
  if (rejection.jsonrpc_code != 0) {
    return Answer{rejection.http_status, std::string(kJson),
                  dump(jsonrpc_error(json(), rejection.jsonrpc_code, rejection.detail,
                                     json::object({{"request_id", std::string(request_id)}})))};
  }
  return Answer{rejection.http_status, std::string(kProblem),
                dump(problem(rejection.http_status, rejection.detail, request_id))};
}

}  // namespace portcullis::protocol
