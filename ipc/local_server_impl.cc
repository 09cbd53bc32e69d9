// LocalServer::Impl: listening, closing, the accept loop and the wait.
#include "ipc/local_server_impl.h"

#include <poll.h>

#include <utility>

#include "ipc/inherited_sockets.h"
#include "ipc/local_server_adopt.h"
#include "ipc/local_server_bind.h"
#include "ipc/os_fd.h"
#include "ipc/server_name.h"
#include "ipc/unix_socket_check.h"
#include "ipc/wait_deadline.h"

namespace ipc {
namespace {

using internal::ErrorCause;
using internal::FormatError;

// One readiness event accepts at most this many connections (fairness; level-triggered, so the
// rest follows on the next iteration).
constexpr int kMaxAcceptsPerWakeUp = 256;

}  // namespace

LocalServer::Impl::Impl(LocalServer& owner, eventloop::EventLoop& loop, OsCalls& os)
    : acceptor_(loop, os, [this] { AcceptLoop(); }),
      owner_(owner),
      loop_(loop),
      os_(os),
      loop_link_(loop) {
  LOCALSOCKET_FOLLOW_THREAD_BINDING(thread_binding_, loop.thread_binding());
  LOCALSOCKET_SIGNALS_FOLLOW_THREAD_BINDING(thread_binding_, owner.new_connection,
                                            owner.error_occurred);
}

LocalServer::Impl::~Impl() { Close(); }

void LocalServer::Impl::SetError(Error error, std::string error_string) {
  error_ = error;
  error_string_ = std::move(error_string);
}

void LocalServer::Impl::ClearError() {
  error_ = Error::kNone;
  error_string_.clear();
}

// ---------------------------------------------------------------------------------------------
// Listening.

bool LocalServer::Impl::Listen(std::string_view name) {
  if (Inert() || RefuseWhileListening(ApiCall::kServerListen)) return false;
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
  if (!StartAccepting(created.socket.fd(), ApiCall::kServerListen)) return false;
  listening_ = std::move(created.socket);
  Listening(std::string(name), resolved.full_name, abstract);
  return true;
}

bool LocalServer::Impl::Listen(int fd) {
  if (Inert() || RefuseWhileListening(ApiCall::kServerListen)) return false;
  return AdoptListeningSocket(fd, ApiCall::kServerListen);
}

bool LocalServer::Impl::ListenInherited(std::string_view name) {
  constexpr ApiCall kCall = ApiCall::kServerListenInherited;
  if (Inert() || RefuseWhileListening(kCall)) return false;
  internal::InheritedSockets& inherited = internal::InheritedSockets::ForThisProcess();
  const internal::InheritedSockets::Claimed claimed = inherited.Claim(name);
  if (claimed.fd < 0) {
    SetError(Error::kServerNotFound, FormatError(kCall, claimed.refusal));
    return false;
  }
  if (AdoptListeningSocket(claimed.fd, kCall)) return true;
  inherited.Unclaim(claimed.fd);  // Refused: another call may still take it.
  return false;
}

bool LocalServer::Impl::AdoptListeningSocket(int fd, ApiCall call) {
  internal::ListenerAdoption adoption = internal::ListenerAdoption::Prepare(os_, fd);
  if (const internal::FdRejection& rejection = adoption.rejection()) {
    SetError(Error::kUnsupportedSocketOperation, FormatError(call, rejection.cause, rejection.err));
    return false;
  }
  if (!StartAccepting(fd, call)) {
    adoption.RestoreFlags();  // A refused fd is left as it was.
    return false;
  }
  // The server owns the fd from here, but never the path: it did not create the file.
  listening_ = internal::ListeningSocket(os_, internal::OsFd(os_, fd));
  const std::string& full_name = adoption.full_name();
  const bool abstract = adoption.abstract();
  Listening(abstract ? full_name : full_name.substr(full_name.rfind('/') + 1), full_name, abstract);
  options_ = abstract ? (options_ | kAbstractNamespace) : (options_ & ~kAbstractNamespace);
  return true;
}

bool LocalServer::Impl::RefuseWhileListening(ApiCall call) {
  if (!IsListening()) return false;
  SetError(Error::kOperation, FormatError(call, "already listening"));
  return true;
}

bool LocalServer::Impl::StartAccepting(int fd, ApiCall call) {
  if (acceptor_.Start(fd)) return true;
  SetError(Error::kUnknown, FormatError(call, "the event loop cannot watch the listening socket"));
  return false;
}

void LocalServer::Impl::Listening(std::string server_name, std::string full_name, bool abstract) {
  // Shared with every socket accepted from now on.
  server_name_ = internal::SharedName(std::move(server_name));
  full_server_name_ = internal::SharedName(std::move(full_name));
  abstract_ = abstract;
  ClearError();  // A successful Listen clears the error (README: "Differences from Qt").
  acceptor_.UpdateInterest();
}

void LocalServer::Impl::Close() {
  if (!IsListening()) return;
  ++generation_;
  acceptor_.Stop();    // Stops watching the fd and destroys the pending sockets.
  listening_.Close();  // Removes the socket file if it is still ours, then closes the fd.
  server_name_.clear();
  full_server_name_.clear();
  abstract_ = false;
  ClearError();  // As Qt's close().
}

// ---------------------------------------------------------------------------------------------
// Accepting.

void LocalServer::Impl::AcceptLoop() {
  const internal::LifeFlag::Watch life = life_.watch();
  const uint64_t generation = generation_;
  for (int i = 0; i < kMaxAcceptsPerWakeUp && acceptor_.CanAccept(); ++i) {
    const AcceptOutcome outcome = AcceptOne(ApiCall::kServerAccept);
    if (!life.alive() || generation_ != generation) return;  // A peer filter closed the server.
    if (outcome == AcceptOutcome::kNoneReady) break;
    if (outcome == AcceptOutcome::kSkipped) continue;
    if (outcome == AcceptOutcome::kFailed) {
      if (!EmitError() || generation_ != generation) return;
      break;
    }
    owner_.new_connection.Emit();
    if (!life.alive() || generation_ != generation) return;
  }
  acceptor_.UpdateInterest();
}

LocalServer::Impl::AcceptOutcome LocalServer::Impl::AcceptOne(ApiCall call) {
  internal::ServerAcceptor::Result accepted = acceptor_.Accept();
  if (accepted.outcome == AcceptOutcome::kFailed) {
    const Error error = internal::ErrorFromAcceptErrno(accepted.err);
    SetError(error, FormatError(call, ErrorCause(error), accepted.err));
  }
  if (accepted.outcome != AcceptOutcome::kAccepted) return accepted.outcome;
  if (peer_filter_) {
    const internal::LifeFlag::Watch life = life_.watch();
    const uint64_t generation = generation_;
    // A rejected connection closes with `accepted.fd`, also when the filter destroyed the
    // server (the caller then touches nothing).
    if (!PeerFilterAdmits(accepted.fd.get()) || !life.alive() || generation_ != generation) {
      return AcceptOutcome::kSkipped;
    }
  }
  auto socket = std::make_unique<LocalSocket>(loop_, os_);
  socket->AdoptAccepted(accepted.fd.release(), server_name_, full_server_name_,
                        abstract_ ? LocalSocket::kAbstractNamespace : LocalSocket::kNoOptions);
  acceptor_.Enqueue(std::move(socket));
  return AcceptOutcome::kAccepted;
}

bool LocalServer::Impl::PeerFilterAdmits(int fd) {
  const std::optional<PeerCredentials> peer = internal::PeerCredentialsOf(os_, fd);
  if (!peer) return false;
  const auto filter = peer_filter_;  // Alive until the call returns.
  return (*filter)(*peer);
}

void LocalServer::Impl::SetPeerFilter(std::function<bool(const PeerCredentials&)> filter) {
  peer_filter_ =
      filter
          ? std::make_shared<const std::function<bool(const PeerCredentials&)>>(std::move(filter))
          : nullptr;
}

bool LocalServer::Impl::EmitError() {
  const internal::LifeFlag::Watch life = life_.watch();
  owner_.error_occurred.Emit(error_);
  return life.alive();
}

bool LocalServer::Impl::WaitForNewConnection(int msecs, bool* timed_out) {
  if (Inert()) return false;
  if (timed_out != nullptr) *timed_out = false;
  if (!IsListening()) return false;
  const internal::LifeFlag::Watch life = life_.watch();
  const uint64_t generation = generation_;
  const internal::WaitDeadline deadline(loop_, msecs);
  for (;;) {
    pollfd entry{};
    entry.fd = listening_.fd();
    entry.events = POLLIN;
    const SysResult polled = os_.Poll(&entry, 1, deadline.PollTimeoutMs());
    if (polled.rc < 0) {
      const Error error = internal::ErrorFromAcceptErrno(polled.err);
      SetError(error,
               FormatError(ApiCall::kServerWaitForNewConnection, ErrorCause(error), polled.err));
      return false;  // Still listening (Qt closes the server here).
    }
    if (polled.rc > 0 && entry.revents != 0) {
      // An explicit request: one connection even when the queue is full (as Qt).
      const AcceptOutcome outcome = AcceptOne(ApiCall::kServerWaitForNewConnection);
      if (!life.alive() || generation_ != generation) return false;  // A filter closed it.
      switch (outcome) {
        case AcceptOutcome::kAccepted:
          owner_.new_connection.Emit();
          if (!life.alive()) return true;
          return acceptor_.HasPending();
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
