// Watchdog: the deadline of one connection's current wait (the agent's next request head, the
// upstream's answer head), kept without arming and cancelling a timer per operation.
//
// Why: beast::tcp_stream arms a timer for every operation under a deadline and cancels it when
// the operation completes; the cancelled wait completes through the executor's queue, and any
// queued handler makes Asio's scheduler poll the reactor (epoll_wait with timeout 0) before it
// runs — one system call per request per wait. The watchdog instead keeps one timer wait pending
// across operations: arm() only records the new deadline, disarm() forgets it, and the timer,
// when it fires, either closes the guarded stream (the deadline passed while armed) or waits
// again. So that arm() never has to move a pending wait earlier (a cancel), every wait ends at
// most `shortest timeout armed so far` after it starts: a busy connection's watchdog wakes at
// most once per that period, an idle one once more after disarm().
//
// A deadline that passes closes the guarded tcp_stream, as beast::tcp_stream's own timeout does;
// the pending operation then completes with an error, and timed_out() says it was the deadline
// (callers report beast::error::timeout then, whatever error the operation saw).
//
// Threading: not thread-safe. arm(), disarm() and timed_out() run on the executor given to the
// constructor (the agent connection's strand, or the io_context's executor with one I/O
// thread), which also runs the timer's handler. The guarded stream must stay alive until
// disarm() or the watchdog's destruction; destroying the watchdog while a wait is pending is
// safe (the wait completes later, finds the watchdog gone, and does nothing).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <chrono>
#include <memory>

namespace portcullis::net {

class Watchdog {
 public:
  using Clock = std::chrono::steady_clock;

  explicit Watchdog(const boost::asio::any_io_executor& executor);
  ~Watchdog();
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;
  Watchdog(Watchdog&&) = delete;
  Watchdog& operator=(Watchdog&&) = delete;

  // Guards `stream` until disarm(): if still armed `timeout` from now, the stream is closed.
  // The caller sets no tcp_stream expiry for the guarded operation (expires_never()).
  void arm(boost::beast::tcp_stream& stream, Clock::duration timeout);
  // The guarded wait ended (completed or failed): nothing is closed any more.
  void disarm();
  // The last armed deadline passed and closed the stream (reset by arm()).
  [[nodiscard]] bool timed_out() const;

 private:
  struct State;
  // Starts a timer wait ending at the deadline or `shortest` from `now`, whichever is first.
  static void wait(const std::shared_ptr<State>& state, Clock::time_point now);
  static void on_timer(const std::weak_ptr<State>& weak, const boost::system::error_code& ec);

  std::shared_ptr<State> state_;
};

}  // namespace portcullis::net
