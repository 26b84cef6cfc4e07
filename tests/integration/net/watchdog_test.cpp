// Watchdog over real loopback sockets: a deadline that passes closes the guarded stream (its
// pending read fails) and says so; disarming, re-arming later and destroying it close nothing.
// Timing checks are one-sided (something happened no earlier than its deadline, or did not
// happen while nothing should), so a slow machine cannot fail them.
#include "net/watchdog.hpp"

#include <catch2/catch.hpp>

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <chrono>
#include <optional>

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using portcullis::net::Watchdog;
using tcp = asio::ip::tcp;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

// A connected pair of tcp_streams; `server` reads (without a tcp_stream deadline) under the
// watchdog, the client never writes.
struct Connection {
  Connection() {
    tcp::acceptor acceptor(ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    client.connect(acceptor.local_endpoint());
    server.emplace(acceptor.accept());
    server->expires_never();
  }

  // Starts the server's read; `read_ec` is set when it completes.
  void read() {
    server->async_read_some(asio::buffer(buffer),
                            [this](beast::error_code ec, std::size_t) { read_ec = ec; });
  }

  // Runs the io_context until `done` or `limit` passes; returns whether `done`.
  template <class Done>
  bool run_until(Done done, Clock::duration limit) {
    ioc.restart();
    const auto end = Clock::now() + limit;
    while (!done() && Clock::now() < end) {
      ioc.run_one_for(milliseconds(20));
    }
    return done();
  }

  asio::io_context ioc;
  tcp::socket client{ioc};
  std::optional<beast::tcp_stream> server;
  std::array<char, 16> buffer{};
  std::optional<beast::error_code> read_ec;
};

}  // namespace

TEST_CASE("a watchdog closes the guarded stream when its deadline passes", "[net][watchdog]") {
  Connection c;
  Watchdog watchdog(c.ioc.get_executor());
  const auto start = Clock::now();
  watchdog.arm(*c.server, milliseconds(100));
  c.read();
  REQUIRE(c.run_until([&] { return c.read_ec.has_value(); }, std::chrono::seconds(20)));
  CHECK(Clock::now() - start >= milliseconds(100));
  CHECK(*c.read_ec == asio::error::operation_aborted);
  CHECK(watchdog.timed_out());
  CHECK_FALSE(c.server->socket().is_open());
}

TEST_CASE("a disarmed watchdog closes nothing", "[net][watchdog]") {
  Connection c;
  Watchdog watchdog(c.ioc.get_executor());
  watchdog.arm(*c.server, milliseconds(50));
  watchdog.disarm();
  c.read();
  // Well past the deadline (its timer wait fired meanwhile): the read is still waiting.
  CHECK_FALSE(c.run_until([&] { return c.read_ec.has_value(); }, milliseconds(300)));
  CHECK_FALSE(watchdog.timed_out());
  CHECK(c.server->socket().is_open());
}

TEST_CASE("a watchdog re-armed before its deadline keeps only the new deadline", "[net][watchdog]") {
  Connection c;
  Watchdog watchdog(c.ioc.get_executor());
  const auto start = Clock::now();
  watchdog.arm(*c.server, milliseconds(100));
  c.read();
  watchdog.arm(*c.server, milliseconds(400));  // later: the pending wait is kept, then extended
  REQUIRE(c.run_until([&] { return c.read_ec.has_value(); }, std::chrono::seconds(20)));
  CHECK(Clock::now() - start >= milliseconds(400));
  CHECK(watchdog.timed_out());
}

TEST_CASE("a watchdog armed with a shorter timeout than its pending wait fires at the shorter one",
          "[net][watchdog]") {
  Connection c;
  Watchdog watchdog(c.ioc.get_executor());
  watchdog.arm(*c.server, std::chrono::hours(1));
  watchdog.disarm();
  const auto start = Clock::now();
  watchdog.arm(*c.server, milliseconds(100));  // the hour-long wait is moved earlier
  c.read();
  REQUIRE(c.run_until([&] { return c.read_ec.has_value(); }, std::chrono::seconds(30)));
  CHECK(Clock::now() - start >= milliseconds(100));
  CHECK(watchdog.timed_out());
}

TEST_CASE("a watchdog is reset by arm() after it timed out", "[net][watchdog]") {
  Connection c;
  Watchdog watchdog(c.ioc.get_executor());
  watchdog.arm(*c.server, milliseconds(20));
  c.read();
  REQUIRE(c.run_until([&] { return c.read_ec.has_value(); }, std::chrono::seconds(20)));
  REQUIRE(watchdog.timed_out());
  watchdog.arm(*c.server, std::chrono::hours(1));
  CHECK_FALSE(watchdog.timed_out());
  watchdog.disarm();
}

TEST_CASE("a watchdog destroyed with a wait pending leaves the stream alone", "[net][watchdog]") {
  Connection c;
  std::optional<Watchdog> watchdog(std::in_place, c.ioc.get_executor());
  watchdog->arm(*c.server, milliseconds(50));
  c.read();
  watchdog.reset();  // its pending wait completes (aborted) after this, finding nothing
  CHECK_FALSE(c.run_until([&] { return c.read_ec.has_value(); }, milliseconds(300)));
  CHECK(c.server->socket().is_open());
}
