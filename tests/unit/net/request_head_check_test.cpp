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

// KNOWN FAILING (tagged [!mayfail], found by the lead at the end of the session): one row
// (expected BadRequestLine, got None) of 31 disagrees; still run and reported by CI.
TEST_CASE("request heads are checked for smuggling shapes", "[!mayfail][net][head]") {
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
      {"POST /mcp HTTP/1.1\r\nHost: a\r\n", HeadProblem::BadRequestLine},  // unterminated
  };
  for (const auto& row : table) {
    INFO(row.head);
    CHECK(check_request_head(row.head) == row.expected);
  }
}

TEST_CASE("an absolute-form target is reduced to its origin form", "[net][head]") {
  CHECK(origin_form("http://host:8/a/b?q") == "/a/b?q");
  CHECK(origin_form("https://host") == "/");
  CHECK(origin_form("/plain?x") == "/plain?x");
}
