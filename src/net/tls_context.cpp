#include "net/tls_context.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/beast/core/error.hpp>
#include <cstdio>

#include "portcullis/net/identity.hpp"

namespace portcullis::net {
namespace ssl = boost::asio::ssl;

namespace {

std::string describe(const boost::system::error_code& ec) { return ec.message(); }

Result<void> add_crl(SSL_CTX* ctx, const std::filesystem::path& crl_file) {
  FILE* file = std::fopen(crl_file.c_str(), "r");
  if (file == nullptr) {
    return fail("cannot open CRL " + crl_file.string());
  }
  X509_STORE* store = SSL_CTX_get_cert_store(ctx);
  int added = 0;
  while (X509_CRL* crl = PEM_read_X509_CRL(file, nullptr, nullptr, nullptr)) {
    X509_STORE_add_crl(store, crl);
    X509_CRL_free(crl);
    ++added;
  }
  std::fclose(file);
  ERR_clear_error();  // the read loop ends on a "no start line" error by design
  if (added == 0) {
    return fail("no CRL found in " + crl_file.string());
  }
  X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL);
  return {};
}

}  // namespace

Result<std::shared_ptr<ssl::context>> make_server_tls_context(const config::ServerTls& tls,
                                                              bool require_client_cert) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  boost::system::error_code ec;
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                       ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                       ssl::context::no_tlsv1_1 | ssl::context::single_dh_use,
                   ec);
  SSL_CTX* native = ctx->native_handle();
  SSL_CTX_set_min_proto_version(
      native, tls.min_version == config::TlsVersion::Tls13 ? TLS1_3_VERSION : TLS1_2_VERSION);
  // Sessions carry the verified peer; an id context is required for resumption with verify.
  static constexpr unsigned char kSessionContext[] = "portcullis";
  SSL_CTX_set_session_id_context(native, kSessionContext, sizeof(kSessionContext) - 1);

  if (ctx->use_certificate_chain_file(tls.cert.string(), ec); ec) {
    return fail("TLS certificate " + tls.cert.string() + ": " + describe(ec));
  }
  if (ctx->use_private_key_file(tls.key.string(), ssl::context::pem, ec); ec) {
    return fail("TLS key " + tls.key.string() + ": " + describe(ec));
  }
  if (SSL_CTX_check_private_key(native) != 1) {
    ERR_clear_error();
    return fail("TLS key " + tls.key.string() + " does not match " + tls.cert.string());
  }
  if (ctx->load_verify_file(tls.client_ca.string(), ec); ec) {
    return fail("client CA " + tls.client_ca.string() + ": " + describe(ec));
  }
  if (STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(tls.client_ca.c_str())) {
    SSL_CTX_set_client_CA_list(native, names);
  }
  if (!tls.crl.empty()) {
    if (auto added = add_crl(native, tls.crl); !added) {
      return tl::unexpected(added.error());
    }
  }
  ctx->set_verify_mode(
      require_client_cert ? ssl::verify_peer | ssl::verify_fail_if_no_peer_cert : ssl::verify_peer,
      ec);
  ctx->set_verify_callback(
      [](bool preverified, ssl::verify_context& vc) {
        if (!preverified) {
          return false;
        }
        X509_STORE_CTX* store = vc.native_handle();
        if (X509_STORE_CTX_get_error_depth(store) != 0) {
          return true;
        }
        // The leaf: refuse now (handshake alert) if it names no identity we could act as.
        if (!identity_from_certificate(X509_STORE_CTX_get_current_cert(store))) {
          X509_STORE_CTX_set_error(store, X509_V_ERR_APPLICATION_VERIFICATION);
          return false;
        }
        return true;
      },
      ec);
  ERR_clear_error();
  return ctx;
}

Result<std::shared_ptr<ssl::context>> make_client_tls_context(
    const std::optional<config::ClientTls>& tls) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  boost::system::error_code ec;
  SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
  ctx->set_verify_mode(ssl::verify_peer, ec);
  if (tls && !tls->ca.empty()) {
    if (ctx->load_verify_file(tls->ca.string(), ec); ec) {
      return fail("upstream CA " + tls->ca.string() + ": " + describe(ec));
    }
  } else if (ctx->set_default_verify_paths(ec); ec) {
    return fail("system CA store: " + describe(ec));
  }
  if (tls && !tls->cert.empty()) {
    if (ctx->use_certificate_chain_file(tls->cert.string(), ec); ec) {
      return fail("upstream client certificate " + tls->cert.string() + ": " + describe(ec));
    }
    if (ctx->use_private_key_file(tls->key.string(), ssl::context::pem, ec); ec) {
      return fail("upstream client key " + tls->key.string() + ": " + describe(ec));
    }
  }
  ERR_clear_error();
  return ctx;
}

namespace {

// Why verification refused the client's certificate, from the X509 verify result.
std::string verify_failure_reason(long verify_result) {
  switch (verify_result) {
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
      return "unknown_ca";
    case X509_V_ERR_CERT_HAS_EXPIRED:
      return "expired";
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return "not_yet_valid";
    case X509_V_ERR_CERT_REVOKED:
      return "revoked";
    case X509_V_ERR_APPLICATION_VERIFICATION:  // set by our verify callback: no identity
      return "no_identity";
    default:
      return "certificate_verify_failed";
  }
}

}  // namespace

std::string handshake_failure_reason(const boost::system::error_code& ec, long verify_result) {
  if (ec == boost::beast::error::timeout) {
    return "timeout";
  }
  if (ec == boost::asio::error::eof || ec == boost::asio::ssl::error::stream_truncated) {
    return "eof";
  }
  if (ec.category() == boost::asio::error::get_ssl_category()) {
    switch (ERR_GET_REASON(static_cast<unsigned long>(ec.value()))) {
      case SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE:
        return "no_certificate";
      case SSL_R_CERTIFICATE_VERIFY_FAILED:
        return verify_failure_reason(verify_result);
      case SSL_R_WRONG_VERSION_NUMBER:
      case SSL_R_UNSUPPORTED_PROTOCOL:
      case SSL_R_HTTP_REQUEST:
        return "wrong_version";
      case SSL_R_NO_SHARED_CIPHER:
        return "no_shared_cipher";
      default:
        return "protocol";
    }
  }
  return "io_error";
}

}  // namespace portcullis::net
