// Child processes of the bench and their pipes. Every measurement runs in forked children, so
// each starts from the same small heap and no libevent state is shared: a server and a client
// for socket workloads, one process for the others.
//
// Protocol. A child reports lines to the main process ("ready", "warm", "done", "result
// name=value ...", or "error <message>" just before it exits with a failure) and reads
// one-byte commands ("go") from it; the end of the command pipe tells it to exit. The main
// process never sleeps to synchronise: it waits on these pipes (with a time limit).
#ifndef LOCALSOCKET_TOOLS_BENCHMARK_CHILD_H_
#define LOCALSOCKET_TOOLS_BENCHMARK_CHILD_H_

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "tools/benchmark/metrics.h"

namespace bench {

// The child's end of the pipes to the main process.
class ParentLink {
 public:
  ParentLink(int report_fd, int command_fd) : report_fd_(report_fd), command_fd_(command_fd) {}

  // Reports one line (a newline is added).
  void Send(std::string_view line) const;
  // Reports "result " + FormatMetrics(metrics).
  void SendResult(const Metrics& metrics) const;
  // Reports "error " + message and returns 1, the exit status of a failed child.
  int Fail(std::string_view message) const;
  // Blocks until the next command; false when the main process closed the pipe (exit).
  bool WaitForCommand() const;
  // The command pipe, readable when a command or the end of the pipe is there (for loops
  // that watch it instead of blocking).
  int command_fd() const { return command_fd_; }

 private:
  const int report_fd_;
  const int command_fd_;
};

// The main process's handle on one child.
class Child {
 public:
  // Forks a child that runs `body` and exits with its return value (`_exit`: no atexit
  // handlers or static destructors run). `name` ("server", "client"...) prefixes the child's
  // error messages. nullptr (and *error set) if fork or pipe failed.
  static std::unique_ptr<Child> Start(std::string name, const std::function<int(ParentLink&)>& body,
                                      std::string* error);
  // Kills (SIGKILL) and reaps a child still running; closes the pipes.
  ~Child();
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  pid_t pid() const { return pid_; }
  const std::string& name() const { return name_; }

  // Sends the one-byte command "go". False if the child is gone.
  bool SendGo() const;
  // Closes the command pipe: the child exits.
  void CloseCommands();
  // Closes the command pipe and waits up to `timeout` for the child to exit. Its exit status,
  // or -1 if it was killed by a signal or did not exit in time (it is then killed).
  int Finish(std::chrono::milliseconds timeout);

 private:
  friend std::optional<std::string> AwaitLine(Child& from, std::initializer_list<Child*> others,
                                              std::chrono::milliseconds timeout,
                                              std::string* error);
  Child(std::string name, pid_t pid, int report_fd, int command_fd);

  // Reads what the report pipe holds into buffer_; sets eof_ at its end.
  void ReadAvailable();
  // Removes and returns the first complete line of buffer_, if any.
  std::optional<std::string> TakeLine();
  // The child's error line if it reported one, or "exited" once its pipe has ended.
  std::optional<std::string> Failure() const;
  // Closes an fd and forgets it.
  static void CloseFd(int& fd);

  const std::string name_;
  pid_t pid_;
  int report_fd_;
  int command_fd_;
  std::string buffer_;  // Reported bytes not yet taken as lines.
  bool eof_ = false;
};

// Waits up to `timeout` for the next line from `from` and returns it. Fails (nullopt, *error
// set) if `from` reports an error or exits first, if one of `others` reports an error or
// exits meanwhile (their other lines stay buffered), or on timeout.
std::optional<std::string> AwaitLine(Child& from, std::initializer_list<Child*> others,
                                     std::chrono::milliseconds timeout, std::string* error);

// AwaitLine expecting exactly `expected`; false (and *error set) otherwise.
bool AwaitExactLine(Child& from, std::initializer_list<Child*> others, std::string_view expected,
                    std::chrono::milliseconds timeout, std::string* error);

// AwaitLine expecting "result ..."; the parsed metrics, or nullopt (and *error set).
std::optional<Metrics> AwaitResult(Child& from, std::initializer_list<Child*> others,
                                   std::chrono::milliseconds timeout, std::string* error);

}  // namespace bench

#endif  // LOCALSOCKET_TOOLS_BENCHMARK_CHILD_H_
