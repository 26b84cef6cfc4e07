#include "portcullis/audit/signer.hpp"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <fstream>
#include <sstream>

#include "portcullis/audit/digest.hpp"

namespace portcullis::audit {

void detail::PkeyDeleter::operator()(void* pkey) const {
  EVP_PKEY_free(static_cast<EVP_PKEY*>(pkey));
}

namespace {

EVP_PKEY* raw(const detail::PkeyPtr& p) { return static_cast<EVP_PKEY*>(p.get()); }

std::string openssl_error() {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) {
    return "unknown OpenSSL error";
  }
  char buf[256];
  ERR_error_string_n(code, buf, sizeof buf);
  return buf;
}

Result<std::string> read_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    return fail("cannot read key file " + file.string());
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string spki_der(EVP_PKEY* key) {
  unsigned char* der = nullptr;
  const int len = i2d_PUBKEY(key, &der);
  if (len <= 0) {
    return {};
  }
  std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(len));
  OPENSSL_free(der);
  return out;
}

std::string key_id_of(EVP_PKEY* key) { return to_hex(sha256(spki_der(key))); }

std::string pem_of(EVP_PKEY* key, bool private_key) {
  BIO* bio = BIO_new(BIO_s_mem());
  const int ok = private_key
                     ? PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr)
                     : PEM_write_bio_PUBKEY(bio, key);
  std::string out;
  if (ok == 1) {
    char* data = nullptr;
    const long len = BIO_get_mem_data(bio, &data);
    out.assign(data, static_cast<std::size_t>(len));
  }
  BIO_free(bio);
  return out;
}

bool is_ed25519(EVP_PKEY* key) { return EVP_PKEY_get_id(key) == EVP_PKEY_ED25519; }

enum class PemKind { Private, Public };

// One Ed25519 key from PEM text: PKCS#8 for a private key, SubjectPublicKeyInfo for a public one.
Result<detail::PkeyPtr> read_ed25519_pem(std::string_view pem, PemKind kind) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  detail::PkeyPtr key(kind == PemKind::Private
                          ? PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr)
                          : PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr));
  BIO_free(bio);
  const char* what = kind == PemKind::Private ? "private" : "public";
  if (!key) {
    const char* format = kind == PemKind::Private ? "PKCS#8" : "SubjectPublicKeyInfo";
    return fail(std::string("not a PEM ") + what + " key (" + format + "): " + openssl_error());
  }
  if (!is_ed25519(raw(key))) {
    return fail(std::string(what) + " key is not an Ed25519 key");
  }
  return key;
}

// Key::from_pem over the contents of `file`; errors name the file.
template <typename Key>
Result<Key> load_key_file(const std::filesystem::path& file) {
  auto text = read_file(file);
  if (!text) {
    return tl::unexpected(text.error());
  }
  auto key = Key::from_pem(*text);
  if (!key) {
    return fail(file.string() + ": " + key.error().message);
  }
  return key;
}

}  // namespace

VerifyingKey::VerifyingKey(detail::PkeyPtr key)
    : key_(std::move(key)), key_id_(key_id_of(raw(key_))) {}

Result<VerifyingKey> VerifyingKey::from_pem(std::string_view pem) {
  return read_ed25519_pem(pem, PemKind::Public).map([](detail::PkeyPtr key) {
    return VerifyingKey(std::move(key));
  });
}

Result<VerifyingKey> VerifyingKey::load(const std::filesystem::path& file) {
  return load_key_file<VerifyingKey>(file);
}

bool VerifyingKey::verify(std::string_view message, std::string_view signature) const {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool ok = EVP_DigestVerifyInit(ctx, nullptr, nullptr, nullptr, raw(key_)) == 1 &&
            EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(signature.data()),
                             signature.size(),
                             reinterpret_cast<const unsigned char*>(message.data()),
                             message.size()) == 1;
  EVP_MD_CTX_free(ctx);
  ERR_clear_error();
  return ok;
}

std::string VerifyingKey::public_pem() const { return pem_of(raw(key_), false); }

SigningKey::SigningKey(detail::PkeyPtr key) : key_(std::move(key)), key_id_(key_id_of(raw(key_))) {}

Result<SigningKey> SigningKey::from_pem(std::string_view pem) {
  return read_ed25519_pem(pem, PemKind::Private).map([](detail::PkeyPtr key) {
    return SigningKey(std::move(key));
  });
}

Result<SigningKey> SigningKey::load(const std::filesystem::path& file) {
  return load_key_file<SigningKey>(file);
}

Result<SigningKey> SigningKey::generate() {
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  if (key == nullptr) {
    return fail("cannot generate an Ed25519 key: " + openssl_error());
  }
  return SigningKey(detail::PkeyPtr(key));
}

Result<std::string> SigningKey::sign(std::string_view message) const {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  std::string sig(64, '\0');
  std::size_t len = sig.size();
  const bool ok = EVP_DigestSignInit(ctx, nullptr, nullptr, nullptr, raw(key_)) == 1 &&
                  EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                                 reinterpret_cast<const unsigned char*>(message.data()),
                                 message.size()) == 1;
  EVP_MD_CTX_free(ctx);
  if (!ok) {
    return fail("Ed25519 signing failed: " + openssl_error());
  }
  sig.resize(len);
  return sig;
}

std::string SigningKey::private_pem() const { return pem_of(raw(key_), true); }
std::string SigningKey::public_pem() const { return pem_of(raw(key_), false); }

Result<VerifyingKey> SigningKey::verifying_key() const { return VerifyingKey::from_pem(public_pem()); }

}  // namespace portcullis::audit
