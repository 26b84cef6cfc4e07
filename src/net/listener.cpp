#include "net/listener.hpp"

#include "net/connection_executor.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <spdlog/spdlog.h>

namespace portcullis::net {
using tcp = asio::ip::tcp;

Listener::Listener(asio::io_context& ioc, std::uint32_t io_threads, OnAccept on_accept)
    : ioc_(ioc),
      strand_per_connection_(needs_strand_per_connection(io_threads)),
      strand_(asio::make_strand(ioc)),
      acceptor_(strand_),
      on_accept_(std::move(on_accept)) {}

Result<void> Listener::open(const tcp::endpoint& endpoint) {
  beast::error_code ec;
  if (acceptor_.open(endpoint.protocol(), ec); ec) {
    return fail("open " + endpoint.address().to_string() + ": " + ec.message());
  }
  acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (acceptor_.bind(endpoint, ec); ec) {
    return fail("bind " + endpoint.address().to_string() + ":" + std::to_string(endpoint.port()) +
                ": " + ec.message());
  }
  if (acceptor_.listen(asio::socket_base::max_listen_connections, ec); ec) {
    return fail("listen: " + ec.message());
  }
  return {};
}

tcp::endpoint Listener::local_endpoint() const {
  beast::error_code ec;
  return acceptor_.local_endpoint(ec);
}

void Listener::run() {
  asio::dispatch(strand_, beast::bind_front_handler(&Listener::do_accept, shared_from_this()));
}

void Listener::stop() {
  asio::dispatch(strand_, [self = shared_from_this()] {
    beast::error_code ignored;
    self->acceptor_.close(ignored);
  });
}

void Listener::do_accept() {
  if (!acceptor_.is_open()) {
    return;
  }
  acceptor_.async_accept(connection_executor(ioc_.get_executor(), strand_per_connection_),
                         beast::bind_front_handler(&Listener::on_accept, shared_from_this()));
}

void Listener::on_accept(beast::error_code ec, tcp::socket socket) {
  if (ec == asio::error::operation_aborted) {
    return;  // stopped
  }
  if (ec) {
    spdlog::warn("accept failed: {}", ec.message());
  } else {
    beast::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    on_accept_(std::move(socket));
  }
  do_accept();
}

Result<tcp::endpoint> listen_endpoint(const std::string& host, std::uint16_t port) {
  const std::string name = host == "localhost" ? "127.0.0.1" : host;
  beast::error_code ec;
  const auto address = asio::ip::make_address(name, ec);
  if (ec) {
    return fail("listen address \"" + host + "\" is not an IP address");
  }
  return tcp::endpoint(address, port);
}

}  // namespace portcullis::net
