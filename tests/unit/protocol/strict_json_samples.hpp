// Sample request bodies shared by the strict JSON tests, the differential fuzz target's seeds
// and bench/bench_protocol.cpp.
#pragma once

#include <string_view>

namespace portcullis::protocol::samples {

// The MCP tools/call of the gateway benchmark, byte for byte bench/gateway/load/tools-call.json
// (621 bytes).
inline constexpr std::string_view kToolsCall =
    R"({"jsonrpc":"2.0","id":4711,"method":"tools/call","params":{"name":"payments_transfer",)"
    R"("arguments":{"from_account":"acct_ops_4417","to_account":"acct_vendor_9920","amount":)"
    R"({"value":"1250.00","currency":"EUR"},"memo":"Settlement of invoice INV-2024-118 for Q3 )"
    R"(cloud hosting services","idempotency_key":"7f3c2a9e-1b4d-4c8e-9a2f-5d6e7b8c9d0e",)"
    R"("dry_run":false,"approval":{"requested_by":"agent://finance/reconciler","ticket":)"
    R"("FIN-20931"}},"_meta":{"progressToken":"tok-4711","agent":{"id":)"
    R"("agent://finance/reconciler","session":"sess-01HZX3Q9K7M2","trace_id":)"
    R"("4bf92f3577b34da6a3ce929d0e0e4736","span_id":"00f067aa0ba902b7"}}}})";

}  // namespace portcullis::protocol::samples
