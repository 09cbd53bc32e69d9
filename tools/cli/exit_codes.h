// The exit statuses of the localsocket tool.
#ifndef LOCALSOCKET_TOOLS_CLI_EXIT_CODES_H_
#define LOCALSOCKET_TOOLS_CLI_EXIT_CODES_H_

namespace cli {

// Success (also --help and --version).
inline constexpr int kExitOk = 0;
// A runtime failure; its cause is on stderr.
inline constexpr int kExitFailure = 1;
// A usage error (unknown option or command, missing argument); the usage is on stderr.
inline constexpr int kExitUsage = 2;

}  // namespace cli

#endif  // LOCALSOCKET_TOOLS_CLI_EXIT_CODES_H_
