#include "portcullis/net/request_head_check.hpp"

#include <catch2/catch.hpp>
#include <string>

using portcullis::net::check_request_head;
using portcullis::net::HeadProblem;
using portcullis::net::origin_form;

namespace {
std::string request(const std::string& line, const std::string& fields) {
  return line + "\r\n" + fields + "\r\n";
}
}  // namespace

TEST_CASE("request heads are checked for smuggling shapes", "[net][head]") {
  struct Row {
    std::string head;
    HeadProblem expected;
  };
  const std::vector<Row> table = {
      {request("POST /mcp HTTP/1.1", "Host: a\r\nContent-Length: 3\r\n"), HeadProblem::None},
      {request("GET / HTTP/1.0", ""), HeadProblem::None},
      {request("POST /mcp HTTP/1.1", "Host: a\r\nTransfer-Encoding: chunked\r\n"), HeadProblem::None},
      {request("POST /mcp HTTP/1.1", "Host: a\r\nTransfer-Encoding: Chunked \r\n"), HeadProblem::None},
      {request("POST /mcp HTTP/1.1", "Host: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n"),
       HeadProblem::ContentLengthAndTransferEncoding},
      {request("POST /mcp HTTP/1.1", "Host: a\r\nContent-Length: 3\r\nContent-Length: 3\r\n"),
       HeadProblem::DuplicateContentLength},
      {request("POST /mcp HTTP/1.1", "Host: a\r\nContent-Length: 3, 3\r\n"), HeadProblem::BadContentLength},
      {request("POST /mcp HTTP/1.1", "Host: a\r\nContent-Length: -1\r\n"), HeadProblem::BadContentLength},
      {request("POST /mcp HTTP/1.1", "Host: a\r\nContent-Length: 0x10\r\n"), HeadProblem::BadContentLength},
      {request("POST /mcp HTTP/1.1", "Host: a\r\nContent-Length: 99999999999999999999\r\n"),
       HeadProblem::BadContentLength},
      {request("POST /mcp HTTP/1.1", "Host: a\r\nTransfer-Encoding: gzip, chunked\r\n"),
       HeadProblem::BadTransferEncoding},
      {request("POST /mcp HTTP/1.1", "Host: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n"),
       HeadProblem::BadTransferEncoding},
      {request("POST /mcp HTTP/1.0", "Transfer-Encoding: chunked\r\n"), HeadProblem::BadTransferEncoding},
      {request("POST /mcp HTTP/1.1", "Host: a\r\nX-A: 1\r\n  folded\r\n"), HeadProblem::ObsFold},
      {request("POST /mcp HTTP/1.1", "Host: a\r\nX-A: 1\r\n\tfolded\r\n"), HeadProblem::ObsFold},
      {request("POST /mcp HTTP/1.1", "Host: a\r\nContent-Length : 3\r\n"), HeadProblem::InvalidHeaderName},
      {request("POST /mcp HTTP/1.1", "Host: a\r\n: x\r\n"), HeadProblem::InvalidHeaderName},
      {request("POST /mcp HTTP/1.1", "Host: a\r\nX(y): 1\r\n"), HeadProblem::InvalidHeaderName},
      {request("POST /mcp HTTP/1.1", "Host: a\r\nNoColon\r\n"), HeadProblem::InvalidHeaderName},
      {request("POST /mcp HTTP/1.1", std::string("Host: a\r\nX: a\0b\r\n", 18)), HeadProblem::InvalidHeaderValue},
      {"POST /mcp HTTP/1.1\nHost: a\n\n", HeadProblem::BareLineFeed},
      {request("POST /mcp HTTP/1.1", "Host: a\nX: 1\r\n"), HeadProblem::BareLineFeed},
      {request("POST /mcp HTTP/1.1", ""), HeadProblem::MissingHost},
      {request("POST /mcp HTTP/1.1", "Host: a\r\nHost: b\r\n"), HeadProblem::DuplicateHost},
      {request("POST http://evil/mcp HTTP/1.1", "Host: a\r\n"), HeadProblem::AbsoluteTargetHostMismatch},
      {request("POST http://A/mcp HTTP/1.1", "Host: a\r\n"), HeadProblem::None},
      {request("POST /mcp HTTP/2.0", "Host: a\r\n"), HeadProblem::BadRequestLine},
      {request("POST  /mcp HTTP/1.1", "Host: a\r\n"), HeadProblem::BadRequestLine},
      {request("PO ST /mcp HTTP/1.1", "Host: a\r\n"), HeadProblem::BadRequestLine},
      {request("POST /m cp HTTP/1.1", "Host: a\r\n"), HeadProblem::BadRequestLine},
      // RFC 9112 section 2.1: the head ends with an empty line (CRLF after the last field line).
      // Without it the head is incomplete — not a request — whatever its fields say.
      {"POST /mcp HTTP/1.1\r\nHost: a\r\n", HeadProblem::BadRequestLine},
      {"POST /mcp HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 3\r\n",
       HeadProblem::BadRequestLine},
      {"GET / HTTP/1.0\r\n", HeadProblem::BadRequestLine},
      {"POST /mcp HTTP/1.1\r\nHost: a", HeadProblem::BadRequestLine},
      {"GET / HTTP/1.0\r\n\r\n", HeadProblem::None},
  };
  for (const auto& row : table) {
    INFO(row.head);
    CHECK(check_request_head(row.head) == row.expected);
  }
}

TEST_CASE("a bare LF is found anywhere in bytes still being read", "[net][head]") {
  using portcullis::net::has_bare_line_feed;
  CHECK_FALSE(has_bare_line_feed(""));
  CHECK_FALSE(has_bare_line_feed("POST /mcp HTTP/1.1\r\nHost: a\r\n"));
  CHECK_FALSE(has_bare_line_feed("POST /mcp HTTP/1.1\r"));  // the LF may still come
  CHECK(has_bare_line_feed("\n"));
  CHECK(has_bare_line_feed("POST /mcp HTTP/1.1\nHost"));
  CHECK(has_bare_line_feed("POST /mcp HTTP/1.1\r\nHost: a\n"));
  CHECK(has_bare_line_feed("a\r\r\n\n"));
}

TEST_CASE("an absolute-form target is reduced to its origin form", "[net][head]") {
  CHECK(origin_form("http://host:8/a/b?q") == "/a/b?q");
  CHECK(origin_form("https://host") == "/");
  CHECK(origin_form("/plain?x") == "/plain?x");
}
