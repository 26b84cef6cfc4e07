// Allowed requests: forwarded with the right path and headers, answered, outcome recorded;
// upstream failures answered 502/504.
#include <catch2/catch.hpp>
#include <thread>

#include "integration/gateway/test_helpers.hpp"
#include "support/gateway_fixture.hpp"

using namespace portcullis::test;

TEST_CASE("an allowed tools/call is forwarded and the upstream's answer relayed",
          "[gateway][forward]") {
  GatewayFixture gw;
  auto response = gw.post_as_a("/mcp", echo_call(7));
  REQUIRE(response.result_int() == 200);
  const auto body = body_json(response);
  CHECK(body["id"] == 7);
  CHECK(body["result"]["upstream"] == "ok");
  const std::string request_id(response["X-Request-Id"]);
  CHECK(request_id.size() == 32);

  const auto received = gw.upstream().received();
  REQUIRE(received.size() == 1);
  CHECK(received[0].target == "/mcp");
  CHECK(received[0].body == echo_call(7));  // byte for byte what was decided
  CHECK(received[0].header("X-Request-Id") == request_id);
  CHECK(received[0].header("X-Forwarded-For") == "127.0.0.1");
  CHECK(received[0].header("Forwarded").rfind("for=127.0.0.1;proto=https", 0) == 0);

  const auto decisions = gw.audit().decisions();
  REQUIRE(decisions.size() == 1);
  CHECK(decisions[0].disposition == portcullis::audit::Disposition::Allowed);
  CHECK(decisions[0].action == "tools/call");
  CHECK(decisions[0].resource_id == "tools/echo");
  CHECK(decisions[0].request_id == request_id);
  CHECK(decisions[0].policy_ids == std::vector<std::string>{"echo"});
  CHECK(decisions[0].labels == std::vector<std::string>{"echoed"});
  REQUIRE(gw.audit().wait_for_outcomes(1, std::chrono::seconds(2)));
  const auto outcomes = gw.audit().outcomes();
  CHECK(outcomes[0].correlation_uid == "uid-1");
  CHECK(outcomes[0].upstream_status == 200);
}

TEST_CASE("the upstream path is the upstream URL's path plus the rest after the prefix",
          "[gateway][forward]") {
  GatewayFixture gw;
  auto client = gw.agent_a();
  auto response = client->request("GET", "/api/items/42?x=1&y=%20", "");
  REQUIRE(response.result_int() == 200);
  const auto received = gw.upstream().received();
  REQUIRE(received.size() == 1);
  CHECK(received[0].target == "/v1/items/42?x=1&y=%20");
  CHECK(received[0].method == "GET");
}

TEST_CASE("hop-by-hop headers and the fields Connection names are not forwarded",
          "[gateway][forward]") {
  GatewayFixture gw;
  auto response = gw.post_as_a("/mcp", echo_call(),
                               {{"Connection", "keep-alive, X-Secret"},
                                {"X-Secret", "token"},
                                {"Proxy-Authorization", "Basic abc"},
                                {"X-Keep", "yes"}});
  REQUIRE(response.result_int() == 200);
  const auto received = gw.upstream().received();
  REQUIRE(received.size() == 1);
  CHECK(received[0].header("X-Secret").empty());
  CHECK(received[0].header("Proxy-Authorization").empty());
  CHECK(received[0].header("X-Keep") == "yes");
}

TEST_CASE("several requests share one keep-alive connection", "[gateway][forward]") {
  GatewayFixture gw;
  auto client = gw.agent_a();
  for (int i = 1; i <= 3; ++i) {
    auto response = client->request("POST", "/mcp", echo_call(i));
    REQUIRE(response.result_int() == 200);
    CHECK(body_json(response)["id"] == i);
  }
  CHECK(gw.upstream().count() == 3);
}

TEST_CASE("an upstream that closes without answering gives 502 with JSON-RPC -32603",
          "[gateway][forward][upstream]") {
  GatewayFixture gw;
  gw.upstream().set_handler([](const ReceivedRequest&, UpstreamWriter& writer) { writer.close(); });
  auto response = gw.post_as_a("/mcp", echo_call(3));
  CHECK(response.result_int() == 502);
  const auto body = body_json(response);
  CHECK(body["error"]["code"] == -32603);
  CHECK(body["id"] == 3);
  REQUIRE(gw.audit().wait_for_outcomes(1, std::chrono::seconds(2)));
  CHECK(gw.audit().outcomes()[0].upstream_status == 0);
  CHECK_FALSE(gw.audit().outcomes()[0].error.empty());
}

namespace {
// The upstream answers after 700 ms, well past a route's 200 ms response_timeout: the agent's
// call must get a 504 with a problem+json body.
void check_slow_upstream_gives_504(GatewayFixture& gw) {
  gw.upstream().set_handler([](const ReceivedRequest&, UpstreamWriter& writer) {
    std::this_thread::sleep_for(std::chrono::milliseconds(700));
    writer.respond(200, "application/json", "{}");
  });
  auto client = gw.agent_a();
  auto response = client->request("GET", "/api/slow", "");
  CHECK(response.result_int() == 504);
  CHECK(response[boost::beast::http::field::content_type] == "application/problem+json");
}
}  // namespace

TEST_CASE("an upstream slower than response_timeout gives 504", "[gateway][forward][upstream]") {
  GatewayFixture gw({.route_extra_yaml = "    response_timeout: 200ms\n"});
  check_slow_upstream_gives_504(gw);
}

TEST_CASE("a request of almost 1 MiB reaches a plain upstream whole and once",
          "[gateway][forward]") {
  // The gateway offers the request to a plain upstream socket at once (a non-blocking send) and
  // sends what the socket did not take with an async write. Whichever way this one goes (on
  // loopback the socket often takes it all; the fake upstream reads at most 1 MiB of body), the
  // upstream must get every byte, once.
  GatewayFixture gw({.limits_yaml = "  max_body_bytes: 2097152\n"});
  const std::string call = jsonrpc(
      "tools/call",
      R"({"name":"echo","arguments":{"message":")" + std::string(1000 * 1024, 'x') + "\"}}", 9);
  auto response = gw.post_as_a("/mcp", call);
  REQUIRE(response.result_int() == 200);
  CHECK(body_json(response)["id"] == 9);
  const auto received = gw.upstream().received();
  REQUIRE(received.size() == 1);
  CHECK(received[0].body.size() == call.size());
  CHECK(received[0].body == call);
}

TEST_CASE("with one I/O thread, calls on several connections are decided, recorded and forwarded",
          "[gateway][forward]") {
  // One I/O thread: connections run on the io_context's executor instead of a strand each.
  GatewayFixture gw({.io_threads = 1});
  auto first = gw.agent_a();
  auto second = gw.agent_a();
  for (int i = 0; i < 3; ++i) {
    CHECK(first->request("POST", "/mcp", echo_call(10 + i)).result_int() == 200);
    CHECK(second->request("POST", "/mcp", echo_call(20 + i)).result_int() == 200);
  }
  CHECK(gw.post_as_a("/mcp", echo_call(30, "delete_file")).result_int() == 200);
  CHECK(gw.upstream().received().size() == 6);  // the denied call never reached it
  const auto decisions = gw.audit().decisions();
  REQUIRE(decisions.size() == 7);
  CHECK(decisions.back().disposition == portcullis::audit::Disposition::Blocked);
}

TEST_CASE("with one I/O thread, a slow upstream still gives 504 and a trickled head is still cut",
          "[gateway][forward][upstream][limits]") {
  // One I/O thread: the io_context runs with concurrency hint 1 and upstream connections live on
  // its executor (no strand). The deadlines are enforced exactly as with more threads.
  GatewayFixture gw({.limits_yaml = "  header_timeout: 300ms\n",
                     .route_extra_yaml = "    response_timeout: 200ms\n",
                     .io_threads = 1});
  check_slow_upstream_gives_504(gw);

  auto loris = gw.agent_a();
  loris->send_raw("POST /mcp HTTP/1.1\r\n");
  CHECK(loris->closed_by_peer(std::chrono::seconds(2)));
  CHECK(gw.upstream().count() == 1);  // only the slow call reached it
}
