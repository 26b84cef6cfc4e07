#include "net/any_stream.hpp"

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

void AnyStream::close() {
  beast::error_code ignored;
  tcp().socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  tcp().close();
}

}  // namespace portcullis::net
