// How the tool names failures: one line on stderr, "localsocket: <what>: <cause>".
#ifndef LOCALSOCKET_TOOLS_CLI_FAILURE_H_
#define LOCALSOCKET_TOOLS_CLI_FAILURE_H_

#include <string>
#include <string_view>

#include "ipc/local_socket.h"

namespace cli {

// The short cause for `error` ("server not found", "connection refused", "permission
// denied", "timed out", "address in use", ...); `error_string` (the library's full text) for
// the errors without one.
std::string CauseOf(ipc::LocalSocket::Error error, const std::string& error_string);

// Prints "localsocket: <message>" and a newline on stderr.
void ReportFailure(std::string_view message);

}  // namespace cli

#endif  // LOCALSOCKET_TOOLS_CLI_FAILURE_H_
