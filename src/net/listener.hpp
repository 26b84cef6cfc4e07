// Listener: accepts TCP connections on one address and starts a session for each on its own
// strand. Refuses connections beyond limits.max_connections (closed at once, logged).
//
// Threading: the acceptor runs on its own strand; stop() may be called from any thread. Each
// connection runs on connection_executor (connection_executor.hpp): its own strand, or the
// io_context's executor when a single thread runs it.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <functional>
#include <memory>

#include "net/any_stream.hpp"
#include "portcullis/common/result.hpp"

namespace portcullis::net {

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  // Called on the acceptor's strand with each accepted socket (already on its own strand, or on
  // the io_context's executor when it has one thread).
  using OnAccept = std::function<void(asio::ip::tcp::socket)>;

  // `io_threads`: how many threads run `ioc` (a strand per connection only when more than one).
  Listener(asio::io_context& ioc, std::uint32_t io_threads, OnAccept on_accept);

  // Binds and listens (SO_REUSEADDR); port 0 picks one.
  [[nodiscard]] Result<void> open(const asio::ip::tcp::endpoint& endpoint);
  [[nodiscard]] asio::ip::tcp::endpoint local_endpoint() const;
  void run();
  void stop();

 private:
  void do_accept();
  void on_accept(beast::error_code ec, asio::ip::tcp::socket socket);

  asio::io_context& ioc_;
  bool strand_per_connection_;
  asio::strand<asio::io_context::executor_type> strand_;
  asio::ip::tcp::acceptor acceptor_;
  OnAccept on_accept_;
};

// "127.0.0.1" / "::1" / "localhost" + port → endpoint (no DNS beyond localhost).
[[nodiscard]] Result<asio::ip::tcp::endpoint> listen_endpoint(const std::string& host,
                                                              std::uint16_t port);

}  // namespace portcullis::net
