// TlsClient: a blocking HTTPS client for gateway tests: presents a chosen client certificate (or
// none), verifies the gateway against a CA, and can send well-formed requests or raw bytes (for
// the smuggling and bypass tests). Every read has a timeout (a deadline enforced with poll(), not
// SO_RCVTIMEO, which Asio's blocking reads retry forever) so a test fails instead of hanging.
//
// TLS 1.3 and refused client certificates: the client's handshake completes before the server
// has looked at the client's certificate, so a refusal arrives as an alert on the client's first
// read. connect() therefore only says whether the handshake completed on the client's side;
// attempt() sends a whole request and reads, which is where a refusal shows.
#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "support/test_pki.hpp"

namespace portcullis::test {

using HttpResponse = boost::beast::http::response<boost::beast::http::string_body>;

class TlsClient {
 public:
  // `tls` false: plain TCP (admin listener without TLS, plaintext listeners).
  TlsClient(std::uint16_t port, std::filesystem::path ca, std::optional<IssuedCert> cert,
            bool tls = true);
  ~TlsClient();
  TlsClient(const TlsClient&) = delete;
  TlsClient& operator=(const TlsClient&) = delete;

  // Connects and handshakes. Returns "" when the client's side of the handshake completed
  // (under TLS 1.3 the server may still refuse the certificate: see attempt()), else the error.
  std::string connect();

  // One try at being served: an HTTP answer, or how the connection failed instead.
  struct Attempt {
    std::optional<HttpResponse> response;
    std::string failure;  // "" when answered; else "<step>: <error>", step = connect,
                          // handshake, or read (after "write: <error>; " if the write failed)
  };
  // Connects (unless connected), sends one request and reads its answer. Never throws.
  Attempt attempt(const std::string& method, const std::string& target,
                  const std::string& body = "");

  // Sends one request and reads the whole response. Throws std::runtime_error on I/O errors.
  HttpResponse request(const std::string& method, const std::string& target,
                       const std::string& body = "",
                       const std::vector<std::pair<std::string, std::string>>& headers = {},
                       const std::string& content_type = "application/json");

  // Writes raw bytes.
  void send_raw(const std::string& bytes);
  // Reads what arrives until the peer closes or `timeout` passes (whichever first).
  std::string read_until_close(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  // Reads until `needle` has been seen (or timeout); returns everything read so far.
  std::string read_until(const std::string& needle,
                         std::chrono::milliseconds timeout = std::chrono::seconds(5));
  // True when the peer has closed the connection (reads EOF within `timeout`).
  bool closed_by_peer(std::chrono::milliseconds timeout = std::chrono::seconds(2));

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// A JSON-RPC request body.
std::string jsonrpc(const std::string& method, const std::string& params_json, int id);

}  // namespace portcullis::test
