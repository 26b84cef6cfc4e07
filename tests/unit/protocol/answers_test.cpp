#include "portcullis/protocol/answers.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "portcullis/policy/policy_set.hpp"

using namespace portcullis;
using namespace portcullis::protocol;
using json = nlohmann::json;

namespace {

Action request_action(json id) {
  Action a;
  a.kind = ActionKind::Request;
  a.jsonrpc_id = std::move(id);
  return a;
}

Action notification_action() {
  Action a;
  a.kind = ActionKind::Notification;
  return a;
}

Verdict denied(std::string message, std::vector<std::string> ids, std::string uid) {
  return Verdict{false, Denial{std::move(message), std::move(ids), std::move(uid)}};
}

}  // namespace

TEST_CASE("A denied JSON-RPC request gets a 200 JSON-RPC error with its id", "[protocol][answers]") {
  Extraction e;
  e.jsonrpc = true;
  e.actions = {request_action(json("abc"))};
  const Verdict v[] = {denied("no deletes", {"p1"}, "u-1")};
  const Answer a = denied_answer(e, v, "req-9");
  CHECK(a.status == 200);
  CHECK(a.content_type == "application/json");
  CHECK(json::parse(a.body) == json::parse(R"({"jsonrpc":"2.0","id":"abc","error":{"code":-32099,
      "message":"no deletes","data":{"policy_ids":["p1"],"audit_uid":"u-1","request_id":"req-9"}}})"));
  CHECK(json::parse(denied_answer(e, v, "r", -32001).body)["error"]["code"] == -32001);
}

TEST_CASE("A denied notification or plain HTTP request gets 403 problem+json",
          "[protocol][answers]") {
  Extraction e;
  e.jsonrpc = true;
  e.actions = {notification_action()};
  const Verdict v[] = {denied("denied by policy p2", {"p2"}, "u-2")};
  const Answer a = denied_answer(e, v, "req-1");
  CHECK(a.status == 403);
  CHECK(a.content_type == "application/problem+json");
  CHECK(json::parse(a.body) == json::parse(R"({"type":"about:blank","title":"Forbidden","status":403,
      "detail":"denied by policy p2","policy_ids":["p2"],"audit_uid":"u-2","request_id":"req-1"})"));
  Extraction http;
  http.actions = {Action{}};
  CHECK(denied_answer(http, v, "req-1").body == a.body);
}

TEST_CASE("A batch with a denied element is refused as a whole", "[protocol][answers]") {
  Extraction e;
  e.jsonrpc = true;
  e.batch = true;
  e.actions = {request_action(json(1)), notification_action(), request_action(json(2))};
  const Verdict v[] = {Verdict{true, {}}, Verdict{true, {}}, denied("no rm", {"p"}, "u-3")};
  const Answer a = denied_answer(e, v, "r");
  CHECK(a.status == 200);
  CHECK(json::parse(a.body) == json::parse(R"([
    {"jsonrpc":"2.0","id":1,"error":{"code":-32097,"message":"batch refused: another call in it was denied","data":{"request_id":"r"}}},
    {"jsonrpc":"2.0","id":2,"error":{"code":-32099,"message":"no rm","data":{"policy_ids":["p"],"audit_uid":"u-3","request_id":"r"}}}])"));
}

TEST_CASE("A batch of notifications only is refused with problem+json", "[protocol][answers]") {
  Extraction e;
  e.jsonrpc = true;
  e.batch = true;
  e.actions = {notification_action(), notification_action()};
  const Verdict v[] = {Verdict{true, {}}, denied("x", {}, "u")};
  const Answer a = denied_answer(e, v, "r");
  CHECK(a.status == 403);
  CHECK(json::parse(a.body)["detail"] == "x");
}

TEST_CASE("Audit and upstream failures have their status and code", "[protocol][answers]") {
  Extraction e;
  e.jsonrpc = true;
  e.actions = {request_action(json(5))};
  const Answer audit = failure_answer(e, GatewayFailure::AuditUnavailable, "r");
  CHECK(audit.status == 503);
  CHECK(json::parse(audit.body) == json::parse(R"({"jsonrpc":"2.0","id":5,"error":{"code":-32098,
      "message":"the audit record could not be written; nothing was forwarded","data":{"request_id":"r"}}})"));
  CHECK(failure_answer(e, GatewayFailure::UpstreamUnreachable, "r").status == 502);
  const Answer timeout = failure_answer(e, GatewayFailure::UpstreamTimeout, "r");
  CHECK(timeout.status == 504);
  CHECK(json::parse(timeout.body)["error"]["code"] == -32603);
  const Answer plain = failure_answer(false, GatewayFailure::AuditUnavailable, "r");
  CHECK(plain.status == 503);
  CHECK(plain.content_type == "application/problem+json");
  CHECK(json::parse(plain.body)["title"] == "Service Unavailable");
}

TEST_CASE("Rejections answer JSON-RPC with id null or problem+json", "[protocol][answers]") {
  const Answer parse = rejection_answer(Rejection(RejectReason::ParseError, "invalid JSON: x"), "r");
  CHECK(parse.status == 400);
  CHECK(json::parse(parse.body) == json::parse(R"({"jsonrpc":"2.0","id":null,"error":{"code":-32700,
      "message":"invalid JSON: x","data":{"request_id":"r"}}})"));
  const Answer route = rejection_answer(Rejection(RejectReason::NoRoute, "no route for /x"), "r");
  CHECK(route.status == 404);
  CHECK(json::parse(route.body) == json::parse(R"({"type":"about:blank","title":"Not Found",
      "status":404,"detail":"no route for /x","request_id":"r"})"));
}

TEST_CASE("An id with invalid UTF-8 cannot break the answer", "[protocol][answers]") {
  Extraction e;
  e.jsonrpc = true;
  e.actions = {request_action(json("\xff"))};
  const Verdict v[] = {denied("m", {}, "u")};
  CHECK(json::parse(denied_answer(e, v, "r").body)["id"] == "\xef\xbf\xbd");
}

TEST_CASE("The deny message prefers @reason, then the policy ids, then the action",
          "[protocol][answers]") {
  Diagnostics diagnostics;
  auto policies = policy::PolicySet::parse(
      {{"p.cedar", R"(@id("plain") forbid(principal, action, resource);
@id("why") @reason("deleting is not allowed") forbid(principal, action, resource);)"}},
      diagnostics);
  REQUIRE(policies);
  policy::Response r;
  r.reasons = {"plain", "why"};
  CHECK(deny_message(r, *policies, "tools/call") == "deleting is not allowed");
  r.reasons = {"plain"};
  CHECK(deny_message(r, *policies, "tools/call") == "denied by policy plain");
  r.reasons = {};
  r.errors = {"e1", "e2"};
  CHECK(deny_message(r, *policies, "tools/call") == "denied: policy e1, e2 could not be evaluated");
  r.errors = {};
  CHECK(deny_message(r, *policies, "tools/call") == "no policy permits tools/call");
}
