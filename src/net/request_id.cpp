#include "net/request_id.hpp"

#include <openssl/rand.h>

#include <array>
#include <cstdint>
#include <random>

namespace portcullis::net {

std::string make_request_id() {
  // Seeded once per thread from OpenSSL's CSPRNG; ids must not be guessable across agents.
  thread_local std::mt19937_64 generator = [] {
    std::array<std::uint64_t, 4> seed{};
    if (RAND_bytes(reinterpret_cast<unsigned char*>(seed.data()), sizeof(seed)) != 1) {
      seed[0] = std::random_device{}();
      seed[1] = std::random_device{}();
    }
    std::seed_seq sequence(seed.begin(), seed.end());
    return std::mt19937_64(sequence);
  }();
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id(32, '0');
  for (int half = 0; half < 2; ++half) {
    std::uint64_t bits = generator();
    for (int i = 0; i < 16; ++i) {
      id[static_cast<std::size_t>(half * 16 + i)] = kHex[bits & 0xfU];
      bits >>= 4U;
    }
  }
  return id;
}

}  // namespace portcullis::net
