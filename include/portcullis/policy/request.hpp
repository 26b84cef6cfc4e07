// A Cedar authorization request (principal, action, resource, context) and its JSON form.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>

#include "portcullis/common/result.hpp"
#include "portcullis/policy/value.hpp"

namespace portcullis::policy {

struct Request {
  EntityUid principal;
  EntityUid action;
  EntityUid resource;
  Value context;  // a record
};

// Cedar's JSON request form, as `check --request/--batch` reads it:
// {"principal":{"type":"Agent","id":"a"},"action":{"type":"Action","id":"tools/call"},
//  "resource":{...},"context":{...}}  (context optional, default {}; Cedar JSON escapes allowed;
// `"principal": "Agent::\"a\""` string form accepted too).
[[nodiscard]] Result<Request> request_from_json(const nlohmann::json& json);
[[nodiscard]] nlohmann::json request_to_json(const Request& request);

// The RFC 8785 (JCS) canonical text of request_to_json(request), written straight from the
// request without building a JSON tree: byte for byte what canonicalising request_to_json's
// result gives (audit::jcs). The gateway puts it in every decision record for replay, so it is
// on the request path; it does not allocate beyond `out`'s growth.
void append_request_jcs(std::string& out, const Request& request);
[[nodiscard]] std::string request_to_jcs(const Request& request);

}  // namespace portcullis::policy
