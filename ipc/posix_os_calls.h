// ipc::PosixOsCalls, the OsCalls that makes the real system calls.
#ifndef LOCALSOCKET_IPC_POSIX_OS_CALLS_H_
#define LOCALSOCKET_IPC_POSIX_OS_CALLS_H_

#include "ipc/os_calls.h"

namespace ipc {

// Makes the real system calls, following the OsCalls contract (ipc/os_calls.h): errno is
// captured right after each call; Recv, RecvMsg, SendMsg, Accept4 and Poll retry EINTR (Poll
// with the remaining timeout, measured on steady_clock); Connect reports EINTR; Close never
// retries and reports EINTR as success; SendMsg always adds MSG_NOSIGNAL.
//
// Stateless: one instance may be used from any number of threads at once, and instances are
// interchangeable. Prefer RealOsCalls() to creating one.
class PosixOsCalls : public OsCalls {
 public:
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
};

}  // namespace ipc

#endif  // LOCALSOCKET_IPC_POSIX_OS_CALLS_H_
