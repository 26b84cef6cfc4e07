# Protocol module fuzz target: the JSON-RPC extraction path (routing, strict JSON, JSON-RPC
# shapes, MCP/A2A/HTTP actions, answers) plus the response-side rewriters that read upstream
# bytes (agent cards, tools/list filtering, the SSE parser).
portcullis_fuzz_target(jsonrpc_extract
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_jsonrpc_extract.cpp
  DEPS portcullis::protocol_core)
