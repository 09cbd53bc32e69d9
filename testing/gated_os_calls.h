// ipc::test::GatedOsCalls: an OsCalls that forwards every call to another one (usually
// RealOsCalls()) and can hold one chosen call: the thread making it stops there, before or
// after the call is forwarded, until the test lets it go. With two servers on two threads, a
// test stops one in the middle of its Listen, lets the other act, then resumes the first: a
// race, made deterministic without a sleep.
//
//   GatedOsCalls os(RealOsCalls());
//   os.HoldAt("Listen", GatedOsCalls::kBefore);  // the next listen() call through `os`
//   std::thread first([&] { ok = server.Listen(path); });  // `server` uses `os`
//   ASSERT_TRUE(os.WaitUntilHeld());  // `first` is stopped right before listen()
//   ...                               // the other server acts
//   os.Release();
//   first.join();
//
// Threads: every method may be called from any thread. One gate at a time; the wrapped
// OsCalls must outlive this one.
#ifndef LOCALSOCKET_TESTING_GATED_OS_CALLS_H_
#define LOCALSOCKET_TESTING_GATED_OS_CALLS_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>

#include "ipc/os_calls.h"

namespace ipc {
namespace test {

class GatedOsCalls : public OsCalls {
 public:
  // Where a held call stops: before it is forwarded, or after it returned.
  enum When { kBefore, kAfter };

  explicit GatedOsCalls(OsCalls& inner) : inner_(inner) {}
  GatedOsCalls(const GatedOsCalls&) = delete;
  GatedOsCalls& operator=(const GatedOsCalls&) = delete;
  // A thread still held is released first.
  ~GatedOsCalls() override;

  // Arms the gate: the `nth` (from 1) call from now on of the OsCalls method named `call`
  // ("Listen", "Unlink"...; "*" counts every method) stops `when`. Replaces an armed gate;
  // a thread still held is released first.
  void HoldAt(std::string call, When when, int nth = 1);
  // Blocks until a thread is held at the gate. False if none is after `timeout`.
  bool WaitUntilHeld(std::chrono::milliseconds timeout = std::chrono::seconds(20));
  // Lets the held thread go on; if none has arrived yet, disarms the gate.
  void Release();

  SysResult Socket(int domain, int type, int protocol) override;
  SysResult Connect(int fd, const sockaddr* addr, socklen_t addr_len) override;
  SysResult Bind(int fd, const sockaddr* addr, socklen_t addr_len) override;
  SysResult Listen(int fd, int backlog) override;
  SysResult Accept4(int fd, sockaddr* addr, socklen_t* addr_len, int flags) override;
  SysResult Recv(int fd, void* buf, size_t len, int flags) override;
  SysResult RecvMsg(int fd, msghdr* msg, int flags) override;
  SysResult SendMsg(int fd, const msghdr* msg, int flags) override;
  SysResult Close(int fd) override;
  SysResult Shutdown(int fd, int how) override;
  SysResult Poll(pollfd* fds, nfds_t nfds, int timeout_ms) override;
  SysResult Fcntl(int fd, int cmd, int arg) override;
  SysResult GetSockOpt(int fd, int level, int name, void* value, socklen_t* value_len) override;
  SysResult SetSockOpt(int fd, int level, int name, const void* value,
                       socklen_t value_len) override;
  SysResult GetSockName(int fd, sockaddr* addr, socklen_t* addr_len) override;
  SysResult GetPeerName(int fd, sockaddr* addr, socklen_t* addr_len) override;
  SysResult Fstat(int fd, struct stat* st) override;
  SysResult Lstat(const char* path, struct stat* st) override;
  SysResult Chmod(const char* path, mode_t mode) override;
  SysResult Link(const char* old_path, const char* new_path) override;
  SysResult Unlink(const char* path) override;
  SysResult Mkdtemp(char* path_template) override;
  SysResult Rmdir(const char* path) override;
  SysResult Open(const char* path, int flags, mode_t mode) override;
  SysResult Flock(int fd, int operation) override;
  SysResult SocketPair(int domain, int type, int protocol, int fds[2]) override;

 private:
  // Forwards one call, passing the gate before and after it.
  template <typename Forward>
  SysResult Pass(const char* call, Forward forward) {
    Gate(call, kBefore);
    const SysResult result = forward();
    Gate(call, kAfter);
    return result;
  }
  // Stops the calling thread here if the gate is armed for this call at this point.
  void Gate(const char* call, When when);
  // Ends the current gate: a held thread goes on.
  void ReleaseLocked();

  OsCalls& inner_;
  std::mutex mu_;
  std::condition_variable changed_;
  bool armed_ = false;
  std::string call_;  // The method to hold ("*": any).
  When when_ = kBefore;
  int remaining_ = 0;     // Matching calls still to pass before the held one.
  bool holding_ = false;  // A thread is stopped at the current gate.
  int inside_ = 0;        // Threads inside Gate() (held, or released and leaving).
  uint64_t gate_ = 0;     // Bumped when a gate ends: a held thread waits for that.
};

}  // namespace test
}  // namespace ipc

#endif  // LOCALSOCKET_TESTING_GATED_OS_CALLS_H_
