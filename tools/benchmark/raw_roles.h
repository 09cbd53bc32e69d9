// The raw baseline of the socket workloads: blocking socket/connect/accept/read/write, one
// connection at a time, no event loop.
#ifndef LOCALSOCKET_TOOLS_BENCHMARK_RAW_ROLES_H_
#define LOCALSOCKET_TOOLS_BENCHMARK_RAW_ROLES_H_

#include "tools/benchmark/child.h"
#include "tools/benchmark/socket_run.h"

namespace bench {

// The server process: listens on run.path (backlog kListenBacklog), reports "ready", serves
// the run, reports its result, then waits for the end of the command pipe. Returns the exit
// status.
int RunRawServer(const SocketRun& run, const ParentLink& link);

// The client process: connects to run.path, runs the workload and reports its result.
int RunRawClient(const SocketRun& run, const ParentLink& link);

}  // namespace bench

#endif  // LOCALSOCKET_TOOLS_BENCHMARK_RAW_ROLES_H_
