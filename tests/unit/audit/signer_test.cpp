#include "portcullis/audit/signer.hpp"

#include <catch2/catch.hpp>

#include "portcullis/audit/digest.hpp"

using namespace portcullis::audit;

TEST_CASE("an Ed25519 signature verifies with its public key and not with another",
          "[audit][signer]") {
  auto key = SigningKey::generate();
  REQUIRE(key);
  auto sig = key->sign("payload");
  REQUIRE(sig);
  CHECK(sig->size() == 64);
  auto pub = VerifyingKey::from_pem(key->public_pem());
  REQUIRE(pub);
  CHECK(pub->verify("payload", *sig));
  CHECK_FALSE(pub->verify("payload!", *sig));
  auto other = SigningKey::generate();
  REQUIRE(other);
  auto other_pub = other->verifying_key();
  REQUIRE(other_pub);
  CHECK_FALSE(other_pub->verify("payload", *sig));
  CHECK(pub->key_id() == key->key_id());
  CHECK(pub->key_id() != other_pub->key_id());
}

TEST_CASE("keys round-trip through PKCS#8 and SPKI PEM", "[audit][signer]") {
  auto key = SigningKey::generate();
  REQUIRE(key);
  const std::string pem = key->private_pem();
  CHECK(pem.find("BEGIN PRIVATE KEY") != std::string::npos);
  CHECK(key->public_pem().find("BEGIN PUBLIC KEY") != std::string::npos);
  auto again = SigningKey::from_pem(pem);
  REQUIRE(again);
  CHECK(again->key_id() == key->key_id());
  CHECK(again->key_id().size() == 64);
}

TEST_CASE("loading garbage or a missing file as a key fails with a message",
          "[audit][signer]") {
  auto bad = SigningKey::from_pem("not a key");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message.find("PKCS#8") != std::string::npos);
  CHECK_FALSE(VerifyingKey::from_pem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"));
  CHECK_FALSE(SigningKey::load("/nonexistent/audit.key"));
}
