// The libevent baseline of the timer and post workloads, on a plain event_base (default
// configuration): evtimer_new/evtimer_add/evtimer_del for timers, and for posts a
// mutex-guarded queue of std::function that one event_active'd event drains (with
// evthread_use_pthreads for the cross-thread case, which libevent needs to be woken from
// another thread). Each function runs one measurement in the calling process.
#ifndef LOCALSOCKET_TOOLS_BENCHMARK_LIBEVENT_BASELINES_H_
#define LOCALSOCKET_TOOLS_BENCHMARK_LIBEVENT_BASELINES_H_

#include <cstdint>

#include "tools/benchmark/metrics.h"

namespace bench {

// The timers workload with `count` timers (MeasureTimers in loop_measure.h).
Metrics RunLibeventTimers(uint64_t count);
// The post_loop workload with `count` tasks (MeasurePostLoop).
Metrics RunLibeventPostLoop(uint64_t count);
// The post_cross_thread workload with `count` tasks (MeasurePostCrossThread). Turns on
// libevent's pthread support for the whole process.
Metrics RunLibeventPostCrossThread(uint64_t count);

}  // namespace bench

#endif  // LOCALSOCKET_TOOLS_BENCHMARK_LIBEVENT_BASELINES_H_
