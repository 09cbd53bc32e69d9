// SocketRun: what the server and client processes of one socket-workload run do, shared by
// the raw and the LocalSocket implementations of both roles.
#ifndef LOCALSOCKET_TOOLS_BENCHMARK_SOCKET_RUN_H_
#define LOCALSOCKET_TOOLS_BENCHMARK_SOCKET_RUN_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "tools/benchmark/workloads.h"

namespace bench {

// The size of a pingpong request and of a connection's message.
constexpr size_t kMessageSize = 64;
// Both servers' listen backlog (the definition of the connections workload).
constexpr int kListenBacklog = 4096;

struct SocketRun {
  Family family = Family::kStream;  // kStream, kPingpong or kConnections.
  Impl impl = Impl::kOurs;
  std::string path;  // The socket file (in the bench's private directory).
  // kStream: the client sends `stream_bytes` in `chunk`-byte writes; the server reads with
  // `chunk`-byte reads (ours: Read, or PeekBuffered + Skip with `zero_copy`) and acks once.
  uint64_t stream_bytes = 0;
  size_t chunk = 0;
  bool zero_copy = false;
  // kPingpong: `warmup_rtts` untimed round trips, then `rtts` timed ones. `traced`: the client
  // pauses after the warm-up and after the rest for the main process to attach and detach
  // strace.
  uint64_t warmup_rtts = 0;
  uint64_t rtts = 0;
  bool traced = false;
  // kConnections: clients, each sending one message and checking its echo; ours keeps at
  // most `in_flight` of them waiting for their echo.
  uint64_t connections = 0;
  uint64_t in_flight = 0;
};

}  // namespace bench

#endif  // LOCALSOCKET_TOOLS_BENCHMARK_SOCKET_RUN_H_
