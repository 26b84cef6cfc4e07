#include "portcullis/net/identity.hpp"

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <array>
#include <cstdio>
#include <ctime>
#include <memory>
#include <string_view>

namespace portcullis::net {
namespace {

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct NamesFree {
  void operator()(GENERAL_NAMES* n) const { GENERAL_NAMES_free(n); }
};

std::string name_to_string(const X509_NAME* name) {
  if (name == nullptr) {
    return {};
  }
  std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
  if (!bio || X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) < 0) {
    return {};
  }
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return len > 0 ? std::string(data, static_cast<std::size_t>(len)) : std::string();
}

std::string asn1_string(const ASN1_STRING* s) {
  const unsigned char* data = ASN1_STRING_get0_data(s);
  return std::string(reinterpret_cast<const char*>(data), static_cast<std::size_t>(ASN1_STRING_length(s)));
}

// Subject CN as UTF-8; "" when absent, not convertible, or containing NUL.
std::string common_name(X509* cert) {
  const X509_NAME* subject = X509_get_subject_name(cert);
  const int index = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  if (index < 0) {
    return {};
  }
  const ASN1_STRING* value = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, index));
  unsigned char* utf8 = nullptr;
  const int len = ASN1_STRING_to_UTF8(&utf8, value);
  if (len <= 0) {
    return {};
  }
  std::string cn(reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(len));
  OPENSSL_free(utf8);
  if (cn.find('\0') != std::string::npos) {
    return {};  // an embedded NUL would let "a\0b" pose as "a" to C-string consumers
  }
  return cn;
}

std::string ip_to_string(const ASN1_OCTET_STRING* ip) {
  const std::string raw = asn1_string(ip);
  std::array<char, 64> buf{};
  if (raw.size() == 4) {
    std::snprintf(buf.data(), buf.size(), "%u.%u.%u.%u", static_cast<unsigned char>(raw[0]),
                  static_cast<unsigned char>(raw[1]), static_cast<unsigned char>(raw[2]),
                  static_cast<unsigned char>(raw[3]));
    return buf.data();
  }
  std::string out;
  for (std::size_t i = 0; i + 1 < raw.size(); i += 2) {
    std::snprintf(buf.data(), buf.size(), "%s%x", i == 0 ? "" : ":",
                  (static_cast<unsigned>(static_cast<unsigned char>(raw[i])) << 8U) |
                      static_cast<unsigned char>(raw[i + 1]));
    out += buf.data();
  }
  return out;
}

std::int64_t not_after_seconds(X509* cert) {
  const ASN1_TIME* t = X509_get0_notAfter(cert);
  struct tm tm_value {};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm_value) != 1) {
    return 0;
  }
  return static_cast<std::int64_t>(timegm(&tm_value));
}

std::string serial_hex(X509* cert) {
  BIGNUM* bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr);
  if (bn == nullptr) {
    return {};
  }
  char* hex = BN_bn2hex(bn);
  std::string out = hex != nullptr ? hex : "";
  OPENSSL_free(hex);
  BN_free(bn);
  for (char& c : out) {
    if (c >= 'A' && c <= 'F') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  return out;
}

}  // namespace

Result<PeerIdentity> identity_from_certificate(x509_st* cert) {
  if (cert == nullptr) {
    return fail("no client certificate");
  }
  PeerIdentity peer;
  std::unique_ptr<GENERAL_NAMES, NamesFree> names(static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr)));
  if (names) {
    for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
      const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
      switch (name->type) {
        case GEN_URI: {
          std::string uri = asn1_string(name->d.uniformResourceIdentifier);
          if (peer.spiffe_id.empty() && uri.rfind("spiffe://", 0) == 0 &&
              uri.find('\0') == std::string::npos) {
            peer.spiffe_id = uri;
          }
          peer.sans.push_back(std::move(uri));
          break;
        }
        case GEN_DNS:
          peer.sans.push_back(asn1_string(name->d.dNSName));
          break;
        case GEN_EMAIL:
          peer.sans.push_back(asn1_string(name->d.rfc822Name));
          break;
        case GEN_IPADD:
          peer.sans.push_back(ip_to_string(name->d.iPAddress));
          break;
        default:
          break;
      }
    }
  }
  peer.id = !peer.spiffe_id.empty() ? peer.spiffe_id : common_name(cert);
  if (peer.id.empty()) {
    return fail("client certificate has no spiffe:// URI SAN and no subject CN");
  }
  peer.subject = name_to_string(X509_get_subject_name(cert));
  peer.issuer = name_to_string(X509_get_issuer_name(cert));
  peer.serial = serial_hex(cert);
  peer.not_after = not_after_seconds(cert);
  return peer;
}

PeerIdentity plaintext_identity(std::string id) {
  PeerIdentity peer;
  peer.id = std::move(id);
  return peer;
}

}  // namespace portcullis::net
