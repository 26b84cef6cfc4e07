#include "net/siem_backoff.hpp"

#include <catch2/catch.hpp>

using portcullis::net::detail::SiemBackoff;
using std::chrono::milliseconds;

TEST_CASE("Back-off delays stay within bounds and grow at most threefold", "[siem][backoff]") {
  SiemBackoff backoff(milliseconds(100), milliseconds(5000), 7);
  milliseconds previous(100);
  bool reached_max_region = false;
  for (int i = 0; i < 200; ++i) {
    const auto delay = backoff.next();
    CHECK(delay >= milliseconds(100));
    CHECK(delay <= milliseconds(5000));
    CHECK(delay <= previous * 3);
    reached_max_region = reached_max_region || delay > milliseconds(2500);
    previous = delay;
  }
  CHECK(reached_max_region);
}

TEST_CASE("Back-off delays are jittered, not a fixed sequence", "[siem][backoff]") {
  SiemBackoff a(milliseconds(100), milliseconds(60000), 1);
  SiemBackoff b(milliseconds(100), milliseconds(60000), 2);
  bool differ = false;
  for (int i = 0; i < 10; ++i) {
    differ = differ || a.next() != b.next();
  }
  CHECK(differ);
}

TEST_CASE("A reset back-off starts again from the initial delay", "[siem][backoff]") {
  SiemBackoff backoff(milliseconds(100), milliseconds(60000), 3);
  for (int i = 0; i < 20; ++i) {
    (void)backoff.next();
  }
  backoff.reset();
  CHECK(backoff.next() <= milliseconds(300));
}
