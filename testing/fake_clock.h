// A manually advanced Clock for deterministic tests.
#ifndef LOCALSOCKET_TESTING_FAKE_CLOCK_H_
#define LOCALSOCKET_TESTING_FAKE_CLOCK_H_

#include "eventloop/clock.h"

namespace eventloop {

// A Clock that moves only when Advance() is called. It starts at a fixed time point (one
// million hours after the steady_clock epoch, far from the real time and from overflow), so
// test output does not depend on when it ran. Not thread-safe: use it on one thread (the
// loop's), and keep it alive as long as any loop using it.
class FakeClock : public Clock {
 public:
  FakeClock();
  TimePoint Now() const override;
  // Moves the clock forward by `d`. A negative `d` is rejected: the clock does not change.
  // Advancing fires nothing by itself; run the loop (e.g. RunUntilIdle()) afterwards.
  void Advance(Duration d);

 private:
  TimePoint now_;
};

}  // namespace eventloop

#endif  // LOCALSOCKET_TESTING_FAKE_CLOCK_H_
