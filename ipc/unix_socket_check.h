// Internal: what LocalSocket and LocalServer ask the kernel about a socket fd: whether an fd
// handed to SetSocketDescriptor or Listen(fd) is an AF_UNIX stream socket, and who the peer is.
#ifndef LOCALSOCKET_IPC_UNIX_SOCKET_CHECK_H_
#define LOCALSOCKET_IPC_UNIX_SOCKET_CHECK_H_

#include <optional>

#include "ipc/os_calls.h"
#include "ipc/socket_types.h"

namespace ipc {
namespace internal {

// Why an fd was rejected: `cause` (nullptr when it passed) and the errno behind it (or 0).
struct FdRejection {
  const char* cause = nullptr;
  int err = 0;
  explicit operator bool() const { return cause != nullptr; }
};

// Checks, through `os`, that `fd` is an open AF_UNIX SOCK_STREAM socket. Changes nothing.
FdRejection CheckUnixStreamSocket(OsCalls& os, int fd);

// The credentials of the peer of the connected socket `fd` (getsockopt SO_PEERCRED through
// `os`), or std::nullopt when the kernel cannot tell.
std::optional<PeerCredentials> PeerCredentialsOf(OsCalls& os, int fd);

}  // namespace internal
}  // namespace ipc

#endif  // LOCALSOCKET_IPC_UNIX_SOCKET_CHECK_H_
