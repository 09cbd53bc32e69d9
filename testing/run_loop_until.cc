#include "testing/run_loop_until.h"

namespace ipc {
namespace test {

bool RunLoopUntil(eventloop::EventLoop& loop, const std::function<bool()>& done,
                  std::chrono::milliseconds timeout) {
  if (done()) return true;
  const auto end = std::chrono::steady_clock::now() + timeout;
  auto check = loop.CreateTimer([&] {
    if (done() || std::chrono::steady_clock::now() >= end) loop.Quit();
  });
  check->StartRepeating(std::chrono::milliseconds(1));
  loop.Run();
  return done();
}

void RunLoopFor(eventloop::EventLoop& loop, std::chrono::milliseconds duration) {
  auto stop = loop.CreateTimer([&] { loop.Quit(); });
  stop->Start(duration);
  loop.Run();
}

}  // namespace test
}  // namespace ipc
