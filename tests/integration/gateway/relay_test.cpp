// How the upstream's answer reaches the agent: a Content-Length answer relayed as raw bytes
// (small ones read whole and written with the head in one write, large ones as they come), a
// chunked answer decoded and re-chunked, an HTTP/1.0 agent's answer close-delimited, an upstream
// that lies about its length, bytes after an answer, and the fields that must not cross.
#include <atomic>
#include <catch2/catch.hpp>
#include <string>

#include "integration/gateway/test_helpers.hpp"
#include "support/gateway_fixture.hpp"

using namespace portcullis::test;

namespace {

// A deterministic body of `size` bytes that is not periodic at any small stride, so a dropped,
// repeated or reordered block shows.
std::string patterned(std::size_t size) {
  std::string out;
  out.reserve(size);
  std::uint32_t x = 2463534242u;
  while (out.size() < size) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    out += static_cast<char>('a' + x % 26);
  }
  return out;
}

std::string raw_answer(const std::string& extra_fields, const std::string& body,
                       std::size_t announced) {
  return "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" + extra_fields +
         "Content-Length: " + std::to_string(announced) + "\r\n\r\n" + body;
}

std::string mcp_post(const std::string& version, const std::string& body) {
  return "POST /mcp " + version + "\r\nHost: localhost\r\nContent-Type: application/json\r\n" +
         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

}  // namespace

TEST_CASE("a Content-Length answer is relayed byte for byte without the upstream's hop fields",
          "[gateway][relay]") {
  GatewayFixture gw;
  const std::string body = R"({"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"hi"}]}})";
  gw.upstream().set_handler([&](const ReceivedRequest&, UpstreamWriter& writer) {
    writer.raw(raw_answer("X-Upstream: yes\r\nConnection: keep-alive, X-Hop\r\nX-Hop: secret\r\n"
                          "Keep-Alive: timeout=5\r\nProxy-Authenticate: Basic\r\n"
                          "X-Request-Id: chosen-by-upstream\r\n",
                          body, body.size()));
  });
  auto client = gw.agent_a();
  for (int i = 0; i < 2; ++i) {  // the second one on the same agent and upstream connections
    auto response = client->request("POST", "/mcp", echo_call(1));
    REQUIRE(response.result_int() == 200);
    CHECK(response.body() == body);
    CHECK(response[boost::beast::http::field::content_length] == std::to_string(body.size()));
    CHECK(response["X-Upstream"] == "yes");
    CHECK(response.count("X-Hop") == 0);
    CHECK(response.count("Keep-Alive") == 0);
    CHECK(response.count("Proxy-Authenticate") == 0);
    CHECK(response.count("X-Request-Id") == 1);
    CHECK(response["X-Request-Id"] != "chosen-by-upstream");
    CHECK(response["X-Request-Id"].size() == 32);
  }
  REQUIRE(gw.audit().wait_for_outcomes(2, std::chrono::seconds(2)));
  const auto outcome = gw.audit().outcomes()[0];
  CHECK(outcome.upstream_status == 200);
  CHECK(outcome.error.empty());
  CHECK(outcome.response_bytes == body.size());
  CHECK(outcome.request_bytes > echo_call(1).size());  // the head counts too
}

TEST_CASE("a Content-Length answer larger than the coalescing bound is relayed whole",
          "[gateway][relay]") {
  GatewayFixture gw;
  const std::string body = patterned(300 * 1024);
  gw.upstream().set_handler([&](const ReceivedRequest&, UpstreamWriter& writer) {
    writer.raw(raw_answer("", body, body.size()));
  });
  auto client = gw.agent_a();
  auto response = client->request("GET", "/api/big", "");
  REQUIRE(response.result_int() == 200);
  CHECK(response.body().size() == body.size());
  CHECK(response.body() == body);
  // The connection is still good for the next request.
  gw.upstream().set_handler([](const ReceivedRequest&, UpstreamWriter& writer) {
    writer.respond(200, "text/plain", "next");
  });
  auto next = client->request("GET", "/api/next", "");
  CHECK(next.body() == "next");
  REQUIRE(gw.audit().wait_for_outcomes(1, std::chrono::seconds(2)));
  CHECK(gw.audit().outcomes()[0].response_bytes == body.size());
}

TEST_CASE("a chunked answer is relayed to an HTTP/1.1 agent chunked and byte for byte",
          "[gateway][relay]") {
  GatewayFixture gw;
  const std::string part1 = patterned(40 * 1024);
  const std::string part2 = "tail";
  gw.upstream().set_handler([&](const ReceivedRequest&, UpstreamWriter& writer) {
    writer.start_stream(200, "application/json");
    writer.chunk(part1);
    writer.chunk(part2);
    writer.end();
  });
  auto client = gw.agent_a();
  auto response = client->request("GET", "/api/chunked", "");
  REQUIRE(response.result_int() == 200);
  CHECK(response.chunked());
  CHECK(response.body() == part1 + part2);
  auto again = client->request("GET", "/api/chunked", "");  // framing left the connection clean
  CHECK(again.body() == part1 + part2);
  REQUIRE(gw.audit().wait_for_outcomes(1, std::chrono::seconds(2)));
  CHECK(gw.audit().outcomes()[0].response_bytes == part1.size() + part2.size());
}

TEST_CASE("an HTTP/1.0 agent gets a chunked answer close-delimited", "[gateway][relay]") {
  GatewayFixture gw;
  gw.upstream().set_handler([](const ReceivedRequest&, UpstreamWriter& writer) {
    writer.start_stream(200, "application/json");
    writer.chunk(R"({"jsonrpc":"2.0",)");
    writer.chunk(R"("id":1,"result":{}})");
    writer.end();
  });
  auto client = gw.agent_a();
  client->send_raw(mcp_post("HTTP/1.0", echo_call(1)));
  const std::string answer = client->read_until_close(std::chrono::seconds(3));
  CHECK(answer.rfind("HTTP/1.0 200 OK\r\n", 0) == 0);
  CHECK(answer.find("Transfer-Encoding") == std::string::npos);
  const auto end_of_head = answer.find("\r\n\r\n");
  REQUIRE(end_of_head != std::string::npos);
  CHECK(answer.substr(end_of_head + 4) == R"({"jsonrpc":"2.0","id":1,"result":{}})");
}

TEST_CASE("an upstream that announces more than it sends, then closes, gives 502 and the outcome says so",
          "[gateway][relay][upstream]") {
  GatewayFixture gw;
  gw.upstream().set_handler([](const ReceivedRequest&, UpstreamWriter& writer) {
    writer.raw(raw_answer("", R"({"jsonrpc":"2.0","id":4,)", 100));
    writer.close();
  });
  auto response = gw.post_as_a("/mcp", echo_call(4));
  CHECK(response.result_int() == 502);
  const auto body = body_json(response);
  CHECK(body["error"]["code"] == -32603);
  CHECK(body["id"] == 4);
  REQUIRE(gw.audit().wait_for_outcomes(1, std::chrono::seconds(2)));
  const auto outcome = gw.audit().outcomes()[0];
  CHECK(outcome.upstream_status == 200);  // what the upstream said before it failed
  CHECK(outcome.error.find("upstream body") != std::string::npos);
}

TEST_CASE("a large answer cut short closes the agent connection after the bytes that came",
          "[gateway][relay][upstream]") {
  GatewayFixture gw;
  const std::string sent = patterned(100 * 1024);
  gw.upstream().set_handler([&](const ReceivedRequest&, UpstreamWriter& writer) {
    writer.raw(raw_answer("", sent, 200 * 1024));
    writer.close();
  });
  auto client = gw.agent_a();
  client->send_raw(mcp_post("HTTP/1.1", echo_call(5)));
  const std::string answer = client->read_until_close(std::chrono::seconds(5));
  CHECK(answer.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
  CHECK(answer.find("Content-Length: 204800\r\n") != std::string::npos);
  const auto end_of_head = answer.find("\r\n\r\n");
  REQUIRE(end_of_head != std::string::npos);
  CHECK(answer.substr(end_of_head + 4) == sent);  // all that came, then the close
  REQUIRE(gw.audit().wait_for_outcomes(1, std::chrono::seconds(2)));
  CHECK(gw.audit().outcomes()[0].error.find("upstream body") != std::string::npos);
}

TEST_CASE("an upstream connection with bytes after the answer is not reused", "[gateway][relay]") {
  GatewayFixture gw;
  std::atomic<int> calls{0};
  gw.upstream().set_handler([&](const ReceivedRequest&, UpstreamWriter& writer) {
    if (++calls == 1) {
      // The extra bytes would be read as the next request's answer on a reused connection.
      writer.raw(raw_answer("", "{}", 2) +
                 "HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nsmuggled");
    } else {
      writer.respond(200, "text/plain", "second");
    }
  });
  auto client = gw.agent_a();
  auto first = client->request("GET", "/api/one", "");
  CHECK(first.body() == "{}");
  auto second = client->request("GET", "/api/two", "");
  CHECK(second.result_int() == 200);
  CHECK(second.body() == "second");
  CHECK(gw.upstream().count() == 2);
}

TEST_CASE("a 204 answer is relayed without a body", "[gateway][relay]") {
  GatewayFixture gw;
  gw.upstream().set_handler([](const ReceivedRequest&, UpstreamWriter& writer) {
    writer.raw("HTTP/1.1 204 No Content\r\nX-Upstream: yes\r\n\r\n");
  });
  auto client = gw.agent_a();
  auto response = client->request("GET", "/api/empty", "");
  CHECK(response.result_int() == 204);
  CHECK(response["X-Upstream"] == "yes");
  CHECK(response.body().empty());
  auto next = client->request("GET", "/api/empty", "");  // nothing left over on the connection
  CHECK(next.result_int() == 204);
}
