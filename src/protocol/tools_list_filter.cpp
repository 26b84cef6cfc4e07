// tools/list answer filtering.
#include "portcullis/protocol/tools_list_filter.hpp"

#include <algorithm>

#include "portcullis/protocol/strict_json.hpp"

namespace portcullis::protocol {
namespace {

using json = nlohmann::json;

// Filters one message in place; returns how many tools were dropped.
std::size_t filter_message(json& message, std::span<const json> ids, const ToolPredicate& may_call) {
  if (!message.is_object()) {
    return 0;
  }
  auto id = message.find("id");
  if (id == message.end() || std::find(ids.begin(), ids.end(), *id) == ids.end()) {
    return 0;
  }
  auto result = message.find("result");
  if (result == message.end() || !result->is_object()) {
    return 0;
  }
  auto tools = result->find("tools");
  if (tools == result->end() || !tools->is_array()) {
    return 0;
  }
  json kept = json::array();
  std::size_t removed = 0;
  for (auto& tool : *tools) {
    auto name = tool.is_object() ? tool.find("name") : tool.end();
    if (tool.is_object() && name != tool.end() && name->is_string() &&
        may_call(name->get_ref<const std::string&>())) {
      kept.push_back(std::move(tool));
    } else {
      ++removed;
    }
  }
  *tools = std::move(kept);
  return removed;
}

}  // namespace

Result<FilteredBody> filter_tools_list(std::string_view body, std::span<const json> tools_list_ids,
                                       const ToolPredicate& may_call, std::uint32_t max_depth) {
  auto document = parse_strict_json(body, max_depth);
  if (!document) {
    return fail("tools/list answer: " + document.error().message);
  }
  FilteredBody out;
  if (document->is_array()) {
    for (auto& message : *document) {
      out.removed += filter_message(message, tools_list_ids, may_call);
    }
  } else {
    out.removed = filter_message(*document, tools_list_ids, may_call);
  }
  if (out.removed > 0) {
    out.changed = true;
    out.body = document->dump();
  }
  return out;
}

}  // namespace portcullis::protocol
