// The timer and post workloads, written once over a small adapter so that ours (LibeventLoop)
// and the libevent baseline run exactly the same sequence of calls.
#ifndef LOCALSOCKET_TOOLS_BENCHMARK_LOOP_MEASURE_H_
#define LOCALSOCKET_TOOLS_BENCHMARK_LOOP_MEASURE_H_

#include <cstdint>
#include <functional>
#include <thread>
#include <vector>

#include "tools/benchmark/metrics.h"
#include "tools/benchmark/process_info.h"

namespace bench {

// The timers' delays: `count` random whole milliseconds in [1, 1000] from a fixed seed, the
// same for every implementation and run.
std::vector<int> TimerDelaysMs(uint64_t count);

// The timers workload: creates and starts one timer per delay, cancels every odd-numbered one
// right after all are scheduled, and runs until the rest fired. {"value": CPU ns per timer}
// (this process's CPU time over all of that, divided by the number of timers created), or {}
// if the wrong number fired. `TimerSet` provides:
//   void Start(size_t i, int delay_ms);  // creates timer i and schedules it
//   void Cancel(size_t i);
//   void Run();                          // until `expected` timers fired (a constructor
//                                        // argument), then returns
//   uint64_t fired() const;
template <typename TimerSet>
Metrics MeasureTimers(TimerSet& timers, const std::vector<int>& delays_ms) {
  const int64_t start = ProcessCpuNanoseconds();
  for (size_t i = 0; i < delays_ms.size(); ++i) timers.Start(i, delays_ms[i]);
  for (size_t i = 1; i < delays_ms.size(); i += 2) timers.Cancel(i);
  timers.Run();
  const int64_t cpu = ProcessCpuNanoseconds() - start;
  if (timers.fired() != delays_ms.size() - delays_ms.size() / 2) return {};
  return {{"value", static_cast<double>(cpu) / static_cast<double>(delays_ms.size())}};
}

// The number of tasks left to run, and who to stop when none is left. A task holds only a
// pointer to it, so every implementation's std::function stores it without allocating.
template <typename Poster>
struct PostCountdown {
  Poster* poster;
  uint64_t left;
  void operator()() {
    if (--left == 0) poster->Quit();
  }
};

// `Poster` provides: void Post(std::function<void()>), Run() (until Quit), Quit().

// Runs `count` posted tasks: `start_posting(post_all)` starts posting them (it returns the
// thread it started, or an empty std::thread), then the loop runs until the last task ran.
// {"value": tasks per second}, from the start of the posting to the end of the last task; {}
// if a task is missing.
template <typename Poster, typename StartPosting>
Metrics MeasurePosts(Poster& poster, uint64_t count, StartPosting start_posting) {
  PostCountdown<Poster> countdown{&poster, count};
  auto post_all = [&poster, counter = &countdown, count] {
    for (uint64_t i = 0; i < count; ++i) poster.Post([counter] { (*counter)(); });
  };
  const int64_t start = WallNanoseconds();
  std::thread producer = start_posting(post_all);
  poster.Run();
  const int64_t wall = WallNanoseconds() - start;
  if (producer.joinable()) producer.join();
  if (countdown.left != 0) return {};
  return {{"value", static_cast<double>(count) * 1e9 / static_cast<double>(wall)}};
}

// The post_loop workload: a task on the loop posts `count` tasks, and the loop runs them.
template <typename Poster>
Metrics MeasurePostLoop(Poster& poster, uint64_t count) {
  return MeasurePosts(poster, count, [&poster](const auto& post_all) {
    poster.Post(post_all);
    return std::thread();
  });
}

// The post_cross_thread workload: a second thread posts `count` tasks while the loop runs them.
template <typename Poster>
Metrics MeasurePostCrossThread(Poster& poster, uint64_t count) {
  return MeasurePosts(poster, count, [](const auto& post_all) { return std::thread(post_all); });
}

}  // namespace bench

#endif  // LOCALSOCKET_TOOLS_BENCHMARK_LOOP_MEASURE_H_
