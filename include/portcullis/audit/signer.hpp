// Ed25519 keys for checkpoint signatures (OpenSSL EVP): PKCS#8 PEM private keys, SPKI PEM
// public keys. key_id = lowercase hex SHA-256 of the public key's DER SubjectPublicKeyInfo.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "portcullis/common/result.hpp"

namespace portcullis::audit {

namespace detail {
struct PkeyDeleter {
  void operator()(void* pkey) const;
};
using PkeyPtr = std::unique_ptr<void, PkeyDeleter>;  // EVP_PKEY*
}  // namespace detail

// Verifies checkpoint signatures. Thread-compatible (const use from many threads is fine).
class VerifyingKey {
 public:
  static Result<VerifyingKey> from_pem(std::string_view pem);
  static Result<VerifyingKey> load(const std::filesystem::path& file);

  [[nodiscard]] bool verify(std::string_view message, std::string_view signature) const;
  [[nodiscard]] const std::string& key_id() const { return key_id_; }
  [[nodiscard]] std::string public_pem() const;

 private:
  explicit VerifyingKey(detail::PkeyPtr key);  // owns `key`; key_id_ computed from it

  detail::PkeyPtr key_;
  std::string key_id_;
};

// Signs checkpoints on the writer thread.
class SigningKey {
 public:
  static Result<SigningKey> from_pem(std::string_view pem);
  static Result<SigningKey> load(const std::filesystem::path& file);
  // A fresh key pair (for keygen and tests).
  static Result<SigningKey> generate();

  [[nodiscard]] Result<std::string> sign(std::string_view message) const;  // 64 raw bytes
  [[nodiscard]] const std::string& key_id() const { return key_id_; }
  [[nodiscard]] std::string private_pem() const;  // PKCS#8
  [[nodiscard]] std::string public_pem() const;   // SPKI
  [[nodiscard]] Result<VerifyingKey> verifying_key() const;

 private:
  explicit SigningKey(detail::PkeyPtr key);  // owns `key`; key_id_ computed from it

  detail::PkeyPtr key_;
  std::string key_id_;
};

}  // namespace portcullis::audit
