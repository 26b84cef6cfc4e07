// A tools/list answer over SSE shaped as a real MCP server sends it (server-everything, SDK
// 1.32): a priming event (an id and an empty data line) before the result. Regression test for
// the end-to-end hang of scenario 1: the filter tried to read the priming event's empty data as
// JSON, aborted the stream, and the agent's tools/list never got an answer.
#include <catch2/catch.hpp>

#include "integration/gateway/test_helpers.hpp"
#include "support/gateway_fixture.hpp"

using namespace portcullis::test;

namespace {
const char* const kPrimedToolsList =
    R"({"jsonrpc":"2.0","id":7,"result":{"tools":[{"name":"echo"},{"name":"delete_file"}]}})";
}

TEST_CASE("a tools/list stream with an MCP priming event is relayed whole and filtered",
          "[gateway][tools-list][streaming]") {
  GatewayFixture gw;
  gw.upstream().set_handler([](const ReceivedRequest&, UpstreamWriter& writer) {
    writer.start_stream(200, "text/event-stream");
    writer.chunk("id: prime-1\ndata: \n\n");                      // the priming event
    writer.chunk(": keep-alive\n\n");                             // a comment-only event
    writer.chunk(std::string("event: message\nid: ev-2\ndata: ") + kPrimedToolsList + "\n\n");
    writer.end();
  });
  auto response = gw.post_as_a("/mcp", jsonrpc("tools/list", "{}", 7));
  REQUIRE(response.result_int() == 200);
  const std::string& body = response.body();
  CHECK(body.find("id: prime-1\ndata: \n\n") != std::string::npos);  // passed as sent
  CHECK(body.find(": keep-alive\n\n") != std::string::npos);
  CHECK(body.find("id: ev-2") != std::string::npos);
  CHECK(body.find("\"echo\"") != std::string::npos);
  CHECK(body.find("delete_file") == std::string::npos);
}

TEST_CASE("a tools/list stream whose result event is not JSON is cut, not passed on",
          "[gateway][tools-list][streaming]") {
  GatewayFixture gw;
  gw.upstream().set_handler([](const ReceivedRequest&, UpstreamWriter& writer) {
    writer.start_stream(200, "text/event-stream");
    writer.chunk("id: prime-1\ndata: \n\n");
    writer.chunk("event: message\ndata: {\"tools\":[{\"name\":\"delete_file\"}\n\n");
    writer.end();
  });
  auto client = gw.agent_a();
  const std::string body = jsonrpc("tools/list", "{}", 7);
  client->send_raw("POST /mcp HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                   "Accept: application/json, text/event-stream\r\nContent-Length: " +
                   std::to_string(body.size()) + "\r\n\r\n" + body);
  const std::string seen = client->read_until_close(std::chrono::seconds(5));
  CHECK(seen.find("delete_file") == std::string::npos);
  // Fail closed mid-stream: the chunked body never gets its terminating chunk.
  CHECK(seen.find("\r\n0\r\n\r\n") == std::string::npos);
}
