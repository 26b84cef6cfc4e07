// MCP tools/list filtering: drop from an upstream answer the tools this agent may not call, so
// the agent is not offered what it would be refused (DESIGN.md "Protocols", on by default).
//
// Works on one JSON-RPC message or a batch of them (an application/json response body, or the
// `data` of one SSE event). Only responses whose id is one of `tools_list_ids` (the ids of the
// tools/list requests the agent sent in this exchange) are touched: their `result.tools` array
// keeps the entries whose `name` is a string the predicate allows; entries without a string name
// are dropped. Every other message passes unchanged. Pure; thread-safe if the predicate is.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>

#include "portcullis/common/result.hpp"

namespace portcullis::protocol {

using ToolPredicate = std::function<bool(std::string_view tool_name)>;

struct FilteredBody {
  bool changed = false;  // false: forward the original bytes unchanged
  std::string body;      // the re-serialised body when changed
  std::size_t removed = 0;  // tools dropped
};

// Error when `body` is not strict JSON (the caller then fails closed: it must not forward an
// unfiltered tools list it could not read).
[[nodiscard]] Result<FilteredBody> filter_tools_list(std::string_view body,
                                                     std::span<const nlohmann::json> tools_list_ids,
                                                     const ToolPredicate& may_call,
                                                     std::uint32_t max_depth = 64);

}  // namespace portcullis::protocol
