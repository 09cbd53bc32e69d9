// Child processes and their pipes (see child.h).
#include "tools/benchmark/child.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>
#include <vector>

#include "tools/benchmark/fd_io.h"

namespace bench {
namespace {

using Clock = std::chrono::steady_clock;

// The main process's ends of every live child's pipes. A new child closes them, so that only
// the main process holds another child's command pipe (its end is that child's exit signal).
std::vector<int>& ParentEnds() {
  static auto* const fds = new std::vector<int>();
  return *fds;
}

// Milliseconds left until `deadline` (0 once passed), for poll().
int MillisecondsUntil(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return static_cast<int>(std::clamp<int64_t>(left.count(), 0, 1 << 30));
}

}  // namespace

void ParentLink::Send(std::string_view line) const {
  std::string text(line);
  text += '\n';
  WriteAll(report_fd_, text);
}

void ParentLink::SendResult(const Metrics& metrics) const {
  Send("result " + FormatMetrics(metrics));
}

int ParentLink::Fail(std::string_view message) const {
  Send("error " + std::string(message));
  return 1;
}

bool ParentLink::WaitForCommand() const {
  char command = 0;
  return ReadSome(command_fd_, &command, 1) == 1;
}

std::unique_ptr<Child> Child::Start(std::string name, const std::function<int(ParentLink&)>& body,
                                    std::string* error) {
  int report[2];
  int command[2];
  if (pipe2(report, O_CLOEXEC) != 0) {
    *error = "pipe: " + std::string(strerror(errno));
    return nullptr;
  }
  if (pipe2(command, O_CLOEXEC) != 0) {
    *error = "pipe: " + std::string(strerror(errno));
    close(report[0]);
    close(report[1]);
    return nullptr;
  }
  const pid_t pid = fork();
  if (pid < 0) {
    *error = "fork: " + std::string(strerror(errno));
    for (const int fd : {report[0], report[1], command[0], command[1]}) close(fd);
    return nullptr;
  }
  if (pid == 0) {
    for (const int fd : ParentEnds()) close(fd);
    close(report[0]);
    close(command[1]);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
    signal(SIGPIPE, SIG_IGN);
    ParentLink link(report[1], command[0]);
    _exit(body(link));
  }
  close(report[1]);
  close(command[0]);
  return std::unique_ptr<Child>(new Child(std::move(name), pid, report[0], command[1]));
}

Child::Child(std::string name, pid_t pid, int report_fd, int command_fd)
    : name_(std::move(name)), pid_(pid), report_fd_(report_fd), command_fd_(command_fd) {
  ParentEnds().push_back(report_fd_);
  ParentEnds().push_back(command_fd_);
}

Child::~Child() {
  CloseFd(report_fd_);
  CloseFd(command_fd_);
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
}

bool Child::SendGo() const { return command_fd_ >= 0 && WriteAll(command_fd_, "g"); }

void Child::CloseCommands() { CloseFd(command_fd_); }

int Child::Finish(std::chrono::milliseconds timeout) {
  CloseCommands();
  // The report pipe ends when the child exits (it holds the only write end).
  const Clock::time_point deadline = Clock::now() + timeout;
  while (!eof_) {
    pollfd pfd{report_fd_, POLLIN, 0};
    const int ready = poll(&pfd, 1, MillisecondsUntil(deadline));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) break;
    ReadAvailable();
  }
  if (!eof_) kill(pid_, SIGKILL);
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
  if (!eof_ || !WIFEXITED(status)) return -1;
  return WEXITSTATUS(status);
}

void Child::ReadAvailable() {
  char data[4096];
  const ssize_t n = ReadSome(report_fd_, data, sizeof(data));
  if (n <= 0) {
    eof_ = true;
    return;
  }
  buffer_.append(data, static_cast<size_t>(n));
}

std::optional<std::string> Child::TakeLine() {
  const size_t newline = buffer_.find('\n');
  if (newline == std::string::npos) return std::nullopt;
  std::string line = buffer_.substr(0, newline);
  buffer_.erase(0, newline + 1);
  return line;
}

std::optional<std::string> Child::Failure() const {
  for (size_t start = 0; start < buffer_.size();) {
    const size_t end = std::min(buffer_.find('\n', start), buffer_.size());
    if (buffer_.compare(start, 6, "error ") == 0) {
      return buffer_.substr(start + 6, end - start - 6);
    }
    start = end + 1;
  }
  if (eof_) return std::string("exited unexpectedly");
  return std::nullopt;
}

void Child::CloseFd(int& fd) {
  if (fd < 0) return;
  auto& ends = ParentEnds();
  ends.erase(std::remove(ends.begin(), ends.end(), fd), ends.end());
  close(fd);
  fd = -1;
}

std::optional<std::string> AwaitLine(Child& from, std::initializer_list<Child*> others,
                                     std::chrono::milliseconds timeout, std::string* error) {
  const Clock::time_point deadline = Clock::now() + timeout;
  while (true) {
    if (std::optional<std::string> line = from.TakeLine()) {
      if (line->rfind("error ", 0) != 0) return line;
      *error = from.name() + ": " + line->substr(6);
      return std::nullopt;
    }
    if (from.eof_) {
      *error = from.name() + ": exited unexpectedly";
      return std::nullopt;
    }
    for (const Child* other : others) {
      if (std::optional<std::string> failure = other->Failure()) {
        *error = other->name() + ": " + *failure;
        return std::nullopt;
      }
    }
    std::vector<pollfd> pfds{{from.report_fd_, POLLIN, 0}};
    for (const Child* other : others) pfds.push_back({other->report_fd_, POLLIN, 0});
    const int ready = poll(pfds.data(), pfds.size(), MillisecondsUntil(deadline));
    if (ready < 0 && errno == EINTR) continue;
    if (ready == 0) {
      *error = from.name() + ": no answer within " + std::to_string(timeout.count() / 1000) +
               " s (see --timeout)";
      return std::nullopt;
    }
    if (pfds[0].revents != 0) from.ReadAvailable();
    size_t i = 1;
    for (Child* other : others) {
      if (pfds[i++].revents != 0) other->ReadAvailable();
    }
  }
}

bool AwaitExactLine(Child& from, std::initializer_list<Child*> others, std::string_view expected,
                    std::chrono::milliseconds timeout, std::string* error) {
  const std::optional<std::string> line = AwaitLine(from, others, timeout, error);
  if (!line) return false;
  if (*line == expected) return true;
  *error = from.name() + ": expected '" + std::string(expected) + "', got '" + *line + "'";
  return false;
}

std::optional<Metrics> AwaitResult(Child& from, std::initializer_list<Child*> others,
                                   std::chrono::milliseconds timeout, std::string* error) {
  const std::optional<std::string> line = AwaitLine(from, others, timeout, error);
  if (!line) return std::nullopt;
  std::optional<Metrics> metrics;
  if (line->rfind("result", 0) == 0) metrics = ParseMetrics(line->substr(6));
  if (!metrics) *error = from.name() + ": expected a result, got '" + *line + "'";
  return metrics;
}

}  // namespace bench
