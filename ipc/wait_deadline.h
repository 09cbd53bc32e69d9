// Internal: the end of a blocking wait (LocalSocket and LocalServer waits), measured on the
// loop's clock.
#ifndef LOCALSOCKET_IPC_WAIT_DEADLINE_H_
#define LOCALSOCKET_IPC_WAIT_DEADLINE_H_

#include <algorithm>
#include <chrono>
#include <climits>

#include "eventloop/event_loop.h"

namespace ipc {
namespace internal {

// A wait's end, measured on the loop's clock; `msecs` -1 means none.
class WaitDeadline {
 public:
  WaitDeadline(const eventloop::EventLoop& loop, int msecs)
      : loop_(loop),
        unlimited_(msecs < 0),
        end_(loop.Now() + std::chrono::milliseconds(msecs < 0 ? 0 : msecs)) {}
  bool Expired() const { return !unlimited_ && loop_.Now() >= end_; }
  // The poll() timeout until the end: -1 for none, else milliseconds rounded up.
  int PollTimeoutMs(eventloop::TimePoint until = eventloop::TimePoint::max()) const {
    if (unlimited_ && until == eventloop::TimePoint::max()) return -1;
    const eventloop::TimePoint end = unlimited_ ? until : std::min(until, end_);
    const eventloop::Duration left = end - loop_.Now();
    if (left <= eventloop::Duration::zero()) return 0;
    const auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
    return ms > INT_MAX ? INT_MAX : static_cast<int>(ms);
  }

 private:
  const eventloop::EventLoop& loop_;
  const bool unlimited_;
  const eventloop::TimePoint end_;
};

}  // namespace internal
}  // namespace ipc

#endif  // LOCALSOCKET_IPC_WAIT_DEADLINE_H_
