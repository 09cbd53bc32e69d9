// WorkloadSummary: a workload's figures over all repetitions (the median of each), for both
// implementations, and its line of --json output.
#ifndef LOCALSOCKET_TOOLS_BENCHMARK_SUMMARY_H_
#define LOCALSOCKET_TOOLS_BENCHMARK_SUMMARY_H_

#include <string>
#include <vector>

#include "tools/benchmark/metrics.h"
#include "tools/benchmark/workloads.h"

namespace bench {

struct WorkloadSummary {
  const WorkloadSpec* spec = nullptr;
  Metrics ours;      // Each figure's median over the repetitions (plus the syscall counts).
  Metrics baseline;  // The same for the baseline.
  std::vector<std::string> errors;  // "impl: message" of every failed measurement.
  Metrics epoll_floor;              // The minimal epoll pair's medians (if HasEpollFloor).
};

// The median of each figure over the repetitions that produced it.
Metrics MedianMetrics(const std::vector<Metrics>& repetitions);

// The figures beside `family`'s value, in output order: allocs_per_msg for socket workloads;
// p50_us, p99_us, syscalls_per_rtt and client_syscalls_per_rtt for pingpong; rss_per_conn_kib
// for connections.
const std::vector<std::string>& ExtraFigures(Family family);

// The workload's --json line (no newline), for our implementation: workload, impl, value,
// unit, baseline, baseline_value, ratio, higher_is_better, then ExtraFigures (null when
// missing); where HasEpollFloor, also epoll_floor_value and epoll_floor_ratio (value over it).
std::string WorkloadJson(const WorkloadSummary& summary);

}  // namespace bench

#endif  // LOCALSOCKET_TOOLS_BENCHMARK_SUMMARY_H_
