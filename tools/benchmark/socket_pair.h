// The main process's side of a socket-workload run: a server child, then (once it listens) a
// client child, and their results; or the traced pingpong run that counts each side's system
// calls per round trip with strace.
#ifndef LOCALSOCKET_TOOLS_BENCHMARK_SOCKET_PAIR_H_
#define LOCALSOCKET_TOOLS_BENCHMARK_SOCKET_PAIR_H_

#include <chrono>
#include <optional>
#include <string>

#include "tools/benchmark/metrics.h"
#include "tools/benchmark/socket_run.h"

namespace bench {

// Runs `run` and returns the client's metrics merged with the server's; nullopt (*error set)
// if a child failed or a step took longer than `timeout`.
std::optional<Metrics> RunSocketPair(const SocketRun& run, std::chrono::milliseconds timeout,
                                     std::string* error);

// Runs a pingpong `run` (run.traced set) untimed: after its warm-up, strace is attached to the
// server and to the client (each on its own, waiting until /proc shows the tracer), run.rtts
// round trips run, and strace is detached. Returns {"syscalls_per_rtt" (server),
// "client_syscalls_per_rtt"}: each side's total system calls / run.rtts. A side strace could
// not trace is left out and the reason appended to *strace_error; nullopt (*error set) only if
// the run itself failed. The summaries go to the two files named.
std::optional<Metrics> RunTracedPingpong(const SocketRun& run, const std::string& server_summary,
                                         const std::string& client_summary,
                                         std::chrono::milliseconds timeout, std::string* error,
                                         std::string* strace_error);

}  // namespace bench

#endif  // LOCALSOCKET_TOOLS_BENCHMARK_SOCKET_PAIR_H_
