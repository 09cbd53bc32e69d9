// Internal: the check that an fd handed to LocalSocket::SetSocketDescriptor or
// LocalServer::Listen(fd) is an AF_UNIX stream socket, shared by both.
#ifndef LOCALSOCKET_IPC_UNIX_SOCKET_CHECK_H_
#define LOCALSOCKET_IPC_UNIX_SOCKET_CHECK_H_

#include "ipc/os_calls.h"

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

}  // namespace internal
}  // namespace ipc

#endif  // LOCALSOCKET_IPC_UNIX_SOCKET_CHECK_H_
