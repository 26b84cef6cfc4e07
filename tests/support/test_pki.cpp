#include "support/test_pki.hpp"

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <atomic>
#include <cstdio>
#include <ctime>
#include <stdexcept>

namespace portcullis::test {
namespace {

EVP_PKEY* new_key() {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  if (key == nullptr) {
    throw std::runtime_error("EVP_EC_gen failed");
  }
  return key;
}

void add_ext(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (ext == nullptr) {
    throw std::runtime_error("bad extension " + value);
  }
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

void write_file(const std::filesystem::path& path, X509* cert) {
  FILE* f = std::fopen(path.c_str(), "w");
  PEM_write_X509(f, cert);
  std::fclose(f);
}

void write_file(const std::filesystem::path& path, EVP_PKEY* key) {
  FILE* f = std::fopen(path.c_str(), "w");
  PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr);
  std::fclose(f);
}

X509* read_cert(const std::filesystem::path& path) {
  FILE* f = std::fopen(path.c_str(), "r");
  if (f == nullptr) {
    throw std::runtime_error("cannot open " + path.string());
  }
  X509* cert = PEM_read_X509(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  if (cert == nullptr) {
    throw std::runtime_error("no certificate in " + path.string());
  }
  return cert;
}

long next_serial() {
  static std::atomic<long> serial{1000};
  return ++serial;
}

}  // namespace

struct TestPki::Impl {
  EVP_PKEY* key = nullptr;
  X509* cert = nullptr;
  ~Impl() {
    X509_free(cert);
    EVP_PKEY_free(key);
  }
};

TestPki::TestPki(std::filesystem::path dir, std::string ca_name, std::string file_stem)
    : impl_(std::make_unique<Impl>()), dir_(std::move(dir)) {
  impl_->key = new_key();
  impl_->cert = X509_new();
  X509* cert = impl_->cert;
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), next_serial());
  X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert), 7L * 24 * 3600);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(ca_name.c_str()), -1, -1, 0);
  X509_set_issuer_name(cert, name);
  X509_set_pubkey(cert, impl_->key);
  add_ext(cert, cert, NID_basic_constraints, "critical,CA:TRUE");
  add_ext(cert, cert, NID_key_usage, "critical,keyCertSign,cRLSign");
  add_ext(cert, cert, NID_subject_key_identifier, "hash");
  X509_sign(cert, impl_->key, EVP_sha256());
  ca_cert_path_ = dir_ / (file_stem + "-ca.pem");
  write_file(ca_cert_path_, cert);
}

TestPki::~TestPki() = default;

IssuedCert TestPki::issue(const std::string& file_name, const CertSpec& spec) {
  EVP_PKEY* key = new_key();
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), next_serial());
  X509_gmtime_adj(X509_getm_notBefore(cert), spec.valid_from_days * 24L * 3600 - 3600);
  X509_gmtime_adj(X509_getm_notAfter(cert), (spec.valid_from_days + spec.valid_days) * 24L * 3600);
  X509_NAME* name = X509_get_subject_name(cert);
  if (!spec.common_name.empty()) {
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char*>(spec.common_name.c_str()),
                               -1, -1, 0);
  } else {
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char*>("Portcullis tests"), -1, -1,
                               0);
  }
  X509_set_issuer_name(cert, X509_get_subject_name(impl_->cert));
  X509_set_pubkey(cert, key);
  add_ext(cert, impl_->cert, NID_basic_constraints, "critical,CA:FALSE");
  add_ext(cert, impl_->cert, NID_key_usage, "critical,digitalSignature,keyAgreement");
  add_ext(cert, impl_->cert, NID_ext_key_usage, spec.server ? "serverAuth" : "clientAuth");
  // Appended piece by piece: `"," + std::string(...)` draws a false GCC 12 -O3 -Wrestrict
  // (GCC bug 105329).
  std::string sans;
  const auto add_san = [&sans](const char* kind, const std::string& value) {
    if (!sans.empty()) {
      sans += ',';
    }
    sans += kind;
    sans += value;
  };
  for (const auto& uri : spec.uri_sans) {
    add_san("URI:", uri);
  }
  for (const auto& dns : spec.dns_sans) {
    add_san("DNS:", dns);
  }
  for (const auto& ip : spec.ip_sans) {
    add_san("IP:", ip);
  }
  if (!sans.empty()) {
    add_ext(cert, impl_->cert, NID_subject_alt_name, sans);
  }
  X509_sign(cert, impl_->key, EVP_sha256());
  IssuedCert out{dir_ / (file_name + ".pem"), dir_ / (file_name + ".key")};
  write_file(out.cert, cert);
  write_file(out.key, key);
  X509_free(cert);
  EVP_PKEY_free(key);
  return out;
}

void TestPki::write_crl(const std::filesystem::path& file,
                        const std::vector<IssuedCert>& revoked) const {
  X509_CRL* crl = X509_CRL_new();
  ASN1_TIME* last_update = ASN1_TIME_adj(nullptr, std::time(nullptr), 0, -3600);
  ASN1_TIME* next_update = ASN1_TIME_adj(nullptr, std::time(nullptr), 7, 0);
  X509_CRL_set_version(crl, 1);  // v2
  X509_CRL_set_issuer_name(crl, X509_get_subject_name(impl_->cert));
  X509_CRL_set1_lastUpdate(crl, last_update);
  X509_CRL_set1_nextUpdate(crl, next_update);
  for (const auto& issued : revoked) {
    X509* cert = read_cert(issued.cert);
    X509_REVOKED* entry = X509_REVOKED_new();
    X509_REVOKED_set_serialNumber(entry, X509_get_serialNumber(cert));
    X509_REVOKED_set_revocationDate(entry, last_update);
    X509_CRL_add0_revoked(crl, entry);
    X509_free(cert);
  }
  X509_CRL_sort(crl);
  const bool signed_ok = X509_CRL_sign(crl, impl_->key, EVP_sha256()) > 0;
  FILE* f = signed_ok ? std::fopen(file.c_str(), "w") : nullptr;
  const bool written = f != nullptr && PEM_write_X509_CRL(f, crl) == 1;
  if (f != nullptr) {
    std::fclose(f);
  }
  ASN1_TIME_free(next_update);
  ASN1_TIME_free(last_update);
  X509_CRL_free(crl);
  if (!written) {
    throw std::runtime_error("cannot write the CRL " + file.string());
  }
}

}  // namespace portcullis::test
