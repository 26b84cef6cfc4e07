// Streaming: SSE relayed event by event (first event before the upstream finishes); tools/list
// answers filtered (JSON and SSE); A2A agent cards rewritten to the gateway's URL.
#include <catch2/catch.hpp>
#include <future>

#include "integration/gateway/test_helpers.hpp"
#include "support/gateway_fixture.hpp"

using namespace portcullis::test;

TEST_CASE("an SSE answer is streamed: the first event arrives before the upstream has finished",
          "[gateway][streaming]") {
  GatewayFixture gw;
  // Shared with the fake upstream's thread by value: its handler may still be running (it sets
  // `finished` after its last write) when this test has read the answer and left its scope, so
  // the state must not live on this stack (ASan: stack-use-after-scope, 3 of 25 runs under load).
  struct Shared {
    std::promise<void> release;
    std::shared_future<void> released = release.get_future().share();
    std::atomic<bool> finished{false};
  };
  const auto shared = std::make_shared<Shared>();
  gw.upstream().set_handler([shared](const ReceivedRequest&, UpstreamWriter& writer) {
    writer.start_stream(200, "text/event-stream");
    writer.chunk("event: message\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\"}\n\n");
    // Hold the rest back until the test has seen the first event (or give up after 5 s).
    shared->released.wait_for(std::chrono::seconds(5));
    writer.chunk("event: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}\n\n");
    writer.end();
    shared->finished = true;
  });
  auto client = gw.agent_a();
  client->send_raw("POST /mcp HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                   "Accept: application/json, text/event-stream\r\nContent-Length: " +
                   std::to_string(echo_call(1).size()) + "\r\n\r\n" + echo_call(1));
  const std::string first = client->read_until("notifications/progress", std::chrono::seconds(3));
  CHECK(first.find("notifications/progress") != std::string::npos);
  CHECK(first.find("text/event-stream") != std::string::npos);
  CHECK_FALSE(shared->finished.load());
  shared->release.set_value();
  const std::string rest = client->read_until("\"result\"", std::chrono::seconds(3));
  CHECK(rest.find("\"result\"") != std::string::npos);
}

namespace {
const char* const kToolsList =
    R"({"jsonrpc":"2.0","id":3,"result":{"tools":[{"name":"echo"},{"name":"delete_file"},{"name":"secret_tool"}]}})";
}

TEST_CASE("a tools/list answer offers only the tools the agent may call", "[gateway][tools-list]") {
  GatewayFixture gw;
  gw.upstream().set_handler([](const ReceivedRequest&, UpstreamWriter& writer) {
    writer.respond(200, "application/json", kToolsList);
  });
  auto response = gw.post_as_a("/mcp", jsonrpc("tools/list", "{}", 3));
  REQUIRE(response.result_int() == 200);
  const auto body = body_json(response);
  REQUIRE(body["result"]["tools"].size() == 1);
  CHECK(body["result"]["tools"][0]["name"] == "echo");
}

TEST_CASE("a tools/list answer over SSE is filtered event by event", "[gateway][tools-list]") {
  GatewayFixture gw;
  gw.upstream().set_handler([](const ReceivedRequest&, UpstreamWriter& writer) {
    writer.start_stream(200, "text/event-stream");
    writer.chunk(std::string("event: message\ndata: ") + kToolsList + "\n\n");
    writer.end();
  });
  auto response = gw.post_as_a("/mcp", jsonrpc("tools/list", "{}", 3));
  REQUIRE(response.result_int() == 200);
  CHECK(response.body().find("\"echo\"") != std::string::npos);
  CHECK(response.body().find("delete_file") == std::string::npos);
  CHECK(response.body().find("secret_tool") == std::string::npos);
}

TEST_CASE("the agent card's URLs are rewritten to the gateway", "[gateway][a2a][card]") {
  GatewayFixture gw;
  const std::string upstream = "http://127.0.0.1:" + std::to_string(gw.upstream().port());
  gw.upstream().set_handler([upstream](const ReceivedRequest&, UpstreamWriter& writer) {
    writer.respond(200, "application/json",
                   R"({"name":"peer","url":")" + upstream + R"(/a2a/jsonrpc",)" +
                       R"("supportedInterfaces":[{"url":")" + upstream +
                       R"(/a2a/jsonrpc","protocolBinding":"JSONRPC","protocolVersion":"1.0"}]})");
  });
  auto client = gw.agent_a();
  auto response = client->request("GET", "/peer/.well-known/agent-card.json", "");
  REQUIRE(response.result_int() == 200);
  const auto card = body_json(response);
  CHECK(card["url"] == "https://gateway.test:8443/peer/jsonrpc");
  CHECK(card["supportedInterfaces"][0]["url"] == "https://gateway.test:8443/peer/jsonrpc");
  CHECK(response.body().find(upstream) == std::string::npos);
}

TEST_CASE("an agent card pointing somewhere else is refused, not passed on",
          "[gateway][a2a][card][bypass]") {
  GatewayFixture gw;
  gw.upstream().set_handler([](const ReceivedRequest&, UpstreamWriter& writer) {
    writer.respond(200, "application/json",
                   R"({"name":"peer","url":"http://evil.example/a2a","preferredTransport":"JSONRPC"})");
  });
  auto client = gw.agent_a();
  auto response = client->request("GET", "/peer/.well-known/agent-card.json", "");
  CHECK(response.result_int() == 502);
  CHECK(response.body().find("evil.example") == std::string::npos);
}
