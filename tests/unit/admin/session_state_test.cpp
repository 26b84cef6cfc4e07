#include "portcullis/admin/session_state.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <thread>
#include <vector>

using portcullis::admin::SessionSnapshot;
using portcullis::admin::SessionState;
using portcullis::admin::SessionStateOptions;
using portcullis::admin::WallTime;
using namespace std::chrono_literals;

namespace {

const WallTime kT0{std::chrono::seconds(1'800'000'000)};
using Strings = std::vector<std::string>;

}  // namespace

TEST_CASE("an allowed call adds its tool and labels to the session", "[admin][session]") {
  SessionState state;
  const Strings labels{"pii"};
  state.record_allowed("s1", "agent", "read_inbox", labels, kT0);
  state.record_allowed("s1", "agent", "search", {}, kT0 + 1s);
  state.record_allowed("s1", "agent", "read_inbox", {}, kT0 + 2s);
  const auto snap = state.snapshot("s1", "agent", kT0 + 3s);
  CHECK(snap.tools == Strings{"read_inbox", "search"});
  CHECK(snap.labels == Strings{"pii"});
}

TEST_CASE("an unknown session has no tools and only the agent's labels", "[admin][session]") {
  SessionState state;
  const Strings labels{"secret"};
  state.record_allowed("s1", "agent", "read", labels, kT0);
  CHECK(state.snapshot("s2", "agent", kT0) == SessionSnapshot{{}, {"secret"}});
  CHECK(state.snapshot("", "agent", kT0) == SessionSnapshot{{}, {"secret"}});
  CHECK(state.snapshot("s1", "other-agent", kT0) == SessionSnapshot{});
}

TEST_CASE("another agent presenting the same session id shares nothing", "[admin][session]") {
  SessionState state;
  const Strings labels{"tainted"};
  state.record_allowed("shared", "agent-a", "read_secrets", labels, kT0);
  CHECK(state.snapshot("shared", "agent-b", kT0) == SessionSnapshot{});
  state.record_allowed("shared", "agent-b", "other", {}, kT0);
  CHECK(state.snapshot("shared", "agent-a", kT0).tools == Strings{"read_secrets"});
  CHECK(state.snapshot("shared", "agent-b", kT0).tools == Strings{"other"});
}

TEST_CASE("agent labels outlive the session until label_ttl", "[admin][session]") {
  SessionStateOptions options;
  options.label_ttl = 3600s;
  SessionState state(options);
  const Strings labels{"pii"};
  state.record_allowed("s1", "agent", "read", labels, kT0);
  state.end_session("s1", "agent");
  CHECK(state.snapshot("s1", "agent", kT0 + 1s).tools.empty());
  CHECK(state.snapshot("s9", "agent", kT0 + 3599s).labels == Strings{"pii"});
  CHECK(state.snapshot("s9", "agent", kT0 + 3600s).labels.empty());
}

TEST_CASE("a label seen again is renewed for another label_ttl", "[admin][session]") {
  SessionStateOptions options;
  options.label_ttl = 100s;
  SessionState state(options);
  const Strings labels{"pii"};
  state.record_allowed("", "agent", "", labels, kT0);
  state.record_allowed("", "agent", "", labels, kT0 + 50s);
  CHECK(state.snapshot("", "agent", kT0 + 120s).labels == Strings{"pii"});
  CHECK(state.snapshot("", "agent", kT0 + 150s).labels.empty());
}

TEST_CASE("session labels stay for the session's life even after the agent labels expire",
          "[admin][session]") {
  SessionStateOptions options;
  options.label_ttl = 10s;
  options.session_idle_ttl = 1000s;
  SessionState state(options);
  const Strings labels{"pii"};
  state.record_allowed("s1", "agent", "read", labels, kT0);
  CHECK(state.snapshot("s1", "agent", kT0 + 500s).labels == Strings{"pii"});
  CHECK(state.snapshot("s2", "agent", kT0 + 500s).labels.empty());
}

TEST_CASE("a session idle longer than session_idle_ttl is forgotten", "[admin][session]") {
  SessionStateOptions options;
  options.session_idle_ttl = 60s;
  options.label_ttl = 1s;
  SessionState state(options);
  state.record_allowed("s1", "agent", "read", {}, kT0);
  CHECK(state.snapshot("s1", "agent", kT0 + 60s).tools == Strings{"read"});  // touches it
  CHECK(state.snapshot("s1", "agent", kT0 + 120s).tools == Strings{"read"});
  CHECK(state.snapshot("s1", "agent", kT0 + 181s).tools.empty());
  CHECK(state.stats().sessions == 0);
}

TEST_CASE("the least recently used session is evicted at max_sessions", "[admin][session]") {
  SessionStateOptions options;
  options.max_sessions = 2;
  SessionState state(options);
  state.record_allowed("s1", "agent", "t1", {}, kT0);
  state.record_allowed("s2", "agent", "t2", {}, kT0 + 1s);
  (void)state.snapshot("s1", "agent", kT0 + 2s);  // s1 is now the most recent
  state.record_allowed("s3", "agent", "t3", {}, kT0 + 3s);
  CHECK(state.snapshot("s1", "agent", kT0 + 4s).tools == Strings{"t1"});
  CHECK(state.snapshot("s2", "agent", kT0 + 4s).tools.empty());
  CHECK(state.snapshot("s3", "agent", kT0 + 4s).tools == Strings{"t3"});
  const auto stats = state.stats();
  CHECK(stats.sessions == 2);
  CHECK(stats.evicted_sessions == 1);
}

TEST_CASE("tools and labels beyond the per-entry caps are dropped and counted",
          "[admin][session]") {
  SessionStateOptions options;
  options.max_tools_per_session = 2;
  options.max_labels_per_entry = 1;
  SessionState state(options);
  const Strings labels{"a", "b"};
  state.record_allowed("s1", "agent", "t1", labels, kT0);
  state.record_allowed("s1", "agent", "t2", {}, kT0);
  state.record_allowed("s1", "agent", "t3", {}, kT0);
  const auto snap = state.snapshot("s1", "agent", kT0);
  CHECK(snap.tools == Strings{"t1", "t2"});
  CHECK(snap.labels == Strings{"a"});
  // t3, "b" for the session, "b" for the agent.
  CHECK(state.stats().dropped_strings == 3);
}

TEST_CASE("expired agent labels make room under the per-agent cap", "[admin][session]") {
  SessionStateOptions options;
  options.max_labels_per_entry = 1;
  options.label_ttl = 10s;
  SessionState state(options);
  const Strings old_label{"old"};
  const Strings new_label{"new"};
  state.record_allowed("", "agent", "", old_label, kT0);
  state.record_allowed("", "agent", "", new_label, kT0 + 11s);
  CHECK(state.snapshot("", "agent", kT0 + 12s).labels == Strings{"new"});
}

TEST_CASE("agents are bounded by max_agents", "[admin][session]") {
  SessionStateOptions options;
  options.max_agents = 2;
  SessionState state(options);
  const Strings labels{"x"};
  state.record_allowed("", "a1", "", labels, kT0);
  state.record_allowed("", "a2", "", labels, kT0);
  state.record_allowed("", "a3", "", labels, kT0);
  CHECK(state.snapshot("", "a1", kT0).labels.empty());
  CHECK(state.snapshot("", "a3", kT0).labels == Strings{"x"});
  CHECK(state.stats().agents == 2);
  CHECK(state.stats().evicted_agents == 1);
}

TEST_CASE("concurrent recording from several threads keeps every tool", "[admin][session]") {
  SessionState state;
  constexpr int kThreads = 4;
  constexpr int kTools = 200;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      // append, not "l" + std::string: a GCC 12 -O3 false -Wrestrict (GCC bug 105329)
      const Strings labels{std::string("l").append(std::to_string(t))};
      for (int i = 0; i < kTools; ++i) {
        state.record_allowed("s", "agent", std::string("tool").append(std::to_string(t * kTools + i)),
                             labels, kT0);
        (void)state.snapshot("s", "agent", kT0);
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  const auto snap = state.snapshot("s", "agent", kT0);
  CHECK(snap.tools.size() == kThreads * kTools);
  CHECK(snap.labels == Strings{"l0", "l1", "l2", "l3"});
}
