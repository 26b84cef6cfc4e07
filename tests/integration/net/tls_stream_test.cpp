// TlsStream over real loopback sockets: both ends are TlsStreams (server requires and verifies a
// client certificate, as the gateway's listeners do). Covers the paths the gateway tests reach
// only by chance: output the socket cannot take at once, flattened buffer sequences, truncation
// versus close_notify, deadlines on waits, completion never inside the initiating call, and a
// stream destroyed while an operation is pending.
#include <catch2/catch.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "net/tls_context.hpp"
#include "net/tls_stream.hpp"
#include "support/temp_dir.hpp"
#include "support/test_pki.hpp"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using portcullis::net::TlsStream;
using tcp = asio::ip::tcp;

// A server TlsStream and a client TlsStream connected over loopback (TCP only; no handshake).
struct Pair {
  Pair() : pki(dir.path(), "Stream Test CA") {
    const auto server_cert =
        pki.issue("server", {.common_name = "localhost", .ip_sans = {"127.0.0.1"}, .server = true});
    const auto client_cert = pki.issue("client", {.common_name = "agent-a"});
    portcullis::config::ServerTls server_tls;
    server_tls.cert = server_cert.cert;
    server_tls.key = server_cert.key;
    server_tls.client_ca = pki.ca_cert();
    server_context = *portcullis::net::make_server_tls_context(server_tls);
    portcullis::config::ClientTls client_tls;
    client_tls.ca = pki.ca_cert();
    client_tls.cert = client_cert.cert;
    client_tls.key = client_cert.key;
    client_context = *portcullis::net::make_client_tls_context(client_tls);

    tcp::acceptor acceptor(ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    tcp::socket client_socket(ioc);
    client_socket.connect(acceptor.local_endpoint());
    tcp::socket server_socket = acceptor.accept();
    server.emplace(beast::tcp_stream(std::move(server_socket)), *server_context);
    client.emplace(beast::tcp_stream(std::move(client_socket)), *client_context);
  }

  // Runs both handshakes to completion; returns {server error, client error}.
  std::pair<beast::error_code, beast::error_code> handshake() {
    std::optional<beast::error_code> server_ec;
    std::optional<beast::error_code> client_ec;
    server->async_handshake(asio::ssl::stream_base::server,
                            [&](beast::error_code ec) { server_ec = ec; });
    client->async_handshake(asio::ssl::stream_base::client,
                            [&](beast::error_code ec) { client_ec = ec; });
    run_until([&] { return server_ec && client_ec; });
    return {*server_ec, *client_ec};
  }

  template <class Done>
  void run_until(Done done) {
    ioc.restart();
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!done() && std::chrono::steady_clock::now() < deadline) {
      ioc.run_one_for(std::chrono::milliseconds(50));
    }
    REQUIRE(done());
  }

  portcullis::test::TempDir dir{"tls-stream-test"};
  portcullis::test::TestPki pki;
  std::shared_ptr<asio::ssl::context> server_context;
  std::shared_ptr<asio::ssl::context> client_context;
  asio::io_context ioc;
  std::optional<TlsStream> server;
  std::optional<TlsStream> client;
};

struct Result {
  bool done = false;
  beast::error_code ec;
  std::size_t bytes = 0;
};

auto record(Result& result) {
  return [&result](beast::error_code ec, std::size_t bytes) {
    result = {true, ec, bytes};
  };
}

}  // namespace

TEST_CASE("a TlsStream handshake verifies the client certificate and both sides see the peer") {
  Pair pair;
  const auto [server_ec, client_ec] = pair.handshake();
  REQUIRE_FALSE(server_ec);
  REQUIRE_FALSE(client_ec);
  X509* peer = SSL_get1_peer_certificate(pair.server->native_handle());
  REQUIRE(peer != nullptr);
  X509_free(peer);
  CHECK(SSL_get_verify_result(pair.server->native_handle()) == X509_V_OK);
}

TEST_CASE("a TlsStream server refuses a client without a certificate and the client reads the alert") {
  Pair pair;
  portcullis::config::ClientTls no_cert;
  no_cert.ca = pair.pki.ca_cert();
  auto anonymous = *portcullis::net::make_client_tls_context(no_cert);
  // Replace the client with one that presents no certificate.
  tcp::socket socket = std::move(pair.client->next_layer().socket());
  pair.client.reset();
  pair.client.emplace(beast::tcp_stream(std::move(socket)), *anonymous);
  const auto [server_ec, client_ec] = pair.handshake();
  REQUIRE(server_ec.category() == asio::error::get_ssl_category());
  CHECK(ERR_GET_REASON(static_cast<unsigned long>(server_ec.value())) ==
        SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE);
  // TLS 1.3: the client learns of the refusal from the server's alert on its first read.
  if (!client_ec) {
    std::array<char, 16> buffer{};
    Result read;
    pair.client->async_read_some(asio::buffer(buffer), record(read));
    pair.run_until([&] { return read.done; });
    REQUIRE(read.ec.category() == asio::error::get_ssl_category());
    CHECK(ERR_GET_REASON(static_cast<unsigned long>(read.ec.value())) ==
          SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED);
  }
}

TEST_CASE("a TlsStream carries 4 MiB both ways intact when the reader is slower than the writer") {
  Pair pair;
  REQUIRE_FALSE(pair.handshake().first);
  std::string payload(4 * 1024 * 1024, '\0');
  for (std::size_t i = 0; i < payload.size(); ++i) {
    payload[i] = static_cast<char>('a' + (i * 7919) % 26);
  }
  // The whole payload is written before the reader starts: the (small) socket buffers fill, so
  // the stream queues ciphertext and flushes it through tcp_stream.
  pair.server->next_layer().socket().set_option(asio::socket_base::send_buffer_size(32 * 1024));
  pair.client->next_layer().socket().set_option(
      asio::socket_base::receive_buffer_size(32 * 1024));
  Result write;
  asio::async_write(*pair.server, asio::buffer(payload), record(write));
  for (int i = 0; i < 200 && !write.done; ++i) {
    pair.ioc.restart();
    pair.ioc.poll();
  }
  CHECK_FALSE(write.done);  // the peer has not read: the writer must be waiting, not buffering
  std::string received(payload.size(), '\0');
  Result read;
  asio::async_read(*pair.client, asio::buffer(received), record(read));
  pair.run_until([&] { return write.done && read.done; });
  REQUIRE_FALSE(write.ec);
  REQUIRE_FALSE(read.ec);
  CHECK(write.bytes == payload.size());
  CHECK(read.bytes == payload.size());
  CHECK(received == payload);
}

TEST_CASE("a TlsStream flattens a sequence of small buffers and sends them in order") {
  Pair pair;
  REQUIRE_FALSE(pair.handshake().first);
  const std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n";
  const std::string body = "hello";
  const std::array<asio::const_buffer, 3> pieces{asio::buffer(head), asio::const_buffer(),
                                                 asio::buffer(body)};
  Result write;
  pair.server->async_write_some(pieces, record(write));
  pair.run_until([&] { return write.done; });
  REQUIRE_FALSE(write.ec);
  CHECK(write.bytes == head.size() + body.size());  // one write operation took both pieces
  std::string received(head.size() + body.size(), '\0');
  Result read;
  asio::async_read(*pair.client, asio::buffer(received), record(read));
  pair.run_until([&] { return read.done; });
  REQUIRE_FALSE(read.ec);
  CHECK(received == head + body);
}

TEST_CASE("a TlsStream read reports eof after close_notify and stream_truncated without it") {
  Pair pair;
  REQUIRE_FALSE(pair.handshake().first);
  std::array<char, 64> buffer{};

  SECTION("close_notify") {
    bool shut = false;
    pair.client->async_shutdown([&](beast::error_code) { shut = true; });
    Result read;
    pair.server->async_read_some(asio::buffer(buffer), record(read));
    pair.run_until([&] { return read.done; });
    CHECK(read.ec == asio::error::eof);
    CHECK(read.bytes == 0);
    pair.client->next_layer().close();
    pair.run_until([&] { return shut; });
  }
  SECTION("the TCP connection closed without close_notify") {
    // FIN without close_notify (shutdown, not close: the client has unread session tickets,
    // and closing over unread data would send a reset instead).
    pair.client->next_layer().socket().shutdown(tcp::socket::shutdown_send);
    Result read;
    pair.server->async_read_some(asio::buffer(buffer), record(read));
    pair.run_until([&] { return read.done; });
    CHECK(read.ec == asio::ssl::error::stream_truncated);
    CHECK(read.bytes == 0);
  }
}

TEST_CASE("a TlsStream read returns data OpenSSL already holds without waiting, never inline") {
  Pair pair;
  REQUIRE_FALSE(pair.handshake().first);
  const std::string message = "0123456789";
  Result write;
  pair.client->async_write_some(asio::buffer(message), record(write));
  pair.run_until([&] { return write.done; });
  std::array<char, 4> small{};
  Result first;
  pair.server->async_read_some(asio::buffer(small), record(first));
  pair.run_until([&] { return first.done; });
  REQUIRE(first.bytes == 4);
  // The other six bytes are in OpenSSL's buffer: the next read completes from there, posted.
  Result second;
  pair.server->async_read_some(asio::buffer(small), record(second));
  CHECK_FALSE(second.done);  // not from inside async_read_some
  pair.run_until([&] { return second.done; });
  REQUIRE_FALSE(second.ec);
  CHECK(std::string(small.data(), second.bytes) == "4567");
}

TEST_CASE("a TlsStream handshake that the peer never starts ends at the tcp_stream deadline") {
  Pair pair;
  pair.server->next_layer().expires_after(std::chrono::milliseconds(200));
  std::optional<beast::error_code> ec;
  pair.server->async_handshake(asio::ssl::stream_base::server,
                               [&](beast::error_code e) { ec = e; });
  pair.run_until([&] { return ec.has_value(); });
  CHECK(*ec == beast::error::timeout);
}

TEST_CASE("a TlsStream read waiting for the peer ends at the tcp_stream deadline") {
  Pair pair;
  REQUIRE_FALSE(pair.handshake().first);
  pair.server->next_layer().expires_after(std::chrono::milliseconds(200));
  std::array<char, 64> buffer{};
  Result read;
  pair.server->async_read_some(asio::buffer(buffer), record(read));
  pair.run_until([&] { return read.done; });
  CHECK(read.ec == beast::error::timeout);
}

TEST_CASE("a TlsStream destroyed while a read is pending completes the read with operation_aborted") {
  Pair pair;
  REQUIRE_FALSE(pair.handshake().first);
  auto buffer = std::make_shared<std::array<char, 64>>();
  Result read;
  pair.server->async_read_some(asio::buffer(*buffer), [&read, buffer](beast::error_code ec,
                                                                       std::size_t n) {
    read = {true, ec, n};
  });
  pair.server.reset();  // the pending operation keeps the stream's state alive
  pair.run_until([&] { return read.done; });
  CHECK(read.ec == asio::error::operation_aborted);
}

TEST_CASE("a TlsStream write_now sends what the socket takes, and an empty write flushes the rest") {
  Pair pair;
  REQUIRE_FALSE(pair.handshake().first);
  pair.server->next_layer().socket().set_option(asio::socket_base::send_buffer_size(16 * 1024));
  pair.client->next_layer().socket().set_option(
      asio::socket_base::receive_buffer_size(16 * 1024));
  std::string payload(1024 * 1024, '\0');
  for (std::size_t i = 0; i < payload.size(); ++i) {
    payload[i] = static_cast<char>('a' + (i * 7919) % 26);
  }
  // Record by record until the socket stops taking them whole: the peer is not reading.
  std::size_t taken = 0;
  while (taken < payload.size() && !pair.server->has_queued_output()) {
    beast::error_code ec;
    const std::size_t n =
        pair.server->write_now(asio::buffer(payload.data() + taken, payload.size() - taken), ec);
    REQUIRE_FALSE(ec);
    REQUIRE(n > 0);
    REQUIRE(n <= portcullis::net::tls_detail::kMaxWrite);  // one record per call
    taken += n;
  }
  REQUIRE(pair.server->has_queued_output());  // 1 MiB never fits the small buffers
  // (Whether the flush must wait for the reader depends on how fast loopback drains the send
  // buffer meanwhile: not asserted.)
  Result flush;
  pair.server->async_write_some(asio::const_buffer(), record(flush));
  std::string received(taken, '\0');
  Result read;
  asio::async_read(*pair.client, asio::buffer(received), record(read));
  pair.run_until([&] { return flush.done && read.done; });
  REQUIRE_FALSE(flush.ec);
  CHECK(flush.bytes == 0);
  CHECK_FALSE(pair.server->has_queued_output());
  REQUIRE_FALSE(read.ec);
  CHECK(received == payload.substr(0, taken));
}
