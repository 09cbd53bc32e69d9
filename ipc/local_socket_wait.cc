// LocalSocket: the blocking waits. They poll the socket through OsCalls and do the socket's
// I/O themselves, so they work without the loop ever running; msecs are measured on the
// loop's clock.
#include <poll.h>

#include <cerrno>

#include "ipc/local_socket.h"
#include "ipc/socket_errors.h"
#include "ipc/wait_deadline.h"

namespace ipc {

bool LocalSocket::WaitForConnected(int msecs) {
  if (Inert()) return false;
  if (state() == State::kConnected) return true;
  if (state() != State::kConnecting) return false;
  return WaitUntilConnected(internal::WaitDeadline(loop_, msecs), "LocalSocket::WaitForConnected");
}

bool LocalSocket::WaitForReadyRead(int msecs) {
  if (Inert()) return false;
  constexpr const char kFunction[] = "LocalSocket::WaitForReadyRead";
  if (state() == State::kUnconnected) return false;
  const internal::WaitDeadline deadline(loop_, msecs);
  if (state() == State::kConnecting && !WaitUntilConnected(deadline, kFunction)) return false;
  if (read_side_.state() == internal::ReadSide::kAtEof)
    return false;  // The peer shut down its side: nothing more can arrive.
  const Guard guard = sequencer_.Take();
  const uint64_t connection = connection_id_;
  const uint64_t received = bytes_received_;
  while (StillWaitingOn(guard, connection)) {
    const int64_t read = WaitRound(deadline, kFunction, connection);
    if (!guard.Alive()) return false;
    // Bytes delivered before a failure count too, also when the connection ended with them.
    if (bytes_received_ != received) return true;
    if (read != 0) return false;
    if (StillWaitingOn(guard, connection) && deadline.Expired()) {
      TimeOut(kFunction);  // Rounds that made no progress (or only wrote) used up the time.
      return false;
    }
  }
  return false;  // The connection ended (or a slot replaced it) with no new data.
}

bool LocalSocket::WaitForBytesWritten(int msecs) {
  if (Inert()) return false;
  constexpr const char kFunction[] = "LocalSocket::WaitForBytesWritten";
  if (state() == State::kUnconnected || write_buffer_.empty()) return false;
  const internal::WaitDeadline deadline(loop_, msecs);
  if (state() == State::kConnecting && !WaitUntilConnected(deadline, kFunction)) return false;
  const Guard guard = sequencer_.Take();
  const uint64_t connection = connection_id_;
  while (StillWaitingOn(guard, connection) && !write_buffer_.empty()) {
    const int revents = PollUntil(POLLOUT, deadline, kFunction);
    if (revents < 0) return false;
    if (revents & POLLNVAL) return DescriptorGone(kFunction);
    if (revents != 0) {
      connection_.Feed(ConnectionEvent::kWritable);
      const int64_t sent = FlushWriteBuffer(kFunction);
      if (sent != 0) return sent > 0 && guard.Alive();
    }
    if (StillWaitingOn(guard, connection) && deadline.Expired()) {
      TimeOut(kFunction);
      return false;
    }
  }
  return false;
}

bool LocalSocket::WaitForDisconnected(int msecs) {
  if (Inert()) return false;
  constexpr const char kFunction[] = "LocalSocket::WaitForDisconnected";
  if (!IsValid()) return false;
  const internal::WaitDeadline deadline(loop_, msecs);
  const Guard guard = sequencer_.Take();
  const uint64_t connection = connection_id_;
  while (StillWaitingOn(guard, connection)) {
    if (WaitRound(deadline, kFunction, connection) < 0) break;
    // Also when every round reads data: a peer that keeps sending cannot stretch the wait.
    if (StillWaitingOn(guard, connection) && deadline.Expired()) {
      TimeOut(kFunction);
      break;
    }
  }
  // True once this connection has ended, even if a slot has started a new one meanwhile.
  return guard.Alive() && (connection_id_ != connection || state() == State::kUnconnected);
}

bool LocalSocket::StillWaitingOn(const Guard& guard, uint64_t connection) const {
  return guard.Alive() && connection_id_ == connection && IsValid();
}

int64_t LocalSocket::WaitRound(const internal::WaitDeadline& deadline, const char* function,
                               uint64_t connection) {
  const short events = static_cast<short>((ReadsFromFd() ? POLLIN : 0) |  // NOLINT(runtime/int)
                                          (write_buffer_.empty() ? 0 : POLLOUT));
  if (events == 0) return ReadBufferFull(function);  // Nothing could ever arrive.
  const int revents = PollUntil(events, deadline, function);
  if (revents < 0) return -1;
  if (revents & POLLNVAL) {
    DescriptorGone(function);
    return -1;
  }
  if (revents == 0) {
    if (!deadline.Expired()) return 0;
    TimeOut(function);
    return -1;
  }
  const Guard guard = sequencer_.Take();
  if (revents & POLLOUT) {
    connection_.Feed(ConnectionEvent::kWritable);
    if (FlushWriteBuffer(function) < 0) return -1;
  }
  if (!StillWaitingOn(guard, connection) || !ReadsFromFd() ||
      !(revents & (POLLIN | POLLHUP | POLLERR))) {
    return 0;
  }
  connection_.Feed(ConnectionEvent::kReadable);
  bool eof = false;
  int error_errno = 0;
  const int64_t added = ReadFromSocket(&eof, &error_errno);
  if (added > 0 || eof || error_errno != 0) HandleReadOutcome(added, eof, error_errno);
  return added;  // `this` may be gone by now: touch nothing.
}

bool LocalSocket::DescriptorGone(const char* function) {
  // Someone closed our fd behind our back: the connection is unusable.
  const Error error = internal::ErrorFromIoErrno(EBADF);
  ConnectionLost(ConnectionEvent::kIoError, error,
                 internal::FormatError(function, internal::ErrorCause(error), EBADF));
  return false;
}

bool LocalSocket::WaitUntilConnected(const internal::WaitDeadline& deadline, const char* function) {
  const Guard guard = sequencer_.Take();
  const uint64_t connection = connection_id_;
  while (guard.Alive() && connection_id_ == connection && state() == State::kConnecting) {
    if (deadline.Expired()) {
      TimeOut(function);
      return false;
    }
    // In progress: poll for writability; in backoff: sleep (polling a connecting fd would
    // spin). Either until the connect's next step or the wait's end, whichever is first.
    const bool in_progress = connect_phase_.state() == internal::ConnectPhase::kInProgress;
    const int revents = PollUntil(in_progress ? POLLOUT : 0, deadline, function, NextConnectStep());
    if (revents < 0) return false;
    AdvanceConnect(/*writable=*/in_progress && revents > 0);
  }
  return guard.Alive() && connection_id_ == connection && state() == State::kConnected;
}

int LocalSocket::PollUntil(short events,  // NOLINT(runtime/int)
                           const internal::WaitDeadline& deadline, const char* function,
                           eventloop::TimePoint until) {
  pollfd entry{fd_.get(), events, 0};
  const int timeout_ms = deadline.PollTimeoutMs(until);
  const SysResult result =
      events == 0 || !fd_ ? os_.Poll(nullptr, 0, timeout_ms) : os_.Poll(&entry, 1, timeout_ms);
  if (result.rc < 0) {
    const Error error = result.err == ENOMEM ? Error::kSocketResource : Error::kUnknown;
    SetError(error, internal::FormatError(function, internal::ErrorCause(error), result.err));
    return -1;
  }
  return result.rc == 0 ? 0 : entry.revents;
}

int64_t LocalSocket::ReadBufferFull(const char* function) {
  SetError(Error::kOperation, internal::FormatError(function, "the read buffer is full"));
  return -1;
}

void LocalSocket::TimeOut(const char* function) {
  SetError(Error::kSocketTimeout,
           internal::FormatError(function, internal::ErrorCause(Error::kSocketTimeout)));
}

}  // namespace ipc
