// LocalSocket::Impl: connecting, adoption and teardown. Reading and writing are in
// local_socket_io.cc.
#include "ipc/local_socket_impl.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <utility>

#include "ipc/server_name.h"
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

LocalSocket::Impl::Impl(LocalSocket& owner, eventloop::EventLoop& loop, OsCalls& os)
    : owner_(owner), loop_(loop), loop_link_(loop), channel_(os) {
  LOCALSOCKET_FOLLOW_THREAD_BINDING(thread_binding_, loop.thread_binding());
  LOCALSOCKET_SIGNALS_FOLLOW_THREAD_BINDING(thread_binding_, owner.connected, owner.disconnected,
                                            owner.error_occurred, owner.state_changed,
                                            owner.ready_read, owner.bytes_written,
                                            owner.about_to_close, owner.read_channel_finished);
}

LocalSocket::Impl::~Impl() {
  watcher_.reset();  // Before the fd closes (the connector's and the channel's, silently).
}

internal::Cell<LocalSocket::State> LocalSocket::Impl::Feed(ConnectionEvent event) {
  const State before = connection_.state();
  const internal::Cell<State> cell = connection_.Feed(event);
  if (connection_.state() != before) owner_.state_changed.Emit(connection_.state());
  return cell;
}

// ---------------------------------------------------------------------------------------------
// Connecting.

void LocalSocket::Impl::ConnectToServer(uint32_t open_mode) {
  if (Inert()) return;
  if (connection_.Peek(ConnectionEvent::kConnectRequested).kind != CellKind::kMove) {
    EmitError(Error::kOperation, FormatError(ApiCall::kSocketConnectToServer,
                                             "operation not permitted in this state"));
    return;
  }
  if (!IsValidOpenMode(open_mode)) {
    SetError(Error::kOperation, FormatError(ApiCall::kSocketConnectToServer, "invalid open mode"));
    return;
  }
  sequencer_.BeginOperation();
  ++connection_id_;
  ResetConnectionData();
  open_mode_ = kNotOpen;  // The device opens when the connection is made.
  requested_open_mode_ = open_mode;
  ClearError();
  const Guard guard = sequencer_.Take();
  Feed(ConnectionEvent::kConnectRequested);  // kConnecting.
  if (!guard.Continues()) return;
  // Accepted and adopted sockets never connect: their connector is never built.
  if (!connector_) connector_ = std::make_unique<internal::Connector>(loop_, os(), *this);
  connector_->Start(server_name_.get(), (options_ & kAbstractNamespace) != 0, connect_timeout_ms_);
}

void LocalSocket::Impl::OnConnected() {
  channel_.Open(connector_->TakeConnectedFd());
  open_mode_ = requested_open_mode_;
  // An absolute path or an abstract name is its own full name: the two share one string.
  const std::string_view full_name = connector_->FullName();
  full_server_name_ =
      full_name == server_name_.get() ? server_name_ : internal::SharedName(std::string(full_name));
  // A connected socket keeps no connect state (the connector touches nothing after this call).
  connector_.reset();
  sequencer_.ConnectionMade();
  // A successful connect leaves kNone, also when an error was set while it was pending (a
  // refused ConnectToServer, a timed-out WaitForConnected).
  ClearError();
  const Guard guard = sequencer_.Take();
  // The watcher exists before state_changed(kConnected): IsOpen() and socket_descriptor() are
  // valid in its slots.
  UpdateInterest();
  Feed(ConnectionEvent::kConnectCompleted);
  if (!guard.Continues()) return;
  owner_.connected.Emit();
}

void LocalSocket::Impl::OnConnectFailed(const internal::ConnectFailure& failure) {
  if (connection_.Peek(failure.event).kind != CellKind::kMove) return;
  CloseDescriptor();
  const Guard guard = sequencer_.Take();
  // Still kConnecting, as Qt.
  EmitError(failure.error,
            FormatError(ApiCall::kSocketConnectToServer, failure.cause, failure.err));
  if (!guard.Continues()) return;
  ClearNames();
  Feed(failure.event);  // kUnconnected.
}

// ---------------------------------------------------------------------------------------------
// Adoption.

bool LocalSocket::Impl::SetSocketDescriptor(int fd, State state, uint32_t open_mode) {
  if (Inert()) return false;
  constexpr ApiCall kCall = ApiCall::kSocketSetSocketDescriptor;
  if (connection_.Peek(ConnectionEvent::kDescriptorAdopted).kind != CellKind::kMove) {
    SetError(Error::kOperation, FormatError(kCall, "operation not permitted in this state"));
    return false;
  }
  if (state != State::kConnected) {
    SetError(Error::kOperation, FormatError(kCall, "only State::kConnected can be adopted"));
    return false;
  }
  if (!IsValidOpenMode(open_mode)) {
    SetError(Error::kOperation, FormatError(kCall, "invalid open mode"));
    return false;
  }
  const auto unsupported = [&](const char* cause, int err) {
    SetError(Error::kUnsupportedSocketOperation, FormatError(kCall, cause, err));
    return false;
  };
  if (const internal::FdRejection rejection = internal::CheckUnixStreamSocket(os(), fd)) {
    return unsupported(rejection.cause, rejection.err);
  }
  sockaddr_un peer{};
  socklen_t peer_length = sizeof(peer);
  if (const SysResult r = os().GetPeerName(fd, reinterpret_cast<sockaddr*>(&peer), &peer_length);
      r.rc < 0) {
    return unsupported("not a connected socket", r.err);
  }
  const SysResult flags = os().Fcntl(fd, F_GETFL, 0);
  if (flags.rc < 0) return unsupported("cannot read the descriptor flags", flags.err);
  if ((flags.rc & O_NONBLOCK) == 0) {
    if (const SysResult r = os().Fcntl(fd, F_SETFL, static_cast<int>(flags.rc) | O_NONBLOCK);
        r.rc < 0) {
      return unsupported("cannot make the descriptor non-blocking", r.err);
    }
  }

  bool abstract = false;
  std::string full_name = internal::AddressName(peer, peer_length, &abstract);
  std::string name = abstract ? full_name : full_name.substr(full_name.rfind('/') + 1);
  Adopt(fd, open_mode, internal::SharedName(std::move(name)),
        internal::SharedName(std::move(full_name)), abstract ? kAbstractNamespace : kNoOptions);
  return true;
}

void LocalSocket::Impl::AdoptAccepted(int fd, const internal::SharedName& server_name,
                                      const internal::SharedName& full_name, uint32_t options) {
  if (Inert()) {
    internal::OsFd unused(os(), fd);  // Closed: nobody else owns it.
    return;
  }
  Adopt(fd, kReadWrite, server_name, full_name, options);
}

void LocalSocket::Impl::Adopt(int fd, uint32_t open_mode, internal::SharedName server_name,
                              internal::SharedName full_name, uint32_t options) {
  sequencer_.BeginOperation();
  ++connection_id_;
  ResetConnectionData();
  ClearError();
  server_name_ = std::move(server_name);
  full_server_name_ = std::move(full_name);
  options_ = options;
  channel_.Open(internal::OsFd(os(), fd));
  open_mode_ = open_mode;
  sequencer_.ConnectionMade();
  connection_.Feed(ConnectionEvent::kDescriptorAdopted);  // No signal: as Qt.
  UpdateInterest();
}

// ---------------------------------------------------------------------------------------------
// Ending a connection.

void LocalSocket::Impl::DisconnectFromServer() {
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
  DrainWriteBuffer();
}

void LocalSocket::Impl::ShutdownWrite() {
  if (Inert()) return;
  if (state() != State::kConnected || !(open_mode_ & kWriteOnly) || !channel_.RequestShutdown()) {
    SetError(Error::kOperation,
             FormatError(ApiCall::kSocketShutdownWrite, "operation not permitted in this state"));
    return;
  }
  DrainWriteBuffer();
}

void LocalSocket::Impl::Abort() {
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
    channel_.DropUnsent();
    FinishDisconnect(ConnectionEvent::kAbort);
    if (!guard.Continues()) return;
  }
  if (IsOpen()) {
    if (!sequencer_.AnnounceClose(owner_.about_to_close)) return;
    CloseDevice();
  }
}

void LocalSocket::Impl::Close() {
  if (Inert()) return;
  const bool moves = connection_.Peek(ConnectionEvent::kClose).kind == CellKind::kMove;
  if (!moves && !IsOpen()) {
    if (state() == State::kUnconnected) ClearNames();  // As Qt's close().
    return;
  }
  if (moves) sequencer_.BeginOperation();  // See Abort().
  const Guard guard = sequencer_.Take();
  if ((IsOpen() || state() == State::kConnecting) &&
      !sequencer_.AnnounceClose(owner_.about_to_close)) {
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
  DrainWriteBuffer();
}

void LocalSocket::Impl::ConnectionLost(ConnectionEvent event, Error error,
                                       const std::string& error_string, bool report) {
  const internal::Cell<State> cell = connection_.Peek(event);
  if (cell.kind != CellKind::kMove) return;
  channel_.DropUnsent();    // The peer is gone: nothing buffered can be delivered.
  connection_lost_ = true;  // Nor anything a slot of this sequence writes.
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

void LocalSocket::Impl::FinishDisconnect(ConnectionEvent event) {
  const Guard guard = sequencer_.Take();
  CloseDescriptor();
  ClearNames();
  Feed(event);  // kUnconnected.
  if (!guard.Continues()) return;
  owner_.read_channel_finished.Emit();
  if (!guard.Continues()) return;
  sequencer_.EmitDisconnectedOnce(owner_.disconnected);
}

void LocalSocket::Impl::CancelConnecting(ConnectionEvent event) {
  CloseDescriptor();
  ClearNames();
  Feed(event);  // kUnconnected.
}

void LocalSocket::Impl::CloseDescriptor() {
  watcher_.reset();  // Before the fd is closed.
  CancelFlush();
  if (connector_) connector_->Cancel();
  channel_.CloseFd();
}

void LocalSocket::Impl::CloseDevice() {
  open_mode_ = kNotOpen;
  channel_.DropUnread();
}

void LocalSocket::Impl::ResetConnectionData() {
  channel_.ClearBuffers();
  connection_lost_ = false;
  peer_closed_reported_ = false;
  sequencer_.ConnectionForgotten();
  full_server_name_.clear();
}

void LocalSocket::Impl::ClearNames() {
  server_name_.clear();
  full_server_name_.clear();
}

void LocalSocket::Impl::SetError(Error error, std::string error_string) {
  error_ = error;
  if (error_string_) {
    *error_string_ = std::move(error_string);
  } else if (!error_string.empty()) {
    error_string_ = std::make_unique<std::string>(std::move(error_string));
  }
}

void LocalSocket::Impl::ClearError() {
  error_ = Error::kNone;
  if (error_string_) error_string_->clear();
}

const std::string& LocalSocket::Impl::error_string() const {
  static const auto* const empty = new std::string();
  return error_string_ ? *error_string_ : *empty;
}

void LocalSocket::Impl::EmitError(Error error, std::string error_string) {
  SetError(error, std::move(error_string));
  if (error == Error::kPeerClosed) peer_closed_reported_ = true;
  owner_.error_occurred.Emit(error);
}

}  // namespace ipc
