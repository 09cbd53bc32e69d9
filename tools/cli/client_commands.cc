// connect, send and probe: the commands that act as a client.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "eventloop/libevent_loop.h"
#include "ipc/local_socket.h"
#include "ipc/unique_fd.h"
#include "tools/cli/client_connect.h"
#include "tools/cli/client_session.h"
#include "tools/cli/commands.h"
#include "tools/cli/exit_codes.h"
#include "tools/cli/failure.h"

namespace cli {
namespace {

// DATA joined by single spaces, plus a newline unless -n.
std::string JoinData(const Options& options) {
  std::string joined;
  for (const std::string& word : options.data) {
    if (!joined.empty()) joined += ' ';
    joined += word;
  }
  if (options.newline) joined += '\n';
  return joined;
}

}  // namespace

int RunConnect(const Options& options) {
  eventloop::LibeventLoop loop;
  ipc::LocalSocket socket(loop);
  if (!ConnectClient(socket, options)) return kExitFailure;
  ClientSession session(loop, socket);
  session.SendFd(STDIN_FILENO);
  return session.Run(-1);
}

int RunSend(const Options& options) {
  // --fd: every file opened before connecting, so that a bad path fails without a connection.
  std::vector<ipc::UniqueFd> files;
  std::vector<int> fds;
  for (const std::string& path : options.fd_paths) {
    files.emplace_back(open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!files.back()) {
      ReportFailure("cannot open " + path + ": " + std::strerror(errno));
      return kExitFailure;
    }
    fds.push_back(files.back().get());
  }
  eventloop::LibeventLoop loop;
  ipc::LocalSocket socket(loop);
  if (!ConnectClient(socket, options)) return kExitFailure;
  ClientSession session(loop, socket);
  session.PassFds(fds);
  if (options.data.size() == 1 && options.data[0] == "-") {
    session.SendFd(STDIN_FILENO);
  } else {
    session.SendAndHalfClose(JoinData(options));
  }
  return session.Run(options.timeout_ms);
}

int RunProbe(const Options& options) {
  eventloop::LibeventLoop loop;
  ipc::LocalSocket socket(loop);
  return ConnectClient(socket, options) ? kExitOk : kExitFailure;
}

}  // namespace cli
