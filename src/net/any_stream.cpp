#include "net/any_stream.hpp"

#include <boost/asio/error.hpp>
#include <boost/beast/core/buffers_suffix.hpp>

namespace portcullis::net {

AnyStream::AnyStream(beast::tcp_stream tcp) : plain_(std::move(tcp)) {}

AnyStream::AnyStream(beast::tcp_stream tcp, asio::ssl::context& context)
    : tls_(std::in_place, std::move(tcp), context) {}

beast::tcp_stream& AnyStream::tcp() {
  if (tls_) {
    return tls_->next_layer();
  }
  return *plain_;
}

std::size_t AnyStream::write_now(std::span<const asio::const_buffer> buffers,
                                 beast::error_code& ec) {
  ec = {};
  if (!tls_) {
    auto& socket = plain_->socket();
    if (!socket.non_blocking()) {
      // Once per connection (an ioctl); asio's async operations run it non-blocking anyway.
      socket.non_blocking(true, ec);
      if (ec) {
        ec = {};
        return 0;  // the async write does it all
      }
    }
    const std::size_t sent = socket.write_some(buffers, ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) {
      ec = {};
      return 0;
    }
    return ec ? 0 : sent;
  }
  beast::buffers_suffix<std::span<const asio::const_buffer>> rest(buffers);
  std::size_t total = 0;
  while (asio::buffer_size(rest) > 0 && !tls_->has_queued_output()) {
    const std::size_t n = tls_->write_now(rest, ec);
    if (ec || n == 0) {
      break;
    }
    rest.consume(n);
    total += n;
  }
  return total;
}

void AnyStream::close() {
  beast::error_code ignored;
  tcp().socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  tcp().close();
}

}  // namespace portcullis::net
