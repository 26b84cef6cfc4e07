// policy::request_to_jcs must write byte for byte what the audit module's generic RFC 8785
// canonicaliser makes of request_to_json: the gateway puts the former in every decision record,
// and the record's fingerprint is checked against the latter's rules. Property-style: many
// generated requests from a fixed seed, plus the edge cases named one by one.
#include <catch2/catch.hpp>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "portcullis/audit/jcs.hpp"
#include "portcullis/policy/request.hpp"

namespace portcullis::policy {
namespace {

std::string via_json_tree(const Request& request) { return audit::jcs(request_to_json(request)); }

Value extension(std::string_view constructor, std::string_view argument) {
  auto v = Value::extension(constructor, argument);
  REQUIRE(v);
  return *v;
}

Request request_with(Value context) {
  return Request{{"Agent", "spiffe://example.org/agent/a"},
                 {"Action", "tools/call"},
                 {"Tool", "tools/echo"},
                 std::move(context)};
}

// Strings and keys that exercise every JCS rule: escapes, controls, DEL, 2/3/4-byte UTF-8,
// U+E000..U+FFFF against supplementary characters (UTF-16 key order), Cedar-looking escapes.
const std::vector<std::string>& pieces() {
  static const std::vector<std::string> p = {
      "a", "b", "Z", "0", " ", "\"", "\\", "/", "\b", "\f", "\n", "\r", "\t", "\x01", "\x1f",
      "\x7f", "\xC3\xA9", "\xE2\x82\xAC", "\xEF\xAC\xB3", "\xEE\x80\x80", "\xEF\xBF\xBF",
      "\xF0\x9F\x98\x80", "\xF4\x8F\xBF\xBF", "__entity", "__extn", "id", "type", "\\u0041",
  };
  return p;
}

class Generator {
 public:
  explicit Generator(std::uint32_t seed) : rng_(seed) {}

  std::string text(std::size_t max_pieces) {
    std::string s;
    const std::size_t n = below(max_pieces + 1);
    for (std::size_t i = 0; i < n; ++i) s += pieces()[below(pieces().size())];
    return s;
  }

  std::int64_t integer() {
    static const std::int64_t edges[] = {
        0, 1, -1, 42, -42, 9007199254740991, 9007199254740992, 9007199254740993,
        -9007199254740992, -9007199254740993, 9007199254740995, 123456789012345678,
        -987654321098765432, std::numeric_limits<std::int64_t>::max(),
        std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max() - 1,
        1000000000000000000, -1000000000000000000};
    switch (below(3)) {
      case 0: return edges[below(std::size(edges))];
      case 1: return static_cast<std::int64_t>(rng_());  // anywhere in 64 bits
      default: return static_cast<std::int64_t>(below(2001)) - 1000;
    }
  }

  Value value(int depth) {
    const std::size_t kinds = depth > 0 ? 8 : 5;
    switch (below(kinds)) {
      case 0: return Value::boolean(below(2) == 0);
      case 1: return Value::integer(integer());
      case 2: return Value::string(text(6));
      case 3: return Value::entity(EntityUid{below(2) == 0 ? "Agent" : "Ns::Sub::Tool", text(4)});
      case 4: return extension_value();
      case 5: {
        std::vector<Value> elements;
        for (std::size_t i = 0, n = below(5); i < n; ++i) elements.push_back(value(depth - 1));
        return Value::set(std::move(elements));
      }
      default: return record(depth - 1);
    }
  }

  Value record(int depth) {
    std::vector<std::pair<std::string, Value>> fields;
    for (std::size_t i = 0, n = below(6); i < n; ++i) {
      fields.emplace_back(text(3), value(depth));  // duplicate keys collapse, as in Value
    }
    return Value::record(std::move(fields));
  }

  Request request() {
    return Request{{"Agent", text(4)}, {"Action", text(3)}, {"Ns::Tool", text(4)}, record(4)};
  }

 private:
  Value extension_value() {
    static const std::pair<const char*, const char*> rows[] = {
        {"ip", "10.0.0.1"},          {"ip", "192.168.0.0/16"},   {"ip", "::1"},
        {"ip", "2001:db8::/32"},     {"decimal", "1.2345"},      {"decimal", "-0.5"},
        {"decimal", "922337203685477.5807"},                     {"duration", "1h2m3s4ms"},
        {"duration", "-90m"},        {"datetime", "2024-10-15"}, {"datetime", "1969-12-31T23:59:59.999Z"},
        {"datetime", "2024-10-15T11:35:00+0130"},
    };
    const auto& [fn, arg] = rows[below(std::size(rows))];
    return extension(fn, arg);
  }

  std::size_t below(std::size_t n) {
    return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng_);
  }

  std::mt19937_64 rng_;
};

TEST_CASE("request_to_jcs equals the canonicalised request_to_json for generated requests",
          "[policy][request][jcs]") {
  Generator gen(20261127);
  for (int i = 0; i < 3000; ++i) {
    const Request request = gen.request();
    const std::string expected = via_json_tree(request);
    INFO("request " << i << ": " << expected);
    REQUIRE(request_to_jcs(request) == expected);
  }
}

TEST_CASE("request_to_jcs writes Longs beyond 2^53 as JavaScript prints the nearest double",
          "[policy][request][jcs]") {
  const std::pair<std::int64_t, const char*> rows[] = {
      {9007199254740992, "9007199254740992"},
      {9007199254740993, "9007199254740992"},
      {-9007199254740993, "-9007199254740992"},
      {9007199254740995, "9007199254740996"},
      {std::numeric_limits<std::int64_t>::max(), "9223372036854776000"},
      {std::numeric_limits<std::int64_t>::min(), "-9223372036854776000"},
      {1000000000000000000, "1000000000000000000"},
  };
  for (const auto& [n, text] : rows) {
    const Request r = request_with(Value::record({{"n", Value::integer(n)}}));
    const std::string jcs = request_to_jcs(r);
    CHECK(jcs.find(std::string("\"n\":") + text + "}") != std::string::npos);
    CHECK(jcs == via_json_tree(r));
  }
}

TEST_CASE("request_to_jcs orders record keys by UTF-16 code units", "[policy][request][jcs]") {
  // Byte order puts U+FB33 (EF AC B3) before U+1F600 (F0 9F 98 80); UTF-16 puts the surrogate
  // pair (D83D ...) first.
  const Request r = request_with(Value::record(
      {{"\xEF\xAC\xB3", Value::integer(1)}, {"\xF0\x9F\x98\x80", Value::integer(2)},
       {"a", Value::integer(3)}}));
  const std::string jcs = request_to_jcs(r);
  CHECK(jcs.find("{\"a\":3,\"\xF0\x9F\x98\x80\":2,\"\xEF\xAC\xB3\":1}") != std::string::npos);
  CHECK(jcs == via_json_tree(r));
}

TEST_CASE("request_to_jcs writes entities, sets and extension values in their JSON escapes",
          "[policy][request][jcs]") {
  const Request r = request_with(Value::record({
      {"who", Value::entity({"Ns::User", "al\"ice"})},
      {"tags", Value::set({Value::string("b"), Value::string("a"), Value::string("b")})},
      {"ip", extension("ip", "10.1.2.0/24")},
      {"when", extension("datetime", "2024-10-15")},
      {"nested", Value::record({{"deep", Value::record({{"x", Value::boolean(false)}})}})},
  }));
  const std::string jcs = request_to_jcs(r);
  CHECK(jcs == via_json_tree(r));
  CHECK(jcs.find(R"("who":{"__entity":{"id":"al\"ice","type":"Ns::User"}})") != std::string::npos);
  CHECK(jcs.find(R"("ip":{"__extn":{"arg":"10.1.2.0/24","fn":"ip"}})") != std::string::npos);
  CHECK(jcs.find(R"("nested":{"deep":{"x":false}})") != std::string::npos);
  CHECK(jcs.starts_with(R"({"action":{"id":"tools/call","type":"Action"},"context":{)"));
}

}  // namespace
}  // namespace portcullis::policy

namespace portcullis::policy {
namespace {

// request_to_jcs keeps, per thread, the text of the previous request's context members by node
// (src/policy/request.cpp, append_context). Whatever was written before, each text must be the
// canonical one.
TEST_CASE("request_to_jcs writes reused, rebuilt, moved and empty context members exactly",
          "[policy][request][jcs]") {
  const Value tls = Value::record({{"issuer", Value::string("CN=ca")},
                                   {"sans", Value::set({Value::string("spiffe://x/a")})},
                                   {"subject", Value::string("CN=a \"quoted\"")}});
  const Value tls_equal = Value::record({{"issuer", Value::string("CN=ca")},
                                         {"sans", Value::set({Value::string("spiffe://x/a")})},
                                         {"subject", Value::string("CN=a \"quoted\"")}});
  const Value other = Value::record({{"issuer", Value::string("CN=other")}});
  const Value ip = extension("ip", "10.1.2.3");
  const std::vector<std::vector<std::pair<std::string, Value>>> contexts = {
      {{"a", Value()}, {"b", tls}},                              // empty record first
      {{"a", Value()}, {"b", tls}},                              // both reused
      {{"a", tls}, {"b", Value()}},                              // swapped positions
      {{"a", tls_equal}, {"b", other}, {"c", ip}},               // equal content, new node; longer
      {{"a", tls_equal}, {"b", other}, {"c", ip}},               // all reused
      {{"a", other}},                                            // shorter
      {{"a", other}, {"b", tls}, {"c", Value::integer(7)}},      // the third slot kept ip's text
      {},                                                        // empty context
      {{"a", Value::string("")}, {"b", Value::set({})}},         // empty string and set
      {{"a", Value::string("")}, {"b", Value::set({})}},
  };
  // The contexts whose text differs from the canonical one (Catch2 asserts on the test's thread
  // only, so the fresh thread below reports through this list).
  const auto wrong_texts = [&contexts] {
    std::vector<std::size_t> wrong;
    for (std::size_t i = 0; i < contexts.size(); ++i) {
      const Request request = request_with(Value::record(contexts[i]));
      if (request_to_jcs(request) != via_json_tree(request)) wrong.push_back(i);
    }
    return wrong;
  };
  CHECK(wrong_texts().empty());
  CHECK(wrong_texts().empty());  // again, with the text of the last context kept
  // On a fresh thread nothing is kept yet: an empty record member first of all.
  std::vector<std::size_t> wrong_on_fresh_thread{999};
  std::thread fresh([&] { wrong_on_fresh_thread = wrong_texts(); });
  fresh.join();
  CHECK(wrong_on_fresh_thread.empty());
}

}  // namespace
}  // namespace portcullis::policy
