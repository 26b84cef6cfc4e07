#include "net/content_coding.hpp"

#include <boost/beast/http/fields.hpp>
#include <catch2/catch.hpp>
#include <string>
#include <vector>

using portcullis::net::body_is_unencoded;
namespace http = boost::beast::http;

TEST_CASE("only identity codings leave a body the gateway can decide on", "[net][encoding]") {
  struct Row {
    std::vector<std::string> values;  // one Content-Encoding field per value
    bool unencoded;
  };
  const std::vector<Row> table = {
      {{}, true},
      {{"identity"}, true},
      {{"IDENTITY"}, true},  // content codings are case-insensitive (RFC 9110 section 8.4.1)
      {{" identity "}, true},
      {{"identity, identity"}, true},
      {{"identity", "identity"}, true},
      {{""}, true},             // an empty list: no coding
      {{", identity ,"}, true},  // empty list elements are ignored (RFC 9110 section 5.6.1)
      {{"gzip"}, false},
      {{"GZip"}, false},
      {{"br"}, false},
      {{"deflate"}, false},
      {{"x-gzip"}, false},
      {{"identity, gzip"}, false},
      {{"gzip, identity"}, false},
      {{"identity", "gzip"}, false},  // a second field counts as much as the first
      {{"identityx"}, false},
      {{"identity;q=1"}, false},  // no parameters on codings: not identity as far as we know
      {{"ident ity"}, false},
  };
  for (const auto& row : table) {
    http::fields fields;
    std::string shown;
    for (const auto& value : row.values) {
      fields.insert(http::field::content_encoding, value);
      shown += "[" + value + "]";
    }
    INFO("Content-Encoding " << shown);
    CHECK(body_is_unencoded(fields) == row.unencoded);
  }
}
