// LocalSocket: construction, accessors, adoption and teardown. Connecting is in
// local_socket_connect.cc, reading and writing in local_socket_io.cc, the blocking waits in
// local_socket_wait.cc.
#include "ipc/local_socket.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <utility>

#include "ipc/server_name.h"
#include "ipc/socket_errors.h"
#include "ipc/unix_socket_check.h"

namespace ipc {
namespace {

using internal::CellKind;
using internal::FormatError;

bool IsValidOpenMode(uint32_t mode) {
  return mode == LocalSocket::kReadOnly || mode == LocalSocket::kWriteOnly ||
         mode == LocalSocket::kReadWrite;
}

}  // namespace

LocalSocket::LocalSocket(eventloop::EventLoop& loop, OsCalls& os)
    : loop_(loop),
      loop_link_(loop),
      os_(os),
      flush_task_(
          loop.CreateBeforeBlockingTask([this] { FlushWriteBuffer("LocalSocket::Write"); })),
      connect_timer_(loop.CreateTimer([this] { AdvanceConnect(/*writable=*/false); })) {}

LocalSocket::~LocalSocket() {
  watcher_.reset();  // Before the fd closes.
}

void LocalSocket::SetServerName(std::string_view name) {
  if (state() == State::kUnconnected) server_name_.assign(name);
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

int LocalSocket::socket_descriptor() const { return IsValid() ? fd_.get() : -1; }
LocalSocket::State LocalSocket::state() const { return connection_.state(); }
LocalSocket::Error LocalSocket::error() const { return error_; }
const std::string& LocalSocket::error_string() const { return error_string_; }
bool LocalSocket::IsValid() const {
  return state() == State::kConnected || state() == State::kClosing;
}
bool LocalSocket::IsOpen() const { return open_mode_ != kNotOpen; }
uint32_t LocalSocket::open_mode() const { return open_mode_; }

internal::Cell<LocalSocket::State> LocalSocket::Feed(ConnectionEvent event) {
  const State before = connection_.state();
  const internal::Cell<State> cell = connection_.Feed(event);
  if (connection_.state() != before) state_changed.Emit(connection_.state());
  return cell;
}

// ---------------------------------------------------------------------------------------------
// Adoption.

bool LocalSocket::SetSocketDescriptor(int fd, State state, uint32_t open_mode) {
  if (Inert()) return false;
  constexpr const char kFunction[] = "LocalSocket::SetSocketDescriptor";
  if (connection_.Peek(ConnectionEvent::kDescriptorAdopted).kind != CellKind::kMove) {
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
  if (const internal::FdRejection rejection = internal::CheckUnixStreamSocket(os_, fd)) {
    return unsupported(rejection.cause, rejection.err);
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

  sequencer_.BeginOperation();
  ++connection_id_;
  ResetConnectionData();
  error_ = Error::kNone;
  error_string_.clear();
  bool abstract = false;
  full_server_name_ = internal::AddressName(peer, peer_length, &abstract);
  server_name_ =
      abstract ? full_server_name_ : full_server_name_.substr(full_server_name_.rfind('/') + 1);
  options_ = abstract ? kAbstractNamespace : kNoOptions;
  fd_ = internal::OsFd(os_, fd);
  open_mode_ = open_mode;
  sequencer_.ConnectionMade();
  connection_.Feed(ConnectionEvent::kDescriptorAdopted);  // No signal: as Qt.
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
  if (connection_.Peek(ConnectionEvent::kDisconnectRequested).kind != CellKind::kMove) return;
  sequencer_.BeginOperation();
  if (state() == State::kConnecting) {
    CancelConnecting(ConnectionEvent::kDisconnectRequested);
    return;
  }
  const Guard guard = sequencer_.Take();
  Feed(ConnectionEvent::kDisconnectRequested);  // kClosing.
  if (!guard.Continues()) return;
  if (write_buffer_.empty()) {
    OnWriteBufferDrained();
  } else {
    ScheduleFlush();
  }
}

void LocalSocket::ShutdownWrite() {
  if (Inert()) return;
  if (state() != State::kConnected || !(open_mode_ & kWriteOnly) ||
      write_side_.Peek(internal::WriteSideEvent::kShutdownRequested).kind != CellKind::kMove) {
    SetError(Error::kOperation,
             FormatError("LocalSocket::ShutdownWrite", "operation not permitted in this state"));
    return;
  }
  write_side_.Feed(internal::WriteSideEvent::kShutdownRequested);
  if (write_buffer_.empty()) {
    OnWriteBufferDrained();
  } else {
    ScheduleFlush();
  }
}

void LocalSocket::Abort() {
  if (Inert()) return;
  const bool moves = connection_.Peek(ConnectionEvent::kAbort).kind == CellKind::kMove;
  if (!moves && !IsOpen()) {
    if (state() == State::kUnconnected) ClearNames();  // As Qt's abort()/close().
    return;
  }
  // Closing only the device (the connection already ended) is no new signal sequence: an
  // Abort() inside read_channel_finished still lets `disconnected` follow.
  if (moves) sequencer_.BeginOperation();
  if (state() == State::kConnecting) {
    CancelConnecting(ConnectionEvent::kAbort);
    return;
  }
  const Guard guard = sequencer_.Take();
  if (moves) {
    write_buffer_.Clear();
    FinishDisconnect(ConnectionEvent::kAbort);
    if (!guard.Continues()) return;
  }
  if (IsOpen()) {
    if (!sequencer_.AnnounceClose(about_to_close)) return;
    CloseDevice();
  }
}

void LocalSocket::Close() {
  if (Inert()) return;
  const bool moves = connection_.Peek(ConnectionEvent::kClose).kind == CellKind::kMove;
  if (!moves && !IsOpen()) {
    if (state() == State::kUnconnected) ClearNames();  // As Qt's close().
    return;
  }
  if (moves) sequencer_.BeginOperation();  // See Abort().
  const Guard guard = sequencer_.Take();
  if ((IsOpen() || state() == State::kConnecting) && !sequencer_.AnnounceClose(about_to_close)) {
    return;
  }
  CloseDevice();
  ClearNames();  // As Qt's close(): at once, also while pending writes are still flushed.
  if (!moves) return;
  if (state() == State::kConnecting) {
    CancelConnecting(ConnectionEvent::kClose);
    return;
  }
  Feed(ConnectionEvent::kClose);  // kClosing: pending writes are still delivered.
  if (!guard.Continues()) return;
  if (write_buffer_.empty()) {
    OnWriteBufferDrained();
  } else {
    ScheduleFlush();
  }
}

void LocalSocket::ConnectionLost(ConnectionEvent event, Error error,
                                 const std::string& error_string, bool report) {
  const internal::Cell<State> cell = connection_.Peek(event);
  if (cell.kind != CellKind::kMove) return;
  write_buffer_.Clear();  // The peer is gone: nothing buffered can be delivered.
  const Guard guard = sequencer_.Take();
  if (report) {
    EmitError(error, error_string);  // Still in the state the failure happened in.
    if (!guard.Continues()) return;
  }
  if (cell.next == State::kClosing) {
    Feed(event);
    if (!guard.Continues()) return;
    event = ConnectionEvent::kTornDown;
  }
  FinishDisconnect(event);
}

void LocalSocket::FinishDisconnect(ConnectionEvent event) {
  const Guard guard = sequencer_.Take();
  CloseDescriptor();
  ClearNames();
  Feed(event);  // kUnconnected.
  if (!guard.Continues()) return;
  read_channel_finished.Emit();
  if (!guard.Continues()) return;
  sequencer_.EmitDisconnectedOnce(disconnected);
}

void LocalSocket::CancelConnecting(ConnectionEvent event) {
  CloseDescriptor();
  ClearNames();
  Feed(event);  // kUnconnected.
}

void LocalSocket::CloseDescriptor() {
  watcher_.reset();  // Before the fd is closed.
  connect_timer_->Stop();
  flush_task_->Cancel();
  connect_phase_.Feed(internal::ConnectPhaseEvent::kCancelled);
  fd_.reset();
  read_side_.Feed(internal::ReadSideEvent::kNewConnection);
  write_side_.Feed(internal::WriteSideEvent::kNewConnection);
}

void LocalSocket::CloseDevice() {
  open_mode_ = kNotOpen;
  read_buffer_.Clear();
}

void LocalSocket::ResetConnectionData() {
  read_buffer_.Clear();
  write_buffer_.Clear();
  read_side_.Feed(internal::ReadSideEvent::kNewConnection);
  write_side_.Feed(internal::WriteSideEvent::kNewConnection);
  sequencer_.ConnectionForgotten();
  full_server_name_.clear();
}

void LocalSocket::ClearNames() {
  server_name_.clear();
  full_server_name_.clear();
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
