// LocalSocket: construction, accessors, connecting, adoption and teardown. Reading and writing
// are in local_socket_io.cc, the blocking waits in local_socket_wait.cc.
#include "ipc/local_socket.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <utility>

#include "ipc/connection_state_machine.h"
#include "ipc/local_socket_internal.h"
#include "ipc/server_name.h"
#include "ipc/socket_errors.h"

namespace ipc {
namespace {

using internal::FormatError;
using internal::SocketEvent;
using internal::Transition;

constexpr const char kConnectFunction[] = "LocalSocket::ConnectToServer";
// The first retry of a connect refused with EAGAIN (full backlog) comes after this long; each
// further retry waits twice as long, up to kMaxConnectBackoff.
constexpr eventloop::Duration kInitialConnectBackoff = std::chrono::milliseconds(1);
constexpr eventloop::Duration kMaxConnectBackoff = std::chrono::milliseconds(100);

bool IsValidOpenMode(uint32_t mode) {
  return mode == LocalSocket::kReadOnly || mode == LocalSocket::kWriteOnly ||
         mode == LocalSocket::kReadWrite;
}

}  // namespace

LocalSocket::LocalSocket(eventloop::EventLoop& loop, OsCalls& os)
    : loop_(loop),
      loop_token_(loop.lifetime_token()),
      os_(os),
      life_(std::make_shared<Life>()),
      connect_timer_(loop.CreateTimer([this] { OnConnectTimer(); })),
      flush_task_(
          loop.CreateBeforeBlockingTask([this] { FlushWriteBuffer("LocalSocket::Write"); })) {}

LocalSocket::~LocalSocket() {
  life_->alive = false;
  watcher_.reset();
  if (fd_ >= 0) os_.Close(fd_);
}

void LocalSocket::SetServerName(std::string_view name) {
  if (state_ == State::kUnconnected) server_name_.assign(name);
}
const std::string& LocalSocket::server_name() const { return server_name_; }
const std::string& LocalSocket::full_server_name() const { return full_server_name_; }

void LocalSocket::SetSocketOptions(uint32_t options) {
  if ((options & ~static_cast<uint32_t>(kAbstractNamespace)) == 0) options_ = options;
}
uint32_t LocalSocket::socket_options() const { return options_; }

void LocalSocket::SetConnectTimeout(int msecs) {
  if (msecs >= -1) connect_timeout_ms_ = msecs;
}
int LocalSocket::connect_timeout() const { return connect_timeout_ms_; }

int LocalSocket::socket_descriptor() const {
  return state_ == State::kConnected || state_ == State::kClosing ? fd_ : -1;
}
LocalSocket::State LocalSocket::state() const { return state_; }
LocalSocket::Error LocalSocket::error() const { return error_; }
const std::string& LocalSocket::error_string() const { return error_string_; }
bool LocalSocket::IsValid() const {
  return state_ == State::kConnected || state_ == State::kClosing;
}
bool LocalSocket::IsOpen() const { return open_mode_ != kNotOpen; }
uint32_t LocalSocket::open_mode() const { return open_mode_; }

// ---------------------------------------------------------------------------------------------
// Connecting.

void LocalSocket::ConnectToServer(std::string_view name, uint32_t open_mode) {
  SetServerName(name);
  ConnectToServer(open_mode);
}

void LocalSocket::ConnectToServer(uint32_t open_mode) {
  if (Inert()) return;
  const Transition transition = internal::NextTransition(state_, SocketEvent::kConnectRequested);
  if (transition.kind != Transition::Kind::kMove) {
    EmitError(Error::kOperation,
              FormatError(kConnectFunction, "operation not permitted in this state"));
    return;
  }
  if (!IsValidOpenMode(open_mode)) {
    SetError(Error::kOperation, FormatError(kConnectFunction, "invalid open mode"));
    return;
  }
  BeginOperation();
  ++connection_id_;
  ResetConnectionData();
  open_mode_ = kNotOpen;  // The device opens when the connection is made.
  requested_open_mode_ = open_mode;
  error_ = Error::kNone;
  error_string_.clear();
  SequenceGuard guard(this);
  Enter(transition.next);
  if (!guard.Continues()) return;
  StartConnect();
}

void LocalSocket::StartConnect() {
  internal::ResolvedName resolved;
  const internal::NameError name_error =
      internal::ResolveServerName(server_name_, (options_ & kAbstractNamespace) != 0, &resolved);
  if (name_error != internal::NameError::kNone) {
    FailConnect(Error::kServerNotFound,
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
    FailConnect(error, internal::ErrorCause(error), created.err);
    return;
  }
  fd_ = static_cast<int>(created.rc);
  connect_has_deadline_ = connect_timeout_ms_ >= 0;
  connect_deadline_ = loop_.Now() + std::chrono::milliseconds(std::max(connect_timeout_ms_, 0));
  retry_backoff_ = kInitialConnectBackoff;
  TryConnect();
}

void LocalSocket::TryConnect() {
  const SysResult result = os_.Connect(fd_, reinterpret_cast<const sockaddr*>(&connect_address_),
                                       connect_address_length_);
  if (result.rc == 0 || result.err == EISCONN) {
    CompleteConnect();
    return;
  }
  switch (result.err) {
    case EINPROGRESS:
    case EALREADY:
    case EINTR:
      // In progress: writable means done; connect() again tells the outcome.
      connect_phase_ = ConnectPhase::kInProgress;
      if (!watcher_) {
        watcher_ = loop_.WatchFd(fd_, eventloop::kWritable, [this](uint32_t) { TryConnect(); });
      }
      if (connect_has_deadline_) {
        connect_timer_->Start(std::max(connect_deadline_ - loop_.Now(), eventloop::Duration{}));
      }
      return;
    case EAGAIN: {
      // The server's backlog is full: retry on a backoff timer until the connect timeout.
      const eventloop::TimePoint now = loop_.Now();
      if (connect_has_deadline_ && now >= connect_deadline_) {
        FailConnect(Error::kSocketTimeout, "connect timed out (server backlog full)", 0);
        return;
      }
      watcher_.reset();
      connect_phase_ = ConnectPhase::kBackoff;
      next_retry_ = now + retry_backoff_;
      if (connect_has_deadline_) next_retry_ = std::min(next_retry_, connect_deadline_);
      retry_backoff_ = std::min(retry_backoff_ * 2, kMaxConnectBackoff);
      connect_timer_->Start(next_retry_ - now);
      return;
    }
    default: {
      const Error error = internal::ErrorFromConnectErrno(result.err);
      FailConnect(error, internal::ErrorCause(error), result.err);
      return;
    }
  }
}

void LocalSocket::OnConnectTimer() {
  if (state_ != State::kConnecting) return;
  if (connect_phase_ == ConnectPhase::kBackoff) {
    TryConnect();
  } else if (connect_phase_ == ConnectPhase::kInProgress) {
    FailConnect(Error::kSocketTimeout, "connect timed out", 0);
  }
}

void LocalSocket::CompleteConnect() {
  const Transition transition = internal::NextTransition(state_, SocketEvent::kConnectCompleted);
  if (transition.kind != Transition::Kind::kMove) return;
  connect_timer_->Stop();
  watcher_.reset();
  connect_phase_ = ConnectPhase::kNone;
  open_mode_ = requested_open_mode_;
  full_server_name_ = connect_full_name_;
  connection_live_ = true;
  // Decision #0: a successful connect leaves kNone, also when an error was set while it was
  // pending (a refused ConnectToServer, a timed-out WaitForConnected).
  error_ = Error::kNone;
  error_string_.clear();
  SequenceGuard guard(this);
  // The watcher exists before state_changed(kConnected): IsOpen() and socket_descriptor() are
  // valid there (DESIGN.md rule 3).
  state_ = transition.next;
  UpdateInterest();
  state_changed.Emit(state_);
  if (!guard.Continues()) return;
  connected.Emit();
}

void LocalSocket::FailConnect(Error error, const std::string& cause, int err) {
  const Transition transition = internal::NextTransition(state_, error == Error::kSocketTimeout
                                                                     ? SocketEvent::kConnectTimeout
                                                                     : SocketEvent::kConnectFailed);
  if (transition.kind != Transition::Kind::kMove) return;
  CloseDescriptor();
  SequenceGuard guard(this);
  EmitError(error, FormatError(kConnectFunction, cause, err));  // Still kConnecting, as Qt.
  if (!guard.Continues()) return;
  ClearNames();
  Enter(transition.next);
}

// ---------------------------------------------------------------------------------------------
// Adoption.

bool LocalSocket::SetSocketDescriptor(int fd, State state, uint32_t open_mode) {
  if (Inert()) return false;
  constexpr const char kFunction[] = "LocalSocket::SetSocketDescriptor";
  const Transition transition = internal::NextTransition(state_, SocketEvent::kDescriptorAdopted);
  if (transition.kind != Transition::Kind::kMove) {
    SetError(Error::kOperation, FormatError(kFunction, "operation not permitted in this state"));
    return false;
  }
  if (state != State::kConnected) {
    SetError(Error::kOperation, FormatError(kFunction, "only State::kConnected can be adopted"));
    return false;
  }
  if (!IsValidOpenMode(open_mode)) {
    SetError(Error::kOperation, FormatError(kFunction, "invalid open mode"));
    return false;
  }
  const auto unsupported = [&](const char* cause, int err) {
    SetError(Error::kUnsupportedSocketOperation, FormatError(kFunction, cause, err));
    return false;
  };
  if (fd < 0) return unsupported("invalid descriptor", 0);
  struct stat st;
  if (const SysResult r = os_.Fstat(fd, &st); r.rc < 0)
    return unsupported("invalid descriptor", r.err);
  if (!S_ISSOCK(st.st_mode)) return unsupported("not a socket", 0);
  int value = 0;
  socklen_t value_length = sizeof(value);
  if (const SysResult r = os_.GetSockOpt(fd, SOL_SOCKET, SO_DOMAIN, &value, &value_length);
      r.rc < 0 || value != AF_UNIX) {
    return unsupported("not an AF_UNIX socket", r.err);
  }
  value_length = sizeof(value);
  if (const SysResult r = os_.GetSockOpt(fd, SOL_SOCKET, SO_TYPE, &value, &value_length);
      r.rc < 0 || value != SOCK_STREAM) {
    return unsupported("not a stream socket", r.err);
  }
  sockaddr_un peer{};
  socklen_t peer_length = sizeof(peer);
  if (const SysResult r = os_.GetPeerName(fd, reinterpret_cast<sockaddr*>(&peer), &peer_length);
      r.rc < 0) {
    return unsupported("not a connected socket", r.err);
  }
  const SysResult flags = os_.Fcntl(fd, F_GETFL, 0);
  if (flags.rc < 0) return unsupported("cannot read the descriptor flags", flags.err);
  if ((flags.rc & O_NONBLOCK) == 0) {
    if (const SysResult r = os_.Fcntl(fd, F_SETFL, static_cast<int>(flags.rc) | O_NONBLOCK);
        r.rc < 0) {
      return unsupported("cannot make the descriptor non-blocking", r.err);
    }
  }

  BeginOperation();
  ++connection_id_;
  ResetConnectionData();
  error_ = Error::kNone;
  error_string_.clear();
  bool abstract = false;
  full_server_name_ = internal::AddressName(peer, peer_length, &abstract);
  server_name_ =
      abstract ? full_server_name_ : full_server_name_.substr(full_server_name_.rfind('/') + 1);
  options_ = abstract ? kAbstractNamespace : kNoOptions;
  fd_ = fd;
  open_mode_ = open_mode;
  connection_live_ = true;
  state_ = transition.next;  // No signal: Qt emits none for an adopted descriptor.
  UpdateInterest();
  return true;
}

void LocalSocket::SetAcceptedNames(const std::string& server_name, const std::string& full_name,
                                   uint32_t options) {
  server_name_ = server_name;
  full_server_name_ = full_name;
  options_ = options;
}

// ---------------------------------------------------------------------------------------------
// Ending a connection.

void LocalSocket::DisconnectFromServer() {
  if (Inert()) return;
  const Transition transition = internal::NextTransition(state_, SocketEvent::kDisconnectRequested);
  if (transition.kind != Transition::Kind::kMove) return;
  BeginOperation();
  if (state_ == State::kConnecting) {
    CancelConnecting();
    return;
  }
  SequenceGuard guard(this);
  Enter(transition.next);  // kClosing.
  if (!guard.Continues()) return;
  if (write_buffer_.empty()) {
    OnWriteBufferDrained();
  } else {
    ScheduleFlush();
  }
}

void LocalSocket::ShutdownWrite() {
  if (Inert()) return;
  if (state_ != State::kConnected || !(open_mode_ & kWriteOnly) || shutdown_write_requested_) {
    SetError(Error::kOperation,
             FormatError("LocalSocket::ShutdownWrite", "operation not permitted in this state"));
    return;
  }
  shutdown_write_requested_ = true;
  if (write_buffer_.empty()) {
    OnWriteBufferDrained();
  } else {
    ScheduleFlush();
  }
}

void LocalSocket::Abort() {
  if (Inert()) return;
  const bool moves =
      internal::NextTransition(state_, SocketEvent::kAbort).kind == Transition::Kind::kMove;
  if (!moves && !IsOpen()) {
    if (state_ == State::kUnconnected) ClearNames();  // As Qt's abort()/close().
    return;
  }
  // Closing only the device (the connection already ended) is no new signal sequence: an
  // Abort() inside read_channel_finished still lets `disconnected` follow.
  if (moves) BeginOperation();
  if (state_ == State::kConnecting) {
    CancelConnecting();
    return;
  }
  SequenceGuard guard(this);
  if (moves) {
    write_buffer_.Clear();
    FinishDisconnect();
    if (!guard.Continues()) return;
  }
  if (IsOpen()) {
    if (!AnnounceClose()) return;
    CloseDevice();
  }
}

void LocalSocket::Close() {
  if (Inert()) return;
  const Transition transition = internal::NextTransition(state_, SocketEvent::kClose);
  if (transition.kind != Transition::Kind::kMove && !IsOpen()) {
    if (state_ == State::kUnconnected) ClearNames();  // As Qt's close().
    return;
  }
  if (transition.kind == Transition::Kind::kMove) BeginOperation();  // See Abort().
  SequenceGuard guard(this);
  if ((IsOpen() || state_ == State::kConnecting) && !AnnounceClose()) return;
  CloseDevice();
  ClearNames();  // As Qt's close(): at once, also while pending writes are still flushed.
  if (transition.kind != Transition::Kind::kMove) return;
  if (state_ == State::kConnecting) {
    CancelConnecting();
    return;
  }
  Enter(transition.next);  // kClosing: pending writes are still delivered.
  if (!guard.Continues()) return;
  if (write_buffer_.empty()) {
    OnWriteBufferDrained();
  } else {
    ScheduleFlush();
  }
}

bool LocalSocket::AnnounceClose() {
  if (announcing_close_) return true;  // Abort()/Close() from an about_to_close slot.
  SequenceGuard guard(this);
  announcing_close_ = true;
  about_to_close.Emit();
  if (!guard.Alive()) return false;
  announcing_close_ = false;
  return guard.Continues();
}

void LocalSocket::ConnectionLost(bool eof, Error error, const std::string& error_string,
                                 bool report) {
  const Transition transition =
      internal::NextTransition(state_, eof ? SocketEvent::kPeerEof : SocketEvent::kIoError);
  if (transition.kind != Transition::Kind::kMove) return;
  write_buffer_.Clear();  // The peer is gone: nothing buffered can be delivered.
  SequenceGuard guard(this);
  if (report) {
    EmitError(error, error_string);  // Still in the state the failure happened in.
    if (!guard.Continues()) return;
  }
  if (transition.through_closing) {
    Enter(State::kClosing);
    if (!guard.Continues()) return;
  }
  FinishDisconnect();
}

void LocalSocket::FinishDisconnect() {
  SequenceGuard guard(this);
  CloseDescriptor();
  ClearNames();
  Enter(State::kUnconnected);
  if (!guard.Continues()) return;
  read_channel_finished.Emit();
  if (!guard.Continues() || !connection_live_) return;
  connection_live_ = false;
  disconnected.Emit();
}

void LocalSocket::CancelConnecting() {
  CloseDescriptor();
  ClearNames();
  Enter(State::kUnconnected);
}

void LocalSocket::CloseDescriptor() {
  watcher_.reset();  // Before the fd is closed.
  connect_timer_->Stop();
  flush_task_->Cancel();
  connect_phase_ = ConnectPhase::kNone;
  if (fd_ >= 0) os_.Close(fd_);
  fd_ = -1;
  read_paused_ = false;
  read_at_eof_ = false;
  write_blocked_ = false;
}

void LocalSocket::CloseDevice() {
  open_mode_ = kNotOpen;
  read_buffer_.Clear();
}

void LocalSocket::ResetConnectionData() {
  read_buffer_.Clear();
  write_buffer_.Clear();
  read_paused_ = false;
  read_at_eof_ = false;
  write_blocked_ = false;
  shutdown_write_requested_ = false;
  write_shut_down_ = false;
  ready_read_pending_ = false;
  bytes_written_pending_ = 0;
  connection_live_ = false;
  full_server_name_.clear();
}

void LocalSocket::ClearNames() {
  server_name_.clear();
  full_server_name_.clear();
}

void LocalSocket::Enter(State state) {
  if (state == state_) return;
  state_ = state;
  state_changed.Emit(state);
}

void LocalSocket::SetError(Error error, std::string error_string) {
  error_ = error;
  error_string_ = std::move(error_string);
}

void LocalSocket::EmitError(Error error, std::string error_string) {
  SetError(error, std::move(error_string));
  error_occurred.Emit(error);
}

}  // namespace ipc
