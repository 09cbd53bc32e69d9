// Runner: one repetition of one workload for one implementation, each in fresh child
// processes, sized by the Options.
#ifndef LOCALSOCKET_TOOLS_BENCHMARK_RUNNER_H_
#define LOCALSOCKET_TOOLS_BENCHMARK_RUNNER_H_

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "tools/benchmark/metrics.h"
#include "tools/benchmark/options.h"
#include "tools/benchmark/scratch_dir.h"
#include "tools/benchmark/socket_run.h"
#include "tools/benchmark/workloads.h"

namespace bench {

class Runner {
 public:
  // `scratch` holds the socket and the strace summaries; `fd_limit` is the RLIMIT_NOFILE the
  // children inherit. Both must outlive the runner.
  Runner(const Options& options, ScratchDir& scratch, uint64_t fd_limit);

  // One measurement: the workload's metrics ("value" and its extras), or nullopt with *error.
  std::optional<Metrics> RunOnce(const WorkloadSpec& spec, Impl impl, std::string* error);

  // The untimed traced pingpong run of `impl` (RunTracedPingpong).
  std::optional<Metrics> RunSyscalls(Impl impl, std::string* error, std::string* strace_error);

 private:
  // The socket run of `spec` for `impl`.
  SocketRun MakeSocketRun(const WorkloadSpec& spec, Impl impl) const;

  const Options& options_;
  ScratchDir& scratch_;
  const uint64_t fd_limit_;
  const std::chrono::milliseconds timeout_;
};

}  // namespace bench

#endif  // LOCALSOCKET_TOOLS_BENCHMARK_RUNNER_H_
