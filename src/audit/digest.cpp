#include "portcullis/audit/digest.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstring>

#include "portcullis/common/ascii.hpp"

namespace portcullis::audit {

namespace {
EVP_MD_CTX* as_ctx(void* p) { return static_cast<EVP_MD_CTX*>(p); }

// SHA-256 fetched from the provider once. OpenSSL 3 resolves the legacy EVP_sha256() handle
// again on every EVP_DigestInit_ex (a locked name lookup and an allocation), which cost ~700 ns
// per hash here: more than hashing a Merkle node, and a fifth of sealing a record. The fetched
// method lives as long as the process (still reachable, so not a leak).
const EVP_MD* sha256_method() {
  static const EVP_MD* const method = [] {
    const EVP_MD* fetched = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    return fetched != nullptr ? fetched : EVP_sha256();
  }();
  return method;
}
}  // namespace

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) { reset(); }

Sha256::~Sha256() { EVP_MD_CTX_free(as_ctx(ctx_)); }

void Sha256::reset() { EVP_DigestInit_ex(as_ctx(ctx_), sha256_method(), nullptr); }

void Sha256::update(std::string_view bytes) {
  EVP_DigestUpdate(as_ctx(ctx_), bytes.data(), bytes.size());
}

void Sha256::update(const std::uint8_t* bytes, std::size_t size) {
  EVP_DigestUpdate(as_ctx(ctx_), bytes, size);
}

Digest Sha256::finish() {
  Digest out{};
  unsigned int len = 0;
  EVP_DigestFinal_ex(as_ctx(ctx_), out.data(), &len);
  return out;
}

Digest sha256(std::string_view bytes) {
  Digest out{};
  unsigned int len = 0;
  EVP_Digest(bytes.data(), bytes.size(), out.data(), &len, sha256_method(), nullptr);
  return out;
}

Digest hmac_sha256(std::string_view key, std::string_view message) {
  Digest out{};
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), out.data(), &len);
  return out;
}

namespace {
constexpr char kHexDigits[] = "0123456789abcdef";
}  // namespace

void append_hex(std::string& out, const Digest& digest) {
  for (std::uint8_t b : digest) {
    out.push_back(kHexDigits[b >> 4]);
    out.push_back(kHexDigits[b & 0xf]);
  }
}

std::string to_hex(const Digest& digest) {
  std::string out;
  out.reserve(64);
  append_hex(out, digest);
  return out;
}

std::string to_hex(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char c : bytes) {
    const auto b = static_cast<std::uint8_t>(c);
    out.push_back(kHexDigits[b >> 4]);
    out.push_back(kHexDigits[b & 0xf]);
  }
  return out;
}

std::optional<Digest> digest_from_hex(std::string_view hex) {
  if (hex.size() != 64) {
    return std::nullopt;
  }
  Digest out{};
  for (std::size_t i = 0; i < 32; ++i) {
    const int hi = hex_digit_value(hex[2 * i]);
    const int lo = hex_digit_value(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      return std::nullopt;
    }
    out[i] = static_cast<std::uint8_t>(hi * 16 + lo);
  }
  return out;
}

std::string base64_encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) {
    return std::nullopt;
  }
  std::string out(3 * (text.size() / 4) + 1, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0) {
    return std::nullopt;
  }
  // EVP_DecodeBlock counts padding as zero bytes; drop them.
  std::size_t len = static_cast<std::size_t>(n);
  if (!text.empty() && text.back() == '=') {
    --len;
    if (text.size() >= 2 && text[text.size() - 2] == '=') {
      --len;
    }
  }
  out.resize(len);
  return out;
}

}  // namespace portcullis::audit
