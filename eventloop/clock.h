// Time source for event loops. Injectable so that tests can drive timers with a fake clock.
#ifndef LOCALSOCKET_EVENTLOOP_CLOCK_H_
#define LOCALSOCKET_EVENTLOOP_CLOCK_H_

#include <chrono>

namespace eventloop {

using Duration = std::chrono::nanoseconds;
using TimePoint = std::chrono::time_point<std::chrono::steady_clock, Duration>;

// A monotonic time source. Implementations must never go backwards. A loop reads its clock
// on the loop thread only, so implementations need not be thread-safe unless they are shared
// with other threads.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint Now() const = 0;
};

// The process-wide std::chrono::steady_clock. Never destroyed; safe from any thread.
Clock& SystemClock();

}  // namespace eventloop

#endif  // LOCALSOCKET_EVENTLOOP_CLOCK_H_
