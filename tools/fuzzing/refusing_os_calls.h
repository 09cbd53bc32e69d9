// fuzz::RefusingOsCalls: an OsCalls on which every system call fails, counting the calls.
#ifndef LOCALSOCKET_TOOLS_FUZZING_REFUSING_OS_CALLS_H_
#define LOCALSOCKET_TOOLS_FUZZING_REFUSING_OS_CALLS_H_

#include <cstddef>
#include <string>
#include <vector>

#include "ipc/os_calls.h"

namespace fuzz {

// Every method fails with `err` (rc -1) and writes none of its arguments, so a socket or server
// on it reaches the kernel nowhere and creates nothing; calls() says how many system calls the
// code under test attempted, paths() which file names it passed. Cheaper than a GoogleMock
// OsCalls, which matters at millions of fuzz inputs. Not thread-safe; it must outlive the
// sockets and servers using it.
class RefusingOsCalls : public ipc::OsCalls {
 public:
  explicit RefusingOsCalls(int err) : err_(err) {}

  // The number of calls made so far.
  size_t calls() const { return calls_; }
  // The path arguments of the calls that take one (Lstat, Chmod, Link, Unlink, Mkdtemp, Rmdir,
  // Open), in call order.
  const std::vector<std::string>& paths() const { return paths_; }

  ipc::SysResult Socket(int domain, int type, int protocol) override;
  ipc::SysResult Connect(int fd, const sockaddr* addr, socklen_t addr_len) override;
  ipc::SysResult Bind(int fd, const sockaddr* addr, socklen_t addr_len) override;
  ipc::SysResult Listen(int fd, int backlog) override;
  ipc::SysResult Accept4(int fd, sockaddr* addr, socklen_t* addr_len, int flags) override;
  ipc::SysResult Recv(int fd, void* buf, size_t len, int flags) override;
  ipc::SysResult RecvMsg(int fd, msghdr* msg, int flags) override;
  ipc::SysResult SendMsg(int fd, const msghdr* msg, int flags) override;
  ipc::SysResult Close(int fd) override;
  ipc::SysResult Shutdown(int fd, int how) override;
  ipc::SysResult Poll(pollfd* fds, nfds_t nfds, int timeout_ms) override;
  ipc::SysResult Fcntl(int fd, int cmd, int arg) override;
  ipc::SysResult GetSockOpt(int fd, int level, int name, void* value,
                            socklen_t* value_len) override;
  ipc::SysResult SetSockOpt(int fd, int level, int name, const void* value,
                            socklen_t value_len) override;
  ipc::SysResult GetSockName(int fd, sockaddr* addr, socklen_t* addr_len) override;
  ipc::SysResult GetPeerName(int fd, sockaddr* addr, socklen_t* addr_len) override;
  ipc::SysResult Fstat(int fd, struct stat* st) override;
  ipc::SysResult Lstat(const char* path, struct stat* st) override;
  ipc::SysResult Chmod(const char* path, mode_t mode) override;
  ipc::SysResult Link(const char* old_path, const char* new_path) override;
  ipc::SysResult Unlink(const char* path) override;
  ipc::SysResult Mkdtemp(char* path_template) override;
  ipc::SysResult Rmdir(const char* path) override;
  ipc::SysResult Open(const char* path, int flags, mode_t mode) override;
  ipc::SysResult SocketPair(int domain, int type, int protocol, int fds[2]) override;
  ipc::SysResult Flock(int fd, int operation) override;

 private:
  ipc::SysResult Refuse() {
    ++calls_;
    return ipc::SysResult{-1, err_};
  }

  ipc::SysResult RefusePath(const char* path) {
    paths_.emplace_back(path);
    return Refuse();
  }

  const int err_;
  size_t calls_ = 0;
  std::vector<std::string> paths_;
};

}  // namespace fuzz

#endif  // LOCALSOCKET_TOOLS_FUZZING_REFUSING_OS_CALLS_H_
