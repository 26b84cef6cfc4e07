#include "portcullis/protocol/tools_list_filter.hpp"

#include <catch2/catch.hpp>
#include <vector>

using namespace portcullis::protocol;
using json = nlohmann::json;

namespace {
const ToolPredicate kOnlyEcho = [](std::string_view name) { return name == "echo"; };
}

TEST_CASE("A tools/list result keeps only the tools the agent may call", "[protocol][tools]") {
  const std::vector<json> ids = {json(2)};
  auto out = filter_tools_list(
      R"({"jsonrpc":"2.0","id":2,"result":{"tools":[{"name":"echo"},{"name":"rm"},{"name":"Echo"},{"x":1},"echo"],"nextCursor":"c"}})",
      ids, kOnlyEcho);
  REQUIRE(out);
  CHECK(out->changed);
  CHECK(out->removed == 4);
  CHECK(json::parse(out->body) ==
        json::parse(R"({"jsonrpc":"2.0","id":2,"result":{"tools":[{"name":"echo"}],"nextCursor":"c"}})"));
}

TEST_CASE("Messages that are not answers to the agent's tools/list pass unchanged",
          "[protocol][tools]") {
  const std::vector<json> ids = {json("a")};
  const char* other_id = R"({"jsonrpc":"2.0","id":"b","result":{"tools":[{"name":"rm"}]}})";
  auto out = filter_tools_list(other_id, ids, kOnlyEcho);
  REQUIRE(out);
  CHECK_FALSE(out->changed);
  const char* notification = R"({"jsonrpc":"2.0","method":"notifications/progress","params":{}})";
  CHECK_FALSE(filter_tools_list(notification, ids, kOnlyEcho)->changed);
  const char* all_allowed = R"({"jsonrpc":"2.0","id":"a","result":{"tools":[{"name":"echo"}]}})";
  CHECK_FALSE(filter_tools_list(all_allowed, ids, kOnlyEcho)->changed);
}

TEST_CASE("Batches of responses are filtered element by element", "[protocol][tools]") {
  const std::vector<json> ids = {json(1)};
  auto out = filter_tools_list(
      R"([{"jsonrpc":"2.0","id":1,"result":{"tools":[{"name":"rm"}]}},{"jsonrpc":"2.0","id":2,"result":{"tools":[{"name":"rm"}]}}])",
      ids, kOnlyEcho);
  REQUIRE(out);
  CHECK(json::parse(out->body) ==
        json::parse(R"([{"jsonrpc":"2.0","id":1,"result":{"tools":[]}},{"jsonrpc":"2.0","id":2,"result":{"tools":[{"name":"rm"}]}}])"));
}

TEST_CASE("An unreadable tools/list answer is an error, never passed through",
          "[protocol][tools]") {
  const std::vector<json> ids = {json(1)};
  CHECK_FALSE(filter_tools_list(R"({"id":1,"id":1})", ids, kOnlyEcho));
  CHECK_FALSE(filter_tools_list("{", ids, kOnlyEcho));
}
