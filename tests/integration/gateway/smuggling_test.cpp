// Request smuggling shapes and limits: refused with 400 (or 413/431) and the connection closed,
// nothing forwarded, nothing decided.
#include <boost/asio/buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <catch2/catch.hpp>
#include <optional>
#include <thread>

#include "integration/gateway/test_helpers.hpp"
#include "support/gateway_fixture.hpp"

using namespace portcullis::test;

namespace {

const std::string kBody = echo_call(1);

std::string head(const std::string& request_line, const std::string& fields) {
  return request_line + "\r\nHost: localhost\r\nContent-Type: application/json\r\n" + fields + "\r\n";
}

// The one whole HTTP response at the start of `raw`, or nothing if there is none.
std::optional<HttpResponse> parse_answer(const std::string& raw) {
  boost::beast::http::response_parser<boost::beast::http::string_body> parser;
  parser.eager(true);
  boost::beast::error_code ec;
  parser.put(boost::asio::buffer(raw), ec);
  if (ec || !parser.is_done()) {
    return std::nullopt;
  }
  return parser.release();
}

}  // namespace

TEST_CASE("each request-smuggling shape is refused with 400 and the connection closed",
          "[gateway][smuggling]") {
  const std::string len = std::to_string(kBody.size());
  struct Case {
    std::string name;
    std::string raw;
    std::string detail;  // the problem+json detail the gateway names the shape with
  };
  const std::vector<Case> cases = {
      {"Content-Length with Transfer-Encoding",
       head("POST /mcp HTTP/1.1", "Content-Length: " + len + "\r\nTransfer-Encoding: chunked\r\n") +
           kBody,
       "both Content-Length and Transfer-Encoding"},
      {"duplicate Content-Length",
       head("POST /mcp HTTP/1.1", "Content-Length: " + len + "\r\nContent-Length: " + len + "\r\n") +
           kBody,
       "more than one Content-Length"},
      {"Content-Length list",
       head("POST /mcp HTTP/1.1", "Content-Length: " + len + ", " + len + "\r\n") + kBody,
       "Content-Length is not a decimal number"},
      {"signed Content-Length", head("POST /mcp HTTP/1.1", "Content-Length: +" + len + "\r\n") + kBody,
       "Content-Length is not a decimal number"},
      {"obsolete line folding",
       head("POST /mcp HTTP/1.1", "Content-Length: " + len + "\r\nX-Folded: a\r\n b\r\n") + kBody,
       "obsolete line folding"},
      {"space before colon", head("POST /mcp HTTP/1.1", "Content-Length : " + len + "\r\n") + kBody,
       "invalid header name"},
      {"invalid header name",
       head("POST /mcp HTTP/1.1", "Bad[Name]: x\r\nContent-Length: " + len + "\r\n") + kBody,
       "invalid header name"},
      {"Transfer-Encoding other than chunked",
       head("POST /mcp HTTP/1.1", "Transfer-Encoding: chunked, identity\r\n") + "0\r\n\r\n",
       "unsupported Transfer-Encoding"},
      {"absolute-form target naming another host",
       head("POST http://evil.example/mcp HTTP/1.1", "Content-Length: " + len + "\r\n") + kBody,
       "absolute-form target disagrees with Host"},
      // Never ends in CRLF CRLF: refused as soon as the bare LF is seen, not at header_timeout.
      {"bare LF line ending",
       "POST /mcp HTTP/1.1\nHost: localhost\nContent-Length: " + len + "\n\n" + kBody,
       "line ending without CR"},
      {"missing Host",
       "POST /mcp HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: " + len +
           "\r\n\r\n" + kBody,
       "missing Host"},
  };
  for (const auto& c : cases) {
    SECTION(c.name) {
      GatewayFixture gw;
      auto client = gw.agent_a();
      client->send_raw(c.raw);
      const auto started = std::chrono::steady_clock::now();
      const std::string answer = client->read_until_close(std::chrono::seconds(10));
      INFO(answer);
      const auto answer_read = parse_answer(answer);
      REQUIRE(answer_read.has_value());
      CHECK(answer_read->result_int() == 400);
      CHECK((*answer_read)[boost::beast::http::field::connection] == "close");
      CHECK((*answer_read)[boost::beast::http::field::content_type] == "application/problem+json");
      const auto problem = body_json(*answer_read);
      CHECK(problem["status"] == 400);
      CHECK(problem["detail"] == c.detail);
      // The gateway closed the connection (EOF), before our 10 s read deadline and its own
      // 10 s header_timeout: the bound leaves a loaded (or sanitized) run 9 s.
      CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(9));
      CHECK(client->closed_by_peer(std::chrono::milliseconds(500)));
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

// The wait for the next request is kept by the session's watchdog, which guarded the upstream's
// answer (response_timeout) just before: the shorter idle deadline must still end the wait.
TEST_CASE("a keep-alive connection idle past idle_timeout after an answer is closed",
          "[gateway][limits]") {
  const std::uint32_t threads = GENERATE(1U, 2U);
  // Long enough that the second request is in time even on a loaded (or sanitized) run.
  GatewayFixture gw({.limits_yaml = "  idle_timeout: 2s\n", .io_threads = threads});
  auto client = gw.agent_a();
  const auto first = client->request("POST", "/mcp", echo_call(1));
  REQUIRE(first.result_int() == 200);
  const auto second = client->request("POST", "/mcp", echo_call(2));  // in time: served
  REQUIRE(second.result_int() == 200);
  CHECK(client->closed_by_peer(std::chrono::seconds(10)));
  CHECK(gw.upstream().count() == 2);
}
