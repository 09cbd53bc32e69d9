// LocalSocket: the blocking waits. They poll the socket through OsCalls and do the socket's
// I/O themselves, so they work without the loop ever running; msecs are measured on the
// loop's clock.
#include <poll.h>

#include <cerrno>

#include "ipc/local_socket.h"
#include "ipc/local_socket_internal.h"
#include "ipc/socket_errors.h"
#include "ipc/wait_deadline.h"

namespace ipc {

bool LocalSocket::WaitForConnected(int msecs) {
  if (Inert()) return false;
  if (state_ == State::kConnected) return true;
  if (state_ != State::kConnecting) return false;
  return WaitUntilConnected(internal::WaitDeadline(loop_, msecs), "LocalSocket::WaitForConnected");
}

bool LocalSocket::WaitForReadyRead(int msecs) {
  if (Inert()) return false;
  constexpr const char kFunction[] = "LocalSocket::WaitForReadyRead";
  if (state_ == State::kUnconnected) return false;
  const internal::WaitDeadline deadline(loop_, msecs);
  if (state_ == State::kConnecting && !WaitUntilConnected(deadline, kFunction)) return false;
  SequenceGuard guard(this);
  while (guard.Alive() && IsValid()) {
    const int64_t read = WaitRound(deadline, kFunction);
    if (read != 0) return read > 0 && guard.Alive();
  }
  return false;  // The connection ended with no new data.
}

bool LocalSocket::WaitForBytesWritten(int msecs) {
  if (Inert()) return false;
  constexpr const char kFunction[] = "LocalSocket::WaitForBytesWritten";
  if (state_ == State::kUnconnected || write_buffer_.empty()) return false;
  const internal::WaitDeadline deadline(loop_, msecs);
  if (state_ == State::kConnecting && !WaitUntilConnected(deadline, kFunction)) return false;
  SequenceGuard guard(this);
  while (guard.Alive() && IsValid() && !write_buffer_.empty()) {
    const int revents = PollUntil(POLLOUT, deadline);
    if (revents < 0) return false;
    if (revents == 0) {
      if (deadline.Expired()) {
        TimeOut(kFunction);
        return false;
      }
      continue;
    }
    const int64_t sent = FlushWriteBuffer(kFunction);
    if (sent != 0) return sent > 0 && guard.Alive();
  }
  return false;
}

bool LocalSocket::WaitForDisconnected(int msecs) {
  if (Inert()) return false;
  constexpr const char kFunction[] = "LocalSocket::WaitForDisconnected";
  if (!IsValid()) return false;
  const internal::WaitDeadline deadline(loop_, msecs);
  SequenceGuard guard(this);
  while (guard.Alive() && IsValid()) {
    if (WaitRound(deadline, kFunction) < 0) break;
  }
  return guard.Alive() && state_ == State::kUnconnected;
}

int64_t LocalSocket::WaitRound(const internal::WaitDeadline& deadline, const char* function) {
  const short events = static_cast<short>((read_paused_ ? 0 : POLLIN) |  // NOLINT(runtime/int)
                                          (write_buffer_.empty() ? 0 : POLLOUT));
  if (events == 0) return ReadBufferFull(function);  // Nothing could ever arrive.
  const int revents = PollUntil(events, deadline);
  if (revents < 0) return -1;
  if (revents == 0) {
    if (!deadline.Expired()) return 0;
    TimeOut(function);
    return -1;
  }
  SequenceGuard guard(this);
  if ((revents & POLLOUT) && FlushWriteBuffer(function) < 0) return -1;
  if (!guard.Alive() || !IsValid() || read_paused_ || !(revents & (POLLIN | POLLHUP | POLLERR))) {
    return 0;
  }
  bool eof = false;
  int error_errno = 0;
  const int64_t added = ReadFromSocket(&eof, &error_errno);
  if (added > 0 || eof || error_errno != 0) HandleReadOutcome(added, eof, error_errno);
  return added;  // `this` may be gone by now: touch nothing.
}

bool LocalSocket::WaitUntilConnected(const internal::WaitDeadline& deadline, const char* function) {
  SequenceGuard guard(this);
  while (guard.Alive() && state_ == State::kConnecting) {
    if (deadline.Expired()) {
      TimeOut(function);
      return false;
    }
    if (connect_phase_ == ConnectPhase::kBackoff) {
      // Sleep until the next retry of connect() (polling a connecting fd would spin).
      if (PollUntil(0, deadline, next_retry_) < 0) return false;
      if (loop_.Now() >= next_retry_ && state_ == State::kConnecting) {
        connect_timer_->Stop();
        TryConnect();
      }
    } else if (connect_phase_ == ConnectPhase::kInProgress) {
      const int revents = PollUntil(POLLOUT, deadline);
      if (revents < 0) return false;
      if (revents > 0) TryConnect();
    } else {
      break;
    }
  }
  return guard.Alive() && state_ == State::kConnected;
}

int LocalSocket::PollUntil(short events,
                           const internal::WaitDeadline& deadline,  // NOLINT(runtime/int)
                           eventloop::TimePoint until) {
  pollfd entry{fd_, events, 0};
  const int timeout_ms = deadline.PollTimeoutMs(until);
  const SysResult result =
      events == 0 || fd_ < 0 ? os_.Poll(nullptr, 0, timeout_ms) : os_.Poll(&entry, 1, timeout_ms);
  if (result.rc < 0) {
    const Error error = result.err == ENOMEM ? Error::kSocketResource : Error::kUnknown;
    SetError(error,
             internal::FormatError("LocalSocket::poll", internal::ErrorCause(error), result.err));
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
