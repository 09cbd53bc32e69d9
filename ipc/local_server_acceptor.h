// Internal: LocalServer's accepting part. It calls accept4 on the listening fd, holds the
// queue of accepted sockets until NextPendingConnection takes them, and pauses accepting after
// a failure (EMFILE...) with a backoff retry: 10 ms, doubling up to 1 s, reset once an accept
// succeeds or finds nothing to accept. A resource error (EMFILE, ENFILE, ENOBUFS, ENOMEM) counts
// as a failure only while a client waits: Linux reports it before looking at the backlog. It has
// the loop read the listening fd exactly while accepting is possible: started, not paused, the
// queue below its maximum. It emits nothing: LocalServer::Impl runs the accept loop and turns the
// outcomes into signals.
//
// Threads and lifetime: loop-thread only; owned by the server. Between Start() and Stop() it
// borrows the listening fd (the server's ListeningSocket owns it). `on_ready` may destroy the
// acceptor.
#ifndef LOCALSOCKET_IPC_LOCAL_SERVER_ACCEPTOR_H_
#define LOCALSOCKET_IPC_LOCAL_SERVER_ACCEPTOR_H_

#include <deque>
#include <functional>
#include <memory>

#include "eventloop/event_loop.h"
#include "ipc/local_socket.h"
#include "ipc/os_calls.h"
#include "ipc/os_fd.h"

namespace ipc {
namespace internal {

class ServerAcceptor {
 public:
  // What one Accept() gave.
  enum class Outcome {
    kAccepted,   // A new connection: Result::fd.
    kNoneReady,  // EAGAIN, or a resource error (EMFILE...) with no client waiting.
    kSkipped,    // The client went away first (ECONNABORTED, EPROTO, EINTR): try the next.
    kFailed,     // Any other errno (Result::err): accepting is paused until the retry.
  };
  struct Result {
    Outcome outcome = Outcome::kNoneReady;
    OsFd fd;
    int err = 0;
  };

  // `on_ready` runs when the loop should accept: the listening fd is readable, or the retry
  // time after a failure has come (the pause has ended then).
  ServerAcceptor(eventloop::EventLoop& loop, OsCalls& os, std::function<void()> on_ready);
  ServerAcceptor(const ServerAcceptor&) = delete;
  ServerAcceptor& operator=(const ServerAcceptor&) = delete;

  // Starts on the listening fd `fd`, not paused, with the backoff reset. The loop watches it
  // from the next UpdateInterest(). False (and nothing started) if the loop cannot watch it.
  bool Start(int fd);
  // Stops watching (before the fd closes) and retrying, and destroys the queued sockets:
  // their fds close and their peers see the connection end. No-op when not started.
  void Stop();

  // One accept4, also when the queue is full (a wait asks for one explicitly).
  Result Accept();
  // True while the loop may accept: started, not paused, and the queue below max_pending().
  bool CanAccept() const;
  // Watches the listening fd for readability exactly while CanAccept().
  void UpdateInterest();

  // The queue. Enqueue and Dequeue update the interest.
  void Enqueue(std::unique_ptr<LocalSocket> socket);
  // The oldest queued socket, or nullptr.
  std::unique_ptr<LocalSocket> Dequeue();
  bool HasPending() const { return !pending_.empty(); }
  int max_pending() const { return max_pending_; }
  void SetMaxPending(int n);

 private:
  // True when a connection waits in the backlog (poll, no wait), or poll fails.
  bool ConnectionWaiting();
  // After a failure: stop reading the fd, retry after the backoff, double it.
  void Pause();
  void OnRetryTimer();

  eventloop::EventLoop& loop_;
  OsCalls& os_;
  const std::function<void()> on_ready_;
  int fd_ = -1;  // Borrowed: the listening fd while started.
  std::unique_ptr<eventloop::FdWatcher> watcher_;
  std::deque<std::unique_ptr<LocalSocket>> pending_;
  int max_pending_ = 30;
  bool paused_ = false;  // After a failure, until the retry timer fires or an accept succeeds.
  eventloop::Duration backoff_;
  const std::unique_ptr<eventloop::Timer> retry_timer_;
};

}  // namespace internal
}  // namespace ipc

#endif  // LOCALSOCKET_IPC_LOCAL_SERVER_ACCEPTOR_H_
