// wait_until: for effects another thread produces on its own timers (a writer thread, a SIEM
// sink, a child process). A loaded machine may run them well after their deadline, so a test
// waits for the effect, with a generous bound, instead of sleeping a little past the deadline.
#pragma once

#include <chrono>
#include <thread>

namespace portcullis::test {

// Polls `condition` every `poll` until it holds or `timeout` passes; returns its last value.
template <typename Condition>
bool wait_until(Condition condition, std::chrono::milliseconds timeout,
                std::chrono::milliseconds poll = std::chrono::milliseconds(5)) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= until) {
      return condition();
    }
    std::this_thread::sleep_for(poll);
  }
  return true;
}

}  // namespace portcullis::test
