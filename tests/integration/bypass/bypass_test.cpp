// The bypass suite: each way we know to get an action past the policy, and the proof that it is
// blocked — or decided on exactly what the upstream will execute. Every case asserts on what the
// fake upstream received, not only on the answer.
//
// Policy in force (GatewayFixture's default): agent A may call tools `echo` and `transfer`
// (amount <= 1000), never `delete_file`; A2A sends unless the text is "forbidden"; HTTP GET on
// `api`. Agent B: MCP session plumbing only.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "support/concat.hpp"
#include "support/gateway_fixture.hpp"

using namespace portcullis::test;

namespace {

nlohmann::json parse(const HttpResponse& response) {
  return nlohmann::json::parse(response.body(), nullptr, false);
}

std::string call(const std::string& name_json_literal, int id = 1) {
  return R"({"jsonrpc":"2.0","id":)" + std::to_string(id) +
         R"(,"method":"tools/call","params":{"name":)" + name_json_literal +
         R"(,"arguments":{}}})";
}

// The request was answered by the gateway (not forwarded) and nothing reached the upstream.
void require_blocked(GatewayFixture& gw, const HttpResponse& response) {
  INFO(response.body());
  const auto body = parse(response);
  const bool jsonrpc_error = body.is_object() && body.contains("error");
  const bool batch_error = body.is_array();
  CHECK((response.result_int() >= 400 || jsonrpc_error || batch_error));
  CHECK(gw.upstream().count() == 0);
}

}  // namespace

TEST_CASE("bypass: tool and method names are matched byte-exactly (no case folding)",
          "[bypass][names]") {
  GatewayFixture gw;
  SECTION("tool name case variant") {
    require_blocked(gw, gw.post_as_a("/mcp", call(R"("Delete_File")")));
  }
  SECTION("tool name with trailing space") {
    require_blocked(gw, gw.post_as_a("/mcp", call(R"("delete_file ")")));
  }
  SECTION("method case variant") {
    require_blocked(gw, gw.post_as_a("/mcp", R"({"jsonrpc":"2.0","id":1,"method":"Tools/Call","params":{"name":"delete_file"}})"));
  }
}

TEST_CASE("bypass: a Unicode look-alike of an allowed tool is a different tool (denied)",
          "[bypass][unicode]") {
  GatewayFixture gw;
  // "echο" with a Greek omicron: the upstream would run a different tool than `echo`.
  require_blocked(gw, gw.post_as_a("/mcp", call("\"ech\xce\xbf\"")));
  const auto decisions = gw.audit().decisions();
  REQUIRE(decisions.size() == 1);
  CHECK(decisions[0].resource_id == "tools/ech\xce\xbf");
}

TEST_CASE("bypass: JSON escapes are decided on the decoded name, as the upstream decodes it",
          "[bypass][json]") {
  GatewayFixture gw;
  SECTION("escaped forbidden name is still forbidden") {
    require_blocked(gw, gw.post_as_a("/mcp", call(R"("delete\u005ffile")")));
    CHECK(gw.audit().decisions().at(0).resource_id == "tools/delete_file");
  }
  SECTION("escaped allowed name is forwarded byte for byte") {
    const std::string body = call(R"("\u0065cho")");
    auto response = gw.post_as_a("/mcp", body);
    CHECK(response.result_int() == 200);
    REQUIRE(gw.upstream().count() == 1);
    CHECK(gw.upstream().received()[0].body == body);
    CHECK(gw.audit().decisions().at(0).resource_id == "tools/echo");
  }
}

TEST_CASE("bypass: JSON another parser could read differently is refused", "[bypass][json]") {
  GatewayFixture gw;
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"duplicate key, last one forbidden",
       R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","name":"delete_file"}})"},
      {"duplicate key via escape",
       R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","n\u0061me":"delete_file"}})"},
      {"duplicate method",
       R"({"jsonrpc":"2.0","id":1,"method":"ping","method":"tools/call","params":{"name":"delete_file"}})"},
      {"trailing garbage", call(R"("echo")") + R"({"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"delete_file"}})"},
      {"byte-order mark", "\xef\xbb\xbf" + call(R"("echo")")},
      {"NUL inside the name", call(R"("echo\u0000delete_file")")},
      {"lone surrogate", call(R"("echo\ud800")")},
      {"invalid UTF-8", call("\"ech\xff\"")},
      {"huge integer id", R"({"jsonrpc":"2.0","id":123456789012345678901234567890,"method":"tools/call","params":{"name":"echo"}})"},
  };
  for (const auto& [name, body] : cases) {
    SECTION(name) {
      auto response = gw.post_as_a("/mcp", body);
      CHECK(response.result_int() == 400);
      CHECK(gw.upstream().count() == 0);
      CHECK(gw.audit().decisions().empty());
    }
  }
}

TEST_CASE("bypass: batch nesting and hiding are refused or decided element by element",
          "[bypass][batch]") {
  GatewayFixture gw;
  SECTION("nested array") {
    auto response = gw.post_as_a("/mcp", "[[" + call(R"("delete_file")") + "]]");
    CHECK(response.result_int() == 400);
    CHECK(gw.upstream().count() == 0);
  }
  SECTION("empty batch") {
    CHECK(gw.post_as_a("/mcp", "[]").result_int() == 400);
  }
  SECTION("forbidden call hidden after allowed ones") {
    require_blocked(gw, gw.post_as_a("/mcp", concat({"[", call(R"("echo")", 1), ",",
                                                                call(R"("echo")", 2), ",",
                                                                call(R"("delete_file")", 3), "]"})));
    CHECK(gw.audit().decisions().size() == 3);
  }
  SECTION("forbidden call as a notification inside a batch") {
    require_blocked(gw, gw.post_as_a("/mcp", concat({"[", call(R"("echo")", 1),
                                                                R"(,{"jsonrpc":"2.0","method":"tools/call","params":{"name":"delete_file"}}])"})));
  }
}

TEST_CASE("bypass: the A2A dialect switch cannot change what is decided", "[bypass][a2a]") {
  GatewayFixture gw;
  const std::string v03_forbidden =
      R"({"jsonrpc":"2.0","id":1,"method":"message/send","params":{"message":{"kind":"message","messageId":"m1","role":"user","parts":[{"kind":"text","text":"forbidden"}]}}})";
  const std::string v10_forbidden =
      R"({"jsonrpc":"2.0","id":1,"method":"SendStreamingMessage","params":{"message":{"messageId":"m1","role":"ROLE_USER","parts":[{"text":"forbidden"}]}}})";
  SECTION("v0.3 name, denied text") {
    require_blocked(gw, gw.post_as_a("/peer/jsonrpc", v03_forbidden));
  }
  SECTION("v1.0 streaming name, denied text") {
    require_blocked(gw, gw.post_as_a("/peer/jsonrpc", v10_forbidden, {{"A2A-Version", "1.0"}}));
  }
  SECTION("v0.3 name sent with A2A-Version 1.0 (the server would not run it as decided)") {
    require_blocked(gw, gw.post_as_a("/peer/jsonrpc", v03_forbidden, {{"A2A-Version", "1.0"}}));
  }
  SECTION("v1.0 name without the version header") {
    require_blocked(gw, gw.post_as_a("/peer/jsonrpc", v10_forbidden));
  }
  SECTION("two A2A-Version headers") {
    require_blocked(gw, gw.post_as_a("/peer/jsonrpc", v10_forbidden,
                                     {{"A2A-Version", "1.0"}, {"A2A-Version", "0.3"}}));
  }
  SECTION("batch on an A2A route") {
    require_blocked(gw, gw.post_as_a("/peer/jsonrpc", "[" + v03_forbidden + "]"));
  }
}

TEST_CASE("bypass: path tricks against route prefixes are refused, never normalised",
          "[bypass][paths]") {
  GatewayFixture gw;
  const std::vector<std::string> targets = {
      "//mcp",         "/mcp//x",        "/mcp/../api/x", "/api/../mcp",  "/%2e%2e/mcp",
      "/mcp/%2E%2E/x", "/mcp%2Fx",       "/api%2f..%2fmcp", "/mcp/%5c..",  "/mcp/./x",
      "/MCP",          "/mcpx",          "/api/x%00",     "/api/x#frag",  "*"};
  for (const auto& target : targets) {
    SECTION(target) {
      auto client = gw.agent_a();
      auto response = client->request("GET", target, "");
      INFO(target << " -> " << response.result_int() << " " << response.body());
      CHECK((response.result_int() == 400 || response.result_int() == 404));
      CHECK(gw.upstream().count() == 0);
    }
  }
}

TEST_CASE("bypass: headers an agent could use to speak for someone else are replaced",
          "[bypass][headers]") {
  GatewayFixture gw;
  auto client = gw.agent_a();
  auto response = client->request("GET", "/api/x", "",
                                   {{"X-Portcullis-Agent", kAgentB},
                                    {"X-Forwarded-For", "10.0.0.1"},
                                    {"Forwarded", "for=10.0.0.1"},
                                    {"X-Request-Id", "chosen-by-agent"}});
  REQUIRE(response.result_int() == 200);
  const auto received = gw.upstream().received();
  REQUIRE(received.size() == 1);
  CHECK(received[0].header("X-Portcullis-Agent") == kAgentA);
  CHECK(received[0].header("X-Forwarded-For") == "127.0.0.1");
  CHECK(received[0].header("Forwarded").find("10.0.0.1") == std::string::npos);
  CHECK(received[0].header("X-Request-Id") != "chosen-by-agent");
}

TEST_CASE("bypass: method-override headers are refused (the upstream might run another method)",
          "[bypass][headers]") {
  GatewayFixture gw;
  auto client = gw.agent_a();
  auto response = client->request("GET", "/api/x", "", {{"X-HTTP-Method-Override", "DELETE"}});
  CHECK(response.result_int() == 400);
  CHECK(gw.upstream().count() == 0);
}

TEST_CASE("bypass: a JSON-RPC body sent as another media type is refused", "[bypass][json]") {
  GatewayFixture gw;
  auto client = gw.agent_a();
  auto response = client->request("POST", "/mcp", call(R"("delete_file")"), {}, "text/plain");
  CHECK(response.result_int() == 415);
  CHECK(gw.upstream().count() == 0);
}
