// Internal: errno -> LocalSocketTypes::Error mappings and error-string formatting, shared by
// LocalSocket and LocalServer. The tables are documented in local_socket.h and local_server.h.
#ifndef LOCALSOCKET_IPC_SOCKET_ERRORS_H_
#define LOCALSOCKET_IPC_SOCKET_ERRORS_H_

#include <string>
#include <string_view>

#include "ipc/socket_types.h"

namespace ipc {
namespace internal {

using Error = LocalSocketTypes::Error;

// connect(2) failures other than EAGAIN/EINTR/EINPROGRESS (which are not errors).
Error ErrorFromConnectErrno(int err);
// socket(2) failures.
Error ErrorFromSocketErrno(int err);
// send/recv failures (EOF is kPeerClosed too).
Error ErrorFromIoErrno(int err);
// bind/listen (and the server's other setup calls) failures.
Error ErrorFromListenErrno(int err);
// accept4 failures that pause accepting (EMFILE...) or are unexpected.
Error ErrorFromAcceptErrno(int err);

// A short cause for `error` ("server not found", "remote closed", ...).
const char* ErrorCause(Error error);
// "<function>: <cause>[: <strerror(err)>]", e.g. "LocalSocketTypes::ConnectToServer: server not
// found: No such file or directory". `err` 0 omits the strerror part. `function` is
// "<Class>::<Function>".
std::string FormatError(std::string_view function, std::string_view cause, int err = 0);

}  // namespace internal
}  // namespace ipc

#endif  // LOCALSOCKET_IPC_SOCKET_ERRORS_H_
