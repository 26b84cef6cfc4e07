// Fuzz target: everything the protocol module does with bytes an agent or upstream controls.
// Input layout: byte 0 selects route protocol / HTTP method / A2A-Version; the first line is
// the request target; the rest is the body. Any rejection is fine; crashes, sanitizer reports,
// exceptions and broken invariants are not.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "portcullis/config/config.hpp"
#include "portcullis/protocol/action.hpp"
#include "portcullis/protocol/agent_card.hpp"
#include "portcullis/protocol/answers.hpp"
#include "portcullis/protocol/router.hpp"
#include "portcullis/protocol/sse.hpp"
#include "portcullis/protocol/tools_list_filter.hpp"

namespace {

using namespace portcullis;
using namespace portcullis::protocol;

std::vector<config::Route> make_routes() {
  std::vector<config::Route> routes(3);
  routes[0].name = "tools";
  routes[0].prefix = "/mcp";
  routes[0].protocol = config::RouteProtocol::Mcp;
  routes[0].upstream = *config::parse_url("http://127.0.0.1:3001/mcp");
  routes[1].name = "peer";
  routes[1].prefix = "/peer";
  routes[1].protocol = config::RouteProtocol::A2a;
  routes[1].upstream = *config::parse_url("http://127.0.0.1:4001");
  routes[2].name = "api";
  routes[2].prefix = "/";
  routes[2].protocol = config::RouteProtocol::Http;
  routes[2].upstream = *config::parse_url("http://127.0.0.1:5001/v1");
  return routes;
}

void check(bool condition) {
  if (!condition) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::vector<config::Route> routes = make_routes();
  static const Router router(routes);
  if (size == 0) {
    return 0;
  }
  const std::uint8_t selector = data[0];
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  const auto newline = input.find('\n');
  std::string_view target = input.substr(0, newline);
  std::string_view body = newline == std::string_view::npos ? std::string_view{} : input.substr(newline + 1);

  static const char* const kMethods[] = {"POST", "GET", "DELETE", "PUT"};
  static const std::optional<std::string_view> kVersions[] = {std::nullopt, "1.0", "0.3", "2.0"};
  HttpRequestView request;
  request.method = kMethods[selector & 3];
  request.a2a_version = kVersions[(selector >> 2) & 3];
  request.content_type = (selector & 16) ? "application/json" : "application/json; charset=utf-8";
  request.body = body;
  config::Limits limits;
  limits.max_json_depth = 32;
  limits.max_batch_size = 8;

  // The route and, when the target is unusable, the whole-body path on each protocol.
  auto match = router.match(target, "gw");
  std::optional<RouteMatch> chosen;
  if (match) {
    check(match->route != nullptr);
    check(!match->upstream_target.empty() && match->upstream_target.front() == '/');
    chosen = *match;
  } else {
    check(match.error().http_status >= 400);
    (void)rejection_answer(match.error(), "fuzz");
    RouteMatch fallback;
    fallback.route = &routes[(selector >> 5) % routes.size()];
    chosen = fallback;
  }
  auto extraction = extract_actions(*chosen, request, limits);
  if (extraction) {
    check(!extraction->actions.empty());
    check(extraction->actions.size() <= limits.max_batch_size);
    std::vector<Verdict> verdicts(extraction->actions.size());
    verdicts.back().denial.message = "no";
    const Answer answer = denied_answer(*extraction, verdicts, "fuzz");
    check(answer.status == 200 || answer.status == 403);
    check(nlohmann::json::accept(answer.body));
    const Answer failure = failure_answer(*extraction, GatewayFailure::AuditUnavailable, "fuzz");
    check(failure.status == 503);
  } else {
    const Answer answer = rejection_answer(extraction.error(), "fuzz");
    check(answer.status >= 400 && nlohmann::json::accept(answer.body));
  }

  // Upstream-controlled bytes: agent cards, tools/list answers, SSE streams.
  const CardRewrite rewrite{"http://127.0.0.1:4001", "https://gw:8443/peer"};
  (void)rewrite_agent_card_body(body, rewrite, 32);
  const std::vector<nlohmann::json> ids = {nlohmann::json(1), nlohmann::json("a")};
  auto filtered = filter_tools_list(
      body, ids, [](std::string_view name) { return name.size() % 2 == 0; }, 32);
  if (filtered && filtered->changed) {
    check(nlohmann::json::accept(filtered->body));
  }
  SseParser sse(4096);
  std::vector<SseEvent> events;
  const std::size_t half = body.size() / 2;
  if (sse.feed(body.substr(0, half), events)) {
    (void)sse.feed(body.substr(half), events);
  }
  for (const auto& event : events) {
    (void)SseParser::serialize(event);
  }
  return 0;
}
