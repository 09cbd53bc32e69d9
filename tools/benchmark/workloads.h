// The workloads of the bench, as data: each one's name, unit, baseline and kind, in the order
// the issue lists them (and the table and the JSON print them).
#ifndef LOCALSOCKET_TOOLS_BENCHMARK_WORKLOADS_H_
#define LOCALSOCKET_TOOLS_BENCHMARK_WORKLOADS_H_

#include <cstddef>
#include <string_view>
#include <vector>

namespace bench {

// How a workload is measured.
enum class Family {
  kStream,           // Bytes from a client to our server, in chunks (GB/s).
  kPingpong,         // Request/echo round trips (mean RTT in µs).
  kConnections,      // Many clients, one echo each (seconds).
  kTimers,           // Timers created, half cancelled, the rest fired (CPU ns per timer).
  kPostLoop,         // Tasks posted from the loop thread (tasks per second).
  kPostCrossThread,  // Tasks posted from a second thread (tasks per second).
};

// The implementations: ours and the baseline in the same binary run every workload; the
// minimal epoll pair (see epoll_roles.h) runs beside them where HasEpollFloor.
enum class Impl { kOurs, kBaseline, kEpollFloor };

// One workload. Sizes come from the Options, except a stream's chunk size.
struct WorkloadSpec {
  std::string_view name;      // As the issue spells it; the JSON `workload`.
  std::string_view unit;      // The JSON `unit`.
  std::string_view baseline;  // "raw" or "libevent".
  bool higher_is_better;
  Family family;
  size_t chunk = 0;        // kStream: bytes per write (and per read).
  bool zero_copy = false;  // kStream: our receiver uses PeekBuffered() + Skip().
  bool small = false;      // kTimers: the timers_20k count instead of the timers count.
};

// Every workload, in the order.
const std::vector<WorkloadSpec>& AllWorkloads();

// The workload named `name`, or nullptr.
const WorkloadSpec* FindWorkload(std::string_view name);

// True for the workloads over a socket (their baseline is raw blocking read/write).
inline bool IsSocketFamily(Family family) {
  return family == Family::kStream || family == Family::kPingpong || family == Family::kConnections;
}

// True for the workloads the minimal epoll pair runs beside ours: pingpong and connections.
inline bool HasEpollFloor(Family family) {
  return family == Family::kPingpong || family == Family::kConnections;
}

// "localsocket" for ours, "epoll" for the epoll pair, else the workload's baseline name.
std::string_view ImplName(const WorkloadSpec& spec, Impl impl);

}  // namespace bench

#endif  // LOCALSOCKET_TOOLS_BENCHMARK_WORKLOADS_H_
