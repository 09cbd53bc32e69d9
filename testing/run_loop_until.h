// Driving a real loop from a test: until a condition holds (with a deadline), or for a while.
#ifndef LOCALSOCKET_TESTING_RUN_LOOP_UNTIL_H_
#define LOCALSOCKET_TESTING_RUN_LOOP_UNTIL_H_

#include <chrono>
#include <functional>

#include "eventloop/event_loop.h"

namespace ipc {
namespace test {

// Runs `loop` until `done()` is true or `timeout` passes (checked every millisecond and after
// each iteration's work). Returns done(). Must not be called from inside a loop callback.
bool RunLoopUntil(eventloop::EventLoop& loop, const std::function<bool()>& done,
                  std::chrono::milliseconds timeout = std::chrono::seconds(20));
// Runs `loop` for `duration` of real time.
void RunLoopFor(eventloop::EventLoop& loop, std::chrono::milliseconds duration);

}  // namespace test
}  // namespace ipc

#endif  // LOCALSOCKET_TESTING_RUN_LOOP_UNTIL_H_
