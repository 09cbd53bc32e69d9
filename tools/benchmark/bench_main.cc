// The bench behind tools/bench: measures LocalSocket/LocalServer on LibeventLoop against a
// baseline in the same run (raw blocking read/write for socket workloads, raw libevent for
// timers and posts), interleaving the implementations within each repetition, and prints the
// medians as a markdown table (stdout) and, with --json FILE, one JSON line per workload.
// Pingpong and connections also run a minimal epoll pair, reported beside their figures.
// Progress and problems go to stderr. Exits 0 when every measurement succeeded (strace
// failures only make the syscall counts null), 1 otherwise, 2 on a bad command line.
#include <signal.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "tools/benchmark/metrics.h"
#include "tools/benchmark/options.h"
#include "tools/benchmark/process_info.h"
#include "tools/benchmark/runner.h"
#include "tools/benchmark/scratch_dir.h"
#include "tools/benchmark/summary.h"
#include "tools/benchmark/table.h"
#include "tools/benchmark/workloads.h"

namespace bench {
namespace {

// The workloads named by --workloads (all when none), in the order; an empty list
// (and a message on stderr) if a name is unknown.
std::vector<const WorkloadSpec*> SelectWorkloads(const Options& options) {
  for (const std::string& name : options.workloads) {
    if (FindWorkload(name) == nullptr) {
      std::fprintf(stderr, "bench: unknown workload '%s' (see --help)\n", name.c_str());
      return {};
    }
  }
  std::vector<const WorkloadSpec*> selected;
  for (const WorkloadSpec& spec : AllWorkloads()) {
    bool wanted = options.workloads.empty();
    for (const std::string& name : options.workloads) wanted |= name == spec.name;
    if (wanted) selected.push_back(&spec);
  }
  return selected;
}

// The repetitions of one workload, per implementation.
struct Samples {
  std::vector<Metrics> ours;
  std::vector<Metrics> baseline;
  std::vector<Metrics> epoll_floor;  // where HasEpollFloor
  std::vector<std::string> errors;

  std::vector<Metrics>& Of(Impl impl) {
    switch (impl) {
      case Impl::kOurs:
        return ours;
      case Impl::kEpollFloor:
        return epoll_floor;
      case Impl::kBaseline:
        break;
    }
    return baseline;
  }
};

// The implementations that measure `spec`, in the order of repetition `rep` (1-based): the
// order rotates from one repetition to the next.
std::vector<Impl> ImplOrder(const WorkloadSpec& spec, int rep) {
  std::vector<Impl> order{Impl::kOurs, Impl::kBaseline};
  if (HasEpollFloor(spec.family)) order.push_back(Impl::kEpollFloor);
  std::rotate(order.begin(), order.begin() + (rep - 1) % static_cast<int>(order.size()),
              order.end());
  return order;
}

// One measurement, with a progress line on stderr; the result goes into `samples`.
void Measure(Runner& runner, const WorkloadSpec& spec, Impl impl, int rep, int reps,
             Samples& samples) {
  const int64_t start = WallNanoseconds();
  std::string error;
  const std::optional<Metrics> metrics = runner.RunOnce(spec, impl, &error);
  const double seconds = static_cast<double>(WallNanoseconds() - start) / 1e9;
  const std::string impl_name(ImplName(spec, impl));
  if (!metrics) {
    std::fprintf(stderr, "[%d/%d] %s %s FAILED: %s\n", rep, reps, std::string(spec.name).c_str(),
                 impl_name.c_str(), error.c_str());
    samples.errors.push_back(impl_name + ": " + error);
    return;
  }
  std::fprintf(stderr, "[%d/%d] %-24s %-11s %10.4g %-7s (%.1f s)\n", rep, reps,
               std::string(spec.name).c_str(), impl_name.c_str(), metrics->at("value"),
               std::string(spec.unit).c_str(), seconds);
  samples.Of(impl).push_back(*metrics);
}

// The traced pingpong runs: adds the syscall counts to the pingpong summary. strace problems
// are reported on stderr and leave the counts null.
void MeasureSyscalls(Runner& runner, WorkloadSummary& summary) {
  for (const Impl impl : {Impl::kOurs, Impl::kBaseline}) {
    std::string error;
    std::string strace_error;
    const std::optional<Metrics> syscalls = runner.RunSyscalls(impl, &error, &strace_error);
    const std::string impl_name(ImplName(*summary.spec, impl));
    if (!strace_error.empty()) {
      std::fprintf(stderr, "bench: strace could not count %s's syscalls (reported as null): %s\n",
                   impl_name.c_str(), strace_error.c_str());
    }
    if (!syscalls) {
      std::fprintf(stderr, "bench: traced pingpong run of %s FAILED: %s\n", impl_name.c_str(),
                   error.c_str());
      std::string message = impl_name;
      message += " (traced run): ";
      message += error;
      summary.errors.push_back(message);
      continue;
    }
    Metrics& into = impl == Impl::kOurs ? summary.ours : summary.baseline;
    into.insert(syscalls->begin(), syscalls->end());
    for (const auto& [name, value] : *syscalls) {
      std::fprintf(stderr, "[strace] pingpong %-11s %s %.2f\n", impl_name.c_str(), name.c_str(),
                   value);
    }
  }
}

// Writes the JSON lines; false (and a message) on failure.
bool WriteJson(const std::string& path, const std::vector<WorkloadSummary>& summaries) {
  std::ofstream out(path);
  for (const WorkloadSummary& summary : summaries) out << WorkloadJson(summary) << "\n";
  out.close();
  if (out.fail()) std::fprintf(stderr, "bench: cannot write %s\n", path.c_str());
  return !out.fail();
}

// The whole run (see the file comment); the exit status.
int Main(const std::vector<std::string>& args) {
  const ParsedCommandLine command_line = ParseCommandLine(args);
  if (command_line.help) {
    std::fputs(Usage().c_str(), stdout);
    return 0;
  }
  if (!command_line.error.empty()) {
    std::fprintf(stderr, "bench: %s\n", command_line.error.c_str());
    return 2;
  }
  const Options& options = command_line.options;
  const std::vector<const WorkloadSpec*> workloads = SelectWorkloads(options);
  if (workloads.empty()) return 2;

  signal(SIGPIPE, SIG_IGN);  // A child that died must not kill us through its pipe.
  if (options.pin_cpu >= 0 && !PinToCpu(options.pin_cpu)) {
    std::fprintf(stderr, "bench: cannot pin to CPU %d\n", options.pin_cpu);
    return 2;
  }
  const uint64_t fd_limit = RaiseFdLimitToHard();
  ScratchDir scratch;
  if (scratch.path().empty()) {
    std::perror("bench: mkdtemp");
    return 1;
  }
  Runner runner(options, scratch, fd_limit);
  const int64_t start = WallNanoseconds();

  // Repetitions outermost, so a burst of noise hits one repetition of many workloads rather
  // than every repetition of one; the order of the implementations rotates.
  std::vector<Samples> samples(workloads.size());
  for (int rep = 1; rep <= options.reps; ++rep) {
    for (size_t w = 0; w < workloads.size(); ++w) {
      for (const Impl impl : ImplOrder(*workloads[w], rep))
        Measure(runner, *workloads[w], impl, rep, options.reps, samples[w]);
    }
  }

  std::vector<WorkloadSummary> summaries;
  bool failed = false;
  for (size_t w = 0; w < workloads.size(); ++w) {
    WorkloadSummary summary{workloads[w], MedianMetrics(samples[w].ours),
                            MedianMetrics(samples[w].baseline), samples[w].errors,
                            MedianMetrics(samples[w].epoll_floor)};
    if (summary.spec->family == Family::kPingpong && options.strace_rtts > 0) {
      MeasureSyscalls(runner, summary);
    }
    failed |= !summary.errors.empty();
    summaries.push_back(summary);
  }

  std::fputs(MarkdownReport(summaries).c_str(), stdout);
  std::fflush(stdout);
  if (!options.json_path.empty() && !WriteJson(options.json_path, summaries)) failed = true;
  const std::string pinned =
      options.pin_cpu >= 0 ? ", pinned to CPU " + std::to_string(options.pin_cpu) : "";
  std::fprintf(stderr, "bench: %d repetition(s)%s, %.1f s wall%s\n", options.reps, pinned.c_str(),
               static_cast<double>(WallNanoseconds() - start) / 1e9,
               failed ? "; some measurements FAILED (see the errors above)" : "");
  return failed ? 1 : 0;
}

}  // namespace
}  // namespace bench

int main(int argc, char** argv) {
  return bench::Main(std::vector<std::string>(argv + 1, argv + argc));
}
