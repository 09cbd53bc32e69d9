#include "ipc/socket_waits.h"

#include <poll.h>

#include <cerrno>

namespace ipc {
namespace internal {
namespace {

using State = LocalSocket::State;
using Error = LocalSocket::Error;

}  // namespace

bool SocketWaits::ForConnected(int msecs) {
  if (socket_.Inert()) return false;
  if (socket_.state() == State::kConnected) return true;
  if (socket_.state() != State::kConnecting) return false;
  return UntilConnected(WaitDeadline(socket_.loop_, msecs), ApiCall::kSocketWaitForConnected);
}

bool SocketWaits::ForReadyRead(int msecs) {
  if (socket_.Inert()) return false;
  constexpr ApiCall kCall = ApiCall::kSocketWaitForReadyRead;
  if (socket_.state() == State::kUnconnected) return false;
  const WaitDeadline deadline(socket_.loop_, msecs);
  if (socket_.state() == State::kConnecting && !UntilConnected(deadline, kCall)) return false;
  if (socket_.channel_.AtEof()) return false;  // The peer shut down its side: nothing can come.
  const Guard guard = socket_.sequencer_.Take();
  const uint64_t connection = socket_.connection_id_;
  const uint64_t received = socket_.channel_.bytes_received();
  while (StillWaitingOn(guard, connection)) {
    const int64_t read = Round(deadline, kCall, connection);
    if (!guard.Alive()) return false;
    // Bytes delivered before a failure count too, also when the connection ended with them.
    if (socket_.channel_.bytes_received() != received) return true;
    if (read != 0) return false;
    if (StillWaitingOn(guard, connection) && deadline.Expired()) {
      TimeOut(kCall);  // Rounds that made no progress (or only wrote) used up the time.
      return false;
    }
  }
  return false;  // The connection ended (or a slot replaced it) with no new data.
}

bool SocketWaits::ForBytesWritten(int msecs) {
  if (socket_.Inert()) return false;
  constexpr ApiCall kCall = ApiCall::kSocketWaitForBytesWritten;
  if (socket_.state() == State::kUnconnected || socket_.channel_.write_buffer().empty()) {
    return false;
  }
  const WaitDeadline deadline(socket_.loop_, msecs);
  if (socket_.state() == State::kConnecting && !UntilConnected(deadline, kCall)) return false;
  const Guard guard = socket_.sequencer_.Take();
  const uint64_t connection = socket_.connection_id_;
  while (StillWaitingOn(guard, connection) && !socket_.channel_.write_buffer().empty()) {
    const int revents = PollUntil(socket_.channel_.fd(), POLLOUT, deadline, kCall);
    if (revents < 0) return false;
    if (revents & POLLNVAL) {
      DescriptorGone(kCall);
      return false;
    }
    if (revents != 0) {
      socket_.connection_.Feed(ConnectionEvent::kWritable);
      const int64_t sent = socket_.FlushWriteBuffer(kCall);
      if (sent != 0) return sent > 0 && guard.Alive();
    }
    if (StillWaitingOn(guard, connection) && deadline.Expired()) {
      TimeOut(kCall);
      return false;
    }
  }
  return false;
}

bool SocketWaits::ForDisconnected(int msecs) {
  if (socket_.Inert()) return false;
  constexpr ApiCall kCall = ApiCall::kSocketWaitForDisconnected;
  if (!socket_.IsValid()) return false;
  const WaitDeadline deadline(socket_.loop_, msecs);
  const Guard guard = socket_.sequencer_.Take();
  const uint64_t connection = socket_.connection_id_;
  while (StillWaitingOn(guard, connection)) {
    if (Round(deadline, kCall, connection) < 0) break;
    // Also when every round reads data: a peer that keeps sending cannot stretch the wait.
    if (StillWaitingOn(guard, connection) && deadline.Expired()) {
      TimeOut(kCall);
      break;
    }
  }
  // True once this connection has ended, even if a slot has started a new one meanwhile.
  return guard.Alive() &&
         (socket_.connection_id_ != connection || socket_.state() == State::kUnconnected);
}

bool SocketWaits::StillWaitingOn(const Guard& guard, uint64_t connection) const {
  return guard.Alive() && socket_.connection_id_ == connection && socket_.IsValid();
}

int64_t SocketWaits::Round(const WaitDeadline& deadline, ApiCall call, uint64_t connection) {
  StreamChannel& channel = socket_.channel_;
  const auto events = static_cast<int16_t>((channel.ReadsFromFd() ? POLLIN : 0) |
                                           (channel.write_buffer().empty() ? 0 : POLLOUT));
  if (events == 0) {
    // Nothing could ever arrive.
    socket_.SetError(Error::kOperation, FormatError(call, "the read buffer is full"));
    return -1;
  }
  const int revents = PollUntil(channel.fd(), events, deadline, call);
  if (revents < 0) return -1;
  if (revents & POLLNVAL) {
    DescriptorGone(call);
    return -1;
  }
  if (revents == 0) {
    if (!deadline.Expired()) return 0;
    TimeOut(call);
    return -1;
  }
  const Guard guard = socket_.sequencer_.Take();
  if (revents & POLLOUT) {
    socket_.connection_.Feed(ConnectionEvent::kWritable);
    if (socket_.FlushWriteBuffer(call) < 0) return -1;
  }
  if (!StillWaitingOn(guard, connection) || !channel.ReadsFromFd() ||
      !(revents & (POLLIN | POLLHUP | POLLERR))) {
    return 0;
  }
  return socket_.ReadAndAnnounce();  // The socket may be gone by now: touch nothing.
}

void SocketWaits::DescriptorGone(ApiCall call) {
  // Someone closed our fd behind our back: the connection is unusable.
  const Error error = ErrorFromIoErrno(EBADF);
  socket_.ConnectionLost(ConnectionEvent::kIoError, error,
                         FormatError(call, ErrorCause(error), EBADF));
}

bool SocketWaits::UntilConnected(const WaitDeadline& deadline, ApiCall call) {
  const Guard guard = socket_.sequencer_.Take();
  const uint64_t connection = socket_.connection_id_;
  while (guard.Alive() && socket_.connection_id_ == connection &&
         socket_.state() == State::kConnecting) {
    // Fetched per step: the connector exists while kConnecting, and goes once connected.
    Connector& connector = *socket_.connector_;
    if (deadline.Expired()) {
      TimeOut(call);
      return false;
    }
    // In progress: poll for writability; in backoff: sleep (polling a connecting fd would
    // spin). Either until the connect's next step or the wait's end, whichever is first.
    const bool in_progress = connector.phase() == ConnectPhase::kInProgress;
    const int revents =
        PollUntil(connector.fd(), in_progress ? POLLOUT : 0, deadline, call, connector.NextStep());
    if (revents < 0) return false;
    connector.Advance(/*writable=*/in_progress && revents > 0);
  }
  return guard.Alive() && socket_.connection_id_ == connection &&
         socket_.state() == State::kConnected;
}

int SocketWaits::PollUntil(int fd, int16_t events, const WaitDeadline& deadline, ApiCall call,
                           eventloop::TimePoint until) {
  pollfd entry{fd, events, 0};
  const int timeout_ms = deadline.PollTimeoutMs(until);
  const SysResult result = events == 0 || fd < 0 ? socket_.os().Poll(nullptr, 0, timeout_ms)
                                                 : socket_.os().Poll(&entry, 1, timeout_ms);
  if (result.rc < 0) {
    const Error error = result.err == ENOMEM ? Error::kSocketResource : Error::kUnknown;
    socket_.SetError(error, FormatError(call, ErrorCause(error), result.err));
    return -1;
  }
  return result.rc == 0 ? 0 : entry.revents;
}

void SocketWaits::TimeOut(ApiCall call) {
  socket_.SetError(Error::kSocketTimeout, FormatError(call, ErrorCause(Error::kSocketTimeout)));
}

}  // namespace internal
}  // namespace ipc
