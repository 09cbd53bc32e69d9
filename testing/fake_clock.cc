#include "testing/fake_clock.h"

#include <chrono>

namespace eventloop {

FakeClock::FakeClock() : now_(std::chrono::hours(1000000)) {}

TimePoint FakeClock::Now() const { return now_; }

void FakeClock::Advance(Duration d) {
  if (d < Duration::zero()) return;
  if (d > TimePoint::max() - now_) {
    now_ = TimePoint::max();
    return;
  }
  now_ += d;
}

}  // namespace eventloop
