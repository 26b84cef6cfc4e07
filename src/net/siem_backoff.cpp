#include "net/siem_backoff.hpp"

#include <algorithm>

namespace portcullis::net::detail {

SiemBackoff::SiemBackoff(std::chrono::milliseconds initial, std::chrono::milliseconds max,
                         std::uint64_t seed)
    : initial_(std::max(initial, std::chrono::milliseconds(1))),
      max_(std::max(max, initial_)),
      previous_(initial_),
      random_(seed) {}

std::chrono::milliseconds SiemBackoff::next() {
  const auto upper = std::min(max_, previous_ * 3);
  std::uniform_int_distribution<std::int64_t> pick(initial_.count(), upper.count());
  previous_ = std::chrono::milliseconds(pick(random_));
  return previous_;
}

void SiemBackoff::reset() { previous_ = initial_; }

}  // namespace portcullis::net::detail
