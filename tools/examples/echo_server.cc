// A minimal echo server: `echo_server NAME` listens on NAME ($TMPDIR/NAME for a relative
// name), echoes every byte back, and quits on SIGINT or SIGTERM.
#include <signal.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <vector>

#include "eventloop/libevent_loop.h"
#include "ipc/local_server.h"
#include "ipc/local_socket.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s NAME\n", argv[0]);
    return 2;
  }
  eventloop::LibeventLoop loop;
  ipc::LocalServer server(loop);
  std::vector<std::unique_ptr<ipc::LocalSocket>> clients;
  server.new_connection.Connect([&] {
    while (std::unique_ptr<ipc::LocalSocket> client = server.NextPendingConnection()) {
      ipc::LocalSocket* c = client.get();
      c->ready_read.Connect([c] { c->Write(c->ReadAll()); });
      c->disconnected.Connect([&clients, c] {  // A slot may destroy its own socket.
        clients.erase(std::find_if(clients.begin(), clients.end(),
                                   [c](const auto& p) { return p.get() == c; }));
      });
      clients.push_back(std::move(client));
    }
  });
  server.error_occurred.Connect([&](ipc::LocalSocket::Error) {
    std::fprintf(stderr, "%s (still listening)\n", server.error_string().c_str());
  });
  if (!server.Listen(argv[1])) {
    std::fprintf(stderr, "%s\n", server.error_string().c_str());
    return 1;
  }
  auto on_int = loop.WatchSignal(SIGINT, [&] { loop.Quit(); });
  auto on_term = loop.WatchSignal(SIGTERM, [&] { loop.Quit(); });
  std::printf("echoing on %s\n", server.full_server_name().c_str());
  std::fflush(stdout);
  loop.Run();
  return 0;
}
