#include "support/fake_upstream.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>
#include <cctype>
#include <cstdio>
#include <thread>

namespace portcullis::test {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

void default_handler(const ReceivedRequest& request, UpstreamWriter& writer) {
  auto json = nlohmann::json::parse(request.body, nullptr, false);
  if (json.is_object() && json.contains("id")) {
    writer.respond(200, "application/json",
                   nlohmann::json{{"jsonrpc", "2.0"}, {"id", json["id"]},
                                  {"result", {{"upstream", "ok"}}}}
                       .dump());
    return;
  }
  writer.respond(200, "text/plain", "ok");
}

class SocketWriter : public UpstreamWriter {
 public:
  SocketWriter(tcp::socket& socket, bool keep_alive) : socket_(socket), keep_alive_(keep_alive) {}

  void respond(int status, std::string content_type, std::string body,
               std::vector<std::pair<std::string, std::string>> headers) override {
    http::response<http::string_body> res{static_cast<http::status>(status), 11};
    res.set(http::field::content_type, content_type);
    for (auto& [name, value] : headers) {
      res.set(name, value);
    }
    res.body() = std::move(body);
    res.keep_alive(keep_alive_);
    res.prepare_payload();
    beast::error_code ec;
    http::write(socket_, res, ec);
  }

  void start_stream(int status, std::string content_type) override {
    std::string head = "HTTP/1.1 " + std::to_string(status) + " OK\r\nContent-Type: " +
                       content_type + "\r\nTransfer-Encoding: chunked\r\nCache-Control: no-cache\r\n";
    head += keep_alive_ ? "\r\n" : "Connection: close\r\n\r\n";
    write_raw(head);
  }

  void chunk(std::string_view data) override {
    char size[32];
    std::snprintf(size, sizeof size, "%zx\r\n", data.size());
    write_raw(std::string(size) + std::string(data) + "\r\n");
  }

  void end() override { write_raw("0\r\n\r\n"); }

  void raw(std::string_view bytes) override { write_raw(std::string(bytes)); }

  void close() override {
    beast::error_code ec;
    socket_.shutdown(tcp::socket::shutdown_both, ec);
    closed_ = true;
  }
  [[nodiscard]] bool closed() const { return closed_; }

 private:
  void write_raw(const std::string& bytes) {
    beast::error_code ec;
    asio::write(socket_, asio::buffer(bytes), ec);
  }
  tcp::socket& socket_;
  bool keep_alive_;
  bool closed_ = false;
};

}  // namespace

std::string ReceivedRequest::header(std::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (iequals(n, name)) {
      return v;
    }
  }
  return {};
}

std::size_t ReceivedRequest::header_count(std::string_view name) const {
  std::size_t count = 0;
  for (const auto& [n, v] : headers) {
    count += iequals(n, name) ? 1 : 0;
  }
  return count;
}

struct FakeUpstream::Impl {
  asio::io_context ioc;
  tcp::acceptor acceptor{ioc};
  std::thread accept_thread;
  mutable std::mutex mutex;
  mutable std::condition_variable cv;
  Handler handler = default_handler;
  std::vector<ReceivedRequest> received;
  std::vector<std::shared_ptr<tcp::socket>> sockets;
  std::vector<std::thread> connections;
  bool stopping = false;
  std::uint16_t port = 0;

  void serve(const std::shared_ptr<tcp::socket>& socket) {
    beast::flat_buffer buffer;
    for (;;) {
      http::request<http::string_body> req;
      beast::error_code ec;
      http::read(*socket, buffer, req, ec);
      if (ec) {
        return;
      }
      ReceivedRequest r;
      r.method = std::string(req.method_string());
      r.target = std::string(req.target());
      for (const auto& field : req) {
        r.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
      }
      r.body = req.body();
      Handler h;
      {
        const std::lock_guard lock(mutex);
        received.push_back(r);
        h = handler;
      }
      cv.notify_all();
      SocketWriter writer(*socket, req.keep_alive());
      h(r, writer);
      if (!req.keep_alive() || writer.closed()) {
        socket->shutdown(tcp::socket::shutdown_both, ec);
        return;
      }
    }
  }
};

FakeUpstream::FakeUpstream() : impl_(std::make_unique<Impl>()) {
  const tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), 0);
  impl_->acceptor.open(endpoint.protocol());
  impl_->acceptor.set_option(asio::socket_base::reuse_address(true));
  impl_->acceptor.bind(endpoint);
  impl_->acceptor.listen();
  impl_->port = impl_->acceptor.local_endpoint().port();
  impl_->accept_thread = std::thread([impl = impl_.get()] {
    for (;;) {
      auto socket = std::make_shared<tcp::socket>(impl->ioc);
      beast::error_code ec;
      impl->acceptor.accept(*socket, ec);
      const std::lock_guard lock(impl->mutex);
      if (ec || impl->stopping) {
        return;
      }
      impl->sockets.push_back(socket);
      impl->connections.emplace_back([impl, socket] { impl->serve(socket); });
    }
  });
}

FakeUpstream::~FakeUpstream() {
  {
    const std::lock_guard lock(impl_->mutex);
    impl_->stopping = true;
    beast::error_code ec;
    impl_->acceptor.cancel(ec);
    impl_->acceptor.close(ec);
    for (auto& socket : impl_->sockets) {
      socket->shutdown(tcp::socket::shutdown_both, ec);
      socket->close(ec);
    }
  }
  // A blocking accept() is not woken by close() on every platform: poke it.
  {
    beast::error_code ec;
    tcp::socket poke(impl_->ioc);
    poke.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port()), ec);
  }
  impl_->accept_thread.join();
  for (auto& thread : impl_->connections) {
    thread.join();
  }
}

void FakeUpstream::set_handler(Handler handler) {
  const std::lock_guard lock(impl_->mutex);
  impl_->handler = std::move(handler);
}

std::uint16_t FakeUpstream::port() const { return impl_->port; }

std::vector<ReceivedRequest> FakeUpstream::received() const {
  const std::lock_guard lock(impl_->mutex);
  return impl_->received;
}

std::size_t FakeUpstream::count() const {
  const std::lock_guard lock(impl_->mutex);
  return impl_->received.size();
}

bool FakeUpstream::wait_for(std::size_t n, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(impl_->mutex);
  return impl_->cv.wait_for(lock, timeout, [&] { return impl_->received.size() >= n; });
}

}  // namespace portcullis::test
