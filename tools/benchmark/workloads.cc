// The workload table (see workloads.h).
#include "tools/benchmark/workloads.h"

namespace bench {

const std::vector<WorkloadSpec>& AllWorkloads() {
  constexpr size_t k64K = size_t{64} * 1024;
  constexpr size_t k4K = size_t{4} * 1024;
  static const auto* const workloads = new std::vector<WorkloadSpec>{
      {"throughput_64k", "GB/s", "raw", true, Family::kStream, k64K},
      {"throughput_64k_zero_copy", "GB/s", "raw", true, Family::kStream, k64K, true},
      {"throughput_4k", "GB/s", "raw", true, Family::kStream, k4K},
      {"pingpong", "us", "raw", false, Family::kPingpong},
      {"connections", "s", "raw", false, Family::kConnections},
      {"timers", "ns", "libevent", false, Family::kTimers},
      {"timers_20k", "ns", "libevent", false, Family::kTimers, 0, false, true},
      {"post_loop", "tasks/s", "libevent", true, Family::kPostLoop},
      {"post_cross_thread", "tasks/s", "libevent", true, Family::kPostCrossThread},
  };
  return *workloads;
}

const WorkloadSpec* FindWorkload(std::string_view name) {
  for (const WorkloadSpec& spec : AllWorkloads()) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

std::string_view ImplName(const WorkloadSpec& spec, Impl impl) {
  switch (impl) {
    case Impl::kOurs:
      return "localsocket";
    case Impl::kEpollFloor:
      return "epoll";
    case Impl::kBaseline:
      break;
  }
  return spec.baseline;
}

}  // namespace bench
