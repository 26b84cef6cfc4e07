// The agent's identity, taken from its verified client certificate only (DESIGN.md "Request
// path" 1): the first URI SAN that starts with "spiffe://", else the subject CN (UTF-8), else
// none (the handshake is refused). Never from a header.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "portcullis/common/result.hpp"

struct x509_st;  // OpenSSL's X509, kept out of this header

namespace portcullis::net {

// What the gateway knows about a verified peer: the identity plus the TLS facts of the Cedar
// context (`context.tls`) and the audit record.
struct PeerIdentity {
  std::string id;                 // the principal id: SPIFFE id or CN
  std::string subject;            // RFC 2253 form, UTF-8
  std::string issuer;             // RFC 2253 form, UTF-8
  std::string spiffe_id;          // "" when the certificate has none
  std::vector<std::string> sans;  // every DNS / URI / email / IP SAN as text
  std::string serial;             // lowercase hex
  std::int64_t not_after = 0;     // Unix seconds
};

// Reads the identity and TLS facts from `cert`. Fails when the certificate has neither a
// spiffe:// URI SAN nor a (valid UTF-8, non-empty) subject CN.
[[nodiscard]] Result<PeerIdentity> identity_from_certificate(x509_st* cert);

// An identity for a plaintext listener (`plaintext_identity`): no TLS facts.
[[nodiscard]] PeerIdentity plaintext_identity(std::string id);

}  // namespace portcullis::net
