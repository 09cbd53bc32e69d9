// What the bench reads about processes: fields of /proc/PID/status (memory, tracer), CPU and
// wall clocks, and the fd limit.
#ifndef LOCALSOCKET_TOOLS_BENCHMARK_PROCESS_INFO_H_
#define LOCALSOCKET_TOOLS_BENCHMARK_PROCESS_INFO_H_

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace bench {

// The whole content of a (small) file; "" if it cannot be read.
std::string ReadFileText(const std::string& path);

// The number in the `field` line of /proc/PID/status ("VmRSS", "VmHWM" in KiB; "TracerPid"),
// for `pid` (0: this process). nullopt if the file or the field is missing.
std::optional<int64_t> ProcStatusField(pid_t pid, std::string_view field);

// Prepares this process for measuring RSS growth from now on: faults in every page of its
// file-backed mappings (code and read-only data a forked child would otherwise fault in
// lazily as it first runs a code path, which would count as growth), then resets VmHWM to the
// current VmRSS (a forked child inherits its parent's peak). Best effort: false if either
// step failed (old kernel, no /proc).
bool PrepareRssBaseline();

// CPU time of this process (all threads), in nanoseconds (CLOCK_PROCESS_CPUTIME_ID).
int64_t ProcessCpuNanoseconds();

// A monotonic wall clock, in nanoseconds.
int64_t WallNanoseconds();

// Raises the RLIMIT_NOFILE soft limit to the hard limit; returns the soft limit in effect.
uint64_t RaiseFdLimitToHard();

}  // namespace bench

#endif  // LOCALSOCKET_TOOLS_BENCHMARK_PROCESS_INFO_H_
