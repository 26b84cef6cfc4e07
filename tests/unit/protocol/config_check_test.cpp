#include "portcullis/protocol/config_check.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>

using namespace portcullis;
namespace fs = std::filesystem;

namespace {

// A temp folder with generated PEM material, removed at the end of the test.
class Fixture {
 public:
  Fixture() {
    std::random_device rd;
    dir_ = fs::temp_directory_path() / ("portcullis-config-check-" + std::to_string(rd()));
    fs::create_directories(dir_ / "policies");
    fs::create_directories(dir_ / "audit");
    write_key_and_cert("gw");
    write_key_and_cert("other");
    write_ed25519("audit.key");
    write("policies/p.cedar", "permit(principal, action, resource);\n");
    write("entities.json", "[]");
    write("hmac.key", "0123456789abcdef0123");
  }
  ~Fixture() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  Fixture(const Fixture&) = delete;
  Fixture& operator=(const Fixture&) = delete;

  [[nodiscard]] const fs::path& dir() const { return dir_; }

  void write(const std::string& name, const std::string& text) const {
    std::ofstream(dir_ / name, std::ios::binary) << text;
  }

  std::shared_ptr<const config::Config> load(const std::string& yaml) const {
    Diagnostics diagnostics;
    auto config = config::load_config_text(yaml, dir_ / "portcullis.yaml", diagnostics);
    for (const auto& d : diagnostics) {
      UNSCOPED_INFO(d.to_string());
    }
    REQUIRE(config);
    return *config;
  }

  std::string at(int line, int column, const std::string& message) const {
    return (dir_ / "portcullis.yaml").string() + ":" + std::to_string(line) + ":" +
           std::to_string(column) + ": " + message;
  }

 private:
  static EVP_PKEY* ec_key() { return EVP_EC_gen("P-256"); }

  void write_key_and_cert(const std::string& stem) const {
    EVP_PKEY* key = ec_key();
    X509* cert = X509_new();
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), 0);
    X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
    X509_set_pubkey(cert, key);
    X509_NAME* name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>(stem.c_str()), -1, -1, 0);
    X509_set_issuer_name(cert, name);
    X509_sign(cert, key, EVP_sha256());
    FILE* f = std::fopen((dir_ / (stem + ".pem")).c_str(), "w");
    PEM_write_X509(f, cert);
    std::fclose(f);
    f = std::fopen((dir_ / (stem + ".key")).c_str(), "w");
    PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr);
    std::fclose(f);
    X509_free(cert);
    EVP_PKEY_free(key);
  }

  void write_ed25519(const std::string& name) const {
    EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
    FILE* f = std::fopen((dir_ / name).c_str(), "w");
    PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr);
    std::fclose(f);
    EVP_PKEY_free(key);
  }

  fs::path dir_;
};

// Line 5 = tls.cert, 6 = tls.key, 7 = client_ca; 15 = policies.dir; 19 = signing_key.
std::string yaml(const std::string& cert, const std::string& key, const std::string& signing_key,
                 const std::string& policies = "policies") {
  return "listeners:\n"
         "  - name: a\n"
         "    address: 127.0.0.1:0\n"
         "    tls:\n"
         "      cert: " + cert + "\n"
         "      key: " + key + "\n"
         "      client_ca: gw.pem\n"
         "routes:\n"
         "  - name: t\n"
         "    prefix: /mcp\n"
         "    protocol: mcp\n"
         "    upstream: http://127.0.0.1:1\n"
         "policies:\n"
         "  entities: entities.json\n"
         "  dir: " + policies + "\n"
         "audit:\n"
         "  dir: audit\n"
         "  hmac_key_file: hmac.key\n"
         "  signing_key: " + signing_key + "\n";
}

std::vector<std::string> check(const config::Config& config) {
  Diagnostics diagnostics;
  const bool ok = protocol::check_config_files(config, diagnostics);
  std::vector<std::string> out;
  for (const auto& d : diagnostics) {
    out.push_back(d.to_string());
  }
  if (ok != out.empty()) {
    out.push_back("BUG: result disagrees with diagnostics");
  }
  return out;
}

}  // namespace

TEST_CASE("A configuration whose files are all sound passes the deep check",
          "[protocol][config_check]") {
  Fixture f;
  CHECK(check(*f.load(yaml("gw.pem", "gw.key", "audit.key"))).empty());
}

TEST_CASE("The deep check names every unusable file at its field", "[protocol][config_check]") {
  Fixture f;
  f.write("not.pem", "hello");
  const auto config = f.load(yaml("not.pem", "other.key", "gw.key"));
  const std::string d = f.dir().string();
  CHECK(check(*config) ==
        std::vector<std::string>{
            f.at(5, 13, "listeners[0].tls.cert: " + d + "/not.pem holds no PEM certificate"),
            f.at(19, 16, "audit.signing_key: " + d +
                             "/gw.key is not an Ed25519 key (portcullis keygen)"),
        });
}

TEST_CASE("A key that does not match its certificate is reported", "[protocol][config_check]") {
  Fixture f;
  const auto config = f.load(yaml("gw.pem", "other.key", "audit.key"));
  CHECK(check(*config) == std::vector<std::string>{f.at(
                              6, 12, "listeners[0].tls.key: " + f.dir().string() +
                                         "/other.key does not match the certificate " +
                                         f.dir().string() + "/gw.pem")});
}

TEST_CASE("Missing files are reported as unreadable", "[protocol][config_check]") {
  Fixture f;
  const auto config = f.load(yaml("gw.pem", "missing.key", "audit.key"));
  CHECK(check(*config) ==
        std::vector<std::string>{f.at(6, 12, "listeners[0].tls.key: cannot read " +
                                                 f.dir().string() + "/missing.key")});
}

TEST_CASE("Policy errors come with the policy file's own position", "[protocol][config_check]") {
  Fixture f;
  f.write("policies/p.cedar", "permit(principal, action, resource)\n");  // no ';'
  const auto config = f.load(yaml("gw.pem", "gw.key", "audit.key"));
  const auto problems = check(*config);
  REQUIRE(problems.size() == 1);
  CHECK(problems[0].rfind(f.dir().string() + "/policies/p.cedar:", 0) == 0);
}

TEST_CASE("A short HMAC key is refused", "[protocol][config_check]") {
  Fixture f;
  f.write("hmac.key", "short");
  const auto problems = check(*f.load(yaml("gw.pem", "gw.key", "audit.key")));
  CHECK(problems == std::vector<std::string>{f.at(18, 18, "audit.hmac_key_file: " +
                                                              f.dir().string() +
                                                              "/hmac.key must hold at least 16 "
                                                              "bytes of key")});
}

TEST_CASE("Loaded policies carry the gateway's authorizer options", "[protocol][config_check]") {
  Fixture f;
  const auto config = f.load(yaml("gw.pem", "gw.key", "audit.key"));
  Diagnostics diagnostics;
  auto loaded = protocol::load_policies(*config, diagnostics);
  REQUIRE(loaded);
  CHECK(loaded->policies->size() == 1);
  CHECK(loaded->options.gateway_additions);
  CHECK(loaded->options.policy_errors == policy::PolicyErrors::Deny);
  CHECK(loaded->options.route_protocols.at("t") == policy::Protocol::Mcp);
}
