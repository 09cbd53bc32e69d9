// localsocket: a command-line tool for Unix-domain stream sockets (listen, connect, send,
// probe), built on LocalSocket, LocalServer and LibeventLoop. `localsocket --help` and
// tools/cli/usage.cc describe it.
#include <signal.h>

#include <cstdio>

#include "ipc/version.h"
#include "tools/cli/commands.h"
#include "tools/cli/exit_codes.h"
#include "tools/cli/options.h"

int main(int argc, char** argv) {
  const cli::ParseResult parsed = cli::ParseCommandLine(argc, argv);
  const cli::Options& options = parsed.options;
  if (options.version) {
    std::printf("localsocket %s\n", LOCALSOCKET_VERSION);
    return cli::kExitOk;
  }
  if (options.help) {
    std::fputs(cli::UsageText(options.command).c_str(), stdout);
    return cli::kExitOk;
  }
  if (!parsed.error.empty()) {
    std::fprintf(stderr, "localsocket: %s\n%s", parsed.error.c_str(),
                 cli::SynopsisText(options.command).c_str());
    return cli::kExitUsage;
  }
  // A closed stdout is reported as a write error, not a silent death.
  ::signal(SIGPIPE, SIG_IGN);
  switch (options.command) {
    case cli::Command::kListen:
      return cli::RunListen(options);
    case cli::Command::kConnect:
      return cli::RunConnect(options);
    case cli::Command::kSend:
      return cli::RunSend(options);
    case cli::Command::kProbe:
      return cli::RunProbe(options);
    case cli::Command::kNone:
      break;
  }
  return cli::kExitUsage;
}
