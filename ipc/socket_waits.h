// Internal: LocalSocket's blocking waits. They poll the socket's fd through OsCalls and do the
// loop's work themselves (connect steps, flushes, reads, emissions), so they work without the
// loop ever running; `msecs` are measured on the loop's clock. See local_socket.h for what
// each wait returns.
//
// Threads and lifetime: loop-thread only; made for one call. A slot may destroy the socket
// during a wait: the wait then returns false without touching it.
#ifndef LOCALSOCKET_IPC_SOCKET_WAITS_H_
#define LOCALSOCKET_IPC_SOCKET_WAITS_H_

#include <cstdint>

#include "eventloop/clock.h"
#include "ipc/local_socket_impl.h"
#include "ipc/socket_errors.h"
#include "ipc/wait_deadline.h"

namespace ipc {
namespace internal {

class SocketWaits {
 public:
  explicit SocketWaits(LocalSocket::Impl& socket) : socket_(socket) {}

  bool ForConnected(int msecs);
  bool ForReadyRead(int msecs);
  bool ForBytesWritten(int msecs);
  bool ForDisconnected(int msecs);

 private:
  using Guard = SignalSequencer::Guard;

  // Waits for a pending connect, stepping the connector like the loop would.
  bool UntilConnected(const WaitDeadline& deadline, ApiCall call);
  // One poll() on the fd for `events` (a plain sleep when `events` is 0), until `deadline` or
  // `until`, whichever is first. Returns the revents, 0 on timeout, -1 if poll failed (the
  // error is set, naming `call`).
  int PollUntil(int fd, int16_t events, const WaitDeadline& deadline, ApiCall call,
                eventloop::TimePoint until = eventloop::TimePoint::max());
  // One round of ForReadyRead/ForDisconnected: polls for input (unless the read buffer is full
  // or at EOF) and, with writes pending, for output; then flushes and reads what is ready,
  // emitting as the loop would. Returns the bytes read, or -1 when the wait must end (timed
  // out, poll failed, nothing could arrive, or the connection failed while flushing). The
  // socket may have been destroyed when it returns.
  int64_t Round(const WaitDeadline& deadline, ApiCall call, uint64_t connection);
  // True while a wait that started on `connection` should go on: the socket is alive, a slot
  // has not replaced the connection, and it is kConnected or kClosing.
  bool StillWaitingOn(const Guard& guard, uint64_t connection) const;
  // Ends the connection after poll() reported POLLNVAL (the fd was closed behind our back).
  void DescriptorGone(ApiCall call);
  void TimeOut(ApiCall call);

  LocalSocket::Impl& socket_;
};

}  // namespace internal
}  // namespace ipc

#endif  // LOCALSOCKET_IPC_SOCKET_WAITS_H_
