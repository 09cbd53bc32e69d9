// The enums of LocalSocket and LocalServer, at the bottom of the ipc layers so that the
// internal parts (errors, state tables, the listen recipe) can use them without including the
// public class headers. Users name them through the classes, which derive from these bases:
// LocalSocket::State::kConnected, LocalSocket::kReadOnly, LocalServer::kUserAccess. Note that
// kNoOptions and kAbstractNamespace exist in both classes with different values. PeerCredentials
// lives here for the same reason.
#ifndef LOCALSOCKET_IPC_SOCKET_TYPES_H_
#define LOCALSOCKET_IPC_SOCKET_TYPES_H_

#include <sys/types.h>

#include <cstdint>
#include <iosfwd>

namespace ipc {

// The credentials of the process at the other end of a connection, as the kernel recorded them
// when the connection was made (SO_PEERCRED): its pid, effective uid and effective gid.
struct PeerCredentials {
  pid_t pid;
  uid_t uid;
  gid_t gid;
};

// LocalSocket's enums (LocalSocket derives from this class).
class LocalSocketTypes {
 public:
  // The connection state; see local_socket.h for the transitions.
  enum class State { kUnconnected, kConnecting, kConnected, kClosing };
  // Errors of sockets and servers; local_socket.h and local_server.h map errno onto them.
  enum class Error {
    kNone,
    kConnectionRefused,
    kPeerClosed,
    kServerNotFound,
    kSocketAccess,
    kSocketResource,
    kSocketTimeout,
    kDatagramTooLarge,
    kConnection,
    kUnsupportedSocketOperation,
    kOperation,
    kUnknown,
    kAddressInUse /* LocalServer only */
  };
  // Bits of the mode a socket is open in.
  enum OpenMode : uint32_t { kNotOpen = 0, kReadOnly = 1, kWriteOnly = 2, kReadWrite = 3 };
  // LocalSocket::SetSocketOptions bits.
  enum SocketOption : uint32_t { kNoOptions = 0, kAbstractNamespace = 1 };

 protected:
  LocalSocketTypes() = default;
  ~LocalSocketTypes() = default;
};

// LocalServer's option bits (LocalServer derives from this class).
class LocalServerTypes {
 public:
  // LocalServer::SetSocketOptions bits: the access bits give the socket file mode 0700, 0070,
  // 0007 or 0777 (combined as an OR); kAbstractNamespace listens in Linux's abstract namespace.
  enum SocketOption : uint32_t {
    kNoOptions = 0,
    kUserAccess = 0x01,
    kGroupAccess = 0x02,
    kOtherAccess = 0x04,
    kWorldAccess = 0x07,
    kAbstractNamespace = 0x08
  };

 protected:
  LocalServerTypes() = default;
  ~LocalServerTypes() = default;
};

// gtest printers (also usable with any std::ostream): "kConnected", "kPeerClosed", ...
std::ostream& operator<<(std::ostream& os, LocalSocketTypes::State state);
std::ostream& operator<<(std::ostream& os, LocalSocketTypes::Error error);
void PrintTo(LocalSocketTypes::State state, std::ostream* os);
void PrintTo(LocalSocketTypes::Error error, std::ostream* os);

}  // namespace ipc

#endif  // LOCALSOCKET_IPC_SOCKET_TYPES_H_
