// The timer and post workloads on our LibeventLoop (see our_loop_workloads.h).
#include "tools/benchmark/our_loop_workloads.h"

#include <chrono>
#include <functional>
#include <memory>
#include <utility>
#include <vector>

#include "eventloop/libevent_loop.h"
#include "tools/benchmark/loop_measure.h"

namespace bench {
namespace {

// MeasureTimers' adapter: one Timer handle per timer; the last expected fire quits the loop.
class OurTimerSet {
 public:
  explicit OurTimerSet(uint64_t count) : expected_(count - count / 2) { timers_.reserve(count); }

  void Start(size_t /*i*/, int delay_ms) {
    timers_.push_back(loop_.CreateTimer([this] {
      if (++fired_ == expected_) loop_.Quit();
    }));
    timers_.back()->Start(std::chrono::milliseconds(delay_ms));
  }
  void Cancel(size_t i) { timers_[i]->Stop(); }
  void Run() { loop_.Run(); }
  uint64_t fired() const { return fired_; }

 private:
  eventloop::LibeventLoop loop_;
  std::vector<std::unique_ptr<eventloop::Timer>> timers_;
  uint64_t expected_;
  uint64_t fired_ = 0;
};

// The post workloads' adapter: EventLoop::Post, Run and Quit.
class OurPoster {
 public:
  void Post(std::function<void()> task) { loop_.Post(std::move(task)); }
  void Run() { loop_.Run(); }
  void Quit() { loop_.Quit(); }

 private:
  eventloop::LibeventLoop loop_;
};

}  // namespace

Metrics RunOurTimers(uint64_t count) {
  const std::vector<int> delays = TimerDelaysMs(count);
  OurTimerSet timers(count);
  return MeasureTimers(timers, delays);
}

Metrics RunOurPostLoop(uint64_t count) {
  OurPoster poster;
  return MeasurePostLoop(poster, count);
}

Metrics RunOurPostCrossThread(uint64_t count) {
  OurPoster poster;
  return MeasurePostCrossThread(poster, count);
}

}  // namespace bench
