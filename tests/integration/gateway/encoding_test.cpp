// Content-Encoding on routes whose body is decided on (MCP, A2A): the gateway decides on the
// bytes it received, so a body the upstream would first decode is refused (415), never forwarded.
#include <catch2/catch.hpp>

#include "integration/gateway/test_helpers.hpp"
#include "support/gateway_fixture.hpp"

using namespace portcullis::test;

namespace {

const std::string kA2aHello =
    R"({"jsonrpc":"2.0","id":1,"method":"message/send","params":{"message":{"kind":"message","messageId":"m1","role":"user","parts":[{"kind":"text","text":"hello"}]}}})";

void check_refused_415(GatewayFixture& gw, const HttpResponse& response) {
  CHECK(response.result_int() == 415);
  CHECK(response[boost::beast::http::field::content_type] == "application/problem+json");
  CHECK(response[boost::beast::http::field::accept_encoding] == "identity");
  CHECK(body_json(response)["status"] == 415);
  CHECK(gw.upstream().count() == 0);
  CHECK(gw.audit().decisions().empty());
}

}  // namespace

TEST_CASE("an MCP call with a Content-Encoding is refused with 415 and never forwarded",
          "[gateway][encoding][bypass]") {
  // The body is a plain, allowed echo call: decided as it reads, it would be forwarded — and the
  // upstream would gunzip it into something nobody decided on.
  GatewayFixture gw;
  for (const char* coding : {"gzip", "br", "deflate", "GZIP", "identity, gzip"}) {
    INFO(coding);
    check_refused_415(gw, gw.post_as_a("/mcp", echo_call(), {{"Content-Encoding", coding}}));
  }
}

TEST_CASE("a second Content-Encoding field cannot hide a coding behind identity",
          "[gateway][encoding][bypass]") {
  GatewayFixture gw;
  check_refused_415(gw, gw.post_as_a("/mcp", echo_call(),
                                     {{"Content-Encoding", "identity"}, {"Content-Encoding", "gzip"}}));
}

TEST_CASE("an A2A call with a Content-Encoding is refused with 415 and never forwarded",
          "[gateway][encoding][a2a][bypass]") {
  GatewayFixture gw;
  check_refused_415(gw, gw.post_as_a("/peer/jsonrpc", kA2aHello, {{"Content-Encoding", "gzip"}}));
}

TEST_CASE("the identity coding is the body as sent and is decided and forwarded",
          "[gateway][encoding]") {
  GatewayFixture gw;
  const auto mcp = gw.post_as_a("/mcp", echo_call(), {{"Content-Encoding", "identity"}});
  REQUIRE(mcp.result_int() == 200);
  CHECK(body_json(mcp)["result"]["upstream"] == "ok");
  const auto a2a = gw.post_as_a("/peer/jsonrpc", kA2aHello, {{"Content-Encoding", "Identity"}});
  REQUIRE(a2a.result_int() == 200);
  CHECK(body_json(a2a)["result"]["upstream"] == "ok");
  CHECK(gw.upstream().count() == 2);
  CHECK(gw.audit().decisions().size() == 2);
}

TEST_CASE("plain HTTP routes pass a Content-Encoding through: their body is not decided on",
          "[gateway][encoding]") {
  // Plain HTTP actions are the method and path (DESIGN.md), so the body's coding changes nothing
  // that was decided; refusing it would only break compressed uploads to HTTP tool APIs.
  GatewayFixture gw;
  auto client = gw.agent_a();
  const auto response = client->request("GET", "/api/items", "", {{"Content-Encoding", "gzip"}});
  CHECK(response.result_int() == 200);
  const auto received = gw.upstream().received();
  REQUIRE(received.size() == 1);
  CHECK(received[0].header("Content-Encoding") == "gzip");
}
