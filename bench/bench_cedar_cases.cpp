// The engine side of bench/compare_cedar.sh, in process: the same policy set, entities and
// requests that cedar-wasm decides (bench/cedar_wasm/agent_cases.js writes them), decided by
// Authorizer::is_authorized in a loop on one thread, timed like the reference's loop.
//
// What one timed decision includes, to match what cedar-wasm's statefulIsAuthorized does per
// call with its pre-parsed policy set: converting the request from an already-parsed JSON value
// (cedar-wasm gets a JavaScript object and converts it into Rust values on every call) and
// deciding. What it leaves out: reading and parsing JSON text, and printing the answer (that is
// the end-to-end `check --batch` column of compare_cedar.sh).
//
//   bench_cedar_cases POLICIES.cedar ENTITIES.json REQUESTS.jsonl [SECONDS]
// prints two lines (convert_and_decide, decide_only): decisions, cpu_seconds,
// decisions_per_cpu_second, p50_ns, p99_ns
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "portcullis/policy/api.hpp"

namespace {

using namespace portcullis;

std::string read_file(const char* path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::cerr << "bench_cedar_cases: cannot read " << path << "\n";
    std::exit(2);
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::cerr << "usage: bench_cedar_cases POLICIES ENTITIES REQUESTS.jsonl [SECONDS]\n";
    return 2;
  }
  const double seconds = argc > 4 ? std::stod(argv[4]) : 3.0;
  Diagnostics diagnostics;
  auto policies = policy::PolicySet::parse({{argv[1], read_file(argv[1])}}, diagnostics);
  auto entities = policy::Entities::from_json_text(read_file(argv[2]), argv[2], diagnostics);
  if (!policies || !entities) {
    for (const auto& d : diagnostics) std::cerr << d.file << ":" << d.line << ":" << d.column << ": " << d.message << "\n";
    return 2;
  }
  const policy::Authorizer authorizer(policies, entities, policy::AuthorizerOptions{});

  std::vector<nlohmann::json> requests;
  std::ifstream lines(argv[3]);
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty()) requests.push_back(nlohmann::json::parse(line));
  }
  if (requests.empty()) {
    std::cerr << "bench_cedar_cases: no requests in " << argv[3] << "\n";
    return 2;
  }

  std::size_t allows = 0;
  for (const auto& json : requests) {
    auto request = policy::request_from_json(json);
    if (!request) {
      std::cerr << "bench_cedar_cases: bad request: " << request.error().message << "\n";
      return 2;
    }
    allows += authorizer.is_authorized(*request).decision == policy::Decision::Allow ? 1 : 0;
  }

  std::vector<std::int64_t> samples;
  samples.reserve(4'000'000);
  std::size_t decisions = 0;
  const double cpu_start = cpu_seconds();
  const auto wall_end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < wall_end) {
    for (const auto& json : requests) {
      const auto t0 = std::chrono::steady_clock::now();
      auto request = policy::request_from_json(json);
      const auto response = authorizer.is_authorized(*request);
      const auto t1 = std::chrono::steady_clock::now();
      samples.push_back(std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0).count());
      decisions += response.decision == policy::Decision::Allow ? 1 : 2;  // keep it observable
    }
  }
  const double cpu = cpu_seconds() - cpu_start;
  const std::size_t count = samples.size();
  std::sort(samples.begin(), samples.end());
  std::printf("convert_and_decide decisions=%zu cpu_seconds=%.3f decisions_per_cpu_second=%.0f p50_ns=%lld p99_ns=%lld allows=%zu checksum=%zu\n",
              count, cpu, static_cast<double>(count) / cpu,
              static_cast<long long>(samples[count / 2]),
              static_cast<long long>(samples[count * 99 / 100]), allows, decisions);

  // The decision alone, requests already converted: what is left when the caller (the gateway)
  // builds policy::Request values directly, as it does.
  std::vector<policy::Request> converted;
  for (const auto& json : requests) converted.push_back(*policy::request_from_json(json));
  samples.clear();
  const double cpu_start2 = cpu_seconds();
  const auto wall_end2 = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < wall_end2) {
    for (const auto& request : converted) {
      const auto t0 = std::chrono::steady_clock::now();
      const auto response = authorizer.is_authorized(request);
      const auto t1 = std::chrono::steady_clock::now();
      samples.push_back(std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0).count());
      decisions += response.decision == policy::Decision::Allow ? 1 : 2;
    }
  }
  const double cpu2 = cpu_seconds() - cpu_start2;
  const std::size_t count2 = samples.size();
  std::sort(samples.begin(), samples.end());
  std::printf("decide_only decisions=%zu cpu_seconds=%.3f decisions_per_cpu_second=%.0f p50_ns=%lld p99_ns=%lld checksum=%zu\n",
              count2, cpu2, static_cast<double>(count2) / cpu2,
              static_cast<long long>(samples[count2 / 2]),
              static_cast<long long>(samples[count2 * 99 / 100]), decisions);
  return 0;
}
