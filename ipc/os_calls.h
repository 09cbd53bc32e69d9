// ipc::OsCalls: every system call the ipc/ code makes goes through this interface, so tests
// can script the kernel's answers (see testing/mock_os_calls.h) and users can inject their own.
//
// Each method makes exactly one system call (plus EINTR retries where listed below) with the
// same arguments and meaning as the POSIX/Linux call it is named after, and returns a
// SysResult with errno captured immediately after the call:
//   rc < 0   the call failed; err is the errno it set (never 0).
//   rc >= 0  the call succeeded; err is 0. rc is the call's return value (a byte count, an fd,
//            a number of ready pollfds, an fcntl result...) or 0 for calls that return no value.
//
// The calls (method: system call):
//   Socket: socket            Connect: connect          Bind: bind
//   Listen: listen            Accept4: accept4          Recv: recv
//   RecvMsg: recvmsg          SendMsg: sendmsg          Close: close
//   Shutdown: shutdown        Poll: poll                Fcntl: fcntl (int argument)
//   GetSockOpt: getsockopt    SetSockOpt: setsockopt    GetSockName: getsockname
//   GetPeerName: getpeername  Fstat: fstat              Lstat: lstat
//   Chmod: chmod              Link: link                Unlink: unlink
//   Mkdtemp: mkdtemp          Rmdir: rmdir              Open: open
//   SocketPair: socketpair    Flock: flock
//
// EINTR, in the real implementation (RealOsCalls(), ipc/posix_os_calls.h):
//   - Recv, RecvMsg, SendMsg, Accept4 and Poll retry on EINTR and never report it. Poll retries
//     with the time remaining of the original timeout (measured on steady_clock; -1 stays -1).
//   - Connect is not retried: an interrupted connect reports EINTR (callers take the
//     in-progress path). A non-blocking AF_UNIX connect never sleeps, so it is not interrupted;
//     an interrupted blocking AF_UNIX connect leaves the socket unconnected.
//   - Close is never retried: Linux always releases the descriptor, so an EINTR from close is
//     reported as success (rc 0, err 0).
//   - The other calls report EINTR like any other errno (they do not block on sockets).
// Socket writes: SendMsg is the only write call; the real implementation always adds
// MSG_NOSIGNAL, so writing to a closed peer reports EPIPE instead of raising SIGPIPE. There is
// no write/writev here on purpose.
//
// The interface is public: users may implement or mock it (testing/mock_os_calls.h) and pass
// it to LocalSocket/LocalServer, which keep a reference (it must outlive them).
// Threads: the interface itself imposes nothing; RealOsCalls() is as thread-safe as the
// system calls it makes (it has no state).
#ifndef LOCALSOCKET_IPC_OS_CALLS_H_
#define LOCALSOCKET_IPC_OS_CALLS_H_

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <iosfwd>

namespace ipc {

// The outcome of one system call: rc < 0 means failure and err is the errno; otherwise err is
// 0 (see the file comment).
struct SysResult {
  int64_t rc;
  int err;
};

inline bool operator==(const SysResult& a, const SysResult& b) {
  return a.rc == b.rc && a.err == b.err;
}
inline bool operator!=(const SysResult& a, const SysResult& b) { return !(a == b); }

// Prints e.g. "{rc: -1, err: EPIPE}" or "{rc: 5, err: 0}" (the errno name when known, else
// its number). Also the gtest printer (found by argument-dependent lookup; no gtest needed).
std::ostream& operator<<(std::ostream& os, const SysResult& result);
void PrintTo(const SysResult& result, std::ostream* os);

// One virtual method per system call; see the file comment for the contract shared by all.
// Pointer arguments follow the system call's rules (the callee reads/writes them only during
// the call).
class OsCalls {
 public:
  virtual ~OsCalls() = default;

  // socket(domain, type, protocol): rc is the new fd.
  virtual SysResult Socket(int domain, int type, int protocol) = 0;
  // connect(fd, addr, addr_len): rc 0. Not retried on EINTR.
  virtual SysResult Connect(int fd, const sockaddr* addr, socklen_t addr_len) = 0;
  // bind(fd, addr, addr_len): rc 0.
  virtual SysResult Bind(int fd, const sockaddr* addr, socklen_t addr_len) = 0;
  // listen(fd, backlog): rc 0.
  virtual SysResult Listen(int fd, int backlog) = 0;
  // accept4(fd, addr, addr_len, flags): rc is the accepted fd. addr and addr_len may be null.
  // Retries EINTR.
  virtual SysResult Accept4(int fd, sockaddr* addr, socklen_t* addr_len, int flags) = 0;
  // recv(fd, buf, len, flags): rc is the byte count (0 = orderly shutdown by the peer).
  // Retries EINTR.
  virtual SysResult Recv(int fd, void* buf, size_t len, int flags) = 0;
  // recvmsg(fd, msg, flags): rc is the byte count. Pass MSG_CMSG_CLOEXEC to receive fds
  // close-on-exec (not added implicitly). Retries EINTR.
  virtual SysResult RecvMsg(int fd, msghdr* msg, int flags) = 0;
  // sendmsg(fd, msg, flags | MSG_NOSIGNAL): rc is the byte count accepted (possibly partial).
  // The real implementation always adds MSG_NOSIGNAL. Retries EINTR.
  virtual SysResult SendMsg(int fd, const msghdr* msg, int flags) = 0;
  // close(fd): rc 0. Never retried; EINTR is reported as success (the fd is released).
  virtual SysResult Close(int fd) = 0;
  // shutdown(fd, how): rc 0.
  virtual SysResult Shutdown(int fd, int how) = 0;
  // poll(fds, nfds, timeout_ms): rc is the number of ready entries, 0 on timeout. Retries
  // EINTR with the remaining timeout (timeout_ms < 0 waits forever).
  virtual SysResult Poll(pollfd* fds, nfds_t nfds, int timeout_ms) = 0;
  // fcntl(fd, cmd, arg) for the int-argument commands (F_GETFL/F_SETFL, F_GETFD/F_SETFD,
  // F_DUPFD_CLOEXEC...; arg is ignored by the commands that take none): rc is fcntl's result.
  virtual SysResult Fcntl(int fd, int cmd, int arg) = 0;
  // getsockopt(fd, level, name, value, value_len): rc 0.
  virtual SysResult GetSockOpt(int fd, int level, int name, void* value, socklen_t* value_len) = 0;
  // setsockopt(fd, level, name, value, value_len): rc 0.
  virtual SysResult SetSockOpt(int fd, int level, int name, const void* value,
                               socklen_t value_len) = 0;
  // getsockname(fd, addr, addr_len): rc 0.
  virtual SysResult GetSockName(int fd, sockaddr* addr, socklen_t* addr_len) = 0;
  // getpeername(fd, addr, addr_len): rc 0.
  virtual SysResult GetPeerName(int fd, sockaddr* addr, socklen_t* addr_len) = 0;
  // fstat(fd, st): rc 0.
  virtual SysResult Fstat(int fd, struct stat* st) = 0;
  // lstat(path, st): rc 0.
  virtual SysResult Lstat(const char* path, struct stat* st) = 0;
  // chmod(path, mode): rc 0.
  virtual SysResult Chmod(const char* path, mode_t mode) = 0;
  // link(old_path, new_path): rc 0.
  virtual SysResult Link(const char* old_path, const char* new_path) = 0;
  // unlink(path): rc 0.
  virtual SysResult Unlink(const char* path) = 0;
  // mkdtemp(path_template): rc 0; on success the trailing "XXXXXX" of the NUL-terminated
  // `path_template` has been replaced in place with the created directory's name.
  virtual SysResult Mkdtemp(char* path_template) = 0;
  // rmdir(path): rc 0.
  virtual SysResult Rmdir(const char* path) = 0;
  // open(path, flags, mode): rc is the new fd. Used to open directories (O_PATH | O_DIRECTORY).
  virtual SysResult Open(const char* path, int flags, mode_t mode) = 0;
  // socketpair(domain, type, protocol, fds): rc 0; fds[0] and fds[1] receive the two ends.
  virtual SysResult SocketPair(int domain, int type, int protocol, int fds[2]) = 0;
  // flock(fd, operation): rc 0. A LOCK_NB request on a lock held elsewhere fails EWOULDBLOCK.
  virtual SysResult Flock(int fd, int operation) = 0;
};

// The real system calls (a PosixOsCalls). Never destroyed, so it may be used during static
// destruction; stateless, so thread-safe as the system calls are.
OsCalls& RealOsCalls();

}  // namespace ipc

#endif  // LOCALSOCKET_IPC_OS_CALLS_H_
