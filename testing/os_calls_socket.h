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

// One recv of at most `max` bytes (reserved in `*out` first), appended to `*out`: the count
// (0 at EOF), or the failure.
SysResult ReceiveString(OsCalls& os, int fd, size_t max, std::string* out);

// Receives until the socket has nothing more right now (EAGAIN), EOF or an error, at most
// `max` bytes: what arrived. `*last` (if not null) gets the result of the last recv.
std::string ReceiveAvailable(OsCalls& os, int fd, size_t max = SIZE_MAX, SysResult* last = nullptr);

}  // namespace test
}  // namespace ipc

#endif  // LOCALSOCKET_TESTING_OS_CALLS_SOCKET_H_
