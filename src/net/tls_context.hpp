// TLS contexts: the listener's (client certificate required and verified, identity enforced
// during the handshake) and the upstream client's (server verified, optional client certificate).
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <boost/system/error_code.hpp>
#include <memory>
#include <optional>
#include <string>

#include "portcullis/common/result.hpp"
#include "portcullis/config/config.hpp"

namespace portcullis::net {

// TLS 1.2+ (or 1.3 only), the certificate and key of `tls`, client certificates required and
// verified against tls.client_ca (and tls.crl when set). A leaf certificate without a usable
// identity (no spiffe:// URI SAN, no CN) fails verification, so the handshake is refused and no
// request is ever read on that connection.
// `require_client_cert` false (admin listener): a certificate is verified when presented, and
// connections without one are served the open endpoints only.
[[nodiscard]] Result<std::shared_ptr<boost::asio::ssl::context>> make_server_tls_context(
    const config::ServerTls& tls, bool require_client_cert = true);

// Verifies the upstream's certificate against tls.ca (system default when empty) and presents
// tls.cert/tls.key when given. Host name checking is per connection (see upstream_pool).
[[nodiscard]] Result<std::shared_ptr<boost::asio::ssl::context>> make_client_tls_context(
    const std::optional<config::ClientTls>& tls);

// A short, bounded label for a failed handshake, for the handshake_failures{reason} metric and
// the log: "timeout", "no_certificate", "eof", "wrong_version", "no_shared_cipher", "protocol",
// "io_error", and for a client certificate that failed verification — named from
// `verify_result` (SSL_get_verify_result of the failed connection) — "unknown_ca", "expired",
// "not_yet_valid", "revoked", "no_identity" (no spiffe:// URI SAN and no CN), else
// "certificate_verify_failed".
[[nodiscard]] std::string handshake_failure_reason(const boost::system::error_code& ec,
                                                   long verify_result = 0);

}  // namespace portcullis::net
