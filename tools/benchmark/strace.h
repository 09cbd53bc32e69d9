// Counting a process's system calls with `strace -c`: attach to a running process, wait until
// the kernel shows the tracer, detach later, and read the total call count from the summary.
#ifndef LOCALSOCKET_TOOLS_BENCHMARK_STRACE_H_
#define LOCALSOCKET_TOOLS_BENCHMARK_STRACE_H_

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace bench {

// One `strace -c -o FILE -p PID` process. Failures (no strace, ptrace refused) are reported
// through error(), never fatal.
class StraceSession {
 public:
  // Starts strace on `pid`, writing its summary to `summary_file`, and waits up to `timeout`
  // until /proc/PID/status shows it attached (TracerPid). Check attached() afterwards.
  StraceSession(pid_t pid, std::string summary_file, std::chrono::milliseconds timeout);
  // Stops a strace still running (SIGKILL) and reaps it.
  ~StraceSession();
  StraceSession(const StraceSession&) = delete;
  StraceSession& operator=(const StraceSession&) = delete;

  bool attached() const { return attached_; }
  // Why it is not attached, or why Finish() failed.
  const std::string& error() const { return error_; }

  // Detaches (SIGINT to strace), waits for strace to write its summary, and returns the total
  // number of system calls it counted; nullopt (error() set) on failure.
  std::optional<uint64_t> Finish();

 private:
  pid_t strace_pid_ = -1;
  std::string summary_file_;
  bool attached_ = false;
  std::string error_;
};

// The total call count in the text of a `strace -c` summary: the "calls" column of its "total"
// line, located by the column's header (the columns are right-aligned). nullopt if absent.
std::optional<uint64_t> ParseStraceTotalCalls(std::string_view summary);

}  // namespace bench

#endif  // LOCALSOCKET_TOOLS_BENCHMARK_STRACE_H_
