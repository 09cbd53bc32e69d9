// Raw AF_UNIX stream socket operations through an OsCalls: the peer side of a test, on the real
// kernel (RealOsCalls()) or on a FakeKernel alike. Each function makes the system calls it
// names and returns their outcome; nothing blocks on a non-blocking descriptor. Threads: as
// the OsCalls used.
#ifndef LOCALSOCKET_TESTING_OS_CALLS_SOCKET_H_
#define LOCALSOCKET_TESTING_OS_CALLS_SOCKET_H_

#include <sys/socket.h>
#include <sys/un.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ipc/os_calls.h"

namespace ipc {
namespace test {

// The address of `name`: a filesystem path, or (with `abstract`) an abstract name (the length
// then counts no trailing NUL). `name` must fit sun_path.
sockaddr_un UnixSocketAddress(std::string_view name, bool abstract, socklen_t* length);

// socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC), bind to `name`, listen: the
// listening fd, or the first failure (the socket is closed then).
SysResult ListenOn(OsCalls& os, std::string_view name, bool abstract = false, int backlog = 16);

// socket(AF_UNIX, SOCK_STREAM | `type_flags`) and connect to `name`: the connected fd, or the
// first failure (the socket is closed then).
SysResult ConnectTo(OsCalls& os, std::string_view name, bool abstract = false,
                    int type_flags = SOCK_NONBLOCK | SOCK_CLOEXEC);

// One sendmsg of `data`: the count sent, or the failure.
SysResult SendString(OsCalls& os, int fd, std::string_view data);

// One sendmsg of `data` with `fds` in one SCM_RIGHTS control message (no control message when
// `fds` is empty): the count sent, or the failure.
SysResult SendWithFds(OsCalls& os, int fd, std::string_view data, const std::vector<int>& fds);

// What one recvmsg returned.
struct ReceivedWithFds {
  SysResult result{-1, 0};
  std::string bytes;      // The bytes read.
  std::vector<int> fds;   // The fds of its SCM_RIGHTS control messages; the caller owns them.
  int msg_flags = 0;      // msg_flags as recvmsg left it (MSG_CTRUNC...).
  size_t controllen = 0;  // msg_controllen as recvmsg left it.
};
// One recvmsg of at most `max` bytes, with `control_size` bytes of control buffer (0: none,
// msg_control null) and `flags`.
ReceivedWithFds ReceiveWithFds(OsCalls& os, int fd, size_t max, size_t control_size,
                               int flags = MSG_CMSG_CLOEXEC);

// One recv of at most `max` bytes (reserved in `*out` first), appended to `*out`: the count
// (0 at EOF), or the failure.
SysResult ReceiveString(OsCalls& os, int fd, size_t max, std::string* out);

// Receives until the socket has nothing more right now (EAGAIN), EOF or an error, at most
// `max` bytes: what arrived. `*last` (if not null) gets the result of the last recv.
std::string ReceiveAvailable(OsCalls& os, int fd, size_t max = SIZE_MAX, SysResult* last = nullptr);

}  // namespace test
}  // namespace ipc

#endif  // LOCALSOCKET_TESTING_OS_CALLS_SOCKET_H_
