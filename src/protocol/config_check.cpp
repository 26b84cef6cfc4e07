// Loading what a Config refers to: policies, entities, and the deep file checks (certificates,
// keys, CRLs) behind `validate --config` and reload.
#include "portcullis/protocol/config_check.hpp"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <unistd.h>

#include <fstream>
#include <memory>
#include <sstream>

#include "portcullis/policy/entities.hpp"
#include "portcullis/policy/policy_set.hpp"

namespace portcullis::protocol {
namespace {

namespace fs = std::filesystem;

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct CrlFree {
  void operator()(X509_CRL* c) const { X509_CRL_free(c); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using CrlPtr = std::unique_ptr<X509_CRL, CrlFree>;

class Checker {
 public:
  Checker(const config::Config& config, Diagnostics& diagnostics)
      : config_(config), diagnostics_(diagnostics) {}

  void error(const std::string& field, std::string message) {
    diagnostics_.push_back(config_.diagnostic_at(field, std::move(message)));
    ok_ = false;
  }
  [[nodiscard]] bool ok() const { return ok_; }

  // Opens `path` for reading; reports and returns null if it cannot.
  BioPtr open(const std::string& field, const fs::path& path) {
    BioPtr bio(BIO_new_file(path.c_str(), "r"));
    if (!bio) {
      error(field, field + ": cannot read " + path.string());
    }
    return bio;
  }

  // The first certificate of a PEM file (and how many there are).
  X509Ptr certificates(const std::string& field, const fs::path& path, const char* what) {
    BioPtr bio = open(field, path);
    if (!bio) {
      return nullptr;
    }
    X509Ptr first;
    int count = 0;
    while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
      if (!first) {
        first.reset(cert);
      } else {
        X509_free(cert);
      }
      ++count;
    }
    if (count == 0) {
      error(field, field + ": " + path.string() + " holds no PEM " + what);
    }
    return first;
  }

  PkeyPtr private_key(const std::string& field, const fs::path& path) {
    BioPtr bio = open(field, path);
    if (!bio) {
      return nullptr;
    }
    PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
    if (!key) {
      error(field, field + ": " + path.string() + " holds no PEM private key (or it is encrypted)");
    }
    return key;
  }

  void cert_and_key(const std::string& prefix, const fs::path& cert_path,
                    const fs::path& key_path) {
    X509Ptr cert = certificates(prefix + ".cert", cert_path, "certificate");
    PkeyPtr key = private_key(prefix + ".key", key_path);
    if (cert && key && X509_check_private_key(cert.get(), key.get()) != 1) {
      error(prefix + ".key", prefix + ".key: " + key_path.string() +
                                 " does not match the certificate " + cert_path.string());
    }
  }

  void server_tls(const std::string& prefix, const config::ServerTls& tls) {
    cert_and_key(prefix, tls.cert, tls.key);
    certificates(prefix + ".client_ca", tls.client_ca, "CA certificate");
    if (!tls.crl.empty()) {
      BioPtr bio = open(prefix + ".crl", tls.crl);
      if (bio) {
        CrlPtr crl(PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr));
        if (!crl) {
          error(prefix + ".crl", prefix + ".crl: " + tls.crl.string() + " holds no PEM CRL");
        }
      }
    }
  }

  void client_tls(const std::string& prefix, const config::ClientTls& tls) {
    if (!tls.ca.empty()) {
      certificates(prefix + ".ca", tls.ca, "CA certificate");
    }
    if (!tls.cert.empty() && !tls.key.empty()) {
      cert_and_key(prefix, tls.cert, tls.key);
    }
  }

  void signing_key(const fs::path& path) {
    PkeyPtr key = private_key("audit.signing_key", path);
    if (key && EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_ED25519) {
      error("audit.signing_key",
            "audit.signing_key: " + path.string() + " is not an Ed25519 key (portcullis keygen)");
    }
  }

  void hmac_key(const fs::path& path) {
    std::error_code ec;
    const auto size = fs::file_size(path, ec);
    if (ec) {
      error("audit.hmac_key_file", "audit.hmac_key_file: cannot read " + path.string());
    } else if (size < 16) {
      error("audit.hmac_key_file",
            "audit.hmac_key_file: " + path.string() + " must hold at least 16 bytes of key");
    }
  }

  void audit_dir(const fs::path& dir) {
    std::error_code ec;
    const fs::path existing = fs::exists(dir, ec) ? dir : dir.parent_path();
    if (!fs::is_directory(existing, ec)) {
      error("audit.dir", "audit.dir: " + dir.string() + " is not a directory (nor can it be created)");
    } else if (::access(existing.c_str(), W_OK) != 0) {
      error("audit.dir", "audit.dir: " + existing.string() + " is not writable");
    }
  }

 private:
  const config::Config& config_;
  Diagnostics& diagnostics_;
  bool ok_ = true;
};

std::string indexed(const char* name, std::size_t i) {
  return std::string(name) + "[" + std::to_string(i) + "]";
}

}  // namespace

policy::AuthorizerOptions authorizer_options(const config::Config& config) {
  policy::AuthorizerOptions options;
  options.gateway_additions = true;
  switch (config.policies.policy_errors) {
    case config::PolicyErrorMode::Deny:
      options.policy_errors = policy::PolicyErrors::Deny;
      break;
    case config::PolicyErrorMode::Skip:
      options.policy_errors = policy::PolicyErrors::Skip;
      break;
  }
  for (const auto& route : config.routes) {
    switch (route.protocol) {
      case config::RouteProtocol::Mcp:
        options.route_protocols[route.name] = policy::Protocol::Mcp;
        break;
      case config::RouteProtocol::A2a:
        options.route_protocols[route.name] = policy::Protocol::A2a;
        break;
      case config::RouteProtocol::Http:
        options.route_protocols[route.name] = policy::Protocol::Http;
        break;
    }
  }
  return options;
}

Result<LoadedPolicies> load_policies(const config::Config& config, Diagnostics& diagnostics) {
  LoadedPolicies out;
  const std::size_t before = diagnostics.size();
  out.policies = policy::PolicySet::load(config.policies.dir, diagnostics);
  if (!out.policies && diagnostics.size() == before) {
    diagnostics.push_back(config.diagnostic_at(
        "policies.dir", "policies.dir: cannot load policies from " + config.policies.dir.string()));
  }
  if (config.policies.entities.empty()) {
    out.entities = std::make_shared<const policy::Entities>();
  } else {
    std::ifstream in(config.policies.entities, std::ios::binary);
    std::ostringstream text;
    if (in) {
      text << in.rdbuf();
    }
    if (!in) {
      diagnostics.push_back(config.diagnostic_at(
          "policies.entities",
          "policies.entities: cannot read " + config.policies.entities.string()));
    } else {
      out.entities = policy::Entities::from_json_text(
          text.str(), config.policies.entities.string(), diagnostics);
    }
  }
  if (!out.policies || !out.entities) {
    return fail("policies or entities did not load");
  }
  out.options = authorizer_options(config);
  return out;
}

bool check_config_files(const config::Config& config, Diagnostics& diagnostics) {
  Checker check(config, diagnostics);
  for (std::size_t i = 0; i < config.listeners.size(); ++i) {
    if (config.listeners[i].tls) {
      check.server_tls(indexed("listeners", i) + ".tls", *config.listeners[i].tls);
    }
  }
  if (config.admin && config.admin->tls) {
    check.server_tls("admin.tls", *config.admin->tls);
  }
  for (std::size_t i = 0; i < config.routes.size(); ++i) {
    if (config.routes[i].upstream_tls) {
      check.client_tls(indexed("routes", i) + ".upstream_tls", *config.routes[i].upstream_tls);
    }
  }
  for (std::size_t i = 0; i < config.audit.sinks.size(); ++i) {
    if (config.audit.sinks[i].tls) {
      check.client_tls(indexed("audit.sinks", i) + ".tls", *config.audit.sinks[i].tls);
    }
  }
  check.audit_dir(config.audit.dir);
  if (!config.audit.signing_key.empty()) {
    check.signing_key(config.audit.signing_key);
  }
  if (!config.audit.hmac_key_file.empty()) {
    check.hmac_key(config.audit.hmac_key_file);
  }
  const bool policies_ok = load_policies(config, diagnostics).has_value();
  return check.ok() && policies_ok;
}

}  // namespace portcullis::protocol
