#include "net/forwarded_headers.hpp"

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/fields.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <catch2/catch.hpp>
#include <string>

using namespace portcullis::net;
namespace http = boost::beast::http;

namespace {

const ForwardFacts kFacts{.upstream_host = "up:8080",
                          .client_ip = "127.0.0.1",
                          .tls = true,
                          .identity_header = "X-Portcullis-Agent",
                          .identity = "spiffe://td/a",
                          .request_id = "r1"};

std::string upstream_head(const http::fields& fields, std::string_view method = "POST",
                          std::size_t body_size = 2, const ForwardFacts& facts = kFacts) {
  std::string out;
  REQUIRE(write_upstream_request_head(out, {method, "/v1/x?y=1", &fields, body_size}, facts));
  return out;
}

// Parses a head we wrote with Beast's strict parser: what the upstream will read.
http::request<http::string_body> parse_request(const std::string& head, std::string_view body) {
  http::request_parser<http::string_body> parser;
  parser.eager(true);  // head and body in one put()
  boost::beast::error_code ec;
  std::string wire = head;
  wire += body;
  parser.put(boost::asio::buffer(wire), ec);
  REQUIRE_FALSE(ec);
  REQUIRE(parser.is_done());
  return parser.release();
}

}  // namespace

TEST_CASE("the upstream request head has no hop-by-hop field nor any field Connection names",
          "[net][headers]") {
  http::fields fields;
  fields.insert(http::field::connection, "close, X-Drop , x-also");
  fields.insert("X-Drop", "1");
  fields.insert("X-Also", "1");
  fields.insert(http::field::keep_alive, "timeout=5");
  fields.insert(http::field::transfer_encoding, "chunked");
  fields.insert(http::field::te, "trailers");
  fields.insert(http::field::upgrade, "websocket");
  fields.insert(http::field::proxy_authorization, "Basic abc");
  fields.insert(http::field::proxy_connection, "keep-alive");
  fields.insert(http::field::trailer, "X-T");
  fields.insert(http::field::content_length, "999");
  fields.insert(http::field::expect, "100-continue");
  fields.insert("X-Keep", "1");
  const auto request = parse_request(upstream_head(fields), "{}");
  for (const char* name : {"X-Drop", "X-Also", "Connection", "Keep-Alive", "Transfer-Encoding",
                           "TE", "Upgrade", "Proxy-Authorization", "Proxy-Connection", "Trailer",
                           "Expect"}) {
    INFO(name);
    CHECK(request.count(name) == 0);
  }
  CHECK(request["X-Keep"] == "1");
  CHECK(request[http::field::content_length] == "2");  // ours, from the body: not the agent's
  CHECK(request.body() == "{}");
  CHECK(request.target() == "/v1/x?y=1");
  CHECK(request.version() == 11);
  CHECK(request.keep_alive());
}

TEST_CASE("only the Connection fields' values name hop-by-hop fields, not the fields between them",
          "[net][headers]") {
  http::fields fields;
  fields.insert(http::field::connection, "X-A");
  fields.insert("X-Mid", "X-Victim");  // between two Connection fields: a value, not a token list
  fields.insert(http::field::connection, "X-B");
  fields.insert("X-Victim", "v");
  fields.insert("X-A", "1");
  fields.insert("X-B", "1");
  const auto request = parse_request(upstream_head(fields), "{}");
  CHECK(request.count("X-A") == 0);
  CHECK(request.count("X-B") == 0);
  CHECK(request["X-Mid"] == "X-Victim");
  CHECK(request["X-Victim"] == "v");
}

TEST_CASE("forwarding headers replace every copy the agent sent", "[net][headers]") {
  http::fields fields;
  fields.insert("X-Portcullis-Agent", "someone-else");
  fields.insert("x-portcullis-agent", "root");
  fields.insert("X-Forwarded-For", "10.0.0.1");
  fields.insert("x-forwarded-proto", "http");
  fields.insert("X-Forwarded-Host", "evil");
  fields.insert(http::field::forwarded, "for=10.0.0.1");
  fields.insert("X-Request-Id", "mine");
  fields.insert(http::field::host, "gateway");
  const auto request = parse_request(upstream_head(fields), "{}");
  CHECK(request.count("X-Portcullis-Agent") == 1);
  CHECK(request["X-Portcullis-Agent"] == "spiffe://td/a");
  CHECK(request.count("X-Forwarded-For") == 1);
  CHECK(request["X-Forwarded-For"] == "127.0.0.1");
  CHECK(request.count("X-Forwarded-Proto") == 1);
  CHECK(request["X-Forwarded-Proto"] == "https");
  CHECK(request.count("X-Forwarded-Host") == 1);
  CHECK(request["X-Forwarded-Host"] == "gateway");
  CHECK(request.count(http::field::forwarded) == 1);
  CHECK(request[http::field::forwarded] == "for=127.0.0.1;proto=https;host=gateway");
  CHECK(request.count("X-Request-Id") == 1);
  CHECK(request["X-Request-Id"] == "r1");
  CHECK(request.count(http::field::host) == 1);
  CHECK(request[http::field::host] == "up:8080");
}

TEST_CASE("the upstream request head keeps the agent's other fields in order, Host first",
          "[net][headers]") {
  http::fields fields;
  fields.insert(http::field::content_type, "application/json");
  fields.insert("Mcp-Session-Id", "s-1");
  fields.insert(http::field::accept, "application/json, text/event-stream");
  fields.insert(http::field::accept_encoding, "gzip");
  const std::string head = upstream_head(fields);
  CHECK(head.rfind("POST /v1/x?y=1 HTTP/1.1\r\nHost: up:8080\r\n", 0) == 0);
  const auto type = head.find("Content-Type: application/json\r\n");
  const auto session = head.find("Mcp-Session-Id: s-1\r\n");
  const auto accept = head.find("Accept: application/json, text/event-stream\r\n");
  REQUIRE(type != std::string::npos);
  REQUIRE(session != std::string::npos);
  REQUIRE(accept != std::string::npos);
  CHECK(type < session);
  CHECK(session < accept);
  CHECK(head.find("Accept-Encoding: gzip\r\n") != std::string::npos);
  CHECK(head.size() >= 4);
  CHECK(head.substr(head.size() - 4) == "\r\n\r\n");
}

TEST_CASE("Accept-Encoding is dropped when the gateway must read the answer", "[net][headers]") {
  http::fields fields;
  fields.insert(http::field::accept_encoding, "gzip");
  ForwardFacts facts = kFacts;
  facts.identity_encoding = true;
  const auto request = parse_request(upstream_head(fields, "POST", 2, facts), "{}");
  CHECK(request.count(http::field::accept_encoding) == 0);
}

TEST_CASE("Content-Length is sent for a body or an empty POST, not for an empty GET",
          "[net][headers]") {
  const http::fields fields;
  CHECK(upstream_head(fields, "GET", 0).find("Content-Length") == std::string::npos);
  CHECK(upstream_head(fields, "POST", 0).find("Content-Length: 0\r\n") != std::string::npos);
  CHECK(upstream_head(fields, "DELETE", 5).find("Content-Length: 5\r\n") != std::string::npos);
}

TEST_CASE("an identity with CR or LF is never written into the upstream request head",
          "[net][headers][bypass]") {
  const http::fields fields;
  for (const std::string_view identity :
       {std::string_view("a\r\nX-Admin: yes"), std::string_view("a\nb"),
        std::string_view("a\0b", 3)}) {
    ForwardFacts facts = kFacts;
    facts.identity = identity;
    std::string out;
    CHECK_FALSE(write_upstream_request_head(out, {"POST", "/", &fields, 0}, facts));
  }
  ForwardFacts facts = kFacts;
  facts.request_id = "r\r\n";
  std::string out;
  CHECK_FALSE(write_upstream_request_head(out, {"POST", "/", &fields, 0}, facts));
}

TEST_CASE("no identity header is written when none is configured", "[net][headers]") {
  http::fields fields;
  fields.insert("X-Portcullis-Agent", "forged");
  ForwardFacts facts = kFacts;
  facts.identity_header = "";
  const auto request = parse_request(upstream_head(fields, "POST", 2, facts), "{}");
  CHECK(request.count("X-Portcullis-Agent") == 1);  // not ours to strip: no header configured
  CHECK(request["X-Forwarded-For"] == "127.0.0.1");
}

TEST_CASE("the agent's answer head drops hop-by-hop fields and carries our framing",
          "[net][headers]") {
  http::fields upstream;
  upstream.insert(http::field::content_type, "application/json");
  upstream.insert(http::field::connection, "keep-alive, X-Hop");
  upstream.insert("X-Hop", "1");
  upstream.insert(http::field::keep_alive, "timeout=5");
  upstream.insert(http::field::transfer_encoding, "chunked");
  upstream.insert(http::field::content_length, "7");
  upstream.insert(http::field::upgrade, "h2c");
  upstream.insert(http::field::proxy_authenticate, "Basic");
  upstream.insert("X-Request-Id", "upstream-id");
  upstream.insert("X-End", "1");
  std::string head;
  write_agent_answer_head(head, {.status = 201,
                                 .version = 11,
                                 .upstream_fields = &upstream,
                                 .request_id = "r1",
                                 .framing = {.content_length = 3},
                                 .keep_alive = true});
  CHECK(head ==
        "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nX-End: 1\r\n"
        "X-Request-Id: r1\r\nContent-Length: 3\r\n\r\n");
}

TEST_CASE("the agent's answer head says chunked, close or keep-alive as the agent's version needs",
          "[net][headers]") {
  const http::fields upstream;
  auto head_for = [&](unsigned version, AnswerFraming framing, bool keep_alive) {
    std::string head;
    write_agent_answer_head(head, {.status = 200,
                                   .version = version,
                                   .upstream_fields = &upstream,
                                   .request_id = "r",
                                   .framing = framing,
                                   .keep_alive = keep_alive});
    return head;
  };
  CHECK(head_for(11, {.chunked = true}, true) ==
        "HTTP/1.1 200 OK\r\nX-Request-Id: r\r\nTransfer-Encoding: chunked\r\n\r\n");
  CHECK(head_for(11, {.content_length = 0}, false) ==
        "HTTP/1.1 200 OK\r\nX-Request-Id: r\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
  CHECK(head_for(10, {}, false) == "HTTP/1.0 200 OK\r\nX-Request-Id: r\r\n\r\n");
  CHECK(head_for(10, {.content_length = 2}, true) ==
        "HTTP/1.0 200 OK\r\nX-Request-Id: r\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\n");
}

TEST_CASE("Forwarded quotes IPv6 addresses", "[net][headers]") {
  CHECK(forwarded_value("::1", false, "") == "for=\"[::1]\";proto=http");
  CHECK(forwarded_value("10.0.0.1", true, "gw:8443") == "for=10.0.0.1;proto=https;host=\"gw:8443\"");
}
