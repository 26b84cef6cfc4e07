#include "net/forwarded_headers.hpp"

#include <boost/beast/http/fields.hpp>
#include <catch2/catch.hpp>

using namespace portcullis::net;
namespace http = boost::beast::http;

TEST_CASE("hop-by-hop fields and those Connection names are removed", "[net][headers]") {
  http::fields fields;
  fields.set(http::field::connection, "close, X-Drop , x-also");
  fields.set("X-Drop", "1");
  fields.set("X-Also", "1");
  fields.set(http::field::keep_alive, "timeout=5");
  fields.set(http::field::transfer_encoding, "chunked");
  fields.set(http::field::te, "trailers");
  fields.set(http::field::upgrade, "websocket");
  fields.set("X-Keep", "1");
  strip_hop_by_hop(fields);
  CHECK(fields.count("X-Drop") == 0);
  CHECK(fields.count("X-Also") == 0);
  CHECK(fields.count(http::field::connection) == 0);
  CHECK(fields.count(http::field::keep_alive) == 0);
  CHECK(fields.count(http::field::transfer_encoding) == 0);
  CHECK(fields.count(http::field::te) == 0);
  CHECK(fields.count(http::field::upgrade) == 0);
  CHECK(fields.count("X-Keep") == 1);
}

TEST_CASE("forwarding headers replace every copy the agent sent", "[net][headers]") {
  http::fields fields;
  fields.insert("X-Portcullis-Agent", "someone-else");
  fields.insert("x-portcullis-agent", "root");
  fields.insert("X-Forwarded-For", "10.0.0.1");
  fields.insert(http::field::forwarded, "for=10.0.0.1");
  fields.insert("X-Request-Id", "mine");
  fields.insert(http::field::host, "gateway");
  set_forward_headers(fields, {.upstream_host = "up:8080",
                               .client_ip = "127.0.0.1",
                               .listener_host = "gateway",
                               .tls = true,
                               .identity_header = "X-Portcullis-Agent",
                               .identity = "spiffe://td/a",
                               .request_id = "r1"});
  CHECK(fields.count("X-Portcullis-Agent") == 1);
  CHECK(fields["X-Portcullis-Agent"] == "spiffe://td/a");
  CHECK(fields["X-Forwarded-For"] == "127.0.0.1");
  CHECK(fields[http::field::forwarded] == "for=127.0.0.1;proto=https;host=gateway");
  CHECK(fields["X-Request-Id"] == "r1");
  CHECK(fields[http::field::host] == "up:8080");
}

TEST_CASE("Forwarded quotes IPv6 addresses", "[net][headers]") {
  CHECK(forwarded_value("::1", false, "") == "for=\"[::1]\";proto=http");
}
