// Internal: LocalServer's implementation, behind the public class (which holds only the API
// and the signals). It owns the parts, each with one job, and orders their outcomes into the
// server's behaviour and signals:
//   - the listen recipe (local_server_bind.h) creates the listening socket for Listen(name);
//   - ListenerAdoption (local_server_adopt.h) checks and prepares the fd of Listen(int);
//   - ListeningSocket (local_server_listening_socket.h) owns the listening fd and the socket
//     file the server created;
//   - ServerAcceptor (local_server_acceptor.h): accept4, the pending queue, the accept-error
//     backoff, and when the loop reads the listening fd.
// Impl itself runs the accept loop and the wait, and emits new_connection and error_occurred.
//
// Threads and lifetime: loop-thread only; owned by its LocalServer. Any emission may destroy
// the server (and this object): code checks a LifeFlag::Watch after each one.
#ifndef LOCALSOCKET_IPC_LOCAL_SERVER_IMPL_H_
#define LOCALSOCKET_IPC_LOCAL_SERVER_IMPL_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "eventloop/event_loop.h"
#include "eventloop/thread_binding.h"
#include "ipc/life_flag.h"
#include "ipc/local_server.h"
#include "ipc/local_server_acceptor.h"
#include "ipc/local_server_listening_socket.h"
#include "ipc/local_socket.h"
#include "ipc/os_calls.h"
#include "ipc/shared_name.h"
#include "ipc/socket_errors.h"

namespace ipc {

class LocalServer::Impl {
 public:
  using Error = LocalSocket::Error;
  using ApiCall = internal::ApiCall;
  using AcceptOutcome = internal::ServerAcceptor::Outcome;

  // Neither copyable nor movable (LifeFlag).
  Impl(LocalServer& owner, eventloop::EventLoop& loop, OsCalls& os);
  // Close().
  ~Impl();

  // The public API (local_server.h).
  bool Listen(std::string_view name);
  bool Listen(int fd);
  bool ListenInherited(std::string_view name);
  void SetPeerFilter(std::function<bool(const PeerCredentials&)> filter);
  bool WaitForNewConnection(int msecs, bool* timed_out);
  void Close();

  bool IsListening() const { return listening_.is_open(); }
  void SetError(Error error, std::string error_string);
  void ClearError();

  // Settings and listening state, also read by the public accessors.
  uint32_t options_ = kNoOptions;
  int backlog_ = 50;
  Error error_ = Error::kNone;
  std::string error_string_;
  internal::SharedName server_name_;
  internal::SharedName full_server_name_;
  internal::ListeningSocket listening_;
  internal::ServerAcceptor acceptor_;
  // Debug builds: the thread the server is used on (its loop's, or that of its first wait).
  LOCALSOCKET_THREAD_BINDING(thread_binding_, "LocalServer");

 private:
  // True once the loop is gone: Listen and WaitForNewConnection then do nothing.
  bool Inert() const { return loop_link_.LoopGone(); }
  // Listen while listening: sets kOperation (for `call`) and returns true.
  bool RefuseWhileListening(ApiCall call);
  // Listen(int) for `call`: adopts the listening socket `fd` or refuses it, leaving it alone.
  bool AdoptListeningSocket(int fd, ApiCall call);
  // Has the acceptor watch `fd`. On failure sets the error (for `call`) and leaves the fd
  // alone.
  bool StartAccepting(int fd, ApiCall call);
  // The shared tail of both Listen overloads, once listening_ holds the socket.
  void Listening(std::string server_name, std::string full_name, bool abstract);

  // Accepts until EAGAIN, the queue is full, a failure, or the per-wake-up cap; emits
  // new_connection for each connection and error_occurred for a failure.
  void AcceptLoop();
  // Whether the peer filter admits the accepted connection `fd` (a peer whose credentials the
  // kernel cannot tell is not). The filter may close or destroy the server.
  bool PeerFilterAdmits(int fd);
  // One accept: the new connection becomes a queued LocalSocket (nothing emitted); a failure
  // sets the error under `call` (nothing emitted).
  AcceptOutcome AcceptOne(ApiCall call);
  // Emits error_occurred(error_). Returns false if a slot destroyed the server.
  bool EmitError();

  LocalServer& owner_;
  eventloop::EventLoop& loop_;
  OsCalls& os_;
  const internal::LoopLink loop_link_;
  internal::LifeFlag life_;
  bool abstract_ = false;    // The server listens in the abstract namespace.
  uint64_t generation_ = 0;  // Bumped by Close(): an accept loop of an old fd stops.
  // Shared, so that a filter that replaces itself while it runs stays alive until it returns.
  std::shared_ptr<const std::function<bool(const PeerCredentials&)>> peer_filter_;
};

}  // namespace ipc

#endif  // LOCALSOCKET_IPC_LOCAL_SERVER_IMPL_H_
