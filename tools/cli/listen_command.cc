// `listen`: runs a ListenServer until SIGINT or SIGTERM.
#include <signal.h>

#include <cstdio>

#include "eventloop/libevent_loop.h"
#include "tools/cli/commands.h"
#include "tools/cli/exit_codes.h"
#include "tools/cli/listen_server.h"

namespace cli {

int RunListen(const Options& options) {
  eventloop::LibeventLoop loop;
  ListenServer server(loop, options);
  if (!server.Listen()) return kExitFailure;
  auto on_int = loop.WatchSignal(SIGINT, [&] { loop.Quit(); });
  auto on_term = loop.WatchSignal(SIGTERM, [&] { loop.Quit(); });
  std::fprintf(stderr, "localsocket: listening on %s\n", server.full_name().c_str());
  loop.Run();
  server.FinishOutput();
  return server.output_failed() ? kExitFailure : kExitOk;
}

}  // namespace cli
