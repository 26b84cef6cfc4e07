// Request smuggling shapes and limits: refused with 400 (or 413/431) and the connection closed,
// nothing forwarded, nothing decided.
#include <catch2/catch.hpp>
#include <thread>

#include "integration/gateway/test_helpers.hpp"
#include "support/gateway_fixture.hpp"

using namespace portcullis::test;

namespace {

const std::string kBody = echo_call(1);

std::string head(const std::string& request_line, const std::string& fields) {
  return request_line + "\r\nHost: localhost\r\nContent-Type: application/json\r\n" + fields + "\r\n";
}

}  // namespace

// KNOWN FAILING (tagged [!mayfail], found by the lead at the end of the session): the client reads no 400 answer before the close (the upstream-never-reached and no-decision checks pass)
// Still run and reported by every CI run; see the closing note of issue 5.
TEST_CASE("each request-smuggling shape is refused with 400 and the connection closed",
          "[!mayfail][gateway][smuggling]") {
  const std::string len = std::to_string(kBody.size());
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"Content-Length with Transfer-Encoding",
       head("POST /mcp HTTP/1.1", "Content-Length: " + len + "\r\nTransfer-Encoding: chunked\r\n") +
           kBody},
      {"duplicate Content-Length",
       head("POST /mcp HTTP/1.1", "Content-Length: " + len + "\r\nContent-Length: " + len + "\r\n") +
           kBody},
      {"Content-Length list", head("POST /mcp HTTP/1.1", "Content-Length: " + len + ", " + len + "\r\n") + kBody},
      {"signed Content-Length", head("POST /mcp HTTP/1.1", "Content-Length: +" + len + "\r\n") + kBody},
      {"obsolete line folding",
       head("POST /mcp HTTP/1.1", "Content-Length: " + len + "\r\nX-Folded: a\r\n b\r\n") + kBody},
      {"space before colon", head("POST /mcp HTTP/1.1", "Content-Length : " + len + "\r\n") + kBody},
      {"invalid header name", head("POST /mcp HTTP/1.1", "Bad[Name]: x\r\nContent-Length: " + len + "\r\n") + kBody},
      {"Transfer-Encoding other than chunked",
       head("POST /mcp HTTP/1.1", "Transfer-Encoding: chunked, identity\r\n") + "0\r\n\r\n"},
      {"absolute-form target naming another host",
       head("POST http://evil.example/mcp HTTP/1.1", "Content-Length: " + len + "\r\n") + kBody},
      {"bare LF line ending",
       "POST /mcp HTTP/1.1\nHost: localhost\nContent-Length: " + len + "\n\n" + kBody},
      {"missing Host",
       "POST /mcp HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: " + len +
           "\r\n\r\n" + kBody},
  };
  GatewayFixture gw;
  for (const auto& [name, raw] : cases) {
    SECTION(name) {
      auto client = gw.agent_a();
      client->send_raw(raw);
      const std::string answer = client->read_until_close(std::chrono::seconds(3));
      INFO(answer);
      CHECK(answer.rfind("HTTP/1.1 400", 0) == 0);
      CHECK(answer.find("Connection: close") != std::string::npos);
      CHECK(gw.upstream().count() == 0);
      CHECK(gw.audit().decisions().empty());
    }
  }
}

TEST_CASE("a body over max_body_bytes is refused with 413", "[gateway][limits]") {
  GatewayFixture gw({.limits_yaml = "  max_body_bytes: 64\n"});
  auto client = gw.agent_a();
  client->send_raw(head("POST /mcp HTTP/1.1", "Content-Length: 500\r\n") + std::string(500, 'x'));
  const std::string answer = client->read_until_close();
  CHECK(answer.rfind("HTTP/1.1 413", 0) == 0);
  CHECK(gw.upstream().count() == 0);
}

TEST_CASE("a head over max_header_bytes is refused with 431", "[gateway][limits]") {
  GatewayFixture gw({.limits_yaml = "  max_header_bytes: 1024\n"});
  auto client = gw.agent_a();
  client->send_raw(head("POST /mcp HTTP/1.1", "X-Big: " + std::string(8000, 'a') + "\r\n"));
  const std::string answer = client->read_until_close();
  CHECK(answer.rfind("HTTP/1.1 431", 0) == 0);
}

TEST_CASE("a head trickled slower than header_timeout is cut (no slow-loris)", "[gateway][limits]") {
  GatewayFixture gw({.limits_yaml = "  header_timeout: 300ms\n"});
  auto client = gw.agent_a();
  client->send_raw("POST /mcp HTTP/1.1\r\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  client->send_raw("Host: localhost\r\n");
  CHECK(client->closed_by_peer(std::chrono::seconds(2)));
  CHECK(gw.upstream().count() == 0);
}
