// Running the server and client processes of a socket-workload run (see socket_pair.h).
#include "tools/benchmark/socket_pair.h"

#include <unistd.h>

#include <memory>

#include "tools/benchmark/child.h"
#include "tools/benchmark/epoll_roles.h"
#include "tools/benchmark/our_roles.h"
#include "tools/benchmark/raw_roles.h"
#include "tools/benchmark/strace.h"

namespace bench {
namespace {

// The server and client children of one run.
struct Pair {
  std::unique_ptr<Child> server;
  std::unique_ptr<Child> client;
};

// The server and client processes of one implementation; each returns its exit status.
struct Roles {
  int (*server)(const SocketRun& run, const ParentLink& link);
  int (*client)(const SocketRun& run, const ParentLink& link);
};

Roles RolesOf(Impl impl) {
  switch (impl) {
    case Impl::kOurs:
      return {RunOurServer, RunOurClient};
    case Impl::kEpollFloor:
      return {RunEpollServer, RunEpollClient};
    case Impl::kBaseline:
      break;
  }
  return {RunRawServer, RunRawClient};
}

// Starts the server, waits until it listens, then starts the client. False (*error set) on
// failure; the children started so far are killed with `pair`.
bool StartPair(const SocketRun& run, std::chrono::milliseconds timeout, Pair& pair,
               std::string* error) {
  unlink(run.path.c_str());  // A socket file left by an interrupted run.
  const Roles roles = RolesOf(run.impl);
  pair.server = Child::Start(
      "server", [&](ParentLink& link) { return roles.server(run, link); }, error);
  if (!pair.server || !AwaitExactLine(*pair.server, {}, "ready", timeout, error)) return false;
  pair.client = Child::Start(
      "client", [&](ParentLink& link) { return roles.client(run, link); }, error);
  return pair.client != nullptr;
}

// Takes the client's result, then the server's, and ends both: their merged metrics.
std::optional<Metrics> FinishPair(Pair& pair, std::chrono::milliseconds timeout,
                                  std::string* error) {
  std::optional<Metrics> metrics = AwaitResult(*pair.client, {pair.server.get()}, timeout, error);
  if (!metrics) return std::nullopt;
  const std::optional<Metrics> server = AwaitResult(*pair.server, {}, timeout, error);
  if (!server) return std::nullopt;
  for (Child* child : {pair.client.get(), pair.server.get()}) {
    const int status = child->Finish(timeout);
    if (status != 0) {
      *error = child->name() + ": exit status " + std::to_string(status);
      return std::nullopt;
    }
  }
  metrics->insert(server->begin(), server->end());
  return metrics;
}

// Total calls from `trace` / `rtts` into metrics[name]; else the reason into *strace_error.
void AddSyscalls(StraceSession& trace, const char* side, uint64_t rtts, const char* name,
                 Metrics& metrics, std::string* strace_error) {
  if (const std::optional<uint64_t> calls = trace.Finish()) {
    metrics[name] = static_cast<double>(*calls) / static_cast<double>(rtts);
    return;
  }
  if (!strace_error->empty()) *strace_error += "; ";
  *strace_error += std::string(side) + ": " + trace.error();
}

}  // namespace

std::optional<Metrics> RunSocketPair(const SocketRun& run, std::chrono::milliseconds timeout,
                                     std::string* error) {
  Pair pair;
  if (!StartPair(run, timeout, pair, error)) return std::nullopt;
  return FinishPair(pair, timeout, error);
}

std::optional<Metrics> RunTracedPingpong(const SocketRun& run, const std::string& server_summary,
                                         const std::string& client_summary,
                                         std::chrono::milliseconds timeout, std::string* error,
                                         std::string* strace_error) {
  Pair pair;
  if (!StartPair(run, timeout, pair, error) ||
      !AwaitExactLine(*pair.client, {pair.server.get()}, "warm", timeout, error)) {
    return std::nullopt;
  }
  Metrics syscalls;
  {
    const auto attach_timeout = std::chrono::seconds(10);
    StraceSession server_trace(pair.server->pid(), server_summary, attach_timeout);
    StraceSession client_trace(pair.client->pid(), client_summary, attach_timeout);
    if (!pair.client->SendGo() ||
        !AwaitExactLine(*pair.client, {pair.server.get()}, "done", timeout, error)) {
      return std::nullopt;
    }
    AddSyscalls(server_trace, "server", run.rtts, "syscalls_per_rtt", syscalls, strace_error);
    AddSyscalls(client_trace, "client", run.rtts, "client_syscalls_per_rtt", syscalls,
                strace_error);
  }
  if (!pair.client->SendGo() || !FinishPair(pair, timeout, error)) return std::nullopt;
  return syscalls;
}

}  // namespace bench
