#include "ipc/posix_os_calls.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdlib>

namespace ipc {
namespace {

// Builds the SysResult of a call that returned `rc`; reads errno, so call it right after the
// system call, before anything else can change errno.
SysResult Capture(int64_t rc) {
  if (rc < 0) return SysResult{rc, errno};
  return SysResult{rc, 0};
}

// Runs `call` (a system call returning an integer) until it fails with something other than
// EINTR or succeeds.
template <typename Call>
SysResult RetryOnEintr(Call call) {
  for (;;) {
    SysResult result = Capture(call());
    if (result.rc >= 0 || result.err != EINTR) return result;
  }
}

}  // namespace

SysResult PosixOsCalls::Socket(int domain, int type, int protocol) {
  return Capture(::socket(domain, type, protocol));
}

SysResult PosixOsCalls::Connect(int fd, const sockaddr* addr, socklen_t addr_len) {
  // Not retried: the caller decides what an interrupted connect means (see os_calls.h).
  return Capture(::connect(fd, addr, addr_len));
}

SysResult PosixOsCalls::Bind(int fd, const sockaddr* addr, socklen_t addr_len) {
  return Capture(::bind(fd, addr, addr_len));
}

SysResult PosixOsCalls::Listen(int fd, int backlog) { return Capture(::listen(fd, backlog)); }

SysResult PosixOsCalls::Accept4(int fd, sockaddr* addr, socklen_t* addr_len, int flags) {
  // `*addr_len` is an in/out argument: restore the caller's buffer size before each retry.
  const socklen_t len_in = addr_len != nullptr ? *addr_len : 0;
  return RetryOnEintr([&] {
    if (addr_len != nullptr) *addr_len = len_in;
    return ::accept4(fd, addr, addr_len, flags);
  });
}

SysResult PosixOsCalls::Recv(int fd, void* buf, size_t len, int flags) {
  return RetryOnEintr([&] { return ::recv(fd, buf, len, flags); });
}

SysResult PosixOsCalls::RecvMsg(int fd, msghdr* msg, int flags) {
  // recvmsg writes msg_namelen, msg_controllen and msg_flags: restore the inputs before each
  // retry so an interrupted call cannot shrink the caller's buffers.
  const socklen_t namelen_in = msg->msg_namelen;
  const size_t controllen_in = msg->msg_controllen;
  return RetryOnEintr([&] {
    msg->msg_namelen = namelen_in;
    msg->msg_controllen = controllen_in;
    msg->msg_flags = 0;
    return ::recvmsg(fd, msg, flags);
  });
}

SysResult PosixOsCalls::SendMsg(int fd, const msghdr* msg, int flags) {
  return RetryOnEintr([&] { return ::sendmsg(fd, msg, flags | MSG_NOSIGNAL); });
}

SysResult PosixOsCalls::Close(int fd) {
  SysResult result = Capture(::close(fd));
  // Linux releases the descriptor before close can be interrupted: never retry (that could
  // close a descriptor another thread just opened) and report success.
  if (result.rc < 0 && result.err == EINTR) return SysResult{0, 0};
  return result;
}

SysResult PosixOsCalls::Shutdown(int fd, int how) { return Capture(::shutdown(fd, how)); }

SysResult PosixOsCalls::Poll(pollfd* fds, nfds_t nfds, int timeout_ms) {
  if (timeout_ms <= 0) {
    // Negative: wait forever on every retry. Zero: a non-blocking check, retried as such.
    const int timeout = timeout_ms < 0 ? -1 : 0;
    return RetryOnEintr([&] { return ::poll(fds, nfds, timeout); });
  }
  using Clock = std::chrono::steady_clock;
  const Clock::time_point deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  int timeout = timeout_ms;
  for (;;) {
    SysResult result = Capture(::poll(fds, nfds, timeout));
    if (result.rc >= 0 || result.err != EINTR) return result;
    const Clock::duration left = deadline - Clock::now();
    if (left <= Clock::duration::zero()) {
      timeout = 0;  // Out of time: one last non-blocking check reports what is ready now.
    } else {
      // Round up so the wait never ends before the deadline; `left` <= timeout_ms fits an int.
      timeout = static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(left).count());
    }
  }
}

SysResult PosixOsCalls::Fcntl(int fd, int cmd, int arg) { return Capture(::fcntl(fd, cmd, arg)); }

SysResult PosixOsCalls::GetSockOpt(int fd, int level, int name, void* value, socklen_t* value_len) {
  return Capture(::getsockopt(fd, level, name, value, value_len));
}

SysResult PosixOsCalls::SetSockOpt(int fd, int level, int name, const void* value,
                                   socklen_t value_len) {
  return Capture(::setsockopt(fd, level, name, value, value_len));
}

SysResult PosixOsCalls::GetSockName(int fd, sockaddr* addr, socklen_t* addr_len) {
  return Capture(::getsockname(fd, addr, addr_len));
}

SysResult PosixOsCalls::GetPeerName(int fd, sockaddr* addr, socklen_t* addr_len) {
  return Capture(::getpeername(fd, addr, addr_len));
}

SysResult PosixOsCalls::Fstat(int fd, struct stat* st) { return Capture(::fstat(fd, st)); }

SysResult PosixOsCalls::Lstat(const char* path, struct stat* st) {
  return Capture(::lstat(path, st));
}

SysResult PosixOsCalls::Chmod(const char* path, mode_t mode) {
  return Capture(::chmod(path, mode));
}

SysResult PosixOsCalls::Link(const char* old_path, const char* new_path) {
  return Capture(::link(old_path, new_path));
}

SysResult PosixOsCalls::Unlink(const char* path) { return Capture(::unlink(path)); }

SysResult PosixOsCalls::Mkdtemp(char* path_template) {
  if (::mkdtemp(path_template) == nullptr) return SysResult{-1, errno};
  return SysResult{0, 0};
}

SysResult PosixOsCalls::Rmdir(const char* path) { return Capture(::rmdir(path)); }

SysResult PosixOsCalls::Open(const char* path, int flags, mode_t mode) {
  return Capture(::open(path, flags, mode));
}

SysResult PosixOsCalls::Flock(int fd, int operation) { return Capture(::flock(fd, operation)); }

SysResult PosixOsCalls::SocketPair(int domain, int type, int protocol, int fds[2]) {
  return Capture(::socketpair(domain, type, protocol, fds));
}

OsCalls& RealOsCalls() {
  // Never destroyed (no exit-time destructor), so it stays usable during static destruction.
  static OsCalls* const instance = new PosixOsCalls();
  return *instance;
}

}  // namespace ipc
