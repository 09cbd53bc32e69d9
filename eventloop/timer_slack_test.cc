// The wake-up rule for timers (event_loop.h, "Timer lateness"), as a function of the deadline.
#include "eventloop/timer_slack.h"

#include <chrono>
#include <cstdint>
#include <random>

#include "gtest/gtest.h"

namespace eventloop {
namespace internal {
namespace {

using std::chrono::milliseconds;
using std::chrono::nanoseconds;

TEST(TimerSlackTest, GranularityIsFourMilliseconds) {
  EXPECT_EQ(kTimerWakeUpGranularity, milliseconds(4));  // The figure event_loop.h documents.
}

TEST(TimerSlackTest, RoundsUpToTheNextMultipleOfTheGranularity) {
  const TimePoint slot(milliseconds(4 * 1000));
  EXPECT_EQ(TimerWakeUpTime(slot), slot);  // Already on the grid: not delayed.
  EXPECT_EQ(TimerWakeUpTime(slot + nanoseconds(1)), slot + milliseconds(4));
  EXPECT_EQ(TimerWakeUpTime(slot + milliseconds(1)), slot + milliseconds(4));
  EXPECT_EQ(TimerWakeUpTime(slot + milliseconds(4) - nanoseconds(1)), slot + milliseconds(4));
  EXPECT_EQ(TimerWakeUpTime(slot - nanoseconds(1)), slot);
  EXPECT_EQ(TimerWakeUpTime(TimePoint()), TimePoint());
  EXPECT_EQ(TimerWakeUpTime(TimePoint() - milliseconds(3)), TimePoint());  // Before the epoch.
}

TEST(TimerSlackTest, NeverEarlyAndLessThanOneGranularityLateForRandomDeadlines) {
  std::mt19937_64 rng(4);
  std::uniform_int_distribution<int64_t> ns(0, int64_t{1} << 62);
  for (int i = 0; i < 100000; ++i) {
    const TimePoint deadline(nanoseconds(ns(rng)));
    const TimePoint wake_up = TimerWakeUpTime(deadline);
    ASSERT_GE(wake_up, deadline);
    ASSERT_LT(wake_up - deadline, kTimerWakeUpGranularity);
    ASSERT_EQ(wake_up.time_since_epoch() % kTimerWakeUpGranularity, Duration::zero());
  }
}

TEST(TimerSlackTest, DeadlinesTooLateToRoundUpStayAsTheyAre) {
  EXPECT_EQ(TimerWakeUpTime(TimePoint::max()), TimePoint::max());
  EXPECT_EQ(TimerWakeUpTime(TimePoint::max() - nanoseconds(1)), TimePoint::max() - nanoseconds(1));
}

}  // namespace
}  // namespace internal
}  // namespace eventloop
