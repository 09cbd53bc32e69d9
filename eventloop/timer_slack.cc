#include "eventloop/timer_slack.h"

namespace eventloop {
namespace internal {

TimePoint TimerWakeUpTime(TimePoint deadline) {
  const Duration::rep granularity = kTimerWakeUpGranularity.count();
  const Duration::rep t = deadline.time_since_epoch().count();
  Duration::rep remainder = t % granularity;
  if (remainder < 0) remainder += granularity;  // Before the epoch: round towards it.
  if (remainder == 0) return deadline;
  const Duration::rep rest = granularity - remainder;
  if (t > Duration::max().count() - rest) return deadline;
  return TimePoint(Duration(t + rest));
}

}  // namespace internal
}  // namespace eventloop
