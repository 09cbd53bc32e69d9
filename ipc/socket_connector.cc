#include "ipc/socket_connector.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "ipc/server_name.h"
#include "ipc/socket_errors.h"

namespace ipc {
namespace internal {
namespace {

using Error = LocalSocketTypes::Error;

// The first retry of a connect refused with EAGAIN (full backlog) comes after this long; each
// further retry waits twice as long, up to kMaxConnectBackoff.
constexpr eventloop::Duration kInitialConnectBackoff = std::chrono::milliseconds(1);
constexpr eventloop::Duration kMaxConnectBackoff = std::chrono::milliseconds(100);

}  // namespace

Connector::Connector(eventloop::EventLoop& loop, OsCalls& os, ConnectorDelegate& delegate)
    : loop_(loop), os_(os), delegate_(delegate) {}

void Connector::Start(std::string_view name, bool abstract, int timeout_ms) {
  if (const NameError name_error =
          ResolveServerAddress(name, abstract, &address_, &address_length_);
      name_error != NameError::kNone) {
    Fail(ConnectionEvent::kConnectFailed, Error::kServerNotFound,
         std::string(ErrorCause(Error::kServerNotFound)) + " (" + NameErrorText(name_error) + ")",
         0);
    return;
  }

  const SysResult created = os_.Socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (created.rc < 0) {
    const Error error = ErrorFromSocketErrno(created.err);
    Fail(ConnectionEvent::kConnectFailed, error, ErrorCause(error), created.err);
    return;
  }
  fd_ = OsFd(os_, static_cast<int>(created.rc));
  has_deadline_ = timeout_ms >= 0;
  deadline_ = loop_.Now() + std::chrono::milliseconds(std::max(timeout_ms, 0));
  backoff_ = kInitialConnectBackoff;
  TryConnect();
}

void Connector::TryConnect() {
  const SysResult result =
      os_.Connect(fd_.get(), reinterpret_cast<const sockaddr*>(&address_), address_length_);
  if (result.rc == 0 || result.err == EISCONN) {
    if (timer_) timer_->Stop();
    watcher_.reset();
    phase_.Feed(ConnectPhaseEvent::kAttemptFinished);
    delegate_.OnConnected();
    return;
  }
  switch (result.err) {
    case EINPROGRESS:
    case EALREADY:
    case EINTR:
      // In progress: writable means done; connect() again tells the outcome.
      phase_.Feed(ConnectPhaseEvent::kAttemptInProgress);
      if (!watcher_) {
        watcher_ = loop_.WatchFd(fd_.get(), eventloop::kWritable,
                                 [this](uint32_t) { Advance(/*writable=*/true); });
      }
      break;
    case EAGAIN: {
      // The server's backlog is full: retry on a backoff timer until the connect timeout.
      const eventloop::TimePoint now = loop_.Now();
      if (has_deadline_ && now >= deadline_) {
        Fail(ConnectionEvent::kConnectTimeout, Error::kSocketTimeout,
             "connect timed out (server backlog full)", 0);
        return;
      }
      watcher_.reset();
      phase_.Feed(ConnectPhaseEvent::kAttemptBackoff);
      next_retry_ = now + backoff_;
      if (has_deadline_) next_retry_ = std::min(next_retry_, deadline_);
      backoff_ = std::min(backoff_ * 2, kMaxConnectBackoff);
      break;
    }
    default: {
      const Error error = ErrorFromConnectErrno(result.err);
      Fail(ConnectionEvent::kConnectFailed, error, ErrorCause(error), result.err);
      return;
    }
  }
  const eventloop::TimePoint next_step = NextStep();
  if (next_step == eventloop::TimePoint::max()) return;
  if (!timer_) timer_ = loop_.CreateTimer([this] { Advance(/*writable=*/false); });
  timer_->Start(std::max(next_step - loop_.Now(), eventloop::Duration{}));
}

eventloop::TimePoint Connector::NextStep() const {
  switch (phase_.state()) {
    case ConnectPhase::kBackoff:
      return next_retry_;
    case ConnectPhase::kInProgress:
      return has_deadline_ ? deadline_ : eventloop::TimePoint::max();
    case ConnectPhase::kIdle:
      break;
  }
  return eventloop::TimePoint::max();
}

void Connector::Advance(bool writable) {
  switch (phase_.state()) {
    case ConnectPhase::kInProgress:
      if (writable) {
        TryConnect();
      } else if (loop_.Now() >= NextStep()) {
        Fail(ConnectionEvent::kConnectTimeout, Error::kSocketTimeout, "connect timed out", 0);
      }
      return;
    case ConnectPhase::kBackoff:
      if (loop_.Now() >= next_retry_) {
        if (timer_) timer_->Stop();
        TryConnect();  // At the deadline, a full backlog is the connect timeout.
      }
      return;
    case ConnectPhase::kIdle:
      return;
  }
}

void Connector::Cancel() {
  watcher_.reset();  // Before the fd closes.
  if (timer_) timer_->Stop();
  phase_.Feed(ConnectPhaseEvent::kCancelled);
  fd_.reset();
}

void Connector::Fail(ConnectionEvent event, Error error, std::string cause, int err) {
  Cancel();
  delegate_.OnConnectFailed(ConnectFailure{event, error, std::move(cause), err});
}

}  // namespace internal
}  // namespace ipc
