// TestPki: a throw-away certificate authority for hermetic TLS tests (OpenSSL API, ECDSA P-256).
// Issues server and client certificates with chosen CN / SPIFFE URI / DNS / IP SANs and writes
// them as PEM files into a directory of the test's own.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace portcullis::test {

struct CertSpec {
  // `{}` initializers: designated initializers may leave any field out (GCC 12's
  // -Wmissing-field-initializers names the fields without one).
  std::string common_name{};             // "" = no CN in the subject
  std::vector<std::string> uri_sans{};   // e.g. "spiffe://example.org/agent/a"
  std::vector<std::string> dns_sans{};   // e.g. "localhost"
  std::vector<std::string> ip_sans{};    // e.g. "127.0.0.1"
  bool server = false;                 // serverAuth (else clientAuth) extended key usage
  int valid_days = 2;
  int valid_from_days = 0;             // negative: in the past (expired certificates)
};

struct IssuedCert {
  std::filesystem::path cert;  // PEM certificate
  std::filesystem::path key;   // PEM PKCS#8 private key
};

class TestPki {
 public:
  // Creates a self-signed CA named `ca_name` and writes `dir/<file_stem>-ca.pem`.
  TestPki(std::filesystem::path dir, std::string ca_name, std::string file_stem = "test");
  ~TestPki();
  TestPki(const TestPki&) = delete;
  TestPki& operator=(const TestPki&) = delete;

  [[nodiscard]] const std::filesystem::path& ca_cert() const { return ca_cert_path_; }
  // Issues a certificate signed by this CA; files `dir/<name>.pem` and `dir/<name>.key`.
  IssuedCert issue(const std::string& name, const CertSpec& spec);
  // Writes a PEM CRL signed by this CA (valid from an hour ago for a week) that revokes the
  // certificates in `revoked` (each must have been issued by this CA); empty = revokes nothing.
  void write_crl(const std::filesystem::path& file, const std::vector<IssuedCert>& revoked) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::filesystem::path dir_;
  std::filesystem::path ca_cert_path_;
};

}  // namespace portcullis::test
