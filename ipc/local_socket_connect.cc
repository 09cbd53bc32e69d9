// LocalSocket: connecting. One connect() call per step (TryConnect); AdvanceConnect decides the
// next step for both the loop (its timer and watcher) and WaitForConnected, so the retry and
// timeout rules live in one place.
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "ipc/local_socket.h"
#include "ipc/server_name.h"
#include "ipc/socket_errors.h"

namespace ipc {
namespace {

using internal::CellKind;
using internal::ConnectPhase;
using internal::ConnectPhaseEvent;
using internal::FormatError;

constexpr const char kConnectFunction[] = "LocalSocket::ConnectToServer";
// The first retry of a connect refused with EAGAIN (full backlog) comes after this long; each
// further retry waits twice as long, up to kMaxConnectBackoff.
constexpr eventloop::Duration kInitialConnectBackoff = std::chrono::milliseconds(1);
constexpr eventloop::Duration kMaxConnectBackoff = std::chrono::milliseconds(100);

}  // namespace

void LocalSocket::ConnectToServer(std::string_view name, uint32_t open_mode) {
  SetServerName(name);
  ConnectToServer(open_mode);
}

void LocalSocket::ConnectToServer(uint32_t open_mode) {
  if (Inert()) return;
  if (connection_.Peek(ConnectionEvent::kConnectRequested).kind != CellKind::kMove) {
    EmitError(Error::kOperation,
              FormatError(kConnectFunction, "operation not permitted in this state"));
    return;
  }
  if (open_mode != kReadOnly && open_mode != kWriteOnly && open_mode != kReadWrite) {
    SetError(Error::kOperation, FormatError(kConnectFunction, "invalid open mode"));
    return;
  }
  sequencer_.BeginOperation();
  ++connection_id_;
  ResetConnectionData();
  open_mode_ = kNotOpen;  // The device opens when the connection is made.
  requested_open_mode_ = open_mode;
  error_ = Error::kNone;
  error_string_.clear();
  const Guard guard = sequencer_.Take();
  Feed(ConnectionEvent::kConnectRequested);  // kConnecting.
  if (!guard.Continues()) return;
  StartConnect();
}

void LocalSocket::StartConnect() {
  internal::ResolvedName resolved;
  const internal::NameError name_error =
      internal::ResolveServerName(server_name_, (options_ & kAbstractNamespace) != 0, &resolved);
  if (name_error != internal::NameError::kNone) {
    FailConnect(ConnectionEvent::kConnectFailed, Error::kServerNotFound,
                std::string(internal::ErrorCause(Error::kServerNotFound)) + " (" +
                    internal::NameErrorText(name_error) + ")",
                0);
    return;
  }
  std::memcpy(&connect_address_, &resolved.address, sizeof(resolved.address));
  connect_address_length_ = resolved.address_length;
  connect_full_name_ = std::move(resolved.full_name);

  const SysResult created = os_.Socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (created.rc < 0) {
    const Error error = internal::ErrorFromSocketErrno(created.err);
    FailConnect(ConnectionEvent::kConnectFailed, error, internal::ErrorCause(error), created.err);
    return;
  }
  fd_ = internal::OsFd(os_, static_cast<int>(created.rc));
  connect_has_deadline_ = connect_timeout_ms_ >= 0;
  connect_deadline_ = loop_.Now() + std::chrono::milliseconds(std::max(connect_timeout_ms_, 0));
  retry_backoff_ = kInitialConnectBackoff;
  TryConnect();
}

void LocalSocket::TryConnect() {
  const SysResult result = os_.Connect(
      fd_.get(), reinterpret_cast<const sockaddr*>(&connect_address_), connect_address_length_);
  if (result.rc == 0 || result.err == EISCONN) {
    CompleteConnect();
    return;
  }
  switch (result.err) {
    case EINPROGRESS:
    case EALREADY:
    case EINTR:
      // In progress: writable means done; connect() again tells the outcome.
      connect_phase_.Feed(ConnectPhaseEvent::kAttemptInProgress);
      if (!watcher_) {
        watcher_ = loop_.WatchFd(fd_.get(), eventloop::kWritable,
                                 [this](uint32_t) { AdvanceConnect(/*writable=*/true); });
      }
      break;
    case EAGAIN: {
      // The server's backlog is full: retry on a backoff timer until the connect timeout.
      const eventloop::TimePoint now = loop_.Now();
      if (connect_has_deadline_ && now >= connect_deadline_) {
        FailConnect(ConnectionEvent::kConnectTimeout, Error::kSocketTimeout,
                    "connect timed out (server backlog full)", 0);
        return;
      }
      watcher_.reset();
      connection_.Feed(ConnectionEvent::kConnectRetry);
      connect_phase_.Feed(ConnectPhaseEvent::kAttemptBackoff);
      next_retry_ = now + retry_backoff_;
      if (connect_has_deadline_) next_retry_ = std::min(next_retry_, connect_deadline_);
      retry_backoff_ = std::min(retry_backoff_ * 2, kMaxConnectBackoff);
      break;
    }
    default: {
      const Error error = internal::ErrorFromConnectErrno(result.err);
      FailConnect(ConnectionEvent::kConnectFailed, error, internal::ErrorCause(error), result.err);
      return;
    }
  }
  const eventloop::TimePoint next_step = NextConnectStep();
  if (next_step != eventloop::TimePoint::max()) {
    connect_timer_->Start(std::max(next_step - loop_.Now(), eventloop::Duration{}));
  }
}

eventloop::TimePoint LocalSocket::NextConnectStep() const {
  switch (connect_phase_.state()) {
    case ConnectPhase::kBackoff:
      return next_retry_;
    case ConnectPhase::kInProgress:
      return connect_has_deadline_ ? connect_deadline_ : eventloop::TimePoint::max();
    case ConnectPhase::kIdle:
      break;
  }
  return eventloop::TimePoint::max();
}

void LocalSocket::AdvanceConnect(bool writable) {
  if (state() != State::kConnecting) return;
  switch (connect_phase_.state()) {
    case ConnectPhase::kInProgress:
      if (writable) {
        connection_.Feed(ConnectionEvent::kWritable);
        TryConnect();
      } else if (loop_.Now() >= NextConnectStep()) {
        FailConnect(ConnectionEvent::kConnectTimeout, Error::kSocketTimeout, "connect timed out",
                    0);
      }
      return;
    case ConnectPhase::kBackoff:
      if (loop_.Now() >= next_retry_) {
        connect_timer_->Stop();
        TryConnect();  // At the deadline, a full backlog is the connect timeout.
      }
      return;
    case ConnectPhase::kIdle:
      return;
  }
}

void LocalSocket::CompleteConnect() {
  connect_timer_->Stop();
  watcher_.reset();
  connect_phase_.Feed(ConnectPhaseEvent::kAttemptFinished);
  open_mode_ = requested_open_mode_;
  full_server_name_ = connect_full_name_;
  sequencer_.ConnectionMade();
  // A successful connect leaves kNone, also when an error was set while it was pending (a
  // refused ConnectToServer, a timed-out WaitForConnected).
  error_ = Error::kNone;
  error_string_.clear();
  const Guard guard = sequencer_.Take();
  // The watcher exists before state_changed(kConnected): IsOpen() and socket_descriptor() are
  // valid in its slots.
  UpdateInterest();
  Feed(ConnectionEvent::kConnectCompleted);
  if (!guard.Continues()) return;
  connected.Emit();
}

void LocalSocket::FailConnect(ConnectionEvent event, Error error, const std::string& cause,
                              int err) {
  if (connection_.Peek(event).kind != CellKind::kMove) return;
  CloseDescriptor();
  const Guard guard = sequencer_.Take();
  EmitError(error, FormatError(kConnectFunction, cause, err));  // Still kConnecting, as Qt.
  if (!guard.Continues()) return;
  ClearNames();
  Feed(event);  // kUnconnected.
}

}  // namespace ipc
