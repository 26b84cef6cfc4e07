// Decide → record → forward or block: exact answers, fail closed, all-or-nothing batches.
#include <catch2/catch.hpp>

#include "integration/gateway/test_helpers.hpp"
#include "support/concat.hpp"
#include "support/gateway_fixture.hpp"
#include "support/wait_until.hpp"

using namespace portcullis::test;
using portcullis::audit::Disposition;

TEST_CASE("a denied tools/call gets -32099 with the policy's reason and never reaches the upstream",
          "[gateway][decision]") {
  GatewayFixture gw;
  auto response = gw.post_as_a("/mcp", echo_call(5, "delete_file"));
  REQUIRE(response.result_int() == 200);
  const auto body = body_json(response);
  CHECK(body["jsonrpc"] == "2.0");
  CHECK(body["id"] == 5);
  CHECK(body["error"]["code"] == -32099);
  CHECK(body["error"]["message"] == "deleting files is not allowed");
  CHECK(body["error"]["data"]["policy_ids"] == nlohmann::json::array({"no-delete"}));
  CHECK(body["error"]["data"]["audit_uid"] == "uid-1");
  CHECK(body["error"]["data"]["request_id"] == std::string(response["X-Request-Id"]));
  CHECK(gw.upstream().count() == 0);
  const auto decisions = gw.audit().decisions();
  REQUIRE(decisions.size() == 1);
  CHECK(decisions[0].disposition == Disposition::Blocked);
  CHECK(decisions[0].deny_message == "deleting files is not allowed");
}

TEST_CASE("a call no policy permits is denied by default", "[gateway][decision]") {
  GatewayFixture gw;
  auto response = gw.post_as_a("/mcp", echo_call(1, "unknown_tool"));
  CHECK(body_json(response)["error"]["code"] == -32099);
  CHECK(body_json(response)["error"]["message"] == "no policy permits tools/call");
  CHECK(gw.upstream().count() == 0);
}

TEST_CASE("a forbid that cannot be evaluated denies instead of letting the call through",
          "[gateway][decision][fail-closed]") {
  GatewayFixture gw;
  // 5000.5 is not a Long: `context.input.amount > 1000` errors; policy_errors: deny.
  auto errored = gw.post_as_a(
      "/mcp", jsonrpc("tools/call", R"({"name":"transfer","arguments":{"amount":5000.5}})", 1));
  CHECK(body_json(errored)["error"]["code"] == -32099);
  auto over = gw.post_as_a(
      "/mcp", jsonrpc("tools/call", R"({"name":"transfer","arguments":{"amount":5000}})", 2));
  CHECK(body_json(over)["error"]["message"] == "transfers over 1000 need a human");
  CHECK(gw.upstream().count() == 0);
  auto fine = gw.post_as_a(
      "/mcp", jsonrpc("tools/call", R"({"name":"transfer","arguments":{"amount":5}})", 3));
  CHECK(body_json(fine)["result"]["upstream"] == "ok");
  CHECK(gw.upstream().count() == 1);
  const auto decisions = gw.audit().decisions();
  REQUIRE(decisions.size() == 3);
  CHECK(decisions[0].policy_errors == std::vector<std::string>{"transfer-limit"});
}

TEST_CASE("a batch with one denied call is refused whole, each element answered",
          "[gateway][decision][batch]") {
  GatewayFixture gw;
  const std::string batch = concat({"[", echo_call(1), ",", echo_call(2, "delete_file"), "]"});
  auto response = gw.post_as_a("/mcp", batch);
  REQUIRE(response.result_int() == 200);
  const auto body = body_json(response);
  REQUIRE(body.is_array());
  REQUIRE(body.size() == 2);
  CHECK(body[0]["id"] == 1);
  CHECK(body[0]["error"]["code"] == -32097);
  CHECK(body[1]["id"] == 2);
  CHECK(body[1]["error"]["code"] == -32099);
  CHECK(gw.upstream().count() == 0);
  const auto decisions = gw.audit().decisions();
  REQUIRE(decisions.size() == 2);
  CHECK(decisions[0].disposition == Disposition::Blocked);  // allowed, but its batch was refused
  CHECK(decisions[0].batch_size == 2);
  CHECK(decisions[1].disposition == Disposition::Blocked);
}

TEST_CASE("a batch of allowed calls is forwarded once, as sent", "[gateway][decision][batch]") {
  GatewayFixture gw;
  const std::string batch = concat({"[", echo_call(1), ",", echo_call(2), "]"});
  gw.upstream().set_handler([](const ReceivedRequest&, UpstreamWriter& writer) {
    writer.respond(200, "application/json", "[]");
  });
  auto response = gw.post_as_a("/mcp", batch);
  CHECK(response.result_int() == 200);
  const auto received = gw.upstream().received();
  REQUIRE(received.size() == 1);
  CHECK(received[0].body == batch);
  CHECK(gw.audit().decisions().size() == 2);
}

TEST_CASE("a denied notification is answered 403 problem+json", "[gateway][decision]") {
  GatewayFixture gw;
  auto client = gw.agent_b();
  auto response = client->request(
      "POST", "/mcp", R"({"jsonrpc":"2.0","method":"tools/call","params":{"name":"echo"}})");
  CHECK(response.result_int() == 403);
  CHECK(response[boost::beast::http::field::content_type] == "application/problem+json");
  const auto body = body_json(response);
  CHECK(body["status"] == 403);
  CHECK(body["audit_uid"] == "uid-1");
  CHECK(gw.upstream().count() == 0);
}

TEST_CASE("a denied plain HTTP request is answered 403 problem+json", "[gateway][decision]") {
  GatewayFixture gw;
  auto client = gw.agent_a();
  auto response = client->request("DELETE", "/api/items/1", "");
  CHECK(response.result_int() == 403);
  CHECK(body_json(response)["detail"] == "no policy permits DELETE");
  CHECK(gw.upstream().count() == 0);
}

TEST_CASE("JSON with a duplicate key is refused before any decision", "[gateway][decision][json]") {
  GatewayFixture gw;
  auto response = gw.post_as_a(
      "/mcp",
      R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","name":"delete_file"}})");
  CHECK(response.result_int() == 400);
  CHECK(body_json(response)["error"]["code"] == -32700);
  CHECK(gw.upstream().count() == 0);
  CHECK(gw.audit().decisions().empty());
}

TEST_CASE("when the audit record cannot be written the call is refused with 503 -32098",
          "[gateway][decision][audit]") {
  GatewayFixture gw;
  gw.audit().set_failing(true);
  auto response = gw.post_as_a("/mcp", echo_call(9));
  CHECK(response.result_int() == 503);
  CHECK(body_json(response)["error"]["code"] == -32098);
  CHECK(body_json(response)["id"] == 9);
  CHECK(gw.upstream().count() == 0);
  CHECK(gw.gateway().metrics().render().find("portcullis_audit_append_failures_total 1") !=
        std::string::npos);
}

// The audit log as the real one defers decisions: held until the I/O thread's flush writes them
// (at once with a single agent connection, else by a flush posted once per event-loop turn).
TEST_CASE("a deferred decision record is written by the audit flush before the call goes upstream",
          "[gateway][decision][audit]") {
  GatewayFixture gw;
  gw.audit().set_deferred(true);
  auto response = gw.post_as_a("/mcp", echo_call(3));
  CHECK(response.result_int() == 200);
  CHECK(gw.audit().decisions().size() == 1);
  CHECK(gw.audit().flushes_with_records() == 1);
  CHECK(gw.upstream().count() == 1);
}

TEST_CASE("a deferred decision record that cannot be written refuses the call with 503",
          "[gateway][decision][audit]") {
  GatewayFixture gw;
  gw.audit().set_deferred(true);
  gw.audit().set_failing(true);
  auto response = gw.post_as_a("/mcp", echo_call(9));
  CHECK(response.result_int() == 503);
  CHECK(body_json(response)["error"]["code"] == -32098);
  CHECK(gw.upstream().count() == 0);
}

TEST_CASE("with several agent connections a deferred decision is written by the posted flush",
          "[gateway][decision][audit]") {
  GatewayFixture gw;
  gw.audit().set_deferred(true);
  auto idle = gw.agent_a();  // a second open connection: the flush is posted, not run inline
  auto client = gw.agent_a();
  REQUIRE(wait_until([&] { return gw.gateway().open_connections() >= 2; },
                     std::chrono::seconds(10)));
  auto response = client->request("POST", "/mcp", echo_call(4));
  CHECK(response.result_int() == 200);
  CHECK(gw.audit().decisions().size() == 1);
  CHECK(gw.upstream().count() == 1);
  gw.audit().set_failing(true);
  auto refused = client->request("POST", "/mcp", echo_call(5));
  CHECK(refused.result_int() == 503);
  CHECK(gw.upstream().count() == 1);
}

TEST_CASE("dry-run forwards a denied call and records that it would have been denied",
          "[gateway][decision][dry-run]") {
  GatewayFixture gw({.extra_yaml = "dry_run: true\n"});
  auto response = gw.post_as_a("/mcp", echo_call(4, "delete_file"));
  CHECK(body_json(response)["result"]["upstream"] == "ok");
  CHECK(gw.upstream().count() == 1);
  const auto decisions = gw.audit().decisions();
  REQUIRE(decisions.size() == 1);
  CHECK(decisions[0].dry_run);
  CHECK(decisions[0].policy_ids == std::vector<std::string>{"no-delete"});
  CHECK(decisions[0].deny_message == "deleting files is not allowed");
}

TEST_CASE("session labels from allowed calls reach later calls' context",
          "[gateway][decision][session]") {
  GatewayFixture gw;
  auto client = gw.agent_a();
  auto first = client->request("POST", "/mcp", echo_call(1), {{"Mcp-Session-Id", "s-1"}});
  REQUIRE(first.result_int() == 200);
  auto second = client->request("POST", "/mcp", echo_call(2), {{"Mcp-Session-Id", "s-1"}});
  REQUIRE(second.result_int() == 200);
  const auto decisions = gw.audit().decisions();
  REQUIRE(decisions.size() == 2);
  const auto cedar = nlohmann::json::parse(decisions[1].cedar_request_jcs);
  const auto& context = cedar["context"];
  CHECK(context["session"]["id"] == "s-1");
  CHECK(context["session"]["labels"].dump().find("echoed") != std::string::npos);
  CHECK(context["session"]["tools"].dump().find("echo") != std::string::npos);
}
