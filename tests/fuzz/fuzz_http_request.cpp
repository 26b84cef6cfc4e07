// Fuzz: raw bytes as a client would send them → the gateway's head checks → Beast's request
// parser with the gateway's limits, through beast::test::stream (boostorg/beast
// test/fuzz/http_request.cpp). Invariants: nothing crashes; a head the checks accept never
// carries both Content-Length and Transfer-Encoding once Beast has parsed it.
#include <boost/beast/_experimental/test/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "portcullis/net/request_head_check.hpp"

namespace beast = boost::beast;
namespace http = beast::http;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t end = input.find("\r\n\r\n");
  if (end == std::string_view::npos) {
    return 0;
  }
  const std::string_view head = input.substr(0, end + 4);
  (void)portcullis::net::origin_form(head.substr(0, head.find(' ')));
  if (portcullis::net::check_request_head(head) != portcullis::net::HeadProblem::None) {
    return 0;
  }
  beast::net::io_context ioc;
  beast::test::stream stream(ioc, input);
  stream.close_remote();
  beast::flat_buffer buffer;
  http::request_parser<http::string_body> parser;
  parser.header_limit(16 * 1024);
  parser.body_limit(1024 * 1024);
  beast::error_code ec;
  http::read(stream, buffer, parser, ec);
  if (!ec && parser.is_header_done()) {
    const auto& message = parser.get();
    if (message.count(http::field::content_length) > 0 &&
        message.count(http::field::transfer_encoding) > 0) {
      std::abort();  // the head check let a smuggling shape through
    }
  }
  return 0;
}
