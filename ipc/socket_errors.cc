#include "ipc/socket_errors.h"

#include <cerrno>
#include <cstring>

namespace ipc {
namespace internal {
namespace {

bool IsResourceErrno(int err) {
  return err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM;
}

}  // namespace

Error ErrorFromConnectErrno(int err) {
  switch (err) {
    case ENOENT:
    case ENOTDIR:
    case ELOOP:
    case ENAMETOOLONG:
      return Error::kServerNotFound;
    case ECONNREFUSED:
    case EINVAL:
    case EPROTOTYPE:
      return Error::kConnectionRefused;
    case EACCES:
    case EPERM:
      return Error::kSocketAccess;
    case ETIMEDOUT:
      return Error::kSocketTimeout;
    default:
      return IsResourceErrno(err) ? Error::kSocketResource : Error::kUnknown;
  }
}

Error ErrorFromSocketErrno(int err) {
  if (IsResourceErrno(err)) return Error::kSocketResource;
  if (err == EACCES || err == EPERM) return Error::kSocketAccess;
  return Error::kUnsupportedSocketOperation;
}

Error ErrorFromIoErrno(int err) {
  switch (err) {
    case 0:  // EOF.
    case EPIPE:
    case ECONNRESET:
      return Error::kPeerClosed;
    case ETIMEDOUT:
      return Error::kSocketTimeout;
    case ENOBUFS:
    case ENOMEM:
    case ETOOMANYREFS:  // Too many fds in flight (passing fds).
      return Error::kSocketResource;
    case EMSGSIZE:
      return Error::kDatagramTooLarge;
    default:
      return Error::kConnection;
  }
}

Error ErrorFromListenErrno(int err) {
  switch (err) {
    case EADDRINUSE:
    case EEXIST:
      return Error::kAddressInUse;
    case EACCES:
    case EPERM:
      return Error::kSocketAccess;
    case ENOENT:
    case ENOTDIR:
    case ELOOP:
    case ENAMETOOLONG:
    case EROFS:
      return Error::kServerNotFound;
    default:
      return IsResourceErrno(err) ? Error::kSocketResource : Error::kUnknown;
  }
}

Error ErrorFromAcceptErrno(int err) {
  return IsResourceErrno(err) ? Error::kSocketResource : Error::kUnknown;
}

const char* ErrorCause(Error error) {
  switch (error) {
    case Error::kNone:
      return "no error";
    case Error::kConnectionRefused:
      return "connection refused";
    case Error::kPeerClosed:
      return "remote closed";
    case Error::kServerNotFound:
      return "server not found";
    case Error::kSocketAccess:
      return "socket access error";
    case Error::kSocketResource:
      return "out of resources";
    case Error::kSocketTimeout:
      return "operation timed out";
    case Error::kDatagramTooLarge:
      return "datagram too large";
    case Error::kConnection:
      return "connection error";
    case Error::kUnsupportedSocketOperation:
      return "unsupported socket operation";
    case Error::kOperation:
      return "operation not permitted in this state";
    case Error::kUnknown:
      return "unknown error";
    case Error::kAddressInUse:
      return "address in use";
  }
  return "unknown error";
}

const char* ApiCallName(ApiCall call) {
  switch (call) {
    case ApiCall::kSocketConnectToServer:
      return "LocalSocket::ConnectToServer";
    case ApiCall::kSocketSetSocketDescriptor:
      return "LocalSocket::SetSocketDescriptor";
    case ApiCall::kSocketShutdownWrite:
      return "LocalSocket::ShutdownWrite";
    case ApiCall::kSocketWrite:
      return "LocalSocket::Write";
    case ApiCall::kSocketWriteShared:
      return "LocalSocket::WriteShared";
    case ApiCall::kSocketWriteWithFds:
      return "LocalSocket::WriteWithFds";
    case ApiCall::kSocketRead:
      return "LocalSocket::Read";
    case ApiCall::kSocketReadAll:
      return "LocalSocket::ReadAll";
    case ApiCall::kSocketReadLine:
      return "LocalSocket::ReadLine";
    case ApiCall::kSocketSkip:
      return "LocalSocket::Skip";
    case ApiCall::kSocketFlush:
      return "LocalSocket::Flush";
    case ApiCall::kSocketWaitForConnected:
      return "LocalSocket::WaitForConnected";
    case ApiCall::kSocketWaitForReadyRead:
      return "LocalSocket::WaitForReadyRead";
    case ApiCall::kSocketWaitForBytesWritten:
      return "LocalSocket::WaitForBytesWritten";
    case ApiCall::kSocketWaitForDisconnected:
      return "LocalSocket::WaitForDisconnected";
    case ApiCall::kServerListen:
      return "LocalServer::Listen";
    case ApiCall::kServerListenInherited:
      return "LocalServer::ListenInherited";
    case ApiCall::kServerAccept:
      return "LocalServer::Accept";
    case ApiCall::kServerWaitForNewConnection:
      return "LocalServer::WaitForNewConnection";
  }
  return "?";
}

std::string FormatError(ApiCall call, std::string_view cause, int err) {
  std::string text(ApiCallName(call));
  text += ": ";
  text += cause;
  if (err != 0) {
    text += ": ";
    char buffer[256];
    text += strerror_r(err, buffer, sizeof(buffer));  // GNU strerror_r: thread-safe.
  }
  return text;
}

}  // namespace internal
}  // namespace ipc
