// The connect step shared by the client commands (connect, send, probe).
#ifndef LOCALSOCKET_TOOLS_CLI_CLIENT_CONNECT_H_
#define LOCALSOCKET_TOOLS_CLI_CLIENT_CONNECT_H_

#include "ipc/local_socket.h"
#include "tools/cli/options.h"

namespace cli {

// Connects `socket` to options.name (in the abstract namespace with options.abstract),
// giving up after options.timeout_ms when the server cannot accept at once (the library's
// default when none was given). Blocks without running the loop. On failure prints
// "localsocket: cannot connect to NAME: <cause>" and returns false.
bool ConnectClient(ipc::LocalSocket& socket, const Options& options);

}  // namespace cli

#endif  // LOCALSOCKET_TOOLS_CLI_CLIENT_CONNECT_H_
