// The server behind `listen`: accepts clients (at most max_clients at once; the others wait
// in the pending queue) and prints what each sends on stdout, prefixed or raw, or echoes it
// back; prints "[N] fd: TARGET" for each fd a client passes, and closes it; with --peer-info it
// names each client's process. Each client is dropped in O(1) when it disconnects.
#ifndef LOCALSOCKET_TOOLS_CLI_LISTEN_SERVER_H_
#define LOCALSOCKET_TOOLS_CLI_LISTEN_SERVER_H_

#include <list>
#include <memory>
#include <string>

#include "eventloop/event_loop.h"
#include "ipc/local_server.h"
#include "ipc/local_socket.h"
#include "tools/cli/line_prefixer.h"
#include "tools/cli/options.h"

namespace cli {

class ListenServer {
 public:
  // `loop` and `options` must outlive the server.
  ListenServer(eventloop::EventLoop& loop, const Options& options);
  ListenServer(const ListenServer&) = delete;
  ListenServer& operator=(const ListenServer&) = delete;
  ~ListenServer();

  // Listens on options.name. On failure prints "localsocket: cannot listen on NAME: <cause>"
  // and returns false.
  bool Listen();
  // The resolved path (or abstract name) while listening.
  std::string full_name() const { return server_.full_server_name(); }
  // Ends the clients' partial lines on stdout (prefixed output); for a stop while clients
  // are still connected.
  void FinishOutput();
  // True once writing stdout failed (reported on stderr, and the loop quit).
  bool output_failed() const { return output_failed_; }

 private:
  struct Client {
    Client(std::unique_ptr<ipc::LocalSocket> s, int number);
    std::unique_ptr<ipc::LocalSocket> socket;
    int number;  // From 1, in order of arrival.
    LinePrefixer prefixer;
    std::string fd_lines;  // Prefixed output: "[N] fd: ..." lines waiting for a line start.
  };
  using ClientList = std::list<Client>;

  void TakePending();
  void Serve(std::unique_ptr<ipc::LocalSocket> socket);
  // --peer-info: "localsocket: [N] peer pid P, uid U, gid G" on stderr.
  static void PrintPeer(const Client& client);
  void Print(Client& client);
  // Takes the fds the client passed, closing them, and prints a line for each: on stdout (in
  // prefixed output, once the client's current line is complete), with --raw on stderr.
  void TakeFds(Client& client);
  // Prefixed output: the waiting fd lines, if the client's output is at a line start.
  void FlushFdLines(Client& client);
  void Output(std::string_view bytes);
  void Drop(ClientList::iterator it);

  eventloop::EventLoop& loop_;
  const Options& options_;
  ipc::LocalServer server_;
  ClientList clients_;
  int next_number_ = 1;
  std::string scratch_;  // prefixed output being assembled
  bool output_failed_ = false;
};

}  // namespace cli

#endif  // LOCALSOCKET_TOOLS_CLI_LISTEN_SERVER_H_
