#include "net/watchdog.hpp"

#include <algorithm>

namespace portcullis::net {

struct Watchdog::State {
  explicit State(const boost::asio::any_io_executor& executor) : timer(executor) {}

  boost::asio::steady_timer timer;
  Clock::time_point deadline = Clock::time_point::max();
  boost::beast::tcp_stream* guarded = nullptr;  // armed while set
  // The shortest timeout armed so far: no wait ends later than this after it starts, so a new
  // deadline is never earlier than the pending wait's end (no cancel) once it was armed once.
  Clock::duration shortest = Clock::duration::max();
  unsigned waits = 0;  // timer waits not completed yet (a moved wait leaves a cancelled one)
  bool timed_out = false;
};

Watchdog::Watchdog(const boost::asio::any_io_executor& executor)
    : state_(std::make_shared<State>(executor)) {}

// The pending wait (if any) completes with operation_aborted and finds the state gone.
Watchdog::~Watchdog() = default;

void Watchdog::arm(boost::beast::tcp_stream& stream, Clock::duration timeout) {
  State& s = *state_;
  const Clock::time_point now = Clock::now();
  s.guarded = &stream;
  s.timed_out = false;
  s.deadline = now + timeout;
  s.shortest = std::min(s.shortest, timeout);
  // Only a timeout shorter than every earlier one can end before the pending wait does: that
  // wait is moved (a cancel, once per new shortest timeout).
  if (s.waits == 0 || s.timer.expiry() > s.deadline) {
    wait(state_, now);
  }
}

void Watchdog::disarm() {
  state_->guarded = nullptr;
  state_->deadline = Clock::time_point::max();
}

bool Watchdog::timed_out() const { return state_->timed_out; }

void Watchdog::wait(const std::shared_ptr<State>& state, Clock::time_point now) {
  state->timer.expires_at(std::min(state->deadline, now + state->shortest));
  ++state->waits;
  state->timer.async_wait(
      [weak = std::weak_ptr<State>(state)](const boost::system::error_code& ec) {
        on_timer(weak, ec);
      });
}

void Watchdog::on_timer(const std::weak_ptr<State>& weak, const boost::system::error_code& ec) {
  const std::shared_ptr<State> state = weak.lock();
  if (!state) {
    return;  // the watchdog is gone
  }
  --state->waits;
  if (ec || state->waits > 0 || state->guarded == nullptr) {
    return;  // moved (a newer wait is pending), or disarmed: the next arm() starts a wait
  }
  const Clock::time_point now = Clock::now();
  if (state->deadline <= now) {
    // As beast::tcp_stream's timeout: the socket is closed, the pending operation fails.
    boost::beast::tcp_stream* stream = state->guarded;
    state->guarded = nullptr;
    state->deadline = Clock::time_point::max();
    state->timed_out = true;
    stream->close();
    return;
  }
  wait(state, now);
}

}  // namespace portcullis::net
