#include "portcullis/protocol/jsonrpc.hpp"

#include <catch2/catch.hpp>

using namespace portcullis::protocol;

namespace {
const JsonRpcLimits kLimits{64, 3};
}

TEST_CASE("JSON-RPC requests, notifications and responses are told apart", "[protocol][jsonrpc]") {
  auto request = parse_jsonrpc(R"({"jsonrpc":"2.0","method":"tools/list","id":7})", kLimits);
  REQUIRE(request);
  CHECK_FALSE(request->batch);
  CHECK(request->messages[0].kind == MessageKind::Request);
  CHECK(request->messages[0].method == "tools/list");
  CHECK(*request->messages[0].id == 7);
  CHECK(request->messages[0].params.is_null());

  auto notification =
      parse_jsonrpc(R"({"jsonrpc":"2.0","method":"notifications/initialized","params":{}})",
                    kLimits);
  REQUIRE(notification);
  CHECK(notification->messages[0].kind == MessageKind::Notification);
  CHECK_FALSE(notification->messages[0].id);

  auto response = parse_jsonrpc(R"({"jsonrpc":"2.0","id":"s1","result":{"ok":true}})", kLimits);
  REQUIRE(response);
  CHECK(response->messages[0].kind == MessageKind::Response);
  CHECK(response->messages[0].result == nlohmann::json{{"ok", true}});

  auto error = parse_jsonrpc(R"({"jsonrpc":"2.0","id":null,"error":{"code":-1,"message":"x"}})",
                             kLimits);
  REQUIRE(error);
  CHECK(error->messages[0].result == nlohmann::json::parse(R"({"error":{"code":-1,"message":"x"}})"));
}

TEST_CASE("Method names are kept byte-exact", "[protocol][jsonrpc]") {
  auto body = parse_jsonrpc(R"({"jsonrpc":"2.0","method":" Tools/Call\u00a0","id":1})", kLimits);
  REQUIRE(body);
  CHECK(body->messages[0].method == " Tools/Call\xc2\xa0");
}

TEST_CASE("Batches keep every element in order", "[protocol][jsonrpc]") {
  auto body = parse_jsonrpc(
      R"([{"jsonrpc":"2.0","method":"a","id":1},{"jsonrpc":"2.0","method":"b"},)"
      R"({"jsonrpc":"2.0","id":9,"result":{}}])",
      kLimits);
  REQUIRE(body);
  CHECK(body->batch);
  REQUIRE(body->messages.size() == 3);
  CHECK(body->messages[1].kind == MessageKind::Notification);
  CHECK(body->messages[2].kind == MessageKind::Response);
}

TEST_CASE("Non-JSON-RPC shapes are refused with -32600 or -32700", "[protocol][jsonrpc]") {
  struct Case {
    const char* body;
    int code;
    const char* detail;
  };
  const Case cases[] = {
      {R"({"jsonrpc":"2.0","method":"a","id":1,"id":2})", -32700,
       "invalid JSON: duplicate object key \"id\""},
      {R"({"method":"a","id":1})", -32600, "\"jsonrpc\" must be exactly \"2.0\""},
      {R"({"jsonrpc":"1.0","method":"a","id":1})", -32600, "\"jsonrpc\" must be exactly \"2.0\""},
      {R"({"jsonrpc":2.0,"method":"a","id":1})", -32600, "\"jsonrpc\" must be exactly \"2.0\""},
      {R"({"jsonrpc":"2.0","method":1,"id":1})", -32600, "\"method\" must be a string"},
      {R"({"jsonrpc":"2.0","method":"a","id":null})", -32600,
       "\"id\" must be a string or an integer"},
      {R"({"jsonrpc":"2.0","method":"a","id":1.5})", -32600,
       "\"id\" must be a string or an integer"},
      {R"({"jsonrpc":"2.0","method":"a","id":true})", -32600,
       "\"id\" must be a string or an integer"},
      {R"({"jsonrpc":"2.0","method":"a","id":[1]})", -32600,
       "\"id\" must be a string or an integer"},
      {R"({"jsonrpc":"2.0","method":"a","params":"x","id":1})", -32600,
       "\"params\" must be an object or an array"},
      {R"({"jsonrpc":"2.0","method":"a","result":1,"id":1})", -32600,
       "a message must not carry both \"method\" and \"result\"/\"error\""},
      {R"({"jsonrpc":"2.0","result":1,"error":{"code":1,"message":"m"},"id":1})", -32600,
       "a response must not carry both \"result\" and \"error\""},
      {R"({"jsonrpc":"2.0","id":1})", -32600,
       "a message needs \"method\" (request) or \"result\"/\"error\" (response)"},
      {R"({"jsonrpc":"2.0","result":1})", -32600, "a response needs an \"id\""},
      {R"({"jsonrpc":"2.0","result":1,"id":null})", -32600,
       "a response \"id\" must be a string or an integer (null only with \"error\")"},
      {R"({"jsonrpc":"2.0","error":{"code":"x","message":"m"},"id":1})", -32600,
       "\"error\" must be an object with an integer \"code\" and a string \"message\""},
      {R"({"jsonrpc":"2.0","result":1,"params":{},"id":1})", -32600,
       "a response must not carry \"params\""},
      {R"([])", -32600, "an empty batch is not a JSON-RPC request"},
      {R"([[{"jsonrpc":"2.0","method":"a","id":1}]])", -32600,
       "batch element 0 is an array (nested batches are not JSON-RPC)"},
      {R"([{"jsonrpc":"2.0","method":"a","id":1},5])", -32600,
       "batch element 1: a JSON-RPC message must be an object"},
      {R"([{"jsonrpc":"2.0","method":"a","id":1},{"jsonrpc":"2.0","method":"b","id":1}])", -32600,
       "batch element 1 repeats the id 1"},
      {R"([{"jsonrpc":"2.0","method":"a"},{"jsonrpc":"2.0","method":"a"},)"
       R"({"jsonrpc":"2.0","method":"a"},{"jsonrpc":"2.0","method":"a"}])",
       -32600, "batch of 4 messages exceeds the limit of 3"},
      {R"("tools/call")", -32600, "a JSON-RPC message must be an object"},
      {R"({"jsonrpc":"2.0","method":"a","id":1} trailing)", -32700, nullptr},
      {"", -32700, nullptr},
  };
  for (const auto& c : cases) {
    INFO(c.body);
    auto body = parse_jsonrpc(c.body, kLimits);
    REQUIRE_FALSE(body);
    CHECK(body.error().http_status == 400);
    CHECK(body.error().jsonrpc_code == c.code);
    if (c.detail != nullptr) {
      CHECK(body.error().detail == c.detail);
    }
  }
}
