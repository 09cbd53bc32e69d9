#include "eventloop/clock.h"

namespace eventloop {
namespace {

class SteadyClock final : public Clock {
 public:
  TimePoint Now() const override {
    return std::chrono::time_point_cast<Duration>(std::chrono::steady_clock::now());
  }
};

}  // namespace

Clock& SystemClock() {
  static auto* const clock = new SteadyClock();  // Never destroyed: usable at exit.
  return *clock;
}

}  // namespace eventloop
