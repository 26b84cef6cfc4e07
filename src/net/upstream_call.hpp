// forward(): the one function that sends a request to an upstream. It demands a ForwardPermit —
// which only the decision step can create, after every action was allowed and every decision
// record is durable — so a reader can see that nothing reaches an upstream undecided/unrecorded.
//
// It writes the request (a head the gateway serialises itself, forwarded_headers.hpp, and the
// body as decided, in one gather write) over a pooled keep-alive connection and relays the
// response to the agent as it arrives, with back-pressure (one buffer in flight; the next
// upstream read starts when the agent has taken the previous bytes), never buffered whole:
//   - a Content-Length answer is relayed as raw bytes, no body parser in the way; one of at most
//     kCoalesceBytes that is not an event stream is read to its end first and written to the
//     agent with its head in one write (the common JSON-RPC answer: one TLS record, one send);
//   - a chunked or close-delimited answer is decoded and re-framed for the agent (chunked to an
//     HTTP/1.1 agent, close-delimited to HTTP/1.0), chunk by chunk;
//   - SSE answers are streamed event by event, with sse_idle_timeout between upstream reads;
//     their head goes out at once;
//   - the two answers the gateway must read to rewrite (a tools/list answer in JSON, an agent
//     card) are read whole up to a fixed bound; a tools/list answer over SSE is filtered event
//     by event.
//
// Threading: runs on the session's strand; `done` is called on it exactly once, after the
// response was written (or the failure answered).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "net/decision.hpp"
#include "net/forwarded_headers.hpp"
#include "net/http_session.hpp"
#include "portcullis/protocol/agent_card.hpp"
#include "portcullis/protocol/tools_list_filter.hpp"

namespace portcullis::net {

class UpstreamPool;

// How the upstream's response body must be treated.
struct ResponseRewrite {
  enum class Kind { None, ToolsList, AgentCard, ExtendedAgentCard };
  Kind kind = Kind::None;
  std::vector<nlohmann::json> tools_list_ids;  // ToolsList: ids of the tools/list requests
  protocol::ToolPredicate may_call;            // ToolsList
  protocol::CardRewrite card;                  // AgentCard / ExtendedAgentCard
};

struct ForwardSpec {
  std::shared_ptr<HttpSession> session;
  std::shared_ptr<const Runtime> runtime;  // keeps the pool and config alive
  const config::Route* route = nullptr;   // points into runtime->config
  UpstreamPool* pool = nullptr;
  Request request;                  // the agent's request as decided: method, fields, body
  std::string upstream_target;      // the request target for the upstream (route rewrite)
  ForwardFacts forward;             // what the gateway adds; its views must outlive the call
                                    // (they point into the Exchange, which `done` keeps alive)
  unsigned client_version = 11;     // the agent's HTTP version (10 or 11)
  bool client_keep_alive = true;
  std::string request_id;
  ResponseRewrite rewrite;
  bool jsonrpc = false;             // failure answers in JSON-RPC shape
  std::shared_ptr<const protocol::Extraction> extraction;  // for failure answers (one error
                                                          // per request element); may be null
};

struct ForwardResult {
  int upstream_status = 0;          // 0 when no response came
  std::string error;                // "" or what failed ("timeout", "connect: ...")
  std::int64_t latency_us = 0;
  std::uint64_t request_bytes = 0;
  std::uint64_t response_bytes = 0;
  bool client_keep_alive = false;   // whether the agent connection may serve another request
};

using ForwardDone = std::function<void(ForwardResult)>;

void forward(ForwardPermit permit, ForwardSpec spec, ForwardDone done);

}  // namespace portcullis::net
