#include "portcullis/protocol/router.hpp"

#include <catch2/catch.hpp>

using namespace portcullis;
using namespace portcullis::protocol;

namespace {

config::Route route(std::string name, std::string prefix, std::string upstream,
                    std::string host = "") {
  config::Route r;
  r.name = std::move(name);
  r.prefix = std::move(prefix);
  r.host = std::move(host);
  r.upstream = *config::parse_url(upstream);
  return r;
}

const std::vector<config::Route>& routes() {
  static const std::vector<config::Route> kRoutes = {
      route("root", "/", "http://127.0.0.1:9000/base"),
      route("tools", "/mcp", "http://127.0.0.1:3001/mcp"),
      route("admin-tools", "/mcp/admin", "http://127.0.0.1:3002"),
      route("peer", "/peer", "http://127.0.0.1:4001"),
      route("peer-a", "/peer", "http://127.0.0.1:4002/a", "a.example"),
  };
  return kRoutes;
}

}  // namespace

TEST_CASE("Targets route to the longest whole-segment prefix", "[protocol][router]") {
  struct Case {
    const char* target;
    const char* host;
    const char* route;
    const char* upstream_target;
  };
  const Case cases[] = {
      {"/mcp", "gw", "tools", "/mcp"},
      {"/mcp/", "gw", "tools", "/mcp/"},
      {"/mcp/x?y=1&z", "gw", "tools", "/mcp/x?y=1&z"},
      {"/mcp?", "gw", "tools", "/mcp?"},
      {"/mcpx", "gw", "root", "/base/mcpx"},
      {"/MCP", "gw", "root", "/base/MCP"},
      {"/mcp/admin", "gw", "admin-tools", "/"},
      {"/mcp/admin/t", "gw", "admin-tools", "/t"},
      {"/mcp/administrator", "gw", "tools", "/mcp/administrator"},
      {"/", "gw", "root", "/base/"},
      {"/peer/rpc", "gw", "peer", "/rpc"},
      {"/peer/rpc", "A.Example:8443", "peer-a", "/a/rpc"},
      {"/peer", "a.example", "peer-a", "/a"},
      {"/mcp/a%20b", "gw", "tools", "/mcp/a%20b"},
      {"http://gw/mcp/t?q", "gw", "tools", "/mcp/t?q"},
      {"HTTP://GW:80/mcp", "gw", "tools", "/mcp"},
      {"https://gw/mcp", "gw:443", "tools", "/mcp"},
      {"http://gw", "gw", "root", "/base/"},
  };
  const Router router(routes());
  for (const auto& c : cases) {
    INFO(c.target << " Host: " << c.host);
    auto match = router.match(c.target, c.host);
    REQUIRE(match);
    CHECK(match->route->name == c.route);
    CHECK(match->upstream_target == c.upstream_target);
  }
}

TEST_CASE("Ambiguous or malformed targets are refused, not normalised", "[protocol][router]") {
  struct Case {
    const char* target;
    const char* host;
    RejectReason reason;
    int status;
    const char* detail;
  };
  const Case cases[] = {
      {"//mcp", "gw", RejectReason::BadTarget, 400,
       "ambiguous request path: contains an empty segment ('//')"},
      {"/mcp//tools", "gw", RejectReason::BadTarget, 400,
       "ambiguous request path: contains an empty segment ('//')"},
      {"/mcp/../admin", "gw", RejectReason::BadTarget, 400,
       "ambiguous request path: contains a dot segment ('..')"},
      {"/mcp/./x", "gw", RejectReason::BadTarget, 400,
       "ambiguous request path: contains a dot segment ('.')"},
      {"/x/%2e%2e/mcp/admin", "gw", RejectReason::BadTarget, 400,
       "ambiguous request path: contains an encoded '/', '\\', '.' or NUL (%2e)"},
      {"/mcp%2Fadmin", "gw", RejectReason::BadTarget, 400,
       "ambiguous request path: contains an encoded '/', '\\', '.' or NUL (%2F)"},
      {"/mcp%2fadmin", "gw", RejectReason::BadTarget, 400,
       "ambiguous request path: contains an encoded '/', '\\', '.' or NUL (%2f)"},
      {"/mcp%5Cadmin", "gw", RejectReason::BadTarget, 400,
       "ambiguous request path: contains an encoded '/', '\\', '.' or NUL (%5C)"},
      {"/mcp\\admin", "gw", RejectReason::BadTarget, 400, "ambiguous request path: contains '\\'"},
      {"/m%63p/tools", "gw", RejectReason::BadTarget, 400,
       "ambiguous request path: contains an encoded unreserved character (%63 is 'c')"},
      {"/mcp;jsessionid=1/admin", "gw", RejectReason::BadTarget, 400,
       "ambiguous request path: contains ';' (path parameters)"},
      {"/mcp/%", "gw", RejectReason::BadTarget, 400,
       "ambiguous request path: contains a '%' not followed by two hex digits"},
      {"/mcp#frag", "gw", RejectReason::BadTarget, 400,
       "request target contains a fragment ('#')"},
      {"/mcp?a=\x01", "gw", RejectReason::BadTarget, 400,
       "query contains a control, space or non-ASCII byte"},
      {"*", "gw", RejectReason::BadTarget, 400,
       "request target must be a path (origin-form) or an absolute http(s) URL"},
      {"gw:443", "gw", RejectReason::BadTarget, 400,
       "request target must be a path (origin-form) or an absolute http(s) URL"},
      {"", "gw", RejectReason::BadTarget, 400, "empty request target"},
      {"http://evil/mcp", "gw", RejectReason::HostMismatch, 400,
       "absolute-form target authority 'evil' does not match the Host header 'gw'"},
      {"http://gw:8080/mcp", "gw", RejectReason::HostMismatch, 400,
       "absolute-form target authority 'gw:8080' does not match the Host header 'gw'"},
      {"http://u@gw/mcp", "gw", RejectReason::BadTarget, 400,
       "absolute-form target has a bad authority"},
      {"http://gw?x", "gw", RejectReason::BadTarget, 400,
       "absolute-form target has a query but no path"},
  };
  const Router router(routes());
  for (const auto& c : cases) {
    INFO(c.target);
    auto match = router.match(c.target, c.host);
    REQUIRE_FALSE(match);
    CHECK(match.error().reason == c.reason);
    CHECK(match.error().http_status == c.status);
    CHECK(match.error().jsonrpc_code == 0);
    CHECK(match.error().detail == c.detail);
  }
}

TEST_CASE("A target no route matches is 404", "[protocol][router]") {
  std::vector<config::Route> only_mcp = {route("tools", "/mcp", "http://127.0.0.1:3001/mcp")};
  const Router router(only_mcp);
  auto match = router.match("/mcpx", "gw");
  REQUIRE_FALSE(match);
  CHECK(match.error().reason == RejectReason::NoRoute);
  CHECK(match.error().http_status == 404);
  CHECK(match.error().detail == "no route for /mcpx");
}

TEST_CASE("A host-specific route never serves another host", "[protocol][router]") {
  std::vector<config::Route> hosted = {route("a", "/", "http://u:1", "a.example")};
  const Router router(hosted);
  CHECK(router.match("/x", "a.example")->route->name == "a");
  CHECK_FALSE(router.match("/x", "b.example"));
  CHECK_FALSE(router.match("/x", ""));
}

TEST_CASE("The match keeps the path as received and the rest after the prefix",
          "[protocol][router]") {
  const Router router(routes());
  auto match = router.match("/mcp/admin/t?x=%2F", "gw");
  REQUIRE(match);
  CHECK(match->path == "/mcp/admin/t");
  CHECK(match->rest == "/t");
  CHECK(match->query == "x=%2F");
  CHECK(match->has_query);
}

TEST_CASE("Host headers are compared without port and case", "[protocol][router]") {
  CHECK(host_without_port("Example.COM:8443") == "example.com");
  CHECK(host_without_port("[::1]:80") == "::1");
  CHECK(host_without_port("gw") == "gw");
}
