// EchoServer: the server side of the load and fault tests. A LocalServer whose accepted
// sockets send back every byte they read, each destroyed when it disconnects.
#ifndef LOCALSOCKET_IPC_HARDENING_ECHO_SERVER_H_
#define LOCALSOCKET_IPC_HARDENING_ECHO_SERVER_H_

#include <cstdint>
#include <list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "eventloop/event_loop.h"
#include "ipc/local_server.h"
#include "ipc/local_socket.h"
#include "ipc/os_calls.h"

namespace ipc {
namespace test {

// Accepts every connection and echoes it: what a socket reads is written back at once (no
// flow control: the tests' clients keep reading). A peer's close (kPeerClosed) ends a
// connection normally; any other socket error, and every error_occurred of the server (accept
// failures), is logged as "<error> <error_string>".
//
// Threads and lifetime: loop-thread only. `loop` and `os` must outlive the server. Destroying
// it destroys the connections still open (their peers see the connection end).
class EchoServer {
 public:
  explicit EchoServer(eventloop::EventLoop& loop, OsCalls& os = RealOsCalls());
  EchoServer(const EchoServer&) = delete;
  EchoServer& operator=(const EchoServer&) = delete;

  // LocalServer::Listen(name); on failure server().error_string() says why.
  bool Listen(std::string_view name);
  LocalServer& server() { return server_; }

  // Connections accepted and not yet disconnected.
  size_t open_connections() const { return connections_.size(); }
  // Connections accepted so far.
  int64_t accepted() const { return accepted_; }
  // Bytes read (and written back) so far, over all connections.
  uint64_t bytes_echoed() const { return bytes_echoed_; }
  // Accept failures reported by the server, in order.
  const std::vector<std::string>& server_errors() const { return server_errors_; }
  // Connection errors other than kPeerClosed, in order.
  const std::vector<std::string>& connection_errors() const { return connection_errors_; }

 private:
  void OnNewConnection();
  void Echo(LocalSocket& socket);

  LocalServer server_;
  std::list<std::unique_ptr<LocalSocket>> connections_;  // A list: a slot erases its own.
  int64_t accepted_ = 0;
  uint64_t bytes_echoed_ = 0;
  std::vector<std::string> server_errors_;
  std::vector<std::string> connection_errors_;
};

}  // namespace test
}  // namespace ipc

#endif  // LOCALSOCKET_IPC_HARDENING_ECHO_SERVER_H_
