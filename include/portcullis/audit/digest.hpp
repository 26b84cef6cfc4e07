// Digests and encodings the audit chain is built from: SHA-256 and HMAC-SHA-256 (OpenSSL EVP),
// lowercase hex and base64.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace portcullis::audit {

using Digest = std::array<std::uint8_t, 32>;

// An incremental SHA-256 that keeps its OpenSSL context between uses, so hashing many records
// does not allocate per record. Not thread-safe: one per thread.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void reset();
  void update(std::string_view bytes);
  void update(const std::uint8_t* bytes, std::size_t size);
  Digest finish();  // the digest of everything since reset(); then reset() again before reuse

 private:
  void* ctx_;  // EVP_MD_CTX*, kept opaque so OpenSSL headers stay out of this header
};

// One-shot SHA-256.
Digest sha256(std::string_view bytes);

// HMAC-SHA-256 of `message` under `key`.
Digest hmac_sha256(std::string_view key, std::string_view message);

// Lowercase hex of a digest (64 characters), and of arbitrary bytes.
std::string to_hex(const Digest& digest);
std::string to_hex(std::string_view bytes);
void append_hex(std::string& out, const Digest& digest);

// Parses exactly 64 hex digits (either case) into a digest.
std::optional<Digest> digest_from_hex(std::string_view hex);

std::string base64_encode(std::string_view bytes);
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace portcullis::audit
