#include "testing/fake_clock.h"

#include <chrono>

#include "eventloop/clock.h"
#include "gtest/gtest.h"

namespace eventloop {
namespace {

using std::chrono::hours;
using std::chrono::nanoseconds;
using std::chrono::seconds;

TEST(FakeClockTest, StartsAtAFixedTimePointThatIsNotTheRealTime) {
  FakeClock first;
  const TimePoint real_now = SystemClock().Now();
  FakeClock second;
  EXPECT_EQ(first.Now(), second.Now());
  // Far from the real steady_clock reading (which counts from boot).
  const Duration distance =
      first.Now() > real_now ? first.Now() - real_now : real_now - first.Now();
  EXPECT_GT(distance, hours(24));
  // Reading it does not move it.
  const TimePoint before = first.Now();
  EXPECT_EQ(first.Now(), before);
}

TEST(FakeClockTest, AdvanceMovesExactlyByTheGivenDuration) {
  FakeClock clock;
  const Clock& as_clock = clock;  // Used through the Clock interface, as loops do.
  const TimePoint start = as_clock.Now();
  clock.Advance(nanoseconds(1));
  EXPECT_EQ(as_clock.Now() - start, nanoseconds(1));
  clock.Advance(seconds(5));
  EXPECT_EQ(as_clock.Now() - start, seconds(5) + nanoseconds(1));
  clock.Advance(Duration::zero());
  EXPECT_EQ(as_clock.Now() - start, seconds(5) + nanoseconds(1));
}

TEST(FakeClockTest, NegativeAdvanceIsRejected) {
  FakeClock clock;
  clock.Advance(seconds(10));
  const TimePoint before = clock.Now();
  clock.Advance(-nanoseconds(1));
  EXPECT_EQ(clock.Now(), before);
  clock.Advance(-hours(1));
  EXPECT_EQ(clock.Now(), before);
  clock.Advance(Duration::min());
  EXPECT_EQ(clock.Now(), before);
}

TEST(FakeClockTest, HugeAdvanceNeverGoesBackwards) {
  FakeClock clock;
  const TimePoint start = clock.Now();
  clock.Advance(Duration::max());
  const TimePoint after_first = clock.Now();
  EXPECT_GT(after_first, start);
  clock.Advance(Duration::max());
  EXPECT_GE(clock.Now(), after_first);
  clock.Advance(nanoseconds(1));
  EXPECT_GE(clock.Now(), after_first);
}

}  // namespace
}  // namespace eventloop
