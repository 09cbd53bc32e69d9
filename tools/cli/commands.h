// The tool's commands. Each runs one parsed command line to its end and returns the exit
// status (exit_codes.h), having printed any failure on stderr.
#ifndef LOCALSOCKET_TOOLS_CLI_COMMANDS_H_
#define LOCALSOCKET_TOOLS_CLI_COMMANDS_H_

#include "tools/cli/options.h"

namespace cli {

// `listen`: serves clients until SIGINT or SIGTERM.
int RunListen(const Options& options);
// `connect`: bridges stdin and stdout to the server.
int RunConnect(const Options& options);
// `send`: sends DATA (or stdin), prints the reply until the server closes.
int RunSend(const Options& options);
// `probe`: 0 if a server accepts, else 1.
int RunProbe(const Options& options);

}  // namespace cli

#endif  // LOCALSOCKET_TOOLS_CLI_COMMANDS_H_
