// A minimal echo server: `echo_server NAME` listens on NAME ($TMPDIR/NAME for a relative
// name), echoes every byte back, and quits on SIGINT or SIGTERM. `echo_server --inherited`
// serves the socket a service manager passed instead (socket activation; see
// tools/examples/systemd/).
#include <signal.h>

#include <cstdio>
#include <cstring>
#include <list>
#include <memory>

#include "eventloop/libevent_loop.h"
#include "ipc/local_server.h"
#include "ipc/local_socket.h"

int main(int argc, char** argv) {
  const bool inherited = argc == 2 && std::strcmp(argv[1], "--inherited") == 0;
  if (argc != 2 || (argv[1][0] == '-' && !inherited)) {
    const bool help = argc == 2 && std::strcmp(argv[1], "--help") == 0;
    std::fputs("usage: echo_server NAME | echo_server --inherited\n", help ? stdout : stderr);
    return help ? 0 : 2;
  }
  eventloop::LibeventLoop loop;
  ipc::LocalServer server(loop);
  // A list, so that each client's slot erases its own entry in O(1) through its iterator.
  std::list<std::unique_ptr<ipc::LocalSocket>> clients;
  server.new_connection.Connect([&] {
    while (std::unique_ptr<ipc::LocalSocket> client = server.NextPendingConnection()) {
      auto it = clients.insert(clients.end(), std::move(client));
      ipc::LocalSocket* c = it->get();
      c->ready_read.Connect([c] { c->Write(c->ReadAll()); });
      // A slot may destroy its own socket.
      c->disconnected.Connect([&clients, it] { clients.erase(it); });
    }
  });
  server.error_occurred.Connect([&](ipc::LocalSocket::Error) {
    std::fprintf(stderr, "%s (still listening)\n", server.error_string().c_str());
  });
  if (!(inherited ? server.ListenInherited() : server.Listen(argv[1]))) {
    std::fprintf(stderr, "%s\n", server.error_string().c_str());
    return 1;
  }
  auto on_int = loop.WatchSignal(SIGINT, [&] { loop.Quit(); });
  auto on_term = loop.WatchSignal(SIGTERM, [&] { loop.Quit(); });
  std::printf("echoing on %s (Ctrl-C stops)\n", server.full_server_name().c_str());
  std::fflush(stdout);
  loop.Run();
  return 0;
}
