#include "portcullis/net/identity.hpp"

#include <openssl/pem.h>
#include <openssl/x509.h>

#include <catch2/catch.hpp>
#include <cstdio>

#include "support/temp_dir.hpp"
#include "support/test_pki.hpp"

using namespace portcullis;

namespace {
Result<net::PeerIdentity> identity_of(const test::IssuedCert& cert) {
  FILE* f = std::fopen(cert.cert.c_str(), "r");
  X509* x509 = PEM_read_X509(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  auto out = net::identity_from_certificate(x509);
  X509_free(x509);
  return out;
}
}  // namespace

TEST_CASE("the first spiffe URI SAN is the identity, before the CN", "[net][identity]") {
  test::TempDir dir;
  test::TestPki pki(dir.path(), "CA");
  auto cert = pki.issue("a", {.common_name = "cn",
                              .uri_sans = {"https://not-spiffe", "spiffe://td/a", "spiffe://td/b"},
                              .dns_sans = {"a.example"}});
  auto id = identity_of(cert);
  REQUIRE(id);
  CHECK(id->id == "spiffe://td/a");
  CHECK(id->spiffe_id == "spiffe://td/a");
  CHECK(id->sans.size() == 4);
  CHECK(id->subject.find("CN=cn") != std::string::npos);
  CHECK(id->issuer.find("CN=CA") != std::string::npos);
  CHECK(id->not_after > 0);
}

TEST_CASE("without a spiffe SAN the UTF-8 subject CN is the identity", "[net][identity]") {
  test::TempDir dir;
  test::TestPki pki(dir.path(), "CA");
  auto id = identity_of(pki.issue("b", {.common_name = "agent-\xc3\xa9", .uri_sans = {"urn:x"}}));
  REQUIRE(id);
  CHECK(id->id == "agent-\xc3\xa9");
  CHECK(id->spiffe_id.empty());
}

TEST_CASE("a certificate with neither spiffe SAN nor CN has no identity", "[net][identity]") {
  test::TempDir dir;
  test::TestPki pki(dir.path(), "CA");
  CHECK_FALSE(identity_of(pki.issue("c", {.dns_sans = {"x.example"}})));
  CHECK_FALSE(net::identity_from_certificate(nullptr));
}
