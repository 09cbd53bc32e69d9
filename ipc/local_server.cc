// LocalServer: listening, accepting, the pending queue, the wait, and closing. The listen
// recipe (which system calls create the socket for each option set) is in local_server_bind.cc.
#include "ipc/local_server.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <utility>

#include "ipc/local_server_bind.h"
#include "ipc/os_fd.h"
#include "ipc/server_name.h"
#include "ipc/socket_errors.h"
#include "ipc/unix_socket_check.h"
#include "ipc/wait_deadline.h"

namespace ipc {
namespace {

using Error = LocalSocket::Error;
using internal::ErrorCause;
using internal::FormatError;

using internal::ApiCall;

constexpr uint32_t kAllOptions = LocalServer::kWorldAccess | LocalServer::kAbstractNamespace;
// After an accept failure (EMFILE...), accepting is retried after this long, doubling up to
// kMaxAcceptBackoff while it keeps failing.
constexpr eventloop::Duration kInitialAcceptBackoff = std::chrono::milliseconds(10);
constexpr eventloop::Duration kMaxAcceptBackoff = std::chrono::seconds(1);
// One readiness event accepts at most this many connections (fairness; level-triggered, so the
// rest follows on the next iteration).
constexpr int kMaxAcceptsPerWakeUp = 256;

}  // namespace

LocalServer::LocalServer(eventloop::EventLoop& loop, OsCalls& os)
    : loop_(loop),
      loop_link_(loop),
      os_(os),
      retry_backoff_(kInitialAcceptBackoff),
      retry_timer_(loop.CreateTimer([this] { OnRetryTimer(); })) {}

LocalServer::~LocalServer() { Close(); }

// ---------------------------------------------------------------------------------------------
// Accessors and settings.

bool LocalServer::IsListening() const { return listening_.is_open(); }
std::string LocalServer::server_name() const { return server_name_; }
std::string LocalServer::full_server_name() const { return full_server_name_; }
LocalSocket::Error LocalServer::server_error() const { return error_; }
std::string LocalServer::error_string() const { return error_string_; }

void LocalServer::SetSocketOptions(uint32_t options) {
  if ((options & ~kAllOptions) == 0) options_ = options;
}
uint32_t LocalServer::socket_options() const { return options_; }

void LocalServer::SetMaxPendingConnections(int n) {
  if (n < 0) return;
  max_pending_ = n;
  UpdateInterest();
}
int LocalServer::max_pending_connections() const { return max_pending_; }

void LocalServer::SetListenBacklogSize(int n) {
  if (n >= 0) backlog_ = n;
}
int LocalServer::listen_backlog_size() const { return backlog_; }

int LocalServer::socket_descriptor() const { return listening_.fd(); }
bool LocalServer::HasPendingConnections() const { return !pending_.empty(); }

void LocalServer::SetError(Error error, std::string error_string) {
  error_ = error;
  error_string_ = std::move(error_string);
}

void LocalServer::ClearError() {
  error_ = Error::kNone;
  error_string_.clear();
}

// ---------------------------------------------------------------------------------------------
// Listening.

bool LocalServer::Listen(std::string_view name) {
  if (Inert()) return false;
  if (IsListening()) {
    SetError(Error::kOperation, FormatError(ApiCall::kServerListen, "already listening"));
    return false;
  }
  const bool abstract = (options_ & kAbstractNamespace) != 0;
  internal::ResolvedName resolved;
  if (const internal::NameError name_error = internal::ResolveServerName(name, abstract, &resolved);
      name_error != internal::NameError::kNone) {
    SetError(
        Error::kServerNotFound,
        FormatError(ApiCall::kServerListen, std::string(ErrorCause(Error::kServerNotFound)) + " (" +
                                                internal::NameErrorText(name_error) + ")"));
    return false;
  }
  // Abstract overrides the access bits, as Qt on Linux.
  internal::ListenOutcome created = internal::CreateServerSocket(
      os_, resolved, abstract, abstract ? 0 : internal::AccessMode(options_), backlog_);
  if (!created.socket.is_open()) {
    SetError(created.error, created.error_string);
    return false;
  }
  // On failure `created.socket` closes: the file it created is unlinked, then the fd closed.
  if (!StartListening(created.socket.fd(), std::string(name), resolved.full_name, abstract)) {
    return false;
  }
  listening_ = std::move(created.socket);
  return true;
}

bool LocalServer::Listen(int socket_descriptor) {
  if (Inert()) return false;
  const int fd = socket_descriptor;
  if (IsListening()) {
    SetError(Error::kOperation, FormatError(ApiCall::kServerListen, "already listening"));
    return false;
  }
  const auto unsupported = [this](const char* cause, int err) {
    SetError(Error::kUnsupportedSocketOperation, FormatError(ApiCall::kServerListen, cause, err));
    return false;
  };
  if (const internal::FdRejection rejection = internal::CheckUnixStreamSocket(os_, fd)) {
    return unsupported(rejection.cause, rejection.err);
  }
  const auto int_option = [this, fd](int name, int* value) {
    socklen_t length = sizeof(*value);
    return os_.GetSockOpt(fd, SOL_SOCKET, name, value, &length);
  };
  int value = 0;
  if (const SysResult r = int_option(SO_ACCEPTCONN, &value); r.rc < 0 || value != 1) {
    return unsupported("not a listening socket", r.err);
  }
  sockaddr_un address{};
  socklen_t address_length = sizeof(address);
  if (const SysResult r =
          os_.GetSockName(fd, reinterpret_cast<sockaddr*>(&address), &address_length);
      r.rc < 0) {
    return unsupported("cannot read the socket address", r.err);
  }
  const SysResult status_flags = os_.Fcntl(fd, F_GETFL, 0);
  if (status_flags.rc < 0) return unsupported("cannot read the descriptor flags", status_flags.err);
  const SysResult fd_flags = os_.Fcntl(fd, F_GETFD, 0);
  if (fd_flags.rc < 0) return unsupported("cannot read the descriptor flags", fd_flags.err);
  const int old_status_flags = static_cast<int>(status_flags.rc);
  const int old_fd_flags = static_cast<int>(fd_flags.rc);
  // A rejected fd is left as it was: undo the flag changes on a later failure.
  bool status_changed = false;
  bool fd_flags_changed = false;
  const auto restore_flags = [&] {
    if (status_changed) os_.Fcntl(fd, F_SETFL, old_status_flags);
    if (fd_flags_changed) os_.Fcntl(fd, F_SETFD, old_fd_flags);
  };
  if ((old_status_flags & O_NONBLOCK) == 0) {
    if (const SysResult r = os_.Fcntl(fd, F_SETFL, old_status_flags | O_NONBLOCK); r.rc < 0) {
      return unsupported("cannot make the descriptor non-blocking", r.err);
    }
    status_changed = true;
  }
  if ((old_fd_flags & FD_CLOEXEC) == 0) {
    if (const SysResult r = os_.Fcntl(fd, F_SETFD, old_fd_flags | FD_CLOEXEC); r.rc < 0) {
      restore_flags();
      return unsupported("cannot make the descriptor close-on-exec", r.err);
    }
    fd_flags_changed = true;
  }

  bool abstract = false;
  std::string full_name = internal::AddressName(address, address_length, &abstract);
  std::string name = abstract ? full_name : full_name.substr(full_name.rfind('/') + 1);
  if (!StartListening(fd, std::move(name), std::move(full_name), abstract)) {
    restore_flags();
    return false;
  }
  // The server owns the fd from here, but never the path: it did not create the file.
  listening_ = internal::ListeningSocket(os_, internal::OsFd(os_, fd));
  options_ = abstract ? (options_ | kAbstractNamespace) : (options_ & ~kAbstractNamespace);
  return true;
}

bool LocalServer::StartListening(int fd, std::string server_name, std::string full_name,
                                 bool abstract) {
  std::unique_ptr<eventloop::FdWatcher> watcher =
      loop_.WatchFd(fd, eventloop::kNoEvents, [this](uint32_t /*ready*/) { OnReadable(); });
  if (!watcher) {
    SetError(Error::kUnknown, FormatError(ApiCall::kServerListen,
                                          "the event loop cannot watch the listening socket"));
    return false;
  }
  watcher_ = std::move(watcher);
  server_name_ = std::move(server_name);
  full_server_name_ = std::move(full_name);
  abstract_ = abstract;
  accept_paused_ = false;
  retry_backoff_ = kInitialAcceptBackoff;
  ClearError();  // A successful Listen clears the error (README: "Differences from Qt").
  UpdateInterest();
  return true;
}

void LocalServer::Close() {
  if (!listening_.is_open()) return;
  ++generation_;
  watcher_.reset();  // Before the fd is closed.
  retry_timer_->Stop();
  accept_paused_ = false;
  retry_backoff_ = kInitialAcceptBackoff;
  // Pending sockets close their fds (their peers see the connection end); they emit nothing.
  std::deque<std::unique_ptr<LocalSocket>> doomed;
  doomed.swap(pending_);
  doomed.clear();
  listening_.Close();  // Removes the socket file if it is still ours, then closes the fd.
  server_name_.clear();
  full_server_name_.clear();
  abstract_ = false;
  ClearError();  // As Qt's close().
}

bool LocalServer::RemoveServer(std::string_view name) {
  internal::ResolvedName resolved;
  if (internal::ResolveServerName(name, /*abstract=*/false, &resolved) !=
      internal::NameError::kNone) {
    return false;
  }
  OsCalls& os = RealOsCalls();
  struct stat st {};
  if (const SysResult r = os.Lstat(resolved.full_name.c_str(), &st); r.rc < 0) {
    return r.err == ENOENT || r.err == ENOTDIR;  // Nothing there.
  }
  if (!S_ISSOCK(st.st_mode)) return false;
  const SysResult r = os.Unlink(resolved.full_name.c_str());
  return r.rc == 0 || r.err == ENOENT;
}

// ---------------------------------------------------------------------------------------------
// Accepting.

void LocalServer::UpdateInterest() {
  if (!watcher_) return;
  const bool accepting =
      !accept_paused_ && static_cast<int64_t>(pending_.size()) < static_cast<int64_t>(max_pending_);
  const uint32_t events = accepting ? eventloop::kReadable : eventloop::kNoEvents;
  if (watcher_->events() != events) watcher_->SetEvents(events);
}

void LocalServer::OnReadable() { AcceptLoop(); }

void LocalServer::OnRetryTimer() {
  accept_paused_ = false;
  AcceptLoop();
}

void LocalServer::AcceptLoop() {
  const internal::LifeFlag::Watch life = life_.watch();
  const uint64_t generation = generation_;
  for (int i = 0; i < kMaxAcceptsPerWakeUp; ++i) {
    if (!listening_.is_open() || accept_paused_ ||
        static_cast<int64_t>(pending_.size()) >= static_cast<int64_t>(max_pending_)) {
      break;
    }
    const AcceptOutcome outcome = AcceptOne(ApiCall::kServerAccept);
    if (outcome == AcceptOutcome::kNoneReady) break;
    if (outcome == AcceptOutcome::kSkipped) continue;
    if (outcome == AcceptOutcome::kFailed) {
      if (!EmitError()) return;
      if (generation_ != generation) return;
      break;
    }
    new_connection.Emit();
    if (!life.alive() || generation_ != generation) return;
  }
  UpdateInterest();
}

LocalServer::AcceptOutcome LocalServer::AcceptOne(internal::ApiCall call) {
  const SysResult accepted =
      os_.Accept4(listening_.fd(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (accepted.rc < 0) {
    switch (accepted.err) {
      case EAGAIN:
#if EWOULDBLOCK != EAGAIN
      case EWOULDBLOCK:
#endif
        // Nothing to accept, so nothing is failing either.
        retry_backoff_ = kInitialAcceptBackoff;
        return AcceptOutcome::kNoneReady;
      case ECONNABORTED:  // The client went away before we accepted it.
      case EPROTO:
      case EINTR:
        return AcceptOutcome::kSkipped;
      default: {
        const Error error = internal::ErrorFromAcceptErrno(accepted.err);
        SetError(error, FormatError(call, ErrorCause(error), accepted.err));
        // Keep listening: pause, and retry on a backoff timer (no busy loop).
        accept_paused_ = true;
        retry_timer_->Start(retry_backoff_);
        retry_backoff_ = std::min(retry_backoff_ * 2, kMaxAcceptBackoff);
        UpdateInterest();
        return AcceptOutcome::kFailed;
      }
    }
  }
  // Accepting works again: no retry pending.
  retry_backoff_ = kInitialAcceptBackoff;
  if (accept_paused_) {
    accept_paused_ = false;
    retry_timer_->Stop();
  }
  internal::OsFd fd(os_, static_cast<int>(accepted.rc));
  auto socket = std::make_unique<LocalSocket>(loop_, os_);
  if (!socket->SetSocketDescriptor(fd.get())) return AcceptOutcome::kSkipped;  // `fd` closes.
  fd.release();  // The socket owns it now.
  socket->SetAcceptedNames(server_name_, full_server_name_,
                           abstract_ ? LocalSocket::kAbstractNamespace : LocalSocket::kNoOptions);
  pending_.push_back(std::move(socket));
  UpdateInterest();  // The queue grew, and a pause after a failure may have ended.
  return AcceptOutcome::kAccepted;
}

bool LocalServer::EmitError() {
  const internal::LifeFlag::Watch life = life_.watch();
  error_occurred.Emit(error_);
  return life.alive();
}

std::unique_ptr<LocalSocket> LocalServer::NextPendingConnection() {
  if (pending_.empty()) return nullptr;
  std::unique_ptr<LocalSocket> socket = std::move(pending_.front());
  pending_.pop_front();
  UpdateInterest();
  return socket;
}

bool LocalServer::WaitForNewConnection(int msecs, bool* timed_out) {
  if (Inert()) return false;
  if (timed_out != nullptr) *timed_out = false;
  if (!listening_.is_open()) return false;
  const internal::LifeFlag::Watch life = life_.watch();
  const internal::WaitDeadline deadline(loop_, msecs);
  for (;;) {
    const int timeout_ms = deadline.PollTimeoutMs();
    pollfd entry{};
    entry.fd = listening_.fd();
    entry.events = POLLIN;
    const SysResult polled = os_.Poll(&entry, 1, timeout_ms);
    if (polled.rc < 0) {
      const Error error = internal::ErrorFromAcceptErrno(polled.err);
      SetError(error,
               FormatError(ApiCall::kServerWaitForNewConnection, ErrorCause(error), polled.err));
      return false;  // Still listening (Qt closes the server here).
    }
    if (polled.rc > 0 && entry.revents != 0) {
      // An explicit request: one connection even when the queue is full (as Qt).
      switch (AcceptOne(ApiCall::kServerWaitForNewConnection)) {
        case AcceptOutcome::kAccepted:
          new_connection.Emit();
          if (!life.alive()) return true;
          return HasPendingConnections();
        case AcceptOutcome::kFailed:
          EmitError();
          return false;
        case AcceptOutcome::kNoneReady:
        case AcceptOutcome::kSkipped:
          break;  // The client went away: keep waiting.
      }
    }
    if (deadline.Expired()) {
      if (timed_out != nullptr) *timed_out = true;
      return false;
    }
  }
}

}  // namespace ipc
