// The minimal epoll pair of the pingpong and connections workloads: the least an event loop
// can do for them. Each side is non-blocking sockets on one level-triggered epoll set, with no
// library, no buffering and no callbacks; the connections client keeps at most `in_flight`
// connections waiting for their echo, as ours does. It is not a baseline of the issue's
// table: the bench reports it beside those figures (ours / its), so that how far ours is from
// what an event loop could reach on this machine can be reproduced.
#ifndef LOCALSOCKET_TOOLS_BENCHMARK_EPOLL_ROLES_H_
#define LOCALSOCKET_TOOLS_BENCHMARK_EPOLL_ROLES_H_

#include "tools/benchmark/child.h"
#include "tools/benchmark/socket_run.h"

namespace bench {

// The server process: listens on run.path, reports "ready", echoes (pingpong: every request
// until the client closes; connections: each connection's message once, keeping its fd),
// reports its result as the other servers do, then waits for the end of the command pipe.
// Refuses the stream workloads. Returns the exit status.
int RunEpollServer(const SocketRun& run, const ParentLink& link);

// The client process: runs the pingpong or connections workload against run.path and reports
// its result, as the other clients do. Returns the exit status.
int RunEpollClient(const SocketRun& run, const ParentLink& link);

}  // namespace bench

#endif  // LOCALSOCKET_TOOLS_BENCHMARK_EPOLL_ROLES_H_
