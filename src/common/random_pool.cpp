#include "portcullis/common/random_pool.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <pthread.h>

#include <array>
#include <atomic>
#include <cstddef>
#include <cstring>

namespace portcullis {
namespace {

// Bumped in every child after fork(), so a child never reuses bytes its parent also holds.
std::atomic<unsigned> g_fork_generation{0};

}  // namespace

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
  std::memcpy(out, pool.bytes.data() + pool.used, 16);
  OPENSSL_cleanse(pool.bytes.data() + pool.used, 16);  // handed out: not kept twice
  pool.used += 16;
  return true;
}

}  // namespace portcullis
