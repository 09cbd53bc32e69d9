// ChildProcess: a forked peer for tests that need a server (or client) in another process.
#ifndef LOCALSOCKET_TESTING_CHILD_PROCESS_H_
#define LOCALSOCKET_TESTING_CHILD_PROCESS_H_

#include <sys/types.h>

#include <chrono>
#include <functional>

namespace ipc {
namespace test {

// A forked child process running `body`, which returns the exit status (the child then calls
// _exit). Keep the body to plain system calls. The destructor kills (SIGKILL) and reaps a
// child that is still running.
class ChildProcess {
 public:
  explicit ChildProcess(const std::function<int()>& body);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  // Waits for the child to exit (up to `timeout`) and returns its exit status, or -1 if it
  // was killed by a signal, did not exit in time, or fork failed.
  int Wait(std::chrono::milliseconds timeout = std::chrono::seconds(20));

 private:
  pid_t pid_ = -1;
};

}  // namespace test
}  // namespace ipc

#endif  // LOCALSOCKET_TESTING_CHILD_PROCESS_H_
