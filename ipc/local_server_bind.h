// Internal: how LocalServer creates its listening socket (the "listen recipe"), and the
// socket-file helpers it shares with Close() and RemoveServer(). See local_server.h for the
// behaviour; local_server_bind.cc for the exact system-call sequence of each option set.
#ifndef LOCALSOCKET_IPC_LOCAL_SERVER_BIND_H_
#define LOCALSOCKET_IPC_LOCAL_SERVER_BIND_H_

#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>

#include <cstdint>
#include <string>

#include "ipc/os_calls.h"
#include "ipc/server_name.h"
#include "ipc/socket_types.h"

namespace ipc {
namespace internal {

// The outcome of CreateServerSocket.
struct ServerSocket {
  int fd = -1;             // The listening fd (owned by the caller), or -1 on failure.
  bool owns_file = false;  // A socket file was created at the path; `dev`/`ino` identify it.
  dev_t dev = 0;
  ino_t ino = 0;
  LocalSocketTypes::Error error = LocalSocketTypes::Error::kNone;  // On failure.
  std::string error_string;                                        // On failure.
};

// The file mode for LocalServer's access options (kUserAccess 0x01 -> 0700, kGroupAccess 0x02
// -> 0070, kOtherAccess 0x04 -> 0007, OR'ed); 0 when none is set.
mode_t AccessMode(uint32_t options);

// Creates a non-blocking, close-on-exec AF_UNIX stream socket listening (with `backlog`) on
// `name`: in the abstract namespace when `abstract`; else at the path, with the exact file mode
// `access_mode` when it is not 0. Handles an existing path as local_server.h describes (probe,
// replace a stale socket, refuse anything else). On failure nothing is left behind: no fd, no
// socket file, no temporary directory.
ServerSocket CreateServerSocket(OsCalls& os, const ResolvedName& name, bool abstract,
                                mode_t access_mode, int backlog);

// Unlinks `path` if it is still the socket file identified by `dev`/`ino` (checked with lstat
// just before). Returns true if it was unlinked.
bool UnlinkIfSame(OsCalls& os, const std::string& path, dev_t dev, ino_t ino);

}  // namespace internal
}  // namespace ipc

#endif  // LOCALSOCKET_IPC_LOCAL_SERVER_BIND_H_
