// Internal: errno -> LocalSocketTypes::Error mappings and error-string formatting, shared by
// LocalSocket and LocalServer. The tables are documented in local_socket.h and local_server.h.
#ifndef LOCALSOCKET_IPC_SOCKET_ERRORS_H_
#define LOCALSOCKET_IPC_SOCKET_ERRORS_H_

#include <cstdint>
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

// The public call an error is reported under (error strings start with its name). Work the
// loop does on its own is reported under the call it continues: a flush before the loop
// blocks under Write, reading under Read, accepting under Accept.
enum class ApiCall : uint8_t {
  kSocketConnectToServer,
  kSocketSetSocketDescriptor,
  kSocketShutdownWrite,
  kSocketWrite,
  kSocketWriteShared,
  kSocketWriteWithFds,
  kSocketRead,
  kSocketReadAll,
  kSocketReadLine,
  kSocketSkip,
  kSocketFlush,
  kSocketWaitForConnected,
  kSocketWaitForReadyRead,
  kSocketWaitForBytesWritten,
  kSocketWaitForDisconnected,
  kServerListen,
  kServerListenInherited,
  kServerAccept,
  kServerWaitForNewConnection,
};
// "LocalSocket::ConnectToServer", "LocalServer::Accept", ...
const char* ApiCallName(ApiCall call);

// A short cause for `error` ("server not found", "remote closed", ...).
const char* ErrorCause(Error error);
// "<call>: <cause>[: <strerror(err)>]", e.g. "LocalSocket::ConnectToServer: server not
// found: No such file or directory". `err` 0 omits the strerror part.
std::string FormatError(ApiCall call, std::string_view cause, int err = 0);

}  // namespace internal
}  // namespace ipc

#endif  // LOCALSOCKET_IPC_SOCKET_ERRORS_H_
