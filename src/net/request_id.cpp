#include "net/request_id.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <pthread.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <random>

namespace portcullis::net {

namespace {

// Bumped in every child after fork(), so a child never reuses bytes its parent also holds.
std::atomic<unsigned> g_fork_generation{0};

// Request ids must not be guessable across agents, so every id is 16 bytes straight from
// OpenSSL's CSPRNG (a seeded Mersenne Twister would be predictable from ~150 observed ids).
// RAND_bytes checks getpid() on each call, a syscall per request on this path; a per-thread
// pool refilled 4 KiB at a time makes that one call per 256 ids.
bool random_16(unsigned char* out) {
  struct Pool {
    std::array<unsigned char, 4096> bytes{};
    std::size_t used = 4096;
    unsigned generation = 0;
  };
  static const bool registered = [] {
    return ::pthread_atfork(nullptr, nullptr, [] { g_fork_generation.fetch_add(1); }) == 0;
  }();
  thread_local Pool pool;
  const unsigned generation = g_fork_generation.load(std::memory_order_relaxed);
  if (pool.used + 16 > pool.bytes.size() || pool.generation != generation || !registered) {
    if (RAND_bytes(pool.bytes.data(), static_cast<int>(pool.bytes.size())) != 1) {
      pool.used = pool.bytes.size();
      return false;
    }
    pool.used = 0;
    pool.generation = generation;
  }
  std::copy_n(pool.bytes.data() + pool.used, 16, out);
  OPENSSL_cleanse(pool.bytes.data() + pool.used, 16);  // handed out: not kept twice
  pool.used += 16;
  return true;
}

}  // namespace

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
