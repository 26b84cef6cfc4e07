// Retry delays for a SIEM sink: exponential growth with "decorrelated jitter", so sinks of many
// gateways that lost the same receiver do not reconnect in lock-step when it comes back.
#pragma once

#include <chrono>
#include <cstdint>
#include <random>

namespace portcullis::net::detail {

class SiemBackoff {
 public:
  // Delays stay within [initial, max]; `seed` makes the sequence reproducible in tests.
  SiemBackoff(std::chrono::milliseconds initial, std::chrono::milliseconds max,
              std::uint64_t seed = std::random_device{}());

  // The delay before the next attempt: uniform in [initial, min(max, 3 * previous)].
  [[nodiscard]] std::chrono::milliseconds next();
  // After a success: the next failure starts again from `initial`.
  void reset();

 private:
  std::chrono::milliseconds initial_;
  std::chrono::milliseconds max_;
  std::chrono::milliseconds previous_;
  std::mt19937_64 random_;
};

}  // namespace portcullis::net::detail
