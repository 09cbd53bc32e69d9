// Running one measurement in child processes (see runner.h).
#include "tools/benchmark/runner.h"

#include <algorithm>
#include <functional>
#include <memory>

#include "tools/benchmark/child.h"
#include "tools/benchmark/libevent_baselines.h"
#include "tools/benchmark/our_loop_workloads.h"
#include "tools/benchmark/socket_pair.h"

namespace bench {
namespace {

// Fds a connections process needs beyond one per connection (loop, pipes, stdio...).
constexpr uint64_t kSpareFds = 64;

// Runs `measure` in a child process named `name` and returns its metrics.
std::optional<Metrics> RunInChild(const char* name, const std::function<Metrics()>& measure,
                                  std::chrono::milliseconds timeout, std::string* error) {
  const std::unique_ptr<Child> child = Child::Start(
      name,
      [&measure](ParentLink& link) {
        const Metrics metrics = measure();
        if (metrics.empty()) return link.Fail("a task or timer went missing");
        link.SendResult(metrics);
        return 0;
      },
      error);
  if (!child) return std::nullopt;
  std::optional<Metrics> metrics = AwaitResult(*child, {}, timeout, error);
  if (metrics && child->Finish(timeout) != 0) {
    *error = std::string(name) + ": exited with a failure";
    return std::nullopt;
  }
  return metrics;
}

}  // namespace

Runner::Runner(const Options& options, ScratchDir& scratch, uint64_t fd_limit)
    : options_(options),
      scratch_(scratch),
      fd_limit_(fd_limit),
      timeout_(std::chrono::seconds(options.timeout_seconds)) {}

SocketRun Runner::MakeSocketRun(const WorkloadSpec& spec, Impl impl) const {
  SocketRun run;
  run.family = spec.family;
  run.impl = impl;
  run.path = scratch_.File("bench.sock");
  run.stream_bytes = options_.stream_bytes;
  run.chunk = spec.chunk;
  run.zero_copy = spec.zero_copy;
  run.rtts = options_.pingpong_rtts;
  run.warmup_rtts = std::clamp<uint64_t>(options_.pingpong_rtts / 10, 1, 1000);
  run.connections = options_.connections;
  run.in_flight = options_.in_flight;
  return run;
}

std::optional<Metrics> Runner::RunOnce(const WorkloadSpec& spec, Impl impl, std::string* error) {
  const bool ours = impl == Impl::kOurs;
  switch (spec.family) {
    case Family::kConnections:
      if (fd_limit_ < options_.connections + kSpareFds) {
        *error = "RLIMIT_NOFILE is " + std::to_string(fd_limit_) + " (the hard limit), but " +
                 std::to_string(options_.connections) + " connections need about " +
                 std::to_string(options_.connections + kSpareFds) +
                 " fds per process: raise the hard limit (ulimit -Hn, as root) or pass a "
                 "smaller --connections";
        return std::nullopt;
      }
      [[fallthrough]];
    case Family::kStream:
    case Family::kPingpong:
      return RunSocketPair(MakeSocketRun(spec, impl), timeout_, error);
    case Family::kTimers: {
      const uint64_t count = spec.small ? options_.timers_20k : options_.timers;
      return RunInChild(
          "timers", [ours, count] { return ours ? RunOurTimers(count) : RunLibeventTimers(count); },
          timeout_, error);
    }
    case Family::kPostLoop: {
      const uint64_t count = options_.posts;
      return RunInChild(
          "post_loop",
          [ours, count] { return ours ? RunOurPostLoop(count) : RunLibeventPostLoop(count); },
          timeout_, error);
    }
    case Family::kPostCrossThread: {
      const uint64_t count = options_.posts;
      return RunInChild(
          "post_cross_thread",
          [ours, count] {
            return ours ? RunOurPostCrossThread(count) : RunLibeventPostCrossThread(count);
          },
          timeout_, error);
    }
  }
  *error = "unknown workload family";
  return std::nullopt;
}

std::optional<Metrics> Runner::RunSyscalls(Impl impl, std::string* error,
                                           std::string* strace_error) {
  SocketRun run = MakeSocketRun(*FindWorkload("pingpong"), impl);
  run.rtts = options_.strace_rtts;
  run.traced = true;
  return RunTracedPingpong(run, scratch_.File("strace-server.txt"),
                           scratch_.File("strace-client.txt"), timeout_, error, strace_error);
}

}  // namespace bench
