// The minimal epoll pair of the connections workload: the least an event loop can do for it.
// Both sides are non-blocking sockets on one level-triggered epoll set, with no library, no
// buffering and no callbacks; the client keeps at most `in_flight` connections waiting for
// their echo, as ours does. It is not a baseline of the table: the bench reports it
// beside the connections figure (our time / its time), so that how far ours is from what an
// event loop could reach on this machine can be reproduced.
#ifndef LOCALSOCKET_TOOLS_BENCHMARK_EPOLL_ROLES_H_
#define LOCALSOCKET_TOOLS_BENCHMARK_EPOLL_ROLES_H_

#include "tools/benchmark/child.h"
#include "tools/benchmark/socket_run.h"

namespace bench {

// The server process: listens on run.path, reports "ready", echoes each connection's message
// once and keeps its fd, reports its result (as the other servers do), then waits for the end
// of the command pipe. Only for the connections workload. Returns the exit status.
int RunEpollServer(const SocketRun& run, const ParentLink& link);

// The client process: runs the connections workload against run.path and reports its result
// (the time from the first connect to the last echo). Returns the exit status.
int RunEpollClient(const SocketRun& run, const ParentLink& link);

}  // namespace bench

#endif  // LOCALSOCKET_TOOLS_BENCHMARK_EPOLL_ROLES_H_
