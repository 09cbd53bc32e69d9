// A minimal blocking client: `echo_client NAME TEXT...` sends each TEXT as a line to the echo
// server NAME and prints what comes back. It never runs the loop: the waits do the I/O.
#include <cstdio>
#include <cstring>
#include <string>

#include "eventloop/libevent_loop.h"
#include "ipc/local_socket.h"

int main(int argc, char** argv) {
  if (argc < 3 || argv[1][0] == '-') {
    const bool help = argc == 2 && std::strcmp(argv[1], "--help") == 0;
    std::fputs("usage: echo_client NAME TEXT...\n", help ? stdout : stderr);
    return help ? 0 : 2;
  }
  eventloop::LibeventLoop loop;
  ipc::LocalSocket socket(loop);
  socket.ConnectToServer(argv[1]);
  if (!socket.WaitForConnected(5000)) {
    std::fprintf(stderr, "%s\n", socket.error_string().c_str());
    return 1;
  }
  for (int i = 2; i < argc; ++i) {
    socket.Write(std::string(argv[i]) + "\n");
    while (!socket.CanReadLine()) {
      if (!socket.WaitForReadyRead(5000)) {
        std::fprintf(stderr, "%s\n", socket.error_string().c_str());
        return 1;
      }
    }
    std::printf("%s", socket.ReadLine().c_str());
  }
  socket.DisconnectFromServer();
  if (socket.state() != ipc::LocalSocket::State::kUnconnected) socket.WaitForDisconnected(5000);
  return 0;
}
