// Our implementation of the timer and post workloads: Timer handles and Post on a
// LibeventLoop. Each function runs one measurement in the calling process.
#ifndef LOCALSOCKET_TOOLS_BENCHMARK_OUR_LOOP_WORKLOADS_H_
#define LOCALSOCKET_TOOLS_BENCHMARK_OUR_LOOP_WORKLOADS_H_

#include <cstdint>

#include "tools/benchmark/metrics.h"

namespace bench {

// The timers workload with `count` timers (MeasureTimers in loop_measure.h).
Metrics RunOurTimers(uint64_t count);
// The post_loop workload with `count` tasks (MeasurePostLoop).
Metrics RunOurPostLoop(uint64_t count);
// The post_cross_thread workload with `count` tasks (MeasurePostCrossThread).
Metrics RunOurPostCrossThread(uint64_t count);

}  // namespace bench

#endif  // LOCALSOCKET_TOOLS_BENCHMARK_OUR_LOOP_WORKLOADS_H_
