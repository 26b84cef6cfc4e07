#include "portcullis/admin/metrics.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using portcullis::admin::Counter;
using portcullis::admin::escape_help;
using portcullis::admin::escape_label_value;
using portcullis::admin::format_value;
using portcullis::admin::Gauge;
using portcullis::admin::Histogram;
using portcullis::admin::Registry;

TEST_CASE("a counter adds what every thread counted", "[admin][metrics]") {
  Counter counter;
  constexpr int kThreads = 4;
  constexpr int kPerThread = 50000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kPerThread; ++i) {
        counter.inc();
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  CHECK(counter.value() == std::uint64_t{kThreads} * kPerThread);
  counter.inc(5);
  CHECK(counter.value() == std::uint64_t{kThreads} * kPerThread + 5);
}

TEST_CASE("a gauge is set and moved by add", "[admin][metrics]") {
  Gauge gauge;
  gauge.set(10);
  gauge.add(-2.5);
  CHECK(gauge.value() == 7.5);
}

TEST_CASE("a histogram puts a value equal to a bound in that bound's bucket", "[admin][metrics]") {
  Histogram histogram({0.1, 1, 10});
  histogram.observe(0.1);   // le=0.1 (inclusive)
  histogram.observe(0.5);   // le=1
  histogram.observe(10);    // le=10
  histogram.observe(11);    // +Inf only
  histogram.observe(std::nan(""));  // not an observation
  const auto snap = histogram.snapshot();
  CHECK(snap.cumulative == std::vector<std::uint64_t>{1, 2, 3, 4});
  CHECK(snap.count == 4);
  CHECK(snap.sum == Approx(21.6));
}

TEST_CASE("a histogram counts every observation from concurrent threads", "[admin][metrics]") {
  Histogram histogram({1, 2});
  constexpr int kThreads = 4;
  constexpr int kPerThread = 20000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        histogram.observe(t % 2 == 0 ? 0.5 : 1.5);
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  const auto snap = histogram.snapshot();
  CHECK(snap.cumulative == std::vector<std::uint64_t>{2 * kPerThread, 4 * kPerThread,
                                                      4 * kPerThread});
  CHECK(snap.sum == Approx(2 * kPerThread * 0.5 + 2 * kPerThread * 1.5));
}

TEST_CASE("sample values are written the way Prometheus reads them", "[admin][metrics]") {
  const std::vector<std::pair<double, std::string>> table = {
      {0, "0"},
      {3, "3"},
      {-2, "-2"},
      {0.5, "0.5"},
      {0.00001, "1e-05"},
      {2.5, "2.5"},
      {1e300, "1e+300"},
      {std::numeric_limits<double>::infinity(), "+Inf"},
      {-std::numeric_limits<double>::infinity(), "-Inf"},
      {std::nan(""), "NaN"},
  };
  for (const auto& [value, text] : table) {
    INFO(text);
    CHECK(format_value(value) == text);
  }
}

TEST_CASE("help text and label values are escaped as the text format requires",
          "[admin][metrics]") {
  CHECK(escape_help("a\\b\nc\"d") == "a\\\\b\\nc\"d");
  CHECK(escape_label_value("a\\b\nc\"d") == "a\\\\b\\nc\\\"d");
}

TEST_CASE("the registry renders the exact text exposition format 0.0.4", "[admin][metrics]") {
  Registry registry;
  auto& requests = registry.counter("test_requests_total", "Requests.\nSecond \\ line.",
                                    {"route", "code"});
  auto& temperature = registry.gauge("test_temperature", "A gauge.");
  auto& latency = registry.histogram("test_latency_seconds", "Latency.", {"route"}, {0.25, 1});
  registry.counter("test_empty_total", "No children yet.", {"route"});

  requests.with({"b", "200"}).inc(2);
  requests.with({"a\"x\\y\nz", "500"}).inc();
  temperature.with({}).set(-1.5);
  latency.with({"r"}).observe(0.25);
  latency.with({"r"}).observe(3);

  const std::string expected =
      "# HELP test_requests_total Requests.\\nSecond \\\\ line.\n"
      "# TYPE test_requests_total counter\n"
      "test_requests_total{route=\"a\\\"x\\\\y\\nz\",code=\"500\"} 1\n"
      "test_requests_total{route=\"b\",code=\"200\"} 2\n"
      "# HELP test_temperature A gauge.\n"
      "# TYPE test_temperature gauge\n"
      "test_temperature -1.5\n"
      "# HELP test_latency_seconds Latency.\n"
      "# TYPE test_latency_seconds histogram\n"
      "test_latency_seconds_bucket{route=\"r\",le=\"0.25\"} 1\n"
      "test_latency_seconds_bucket{route=\"r\",le=\"1\"} 1\n"
      "test_latency_seconds_bucket{route=\"r\",le=\"+Inf\"} 2\n"
      "test_latency_seconds_sum{route=\"r\"} 3.25\n"
      "test_latency_seconds_count{route=\"r\"} 2\n"
      "# HELP test_empty_total No children yet.\n"
      "# TYPE test_empty_total counter\n";
  CHECK(registry.render() == expected);
}

TEST_CASE("an unlabelled histogram renders only the le label", "[admin][metrics]") {
  Registry registry;
  registry.histogram("h", "H.", {}, {1});
  CHECK(registry.render() ==
        "# HELP h H.\n# TYPE h histogram\nh_bucket{le=\"1\"} 0\nh_bucket{le=\"+Inf\"} 0\n"
        "h_sum 0\nh_count 0\n");
}

TEST_CASE("a family returns the same child for the same label values", "[admin][metrics]") {
  Registry registry;
  auto& family = registry.counter("c_total", "C.", {"a"});
  Counter& first = family.with({"x"});
  Counter& again = family.with({"x"});
  CHECK(&first == &again);
  CHECK(&family.with({"y"}) != &first);
}

TEST_CASE("every thread gets the same child for the same label values", "[admin][metrics]") {
  Registry registry;
  auto& family = registry.counter("shared_total", "Shared.", {"a"});
  constexpr int kThreads = 6;  // more threads than some shards: shards are shared too
  std::vector<Counter*> seen(kThreads, nullptr);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] { seen[static_cast<std::size_t>(t)] = &family.with({"x"}); });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  for (Counter* counter : seen) {
    CHECK(counter == &family.with({"x"}));
  }
}

TEST_CASE("label combinations beyond max_series land in one overflow child",
          "[admin][metrics]") {
  Registry registry;
  auto& family = registry.counter("bounded_total", "Bounded.", {"route"}, 2);
  family.with({"a"}).inc();
  family.with({"b"}).inc();
  family.with({"c"}).inc();
  family.with({"d"}).inc();
  CHECK(registry.render() ==
        "# HELP bounded_total Bounded.\n# TYPE bounded_total counter\n"
        "bounded_total{route=\"a\"} 1\nbounded_total{route=\"b\"} 1\n"
        "bounded_total{route=\"overflow\"} 2\n");
}

TEST_CASE("registering an invalid or duplicate metric is refused", "[admin][metrics]") {
  Registry registry;
  registry.counter("ok_total", "Fine.");
  CHECK_THROWS_AS(registry.counter("ok_total", "Again."), std::invalid_argument);
  CHECK_THROWS_AS(registry.counter("9starts_with_digit", "X."), std::invalid_argument);
  CHECK_THROWS_AS(registry.counter("has-dash", "X."), std::invalid_argument);
  CHECK_THROWS_AS(registry.counter("", "X."), std::invalid_argument);
  CHECK_THROWS_AS(registry.counter("l1_total", "X.", {"__reserved"}), std::invalid_argument);
  CHECK_THROWS_AS(registry.counter("l2_total", "X.", {"a", "a"}), std::invalid_argument);
  CHECK_THROWS_AS(registry.counter("l3_total", "X.", {"a:b"}), std::invalid_argument);
  CHECK_THROWS_AS(registry.histogram("h1", "X.", {"le"}, {1}), std::invalid_argument);
  CHECK_THROWS_AS(registry.histogram("h2", "X.", {}, {2, 1}), std::invalid_argument);
  CHECK_THROWS_AS(registry.histogram("h3", "X.", {}, {1, 1}), std::invalid_argument);
  CHECK_THROWS_AS(
      registry.histogram("h4", "X.", {}, {1, std::numeric_limits<double>::infinity()}),
      std::invalid_argument);
  CHECK_NOTHROW(registry.counter("colon:name_total", "Colons are allowed in metric names."));
}

TEST_CASE("rendering while threads create children and count does not lose counts",
          "[admin][metrics]") {
  Registry registry;
  auto& family = registry.counter("busy_total", "Busy.", {"route"});
  constexpr int kThreads = 4;
  constexpr int kPerThread = 5000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        // append, not "r" + std::string: a GCC 12 -O3 false -Wrestrict (GCC bug 105329)
        const std::string route = std::string("r").append(std::to_string((i + t) % 16));
        family.with({route}).inc();
      }
    });
  }
  for (int i = 0; i < 20; ++i) {
    CHECK_FALSE(registry.render().empty());
  }
  for (auto& thread : threads) {
    thread.join();
  }
  std::uint64_t total = 0;
  family.for_each([&](const std::vector<std::string>&, const Counter& c) { total += c.value(); });
  CHECK(total == std::uint64_t{kThreads} * kPerThread);
}

TEST_CASE("a callback series is read at every render", "[admin][metrics]") {
  Registry registry;
  double value = 1;
  registry.callback("cb_total", "Read at scrape.", Registry::CallbackType::Counter,
                    [&value] { return value; });
  registry.callback("cb_gauge", "Also read at scrape.", Registry::CallbackType::Gauge,
                    [] { return 0.5; });
  CHECK(registry.render() ==
        "# HELP cb_total Read at scrape.\n# TYPE cb_total counter\ncb_total 1\n"
        "# HELP cb_gauge Also read at scrape.\n# TYPE cb_gauge gauge\ncb_gauge 0.5\n");
  value = 7;
  CHECK(registry.render().find("\ncb_total 7\n") != std::string::npos);
  CHECK_THROWS_AS(registry.callback("cb_total", "Again.", Registry::CallbackType::Gauge,
                                    [] { return 0.0; }),
                  std::invalid_argument);
  CHECK_THROWS_AS(registry.callback("cb_empty", "No function.", Registry::CallbackType::Gauge, {}),
                  std::invalid_argument);
}
