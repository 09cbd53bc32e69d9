// strace attach/detach and summary parsing (see strace.h).
#include "tools/benchmark/strace.h"

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <sstream>
#include <utility>
#include <vector>

#include "tools/benchmark/process_info.h"

namespace bench {
namespace {

// The strace process's exit, described for an error message.
std::string DescribeStatus(int status) {
  if (WIFEXITED(status)) return "exit status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "signal " + std::to_string(WTERMSIG(status));
  return "status " + std::to_string(status);
}

}  // namespace

StraceSession::StraceSession(pid_t pid, std::string summary_file, std::chrono::milliseconds timeout)
    : summary_file_(std::move(summary_file)) {
  const std::string pid_text = std::to_string(pid);
  // -q: no attach/detach messages; its errors (e.g. ptrace refused) still go to stderr.
  std::vector<std::string> args = {"strace", "-q", "-c", "-o", summary_file_, "-p", pid_text};
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  const int spawn_error =
      posix_spawnp(&strace_pid_, "strace", nullptr, nullptr, argv.data(), environ);
  if (spawn_error != 0) {
    strace_pid_ = -1;
    error_ = "cannot run strace (" + std::string(strerror(spawn_error)) +
             "): install the strace package";
    return;
  }
  // Polls until the kernel shows the tracer: strace counts nothing before that point.
  const int64_t deadline =
      WallNanoseconds() + std::chrono::duration_cast<std::chrono::nanoseconds>(timeout).count();
  while (true) {
    int status = 0;
    if (waitpid(strace_pid_, &status, WNOHANG) == strace_pid_) {
      strace_pid_ = -1;
      error_ = "strace ended (" + DescribeStatus(status) +
               ") before attaching: ptrace refused or strace missing";
      return;
    }
    if (ProcStatusField(pid, "TracerPid") == strace_pid_) {
      attached_ = true;
      return;
    }
    if (WallNanoseconds() > deadline) {
      error_ = "strace did not attach within " + std::to_string(timeout.count()) + " ms";
      return;
    }
    const timespec poll_interval{0, 1000000};  // 1 ms between looks at /proc.
    nanosleep(&poll_interval, nullptr);
  }
}

StraceSession::~StraceSession() {
  if (strace_pid_ <= 0) return;
  kill(strace_pid_, SIGKILL);
  waitpid(strace_pid_, nullptr, 0);
}

std::optional<uint64_t> StraceSession::Finish() {
  if (!attached_ || strace_pid_ <= 0) {
    if (error_.empty()) error_ = "strace is not attached";
    return std::nullopt;
  }
  kill(strace_pid_, SIGINT);
  int status = 0;
  while (waitpid(strace_pid_, &status, 0) < 0 && errno == EINTR) {
  }
  strace_pid_ = -1;
  const std::optional<uint64_t> calls = ParseStraceTotalCalls(ReadFileText(summary_file_));
  if (!calls) {
    error_ = "no total in the strace summary (strace " + DescribeStatus(status) + ")";
  }
  return calls;
}

std::optional<uint64_t> ParseStraceTotalCalls(std::string_view summary) {
  std::optional<size_t> calls_end;  // Where the right-aligned "calls" column ends.
  std::istringstream lines{std::string(summary)};
  for (std::string line; std::getline(lines, line);) {
    if (!calls_end) {
      const size_t header = line.find("calls");
      if (header != std::string::npos && line.find("syscall") != std::string::npos) {
        calls_end = header + 5;
      }
      continue;
    }
    const size_t last_word = line.find_last_not_of(' ');
    if (last_word == std::string::npos || last_word < 4 ||
        line.compare(last_word - 4, 5, "total") != 0 || line.size() < *calls_end) {
      continue;
    }
    size_t begin = *calls_end;
    while (begin > 0 && std::isdigit(static_cast<unsigned char>(line[begin - 1]))) --begin;
    if (begin == *calls_end) return std::nullopt;
    return std::stoull(line.substr(begin, *calls_end - begin));
  }
  return std::nullopt;
}

}  // namespace bench
