// Internal: when a loop that sleeps towards timers wakes up for them (the slack rule documented
// in event_loop.h). Not part of the public API.
#ifndef LOCALSOCKET_EVENTLOOP_TIMER_SLACK_H_
#define LOCALSOCKET_EVENTLOOP_TIMER_SLACK_H_

#include <chrono>

#include "eventloop/clock.h"

namespace eventloop {
namespace internal {

// A loop sleeping towards a timer deadline wakes up at the next multiple of this period of its
// clock (counted from the clock's epoch), so that timers due within one period share a
// wake-up, and loops of one process (or machine, on steady_clock) wake up together.
inline constexpr Duration kTimerWakeUpGranularity = std::chrono::milliseconds(4);

// The time a loop sleeping towards `deadline` wakes up: the first multiple of
// kTimerWakeUpGranularity at or after `deadline` (`deadline` itself where that would overflow).
// Never earlier than `deadline`, always earlier than deadline + kTimerWakeUpGranularity.
TimePoint TimerWakeUpTime(TimePoint deadline);

}  // namespace internal
}  // namespace eventloop

#endif  // LOCALSOCKET_EVENTLOOP_TIMER_SLACK_H_
