// Strict JSON parse of request bodies (issue 5): protocol::parse_strict_json (hand-written
// recursive descent) beside the nlohmann SAX + filter parser it replaced (the test reference,
// tests/unit/protocol/strict_json_reference.cpp), on the same bodies in the same run: the
// gateway harness's 621-byte MCP tools/call and larger ones. Figures only, never pass/fail.
//
//   build/<dir>/bench/bench_protocol
//   build/<dir>/bench/bench_protocol --benchmark_perf_counters=INSTRUCTIONS   # if perf allows
#include <benchmark/benchmark.h>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "portcullis/protocol/strict_json.hpp"
#include "unit/protocol/strict_json_reference.hpp"
#include "unit/protocol/strict_json_samples.hpp"

namespace {

using portcullis::Result;
using nlohmann::json;
namespace samples = portcullis::protocol::samples;

const std::string kToolsCall(samples::kToolsCall);

// A batch of `n` tools/call requests (ids 1..n).
std::string batch(int n) {
  const std::size_t id_at = kToolsCall.find("4711");
  std::string out = "[";
  for (int i = 1; i <= n; ++i) {
    if (i > 1) {
      out += ',';
    }
    out.append(kToolsCall, 0, id_at);
    out += std::to_string(i);
    out.append(kToolsCall, id_at + 4);
  }
  out += "]";
  return out;
}

// A tools/list answer of `n` tools with JSON Schemas: what the tools/list filter parses.
std::string tools_list(int n) {
  std::string out = R"({"jsonrpc":"2.0","id":2,"result":{"tools":[)";
  for (int i = 0; i < n; ++i) {
    if (i > 0) {
      out += ',';
    }
    out += R"({"name":"tool_)";
    out += std::to_string(i);
    out += R"(","description":"Reads records from the ledger \"main\" and returns them as )"
           R"(rows; caf\u00e9 \u2014 r\u00e9sum\u00e9 \ud83d\ude00","inputSchema":{"type":)"
           R"("object","properties":{"account":{"type":"string","maxLength":64},"limit":)"
           R"({"type":"integer","minimum":1,"maximum":1000},"ratio":{"type":"number",)"
           R"("minimum":0.0,"maximum":1.5e3}},"required":["account"]}})";
  }
  out += "]}}";
  return out;
}

// Arguments heavy in numbers and non-ASCII text.
std::string mixed_arguments(int n) {
  std::string out = R"({"jsonrpc":"2.0","id":"req-9","method":"tools/call","params":{"name":)"
                    R"("stats_upload","arguments":{"samples":[)";
  for (int i = 0; i < n; ++i) {
    if (i > 0) {
      out += ',';
    }
    out += std::to_string(i * 7919 - 40000);
    out += ',';
    out += std::to_string(i);
    out += ".25e-3";
  }
  out += R"(],"labels":[)";
  for (int i = 0; i < n / 4; ++i) {
    if (i > 0) {
      out += ',';
    }
    out += "\"Gr\xC3\xBC\xC3\x9F" "e \xE6\x97\xA5\xE6\x9C\xAC ";
    out += std::to_string(i);
    out += '"';
  }
  out += "]}}}";
  return out;
}

void require_accepted(const Result<json>& parsed, const char* what) {
  if (!parsed) {
    std::fprintf(stderr, "bench_protocol: %s refused: %s\n", what,
                 parsed.error().message.c_str());
    std::abort();
  }
}

template <Result<json> (*Parse)(std::string_view, std::uint32_t)>
void run(benchmark::State& state, const std::string& body) {
  require_accepted(Parse(body, 64), "body");
  for (auto _ : state) {
    auto parsed = Parse(body, 64);
    benchmark::DoNotOptimize(parsed);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * body.size()));
  state.counters["body_bytes"] = static_cast<double>(body.size());
}

constexpr auto kNew = &portcullis::protocol::parse_strict_json;
constexpr auto kOld = &portcullis::protocol::reference::parse_strict_json_sax;

const std::string kBatch8 = batch(8);
const std::string kToolsList = tools_list(40);
const std::string kMixed = mixed_arguments(400);

void BM_new_tools_call(benchmark::State& s) { run<kNew>(s, kToolsCall); }
void BM_old_tools_call(benchmark::State& s) { run<kOld>(s, kToolsCall); }
void BM_new_batch8(benchmark::State& s) { run<kNew>(s, kBatch8); }
void BM_old_batch8(benchmark::State& s) { run<kOld>(s, kBatch8); }
void BM_new_tools_list40(benchmark::State& s) { run<kNew>(s, kToolsList); }
void BM_old_tools_list40(benchmark::State& s) { run<kOld>(s, kToolsList); }
void BM_new_numbers_utf8(benchmark::State& s) { run<kNew>(s, kMixed); }
void BM_old_numbers_utf8(benchmark::State& s) { run<kOld>(s, kMixed); }

BENCHMARK(BM_old_tools_call);
BENCHMARK(BM_new_tools_call);
BENCHMARK(BM_old_batch8);
BENCHMARK(BM_new_batch8);
BENCHMARK(BM_old_tools_list40);
BENCHMARK(BM_new_tools_list40);
BENCHMARK(BM_old_numbers_utf8);
BENCHMARK(BM_new_numbers_utf8);

}  // namespace

BENCHMARK_MAIN();
