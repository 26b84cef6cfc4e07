// UpstreamPool: keep-alive connections to one route's upstream (HTTP or HTTPS with certificate
// and host name verification, optional client certificate), with a connect timeout.
//
// Threading: take_idle()/give_back() may be called from any thread (a mutex guards the idle
// list, held for a push or pop only). connect() runs its I/O on connection_executor
// (connection_executor.hpp: a fresh strand, or the io_context's executor when one thread runs
// it; the connection's every later operation then tracks one executor instead of two) and calls
// `done` through `handler_executor` (the caller's strand), never inline.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "net/any_stream.hpp"
#include "portcullis/admin/metrics.hpp"
#include "portcullis/config/config.hpp"

namespace portcullis::net {

// One keep-alive connection to the upstream and the buffers its exchanges reuse. They stay with
// the connection in the pool, so a call on a pooled connection allocates none of them: the
// read buffer keeps its capacity, the head string its storage, the relay buffer is made once.
struct UpstreamConnection {
  // Plain TCP, or TLS over `tcp` (the handshake is the connector's job), as AnyStream.
  explicit UpstreamConnection(beast::tcp_stream tcp) : stream(std::move(tcp)) {}
  UpstreamConnection(beast::tcp_stream tcp, asio::ssl::context& context)
      : stream(std::move(tcp), context) {}

  AnyStream stream;
  beast::flat_buffer input;  // bytes read from the upstream, not yet used; empty between calls
  std::string head;          // the head being written: the request's, then the agent answer's
  std::unique_ptr<char[]> relay;  // decoded body bytes of a chunked or close-delimited answer
                                  // (kRelayBytes, made on first use)
};

struct ConnectError {
  admin::UpstreamErrorKind kind = admin::UpstreamErrorKind::Connect;
  std::string message;  // for the outcome record and the log
};

class UpstreamPool {
 public:
  using ConnectDone = std::function<void(std::unique_ptr<UpstreamConnection>, ConnectError)>;

  // `tls` is required for an https upstream and ignored for http. `strand_per_connection`:
  // needs_strand_per_connection(the number of threads running `executor`'s io_context).
  UpstreamPool(boost::asio::any_io_executor executor, bool strand_per_connection,
               const config::Route& route, std::shared_ptr<boost::asio::ssl::context> tls);

  // An idle keep-alive connection, or nullptr.
  [[nodiscard]] std::unique_ptr<UpstreamConnection> take_idle();
  // Returns a connection whose last exchange ended cleanly with keep-alive (nothing unread in
  // its input); dropped when the pool already holds pool_size idle connections.
  void give_back(std::unique_ptr<UpstreamConnection> connection);

  // Resolves, connects and (https) handshakes within connect_timeout. On failure the stream is
  // null and the error says why.
  void connect(boost::asio::any_io_executor handler_executor, ConnectDone done);

  [[nodiscard]] const config::Url& url() const { return url_; }
  // The Host header value the upstream expects ("host" or "host:port").
  [[nodiscard]] const std::string& host_header() const { return host_header_; }
  [[nodiscard]] std::chrono::milliseconds response_timeout() const { return response_timeout_; }

 private:
  class ConnectOp;

  boost::asio::any_io_executor executor_;
  bool strand_per_connection_;
  config::Url url_;
  std::string host_header_;
  std::string server_name_;  // SNI and the name verified in the upstream's certificate
  std::chrono::milliseconds connect_timeout_;
  std::chrono::milliseconds response_timeout_;
  std::size_t max_idle_;
  std::shared_ptr<boost::asio::ssl::context> tls_;

  std::mutex mutex_;
  std::vector<std::unique_ptr<UpstreamConnection>> idle_;
};

}  // namespace portcullis::net
