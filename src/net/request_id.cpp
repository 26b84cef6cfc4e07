#include "net/request_id.hpp"

#include <array>
#include <cstdint>
#include <random>

#include "portcullis/common/random_pool.hpp"

namespace portcullis::net {

// Request ids must not be guessable across agents, so every id is 16 bytes from OpenSSL's CSPRNG
// (a seeded Mersenne Twister would be predictable from ~150 observed ids).
std::string make_request_id() {
  std::array<unsigned char, 16> bytes{};
  if (!random_16(bytes.data())) {
    // No entropy source at all (RAND_bytes failed): still unique per process, not secret.
    thread_local std::mt19937_64 fallback{std::random_device{}()};
    for (std::size_t i = 0; i < bytes.size(); i += 8) {
      std::uint64_t bits = fallback();
      for (std::size_t k = 0; k < 8; ++k, bits >>= 8U) {
        bytes[i + k] = static_cast<unsigned char>(bits);
      }
    }
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id(32, '0');
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    id[2 * i] = kHex[bytes[i] >> 4U];
    id[2 * i + 1] = kHex[bytes[i] & 0xfU];
  }
  return id;
}

}  // namespace portcullis::net
