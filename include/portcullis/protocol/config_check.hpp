// Everything a loaded Config refers to, loaded and checked: the policy set, the entities, the
// authorizer options, and (for `validate --config` and reload) the certificates and keys.
//
// This sits in `protocol` rather than `config` because it needs the policy engine and OpenSSL;
// `config` stays dependency-free. Used by `serve` (start-up and hot reload), `validate` and
// `check --config` so they load exactly the same thing. Load-time only; never throws.
#pragma once

#include <memory>

#include "portcullis/common/diagnostic.hpp"
#include "portcullis/config/config.hpp"
#include "portcullis/policy/authorizer.hpp"

namespace portcullis::protocol {

struct LoadedPolicies {
  std::shared_ptr<const policy::PolicySet> policies;
  std::shared_ptr<const policy::Entities> entities;  // empty store when no entities file
  policy::AuthorizerOptions options;                 // gateway mode, per config
};

// Loads `config.policies.dir` and `config.policies.entities`; every problem goes to
// `diagnostics` (file:line:column); nullopt-like error when any.
[[nodiscard]] Result<LoadedPolicies> load_policies(const config::Config& config,
                                                   Diagnostics& diagnostics);

// The authorizer options the gateway uses for `config`: gateway additions on, the configured
// policy_errors mode, and every route's protocol.
[[nodiscard]] policy::AuthorizerOptions authorizer_options(const config::Config& config);

// The deep check behind `validate --config` and reload: every referenced file readable;
// certificates, keys and CA bundles parse; each certificate matches its key; the CRL parses;
// the audit signing key is an Ed25519 private key; the HMAC key file is non-empty; policies and
// entities load. Every problem is appended to `diagnostics` with the position of the field in
// the config file. Returns true when there was none. (Config's own warnings are not added.)
[[nodiscard]] bool check_config_files(const config::Config& config, Diagnostics& diagnostics);

}  // namespace portcullis::protocol
