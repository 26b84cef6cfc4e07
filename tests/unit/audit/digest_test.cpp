#include "portcullis/audit/digest.hpp"

#include <catch2/catch.hpp>

using namespace portcullis::audit;

TEST_CASE("SHA-256 matches the FIPS 180-2 test vectors", "[audit][digest]") {
  CHECK(to_hex(sha256("abc")) ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(to_hex(sha256("")) ==
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  Sha256 h;
  h.update("a");
  h.update("bc");
  CHECK(h.finish() == sha256("abc"));
}

TEST_CASE("HMAC-SHA-256 matches RFC 4231 test case 2", "[audit][digest]") {
  CHECK(to_hex(hmac_sha256("Jefe", "what do ya want for nothing?")) ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST_CASE("hex and base64 round-trip and reject malformed input", "[audit][digest]") {
  const Digest d = sha256("x");
  CHECK(digest_from_hex(to_hex(d)) == d);
  CHECK_FALSE(digest_from_hex("zz"));
  CHECK_FALSE(digest_from_hex(std::string(64, 'g')));
  CHECK(base64_encode("foobar") == "Zm9vYmFy");
  CHECK(base64_decode("Zm9vYg==") == std::optional<std::string>("foob"));
  CHECK(base64_decode("Zm9vYmE=") == std::optional<std::string>("fooba"));
  CHECK_FALSE(base64_decode("Zm9"));
}
