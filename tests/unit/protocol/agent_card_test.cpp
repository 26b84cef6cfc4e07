#include "portcullis/protocol/agent_card.hpp"

#include <catch2/catch.hpp>

using namespace portcullis;
using namespace portcullis::protocol;
using json = nlohmann::json;

namespace {
const CardRewrite kRewrite{"http://10.0.0.5:4001/agents/a", "https://gw.example:8443/peer"};
}

TEST_CASE("Card URLs under the upstream base are moved to the gateway", "[protocol][card]") {
  struct Case {
    const char* url;
    const char* expected;
  };
  const Case cases[] = {
      {"http://10.0.0.5:4001/agents/a", "https://gw.example:8443/peer"},
      {"http://10.0.0.5:4001/agents/a/", "https://gw.example:8443/peer/"},
      {"http://10.0.0.5:4001/agents/a/a2a/jsonrpc", "https://gw.example:8443/peer/a2a/jsonrpc"},
      {"HTTP://10.0.0.5:4001/agents/a/rpc?x=1", "https://gw.example:8443/peer/rpc?x=1"},
  };
  for (const auto& c : cases) {
    INFO(c.url);
    auto r = rewrite_card_url(c.url, kRewrite);
    REQUIRE(r);
    CHECK(*r == c.expected);
  }
}

TEST_CASE("Card URLs pointing anywhere else are not rewritten", "[protocol][card]") {
  for (const char* url : {"http://10.0.0.6:4001/agents/a", "https://10.0.0.5:4001/agents/a",
                          "http://10.0.0.5:4002/agents/a", "http://10.0.0.5:4001/agents/ab",
                          "http://10.0.0.5:4001/agents", "http://evil@10.0.0.5:4001/agents/a",
                          "/agents/a", "ftp://10.0.0.5/agents/a"}) {
    INFO(url);
    CHECK_FALSE(rewrite_card_url(url, kRewrite));
  }
}

TEST_CASE("Default ports and host case do not defeat the comparison", "[protocol][card]") {
  const CardRewrite rewrite{"http://agent.internal", "https://gw"};
  CHECK(*rewrite_card_url("http://AGENT.internal:80/rpc", rewrite) == "https://gw/rpc");
}

TEST_CASE("A v1.0 card has its supported interfaces rewritten and foreign ones dropped",
          "[protocol][card]") {
  json card = json::parse(R"({"name":"echo","supportedInterfaces":[
    {"url":"http://10.0.0.5:4001/agents/a/a2a/jsonrpc","protocolBinding":"JSONRPC","protocolVersion":"1.0"},
    {"url":"http://10.0.0.5:4001/agents/a/rest","protocolBinding":"HTTP+JSON","protocolVersion":"1.0"},
    {"url":"http://elsewhere:1/rpc","protocolBinding":"JSONRPC","protocolVersion":"1.0"},
    {"url":"http://10.0.0.5:4001/agents/a/x"}],
    "provider":{"url":"http://10.0.0.5:4001/about"}})");
  REQUIRE(rewrite_agent_card(card, kRewrite));
  CHECK(card["supportedInterfaces"] == json::parse(R"([
    {"url":"https://gw.example:8443/peer/a2a/jsonrpc","protocolBinding":"JSONRPC","protocolVersion":"1.0"}])"));
  CHECK(card["provider"]["url"] == "http://10.0.0.5:4001/about");
}

TEST_CASE("A v0.3 card has url and additionalInterfaces rewritten", "[protocol][card]") {
  auto body = rewrite_agent_card_body(
      R"({"url":"http://10.0.0.5:4001/agents/a/a2a/jsonrpc","preferredTransport":"JSONRPC",)"
      R"("additionalInterfaces":[{"url":"http://10.0.0.5:4001/agents/a/a2a/jsonrpc","transport":"JSONRPC"},)"
      R"({"url":"http://10.0.0.5:4001/agents/a/grpc","transport":"GRPC"}]})",
      kRewrite);
  REQUIRE(body);
  CHECK(json::parse(*body) == json::parse(
      R"({"url":"https://gw.example:8443/peer/a2a/jsonrpc","preferredTransport":"JSONRPC",)"
      R"("additionalInterfaces":[{"url":"https://gw.example:8443/peer/a2a/jsonrpc","transport":"JSONRPC"}]})"));
}

TEST_CASE("A card that would send clients around the gateway is refused", "[protocol][card]") {
  struct Case {
    const char* body;
    const char* message;
  };
  const Case cases[] = {
      {R"({"url":"http://elsewhere/rpc"})",
       "the agent card's url 'http://elsewhere/rpc' does not point at the route's upstream "
       "http://10.0.0.5:4001/agents/a"},
      {R"({"url":"http://10.0.0.5:4001/agents/a","preferredTransport":"GRPC"})",
       "the agent card prefers a transport other than JSONRPC, which the gateway does not proxy"},
      {R"({"url":5})", "the agent card's url is not a string"},
      {R"({"supportedInterfaces":{}})", "supportedInterfaces is not an array"},
      {R"([])", "the agent card is not a JSON object"},
      {R"({"url":"http://10.0.0.5:4001/agents/a","url":"http://elsewhere"})",
       "agent card: invalid JSON: duplicate object key \"url\""},
  };
  for (const auto& c : cases) {
    INFO(c.body);
    auto r = rewrite_agent_card_body(c.body, kRewrite);
    REQUIRE_FALSE(r);
    CHECK(r.error().message == c.message);
  }
}

TEST_CASE("The rewrite for a route joins public_url and prefix", "[protocol][card]") {
  config::Listener listener;
  listener.public_url = "https://gw:8443";
  config::Route route;
  route.prefix = "/peer";
  route.upstream = *config::parse_url("http://127.0.0.1:4001/base/");
  const CardRewrite r = card_rewrite_for(listener, route);
  CHECK(r.upstream_base == "http://127.0.0.1:4001/base");
  CHECK(r.public_base == "https://gw:8443/peer");
  route.prefix.assign(1, '/');  // not `= "/"`: a false GCC 12 -Wrestrict at -O3 (GCC bug 105329)
  CHECK(card_rewrite_for(listener, route).public_base == "https://gw:8443");
}

TEST_CASE("The extended card answer is rewritten like the public card", "[protocol][card]") {
  auto body = rewrite_extended_card_response(
      R"({"jsonrpc":"2.0","id":1,"result":{"supportedInterfaces":[{"url":"http://10.0.0.5:4001/agents/a/rpc","protocolBinding":"JSONRPC"}]}})",
      kRewrite);
  REQUIRE(body);
  CHECK(json::parse(*body)["result"]["supportedInterfaces"][0]["url"] ==
        "https://gw.example:8443/peer/rpc");
  const char* error = R"({"jsonrpc":"2.0","id":1,"error":{"code":-32001,"message":"no"}})";
  CHECK(*rewrite_extended_card_response(error, kRewrite) == error);
  CHECK_FALSE(rewrite_extended_card_response(R"({"jsonrpc":"2.0","id":1,"result":{"url":"http://evil"}})",
                                             kRewrite));
  CHECK_FALSE(rewrite_extended_card_response(R"([1])", kRewrite));
}
