// Internal: how LocalServer creates its listening socket (the "listen recipe"). See
// local_server.h for the behaviour; local_server_bind.cc for the exact system-call sequence of
// each option set.
//
// Threads: the caller's (LocalServer's loop thread).
#ifndef LOCALSOCKET_IPC_LOCAL_SERVER_BIND_H_
#define LOCALSOCKET_IPC_LOCAL_SERVER_BIND_H_

#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>

#include <cstdint>
#include <string>

#include "ipc/local_server_listening_socket.h"
#include "ipc/os_calls.h"
#include "ipc/server_name.h"
#include "ipc/socket_types.h"

namespace ipc {
namespace internal {

// The outcome of CreateServerSocket.
struct ListenOutcome {
  ListeningSocket socket;                                          // Open on success.
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
ListenOutcome CreateServerSocket(OsCalls& os, const ResolvedName& name, bool abstract,
                                 mode_t access_mode, int backlog);

}  // namespace internal
}  // namespace ipc

#endif  // LOCALSOCKET_IPC_LOCAL_SERVER_BIND_H_
