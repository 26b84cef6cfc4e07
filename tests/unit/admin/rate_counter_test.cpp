#include "portcullis/admin/rate_counter.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <thread>
#include <vector>

using portcullis::admin::RateCounter;
using portcullis::admin::RateCounterOptions;
using portcullis::admin::RateCounts;
using namespace std::chrono_literals;

namespace {
const RateCounter::Clock::time_point kT0{std::chrono::seconds(1'800'000'000)};
}  // namespace

TEST_CASE("each hit counts for the agent and for the agent and resource", "[admin][rate]") {
  RateCounter rate;
  CHECK(rate.hit("a", "Tool::\"x\"", kT0) == RateCounts{1, 1});
  CHECK(rate.hit("a", "Tool::\"x\"", kT0) == RateCounts{2, 2});
  CHECK(rate.hit("a", "Tool::\"y\"", kT0 + 1s) == RateCounts{3, 1});
  CHECK(rate.hit("b", "Tool::\"x\"", kT0 + 1s) == RateCounts{1, 1});
  CHECK(rate.peek("a", "Tool::\"x\"", kT0 + 1s) == RateCounts{3, 2});
}

TEST_CASE("calls older than a minute leave the window second by second", "[admin][rate]") {
  RateCounter rate;
  (void)rate.hit("a", "r", kT0);
  (void)rate.hit("a", "r", kT0 + 30s);
  CHECK(rate.peek("a", "r", kT0 + 59s) == RateCounts{2, 2});
  CHECK(rate.peek("a", "r", kT0 + 60s) == RateCounts{1, 1});
  CHECK(rate.hit("a", "r", kT0 + 61s) == RateCounts{2, 2});
  CHECK(rate.peek("a", "r", kT0 + 90s) == RateCounts{1, 1});
  CHECK(rate.peek("a", "r", kT0 + 121s) == RateCounts{0, 0});
}

TEST_CASE("a key idle for longer than the window starts again from zero", "[admin][rate]") {
  RateCounter rate;
  for (int i = 0; i < 5; ++i) {
    (void)rate.hit("a", "r", kT0);
  }
  CHECK(rate.hit("a", "r", kT0 + 3600s) == RateCounts{1, 1});
}

TEST_CASE("a clock step backwards still counts the call", "[admin][rate]") {
  RateCounter rate;
  (void)rate.hit("a", "r", kT0 + 10s);
  CHECK(rate.hit("a", "r", kT0) == RateCounts{2, 2});
}

TEST_CASE("agent and resource parts cannot be confused in the key", "[admin][rate]") {
  RateCounter rate;
  (void)rate.hit("ab", "c", kT0);
  CHECK(rate.hit("a", "bc", kT0).resource_per_minute == 1);
}

TEST_CASE("keys are bounded: idle keys go first, then the least recently hit", "[admin][rate]") {
  RateCounterOptions options;
  options.max_agents = 2;
  options.max_resources = 2;
  RateCounter rate(options);
  (void)rate.hit("a", "r", kT0);
  (void)rate.hit("b", "r", kT0 + 100s);
  (void)rate.hit("c", "r", kT0 + 100s);  // "a" went idle: dropped, not counted as evicted
  CHECK(rate.agent_keys() == 2);
  CHECK(rate.evicted() == 0);
  (void)rate.hit("d", "r", kT0 + 101s);  // everyone active: "b" (least recent) evicted
  CHECK(rate.agent_keys() == 2);
  CHECK(rate.resource_keys() == 2);
  CHECK(rate.evicted() == 2);  // one agent key, one agent+resource key
  CHECK(rate.peek("b", "r", kT0 + 101s) == RateCounts{0, 0});
  CHECK(rate.peek("c", "r", kT0 + 101s) == RateCounts{1, 1});
}

TEST_CASE("concurrent hits from several threads are all counted", "[admin][rate]") {
  RateCounter rate;
  constexpr int kThreads = 4;
  constexpr int kPerThread = 2000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        // append, not "r" + std::string: a GCC 12 -O3 false -Wrestrict (GCC bug 105329)
        (void)rate.hit("agent", std::string("r").append(std::to_string(t)), kT0);
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  CHECK(rate.peek("agent", "r0", kT0) == RateCounts{kThreads * kPerThread, kPerThread});
}
