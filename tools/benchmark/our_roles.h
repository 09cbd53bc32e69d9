// Our implementation of the socket workloads: LocalServer and LocalSocket on a LibeventLoop,
// driven by signals (ready_read, bytes_written, connected), one process per role.
#ifndef LOCALSOCKET_TOOLS_BENCHMARK_OUR_ROLES_H_
#define LOCALSOCKET_TOOLS_BENCHMARK_OUR_ROLES_H_

#include "tools/benchmark/child.h"
#include "tools/benchmark/socket_run.h"

namespace bench {

// The server process: a LocalServer listening on run.path (backlog kListenBacklog) reports
// "ready", serves the run, reports its result, and runs until the end of the command pipe.
// Returns the exit status.
int RunOurServer(const SocketRun& run, const ParentLink& link);

// The client process: LocalSocket clients run the workload; it reports the result.
int RunOurClient(const SocketRun& run, const ParentLink& link);

}  // namespace bench

#endif  // LOCALSOCKET_TOOLS_BENCHMARK_OUR_ROLES_H_
