// Where a new connection — an agent's (Listener) or an upstream's (UpstreamPool) — runs its I/O.
// With more than one thread on the io_context each connection gets a strand of its own
// (CONVENTIONS.md "one strand per connection"). With a single thread every handler already runs
// one at a time (Asio's "implicit strand"), so the connection gets the io_context's executor
// itself: the same ordering guarantee without a strand's queue, lock and extra scheduler trip per
// completion.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/strand.hpp>
#include <cstdint>

namespace portcullis::net {

// `io_threads`: how many threads run the io_context.
[[nodiscard]] constexpr bool needs_strand_per_connection(std::uint32_t io_threads) {
  return io_threads != 1;
}

// A fresh strand on `io` when `own_strand`, else `io` itself.
template <typename Executor>
[[nodiscard]] boost::asio::any_io_executor connection_executor(const Executor& io,
                                                               bool own_strand) {
  return own_strand ? boost::asio::any_io_executor(boost::asio::make_strand(io))
                    : boost::asio::any_io_executor(io);
}

}  // namespace portcullis::net
