// Internal: LocalSocket's connector. It resolves the name, creates the socket and calls
// connect(): once, when the kernel answers at once; again when an in-progress connect becomes
// writable; on a backoff timer while the server's backlog is full (EAGAIN), until the connect
// timeout. Advance() decides the next step for both drivers of a pending connect: the loop
// (the connector's own timer and watcher) and a blocking wait (which polls or sleeps until
// NextStep() itself, then calls Advance()).
//
// Threads and lifetime: loop-thread only; owned by the socket. The delegate's callbacks may
// destroy the connector (they emit the socket's signals): it touches nothing after them.
#ifndef LOCALSOCKET_IPC_SOCKET_CONNECTOR_H_
#define LOCALSOCKET_IPC_SOCKET_CONNECTOR_H_

#include <sys/socket.h>
#include <sys/un.h>

#include <memory>
#include <string>
#include <string_view>

#include "eventloop/event_loop.h"
#include "ipc/os_calls.h"
#include "ipc/os_fd.h"
#include "ipc/server_name.h"
#include "ipc/socket_state_machines.h"
#include "ipc/socket_types.h"

namespace ipc {
namespace internal {

// Why a connect failed.
struct ConnectFailure {
  ConnectionEvent event;  // kConnectFailed or kConnectTimeout.
  LocalSocketTypes::Error error;
  std::string cause;
  int err;  // The errno behind it, or 0.
};

// Receives a connect's outcome. Either call may destroy the connector.
class ConnectorDelegate {
 public:
  virtual ~ConnectorDelegate() = default;
  // Connected: take the fd with Connector::TakeConnectedFd().
  virtual void OnConnected() = 0;
  // Failed: the connector has closed its fd already.
  virtual void OnConnectFailed(const ConnectFailure& failure) = 0;
};

class Connector {
 public:
  Connector(eventloop::EventLoop& loop, OsCalls& os, ConnectorDelegate& delegate);
  Connector(const Connector&) = delete;
  Connector& operator=(const Connector&) = delete;

  // Starts connecting to `name` (resolved as ResolveServerName does). `timeout_ms` bounds a
  // connect the kernel cannot complete at once (-1: no bound). The outcome reaches the
  // delegate before Start returns when the kernel answers at once.
  void Start(std::string_view name, bool abstract, int timeout_ms);
  // One step of a pending connect: connect() again once `writable` (in progress) or at the
  // retry time (backoff); fail with kSocketTimeout once the connect deadline has passed.
  void Advance(bool writable);
  // When the pending connect next needs Advance(): the retry time (backoff), the connect
  // deadline (in progress), or TimePoint::max() (none).
  eventloop::TimePoint NextStep() const;
  ConnectPhase phase() const { return phase_.state(); }
  // The connecting fd (-1 when none).
  int fd() const { return fd_.get(); }
  // In OnConnected: the connected fd.
  OsFd TakeConnectedFd() { return std::move(fd_); }
  // The resolved name connected to (the path, or the abstract name): a view into this
  // Connector, valid while it lives and until the next Start.
  std::string_view FullName() const { return AddressNameView(address_, address_length_); }
  // Abandons a pending connect: stops the timer and the watcher and closes the fd.
  void Cancel();

 private:
  void TryConnect();
  void Fail(ConnectionEvent event, LocalSocketTypes::Error error, std::string cause, int err);

  eventloop::EventLoop& loop_;
  OsCalls& os_;
  ConnectorDelegate& delegate_;
  ConnectPhaseMachine phase_;
  OsFd fd_;
  // The attempt: where to, and when to give up.
  sockaddr_un address_{};
  socklen_t address_length_ = 0;
  bool has_deadline_ = false;
  eventloop::TimePoint deadline_{};
  eventloop::TimePoint next_retry_{};
  eventloop::Duration backoff_{};
  std::unique_ptr<eventloop::Timer> timer_;  // Created at the first connect that waits.
  std::unique_ptr<eventloop::FdWatcher> watcher_;
};

}  // namespace internal
}  // namespace ipc

#endif  // LOCALSOCKET_IPC_SOCKET_CONNECTOR_H_
