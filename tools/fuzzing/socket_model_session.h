// fuzz::SocketModelSession: the world of socket_model_fuzzer: a FakeEventLoop, a FakeKernel,
// a LocalServer listening on an abstract name, the sockets under test (socket_model.h's
// Endpoints: clients and accepted sockets) and the model of every connection they made. The
// fuzzer decodes operations into the calls below; the session checks the invariants between
// operations and, in Finish(), drains everything and checks the end state. See
// socket_model_fuzzer.cc for the operations and the invariants. Single-threaded; one per input.
#ifndef LOCALSOCKET_TOOLS_FUZZING_SOCKET_MODEL_SESSION_H_
#define LOCALSOCKET_TOOLS_FUZZING_SOCKET_MODEL_SESSION_H_

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "ipc/local_server.h"
#include "testing/fake_event_loop.h"
#include "testing/fake_kernel.h"
#include "tools/fuzzing/socket_model.h"

namespace fuzz {

// At most this many sockets under test live at once.
inline constexpr size_t kMaxSockets = 4;
// Files WriteWithFds may pass.
inline constexpr int kFiles = 3;

class SocketModelSession final : public EndpointHost {
 public:
  // Listens, and makes one unconnected client.
  SocketModelSession();
  ~SocketModelSession();
  SocketModelSession(const SocketModelSession&) = delete;
  SocketModelSession& operator=(const SocketModelSession&) = delete;

  // The live socket `byte` picks (modulo their count), or nullptr if none lives.
  Endpoint* Pick(uint8_t byte);
  // A new unconnected client, unless kMaxSockets live.
  void NewClient();
  // Connects `endpoint` to the server's name (abstract or path, as the last server listened),
  // or to a missing path when `name` is odd.
  void Connect(Endpoint& endpoint, uint8_t name, int timeout_ms) const;
  // The descriptor of the fixture's file `index` (< kFiles), opened (with the others) on first
  // use; -1 while the fd limit is lowered before they exist (WriteWithFds refuses it).
  int File(int index);
  eventloop::FakeEventLoop& loop() { return loop_; }

  // Kernel faults. For one socket (nothing if it has no fd): the next sendmsg or recvmsg fails
  // with `err`; its next `times` sends take at most `max_bytes`; its SO_SNDBUF; a reset.
  void FailSend(Endpoint& endpoint, int err);
  void FailReceive(Endpoint& endpoint, int err);
  void CapSends(Endpoint& endpoint, size_t max_bytes, int times);
  void SetSendBuffer(Endpoint& endpoint, int bytes);
  void Reset(Endpoint& endpoint);
  // The next connect fails with `err`; or (`err` EMFILE) the next socket().
  void FailConnect(int err);
  void SetBacklogFull(bool full);
  // 0: the fd limit back to normal; else room for `extra` - 1 more descriptors.
  void LimitFds(int extra);
  // Destroys the server, or creates it and listens again.
  void ToggleServer();
  // Takes the connections the server holds while fewer than kMaxSockets live (any number
  // while draining).
  void TakeHeld();

  // The invariants between operations (each socket's, and no double close); drops the sockets
  // that are gone.
  void CheckBetweenSteps();
  // Lifts the faults and limits, drains everything, hangs up, and checks the end state.
  void Finish();

  // EndpointHost.
  void OnConnected(Endpoint& endpoint) override;
  void RunReentry(Endpoint& endpoint, Reentry action, uint8_t arg) override;

 private:
  // Before every connect, a new SO_PEERCRED pid: the accepted socket tells which connect it is.
  void StampConnects();
  void StartServer();
  void StopServer();
  // True if `path` names a file in the kernel's namespace (lstat).
  bool PathExists(const char* path);
  size_t LiveCount() const;
  // Marks both directions of the endpoint's connection as hit by a fault.
  static void Fault(Endpoint& endpoint);
  // Runs the loop and reads everything on every socket, until `done` or the round limit.
  template <typename Done>
  void Drain(Done done);
  // What the drain waits for, for a failure message.
  std::string Describe() const;

  eventloop::FakeEventLoop loop_;
  ipc::FakeKernel kernel_;
  std::vector<int> files_;
  std::unique_ptr<ipc::LocalServer> server_;
  std::vector<std::unique_ptr<Endpoint>> endpoints_;
  std::vector<std::shared_ptr<Pipe>> pipes_;
  std::deque<std::shared_ptr<Pipe>> unaccepted_;  // Connected; the server has not accepted.
  std::deque<std::shared_ptr<Pipe>> held_;        // Accepted; the server holds the socket.
  pid_t pid_ = 1000;
  bool fd_limited_ = false;
  bool socket_faulted_ = false;  // A socket() EMFILE was injected (it may hit Listen).
  bool draining_ = false;
  int listens_ = 0;           // Servers started so far.
  bool path_server_ = false;  // The last server listened on kServerPath, not abstract.
};

}  // namespace fuzz

#endif  // LOCALSOCKET_TOOLS_FUZZING_SOCKET_MODEL_SESSION_H_
