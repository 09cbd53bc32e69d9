// The data phase of `connect` and `send`: sends the input to a connected socket and prints
// what the server sends on stdout until the server closes, then decides the exit status from
// the data.
#ifndef LOCALSOCKET_TOOLS_CLI_CLIENT_SESSION_H_
#define LOCALSOCKET_TOOLS_CLI_CLIENT_SESSION_H_

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "eventloop/event_loop.h"
#include "ipc/local_socket.h"
#include "tools/cli/input_source.h"

namespace cli {

class ClientSession {
 public:
  // `socket` is connected and stays owned by the caller; both must outlive the session.
  ClientSession(eventloop::EventLoop& loop, ipc::LocalSocket& socket);
  ClientSession(const ClientSession&) = delete;
  ClientSession& operator=(const ClientSession&) = delete;
  ~ClientSession();

  // Sends what `fd` gives until its end (read no faster than the socket drains), then
  // half-closes. Call once, before Run, instead of SendAndHalfClose.
  void SendFd(int fd);
  // Sends `data`, then half-closes.
  void SendAndHalfClose(const std::string& data);
  // Passes `fds` (duplicated by the socket; the caller keeps them) with the first byte of the
  // input. Call before SendFd or SendAndHalfClose. An input without a byte fails the run.
  void PassFds(std::vector<int> fds) { fds_to_pass_ = std::move(fds); }
  // Runs the loop until the server closes, or until `timeout_ms` passed (-1 = no limit).
  // Prints the server's bytes on stdout. Returns the exit status: 0 when the server closed
  // after every byte taken from the input was sent; else 1, with the cause printed ("peer
  // closed early", "timed out", a read or write error).
  int Run(int timeout_ms);

 private:
  void OnInput(std::string_view chunk);
  void OnInputEnd(int error);
  void OnBytesWritten(int64_t count);
  void PrintReceived();
  void Fail(const std::string& message);

  eventloop::EventLoop& loop_;
  ipc::LocalSocket& socket_;
  std::unique_ptr<InputSource> input_;
  std::unique_ptr<eventloop::Timer> deadline_;
  int64_t taken_ = 0;             // bytes handed to the socket
  int64_t sent_ = 0;              // bytes the kernel took
  std::vector<int> fds_to_pass_;  // until the first byte takes them
  std::string failure_;           // the first failure, printed by Run
};

}  // namespace cli

#endif  // LOCALSOCKET_TOOLS_CLI_CLIENT_SESSION_H_
