// The bench's command line: which workloads, how many repetitions, the sizes, and where the
// JSON goes. `--quick` swaps in small sizes and one repetition for flags not given.
#ifndef LOCALSOCKET_TOOLS_BENCHMARK_OPTIONS_H_
#define LOCALSOCKET_TOOLS_BENCHMARK_OPTIONS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bench {

// Everything the command line sets. The defaults are the full run.
struct Options {
  bool quick = false;
  std::string json_path;                      // --json FILE; empty: no JSON.
  std::vector<std::string> workloads;         // --workloads a,b; empty: all, in the order.
  int reps = 3;                               // Repetitions; the figures are their medians.
  uint64_t stream_bytes = uint64_t{1} << 30;  // Bytes per throughput run.
  uint64_t pingpong_rtts = 100000;            // Timed round trips (after the warm-up).
  uint64_t connections = 5000;
  uint64_t in_flight = 1000;  // Our client's connections in flight at once.
  uint64_t timers = 1000000;  // The `timers` workload.
  uint64_t timers_20k = 20000;
  uint64_t posts = 1000000;
  uint64_t strace_rtts = 10000;  // Traced round trips for syscalls per RTT; 0: no strace.
  int timeout_seconds = 300;     // Per child process step; a hung run fails, the rest go on.
};

// The result of parsing: options, --help, or an error message.
struct ParsedCommandLine {
  Options options;
  bool help = false;
  std::string error;  // Non-empty: bad command line.
};

// Parses the arguments after the program name.
ParsedCommandLine ParseCommandLine(const std::vector<std::string>& args);

// The --help text.
std::string Usage();

// A count or size: digits with an optional binary suffix K, M or G (case-insensitive,
// e.g. 64K = 65536, 1G = 2^30). nullopt if malformed, zero, or too large.
std::optional<uint64_t> ParseSize(std::string_view text);

}  // namespace bench

#endif  // LOCALSOCKET_TOOLS_BENCHMARK_OPTIONS_H_
