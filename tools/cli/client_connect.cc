#include "tools/cli/client_connect.h"

#include "tools/cli/failure.h"

namespace cli {

bool ConnectClient(ipc::LocalSocket& socket, const Options& options) {
  socket.SetSocketOptions(options.abstract ? ipc::LocalSocket::kAbstractNamespace
                                           : ipc::LocalSocket::kNoOptions);
  if (options.timeout_ms >= 0) socket.SetConnectTimeout(options.timeout_ms);
  socket.ConnectToServer(options.name);
  if (socket.state() == ipc::LocalSocket::State::kConnecting) {
    socket.WaitForConnected(socket.connect_timeout());
  }
  if (socket.state() == ipc::LocalSocket::State::kConnected) return true;
  ReportFailure("cannot connect to " + options.name + ": " +
                CauseOf(socket.error(), socket.error_string()));
  return false;
}

}  // namespace cli
