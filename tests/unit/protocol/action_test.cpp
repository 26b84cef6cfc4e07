#include "portcullis/protocol/action.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <utility>

using namespace portcullis;
using namespace portcullis::protocol;
using json = nlohmann::json;

namespace {

config::Route make_route(std::string name, std::string prefix, config::RouteProtocol protocol) {
  config::Route r;
  r.name = std::move(name);
  r.prefix = std::move(prefix);
  r.protocol = protocol;
  r.upstream = *config::parse_url("http://127.0.0.1:1");
  return r;
}

const config::Route kMcp = make_route("tools", "/mcp", config::RouteProtocol::Mcp);
const config::Route kA2a = make_route("peer", "/peer", config::RouteProtocol::A2a);
const config::Route kHttp = make_route("api", "/api", config::RouteProtocol::Http);
const config::Limits kLimits{};

RouteMatch match_for(const config::Route& route, std::string_view rest = "",
                     std::string_view path = "", std::string_view query = "") {
  RouteMatch m;
  m.route = &route;
  m.rest = rest;
  m.path = path;
  m.query = query;
  return m;
}

Outcome<Extraction> post(const config::Route& route, std::string_view body,
                         std::optional<std::string_view> a2a_version = std::nullopt,
                         std::string_view rest = "") {
  HttpRequestView request;
  request.method = "POST";
  request.content_type = "application/json";
  request.body = body;
  request.a2a_version = a2a_version;
  return extract_actions(match_for(route, rest), request, kLimits);
}

Action only(const Outcome<Extraction>& extraction) {
  REQUIRE(extraction);
  REQUIRE(extraction->actions.size() == 1);
  return extraction->actions.front();
}

}  // namespace

TEST_CASE("MCP tools/call is an action on the tool with its arguments as input",
          "[protocol][mcp]") {
  auto a = only(post(kMcp, R"({"jsonrpc":"2.0","id":3,"method":"tools/call",)"
                           R"("params":{"name":"echo","arguments":{"text":"hi"},"_meta":{"progressToken":2}}})"));
  CHECK(a.kind == ActionKind::Request);
  CHECK(a.action == "tools/call");
  CHECK(a.resource == policy::EntityUid{"Tool", "tools/echo"});
  CHECK(a.tool_name == "echo");
  CHECK(*a.jsonrpc_id == 3);
  CHECK(a.context == json::parse(R"({"input":{"text":"hi"}})"));
}

TEST_CASE("MCP tools/call without arguments has an empty input", "[protocol][mcp]") {
  auto a = only(post(kMcp, R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"t"}})"));
  CHECK(a.context == json::parse(R"({"input":{}})"));
}

TEST_CASE("MCP resources/read and prompts/get name their resource", "[protocol][mcp]") {
  auto read = only(post(kMcp, R"({"jsonrpc":"2.0","id":1,"method":"resources/read",)"
                              R"("params":{"uri":"file:///etc/passwd"}})"));
  CHECK(read.resource == policy::EntityUid{"Resource", "file:///etc/passwd"});
  CHECK(read.context == json::object());
  auto prompt = only(post(kMcp, R"({"jsonrpc":"2.0","id":1,"method":"prompts/get",)"
                                R"("params":{"name":"p","arguments":{"a":"b"}}})"));
  CHECK(prompt.resource == policy::EntityUid{"Prompt", "tools/p"});
  CHECK(prompt.context == json::parse(R"({"input":{"a":"b"}})"));
}

TEST_CASE("Other MCP messages are actions on the server with their params", "[protocol][mcp]") {
  auto init = only(post(kMcp, R"({"jsonrpc":"2.0","id":0,"method":"initialize","params":{"v":1}})"));
  CHECK(init.action == "initialize");
  CHECK(init.resource == policy::EntityUid{"Server", "tools"});
  CHECK(init.context == json::parse(R"({"params":{"v":1}})"));
  auto note = only(post(kMcp, R"({"jsonrpc":"2.0","method":"notifications/initialized"})"));
  CHECK(note.kind == ActionKind::Notification);
  CHECK(note.context == json::parse(R"({"params":{}})"));
  CHECK_FALSE(note.jsonrpc_id);
}

TEST_CASE("A response sent by the agent is the action \"response\"", "[protocol][mcp]") {
  auto a = only(post(kMcp, R"({"jsonrpc":"2.0","id":"srv-1","result":{"content":[]}})"));
  CHECK(a.kind == ActionKind::Response);
  CHECK(a.action == "response");
  CHECK(a.resource == policy::EntityUid{"Server", "tools"});
  CHECK(a.context == json::parse(R"({"params":{"content":[]}})"));
  CHECK(*a.jsonrpc_id == "srv-1");
}

TEST_CASE("Every element of an MCP batch is an action", "[protocol][mcp]") {
  auto e = post(kMcp, R"([{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo"}},)"
                      R"({"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"rm"}}])");
  REQUIRE(e);
  CHECK(e->batch);
  CHECK(e->jsonrpc);
  REQUIRE(e->actions.size() == 2);
  CHECK(e->actions[1].resource.id == "tools/rm");
  CHECK(e->actions[1].batch_index == 1);
}

TEST_CASE("MCP GET and DELETE are the stream and end-session actions", "[protocol][mcp]") {
  HttpRequestView get;
  get.method = "GET";
  auto stream = only(extract_actions(match_for(kMcp), get, kLimits));
  CHECK(stream.action == "mcp/stream");
  CHECK(stream.kind == ActionKind::Http);
  HttpRequestView del;
  del.method = "DELETE";
  CHECK(only(extract_actions(match_for(kMcp), del, kLimits)).action == "mcp/end-session");
}

TEST_CASE("MCP requests that cannot be decided are refused with their exact answer",
          "[protocol][mcp]") {
  struct Case {
    const char* method;
    const char* content_type;
    const char* body;
    int status;
    int code;
    const char* detail;
  };
  const Case cases[] = {
      {"PUT", "application/json", "{}", 405, 0, "MCP takes POST, GET and DELETE, not PUT"},
      {"post", "application/json", "{}", 405, 0, "MCP takes POST, GET and DELETE, not post"},
      {"POST", "text/plain", "{}", 415, 0,
       "JSON-RPC requests need Content-Type: application/json (UTF-8), not 'text/plain'"},
      {"POST", "application/json; charset=utf-16", "{}", 415, 0,
       "JSON-RPC requests need Content-Type: application/json (UTF-8), not 'application/json; "
       "charset=utf-16'"},
      {"POST", "application/json", R"({"jsonrpc":"2.0","id":1,"method":"tools/call"})", 400,
       -32602, "tools/call needs params.name as a string"},
      {"POST", "application/json",
       R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":5}})", 400, -32602,
       "tools/call needs params.name as a string"},
      {"POST", "application/json",
       R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"a","arguments":[1]}})",
       400, -32602, "tools/call needs params.arguments as an object"},
      {"POST", "application/json",
       R"({"jsonrpc":"2.0","id":1,"method":"resources/read","params":{}})", 400, -32602,
       "resources/read needs params.uri as a string"},
      {"POST", "application/json",
       R"([{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","id":2,"method":"tools/call","params":[]}])",
       400, -32602, "batch element 1: tools/call needs params.name as a string"},
      {"POST", "application/json", R"({"jsonrpc":"2.0","id":1,"method":"a","method":"b"})", 400,
       -32700, "invalid JSON: duplicate object key \"method\""},
  };
  for (const auto& c : cases) {
    INFO(c.method << " " << c.body);
    HttpRequestView request;
    request.method = c.method;
    request.content_type = c.content_type;
    request.body = c.body;
    auto e = extract_actions(match_for(kMcp), request, kLimits);
    REQUIRE_FALSE(e);
    CHECK(e.error().http_status == c.status);
    CHECK(e.error().jsonrpc_code == c.code);
    CHECK(e.error().detail == c.detail);
  }
}

TEST_CASE("JSON content types are recognised with a UTF-8 charset only", "[protocol][mcp]") {
  HttpRequestView request;
  request.method = "POST";
  request.body = R"({"jsonrpc":"2.0","id":1,"method":"ping"})";
  for (const char* ok : {"application/json", "Application/JSON", "application/json; charset=UTF-8",
                         "application/json;charset=\"utf-8\""}) {
    request.content_type = ok;
    CHECK(extract_actions(match_for(kMcp), request, kLimits));
  }
  for (const char* bad : {"", "application/jsonx", "application/json; charset=latin1",
                          "application/json; boundary"}) {
    request.content_type = bad;
    CHECK_FALSE(extract_actions(match_for(kMcp), request, kLimits));
  }
}

TEST_CASE("A2A v0.3 and v1.0 names map to the same v1.0 action", "[protocol][a2a]") {
  const char* v03 =
      R"({"jsonrpc":"2.0","id":1,"method":"message/send","params":{"message":{"kind":"message",)"
      R"("messageId":"m","role":"user","parts":[{"kind":"text","text":"hello"},{"kind":"data","data":{}},)"
      R"({"kind":"text","text":"world"}],"taskId":"t1","contextId":"c1","metadata":{"k":"v"}}}})";
  auto a = only(post(kA2a, v03));
  CHECK(a.action == "SendMessage");
  CHECK(a.method == "message/send");
  CHECK(a.resource == policy::EntityUid{"RemoteAgent", "peer"});
  CHECK(a.context == json::parse(R"({"message":{"role":"user","text":"hello\nworld",)"
                                 R"("metadata":{"k":"v"}},"task_id":"t1","context_id":"c1"})"));

  const char* v10 =
      R"({"jsonrpc":"2.0","id":1,"method":"SendMessage","params":{"message":{"messageId":"m",)"
      R"("role":"ROLE_AGENT","parts":[{"text":"hi","mediaType":"text/plain"}]}}})";
  auto b = only(post(kA2a, v10, "1.0"));
  CHECK(b.action == "SendMessage");
  CHECK(b.context == json::parse(R"({"message":{"role":"agent","text":"hi","metadata":{}},)"
                                 R"("task_id":"","context_id":""})"));
}

TEST_CASE("Every A2A v0.3 name has its v1.0 action", "[protocol][a2a]") {
  const std::pair<const char*, const char*> names[] = {
      {"message/send", "SendMessage"},
      {"message/stream", "SendStreamingMessage"},
      {"tasks/get", "GetTask"},
      {"tasks/cancel", "CancelTask"},
      {"tasks/resubscribe", "SubscribeToTask"},
      {"tasks/pushNotificationConfig/set", "CreateTaskPushNotificationConfig"},
      {"tasks/pushNotificationConfig/get", "GetTaskPushNotificationConfig"},
      {"tasks/pushNotificationConfig/list", "ListTaskPushNotificationConfigs"},
      {"tasks/pushNotificationConfig/delete", "DeleteTaskPushNotificationConfig"},
      {"agent/getAuthenticatedExtendedCard", "GetExtendedAgentCard"},
  };
  for (const auto& [v03, v10] : names) {
    INFO(v03);
    const json body = {{"jsonrpc", "2.0"}, {"id", 1}, {"method", v03}, {"params", {{"id", "t9"}}}};
    auto a = only(post(kA2a, body.dump(), "0.3"));
    CHECK(a.action == v10);
    CHECK(a.context["task_id"] == "t9");
    const json body10 = {{"jsonrpc", "2.0"}, {"id", 1}, {"method", v10}, {"params", json::object()}};
    CHECK(only(post(kA2a, body10.dump(), "1.0")).action == v10);
  }
  const json list = {{"jsonrpc", "2.0"}, {"id", 1}, {"method", "ListTasks"}};
  CHECK(only(post(kA2a, list.dump(), "1.0")).action == "ListTasks");
}

TEST_CASE("An A2A name of the other dialect is refused, not mapped", "[protocol][a2a]") {
  struct Case {
    const char* method;
    std::optional<std::string_view> version;
    const char* detail;
  };
  const Case cases[] = {
      {"GetTask", std::nullopt,
       "'GetTask' is an A2A v1.0 method; without A2A-Version: 1.0 the server speaks v0.3"},
      {"SendMessage", "0.3",
       "'SendMessage' is an A2A v1.0 method; without A2A-Version: 1.0 the server speaks v0.3"},
      {"ListTasks", std::nullopt,
       "'ListTasks' is an A2A v1.0 method; without A2A-Version: 1.0 the server speaks v0.3"},
      {"tasks/get", "1.0",
       "'tasks/get' is an A2A v0.3 method; with A2A-Version: 1.0 the server does not execute it"},
      {"message/stream", "1.0",
       "'message/stream' is an A2A v0.3 method; with A2A-Version: 1.0 the server does not "
       "execute it"},
  };
  for (const auto& c : cases) {
    INFO(c.method);
    const json body = {{"jsonrpc", "2.0"}, {"id", 1}, {"method", c.method}};
    auto e = post(kA2a, body.dump(), c.version);
    REQUIRE_FALSE(e);
    CHECK(e.error().http_status == 400);
    CHECK(e.error().jsonrpc_code == -32601);
    CHECK(e.error().detail == c.detail);
  }
}

TEST_CASE("A2A names are matched byte-exactly; unknown names keep their own name",
          "[protocol][a2a]") {
  const json lower = {{"jsonrpc", "2.0"}, {"id", 1}, {"method", "sendmessage"}};
  CHECK(only(post(kA2a, lower.dump(), "1.0")).action == "sendmessage");
  const json spaced = {{"jsonrpc", "2.0"}, {"id", 1}, {"method", "message/send "}};
  CHECK(only(post(kA2a, spaced.dump())).action == "message/send ");
}

TEST_CASE("A2A requests that cannot be decided are refused with their exact answer",
          "[protocol][a2a]") {
  struct Case {
    std::string method;
    std::string rest;
    std::string content_type;
    std::optional<std::string_view> version;
    std::string body;
    int status;
    int code;
    std::string detail;
  };
  const std::string send = R"({"jsonrpc":"2.0","id":1,"method":"message/send","params":{}})";
  const Case cases[] = {
      {"POST", "", "application/json", "2.0", send, 400, -32600,
       "unsupported A2A-Version '2.0' (1.0 or 0.3)"},
      {"POST", "", "application/json", "1.0, 0.3", send, 400, -32600,
       "unsupported A2A-Version '1.0, 0.3' (1.0 or 0.3)"},
      {"POST", "", "application/json", std::nullopt, "[" + send + "]", 400, -32600,
       "A2A servers do not accept JSON-RPC batches"},
      {"POST", "", "application/json", std::nullopt, R"({"jsonrpc":"2.0","id":1,"result":{}})",
       400, -32600, "an A2A server takes requests, not responses"},
      {"POST", "/message:send", "application/json", "1.0", "{}", 404, 0,
       "only the A2A JSON-RPC binding (POST) and the agent card are proxied"},
      {"POST", "/v1/tasks/t1:cancel", "application/json", std::nullopt, "{}", 404, 0,
       "only the A2A JSON-RPC binding (POST) and the agent card are proxied"},
      {"POST", "/a2a.v1.A2AService/SendMessage", "application/grpc+proto", std::nullopt, "", 404, 0,
       "only the A2A JSON-RPC binding (POST) and the agent card are proxied"},
      {"GET", "/v1/tasks/t1", "", std::nullopt, "", 404, 0,
       "only the A2A JSON-RPC binding (POST) and the agent card are proxied"},
      {"POST", "/.well-known/agent-card.json", "application/json", std::nullopt, "{}", 404, 0,
       "the agent card is fetched with GET, not POST"},
      {"POST", "", "application/json", std::nullopt,
       R"({"jsonrpc":"2.0","id":1,"method":"message/send","params":{"message":{"role":2}}})", 400,
       -32602, "params.message.role must be ROLE_USER, ROLE_AGENT, user or agent"},
      {"POST", "", "application/json", std::nullopt,
       R"({"jsonrpc":"2.0","id":1,"method":"message/send","params":{"message":{"role":"User"}}})",
       400, -32602, "params.message.role must be ROLE_USER, ROLE_AGENT, user or agent"},
      {"POST", "", "application/json", "1.0",
       R"({"jsonrpc":"2.0","id":1,"method":"SendMessage","params":{"message":{"taskId":"a","task_id":"b"}}})",
       400, -32602, "both \"taskId\" and \"task_id\" given with different values"},
      {"POST", "", "application/json", std::nullopt,
       R"({"jsonrpc":"2.0","id":1,"method":"message/send","params":{"message":"hi"}})", 400,
       -32602, "params.message must be an object"},
      {"POST", "", "application/json", std::nullopt,
       R"({"jsonrpc":"2.0","id":1,"method":"message/send","params":{"message":{"metadata":[1]}}})",
       400, -32602, "params.message.metadata must be an object"},
  };
  for (const auto& c : cases) {
    INFO(c.method << " " << c.rest << " " << c.body);
    HttpRequestView request;
    request.method = c.method;
    request.content_type = c.content_type;
    request.a2a_version = c.version;
    request.body = c.body;
    auto e = extract_actions(match_for(kA2a, c.rest), request, kLimits);
    REQUIRE_FALSE(e);
    CHECK(e.error().http_status == c.status);
    CHECK(e.error().jsonrpc_code == c.code);
    CHECK(e.error().detail == c.detail);
  }
}

TEST_CASE("Fetching the agent card is the action GetAgentCard", "[protocol][a2a]") {
  for (const char* path : {"/.well-known/agent-card.json", "/.well-known/agent.json"}) {
    HttpRequestView request;
    request.method = "GET";
    auto a = only(extract_actions(match_for(kA2a, path), request, kLimits));
    CHECK(a.action == "GetAgentCard");
    CHECK(a.kind == ActionKind::Http);
    CHECK(a.resource == policy::EntityUid{"RemoteAgent", "peer"});
    CHECK(a.context["message"]["role"] == "");
  }
}

TEST_CASE("A plain HTTP request is one action named after its method", "[protocol][http]") {
  HttpRequestView request;
  request.method = "PATCH";
  auto e = extract_actions(match_for(kHttp, "/v1/x", "/api/v1/x", "a=1&b"), request, kLimits);
  auto a = only(e);
  CHECK_FALSE(e->jsonrpc);
  CHECK(a.action == "PATCH");
  CHECK(a.resource == policy::EntityUid{"Endpoint", "api"});
  CHECK(a.context == json::parse(R"({"path":"/api/v1/x","query":"a=1&b"})"));
}

TEST_CASE("The tools/list probe is the tools/call a filter decides on", "[protocol][mcp]") {
  Action probe = tools_call_probe(kMcp, "echo");
  CHECK(probe.action == "tools/call");
  CHECK(probe.resource == policy::EntityUid{"Tool", "tools/echo"});
  CHECK(probe.context == json::parse(R"({"input":{}})"));
}

TEST_CASE("An action copied or moved keeps its whole context (its destructor only frees it)",
          "[protocol][mcp]") {
  const std::string body =
      R"({"jsonrpc":"2.0","id":"c1","method":"tools/call","params":{"name":"echo",)"
      R"("arguments":{"deep":{"list":[1,{"x":"a string longer than fifteen bytes"}]}}}})";
  const json expected = json::parse(R"({"input":{"deep":{"list":[1,{"x":"a string longer than fifteen bytes"}]}}})");
  Action copy;
  {
    auto extraction = post(kMcp, body);
    REQUIRE(extraction);
    copy = extraction->actions.front();  // copy-assigned; the extraction is freed after
    CHECK(extraction->actions.front().context == expected);
  }
  CHECK(copy.context == expected);
  Action moved(std::move(copy));
  CHECK(moved.context == expected);
  CHECK(moved.tool_name == "echo");
  Action assigned;
  assigned = std::move(moved);
  CHECK(assigned.context == expected);
  CHECK(assigned.jsonrpc_id == json("c1"));
}
