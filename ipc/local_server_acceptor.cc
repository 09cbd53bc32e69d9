#include "ipc/local_server_acceptor.h"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <utility>

namespace ipc {
namespace internal {
namespace {

constexpr eventloop::Duration kInitialBackoff = std::chrono::milliseconds(10);
constexpr eventloop::Duration kMaxBackoff = std::chrono::seconds(1);

}  // namespace

ServerAcceptor::ServerAcceptor(eventloop::EventLoop& loop, OsCalls& os,
                               std::function<void()> on_ready)
    : loop_(loop),
      os_(os),
      on_ready_(std::move(on_ready)),
      backoff_(kInitialBackoff),
      retry_timer_(loop.CreateTimer([this] { OnRetryTimer(); })) {}

bool ServerAcceptor::Start(int fd) {
  std::unique_ptr<eventloop::FdWatcher> watcher =
      loop_.WatchFd(fd, eventloop::kNoEvents, [this](uint32_t /*ready*/) { on_ready_(); });
  if (!watcher) return false;
  fd_ = fd;
  watcher_ = std::move(watcher);
  paused_ = false;
  backoff_ = kInitialBackoff;
  return true;
}

void ServerAcceptor::Stop() {
  if (fd_ < 0) return;
  watcher_.reset();
  fd_ = -1;
  retry_timer_->Stop();
  paused_ = false;
  backoff_ = kInitialBackoff;
  // The queued sockets emit nothing when destroyed; the queue is empty meanwhile.
  std::deque<std::unique_ptr<LocalSocket>> doomed;
  doomed.swap(pending_);
  doomed.clear();
}

ServerAcceptor::Result ServerAcceptor::Accept() {
  Result result;
  const SysResult accepted = os_.Accept4(fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (accepted.rc < 0) {
    switch (accepted.err) {
      case EAGAIN:
#if EWOULDBLOCK != EAGAIN
      case EWOULDBLOCK:
#endif
        // Nothing to accept, so nothing is failing either.
        backoff_ = kInitialBackoff;
        result.outcome = Outcome::kNoneReady;
        return result;
      case ECONNABORTED:  // The client went away before we accepted it.
      case EPROTO:
      case EINTR:
        result.outcome = Outcome::kSkipped;
        return result;
      case EMFILE:
      case ENFILE:
      case ENOBUFS:
      case ENOMEM:
        // Linux fails these before it looks at the backlog, so they also come when no
        // client waits (the last accept of a burst, at the fd limit): then nothing failed.
        if (!ConnectionWaiting()) {
          backoff_ = kInitialBackoff;
          result.outcome = Outcome::kNoneReady;
          return result;
        }
        [[fallthrough]];
      default:
        Pause();  // Keep listening, but no busy loop.
        result.outcome = Outcome::kFailed;
        result.err = accepted.err;
        return result;
    }
  }
  // Accepting works again: no retry pending.
  backoff_ = kInitialBackoff;
  if (paused_) {
    paused_ = false;
    retry_timer_->Stop();
    UpdateInterest();
  }
  result.outcome = Outcome::kAccepted;
  result.fd = OsFd(os_, static_cast<int>(accepted.rc));
  return result;
}

bool ServerAcceptor::CanAccept() const {
  return fd_ >= 0 && !paused_ &&
         static_cast<int64_t>(pending_.size()) < static_cast<int64_t>(max_pending_);
}

void ServerAcceptor::UpdateInterest() {
  if (!watcher_) return;
  const uint32_t events = CanAccept() ? eventloop::kReadable : eventloop::kNoEvents;
  if (watcher_->events() != events) watcher_->SetEvents(events);
}

void ServerAcceptor::Enqueue(std::unique_ptr<LocalSocket> socket) {
  pending_.push_back(std::move(socket));
  UpdateInterest();
}

std::unique_ptr<LocalSocket> ServerAcceptor::Dequeue() {
  if (pending_.empty()) return nullptr;
  std::unique_ptr<LocalSocket> socket = std::move(pending_.front());
  pending_.pop_front();
  UpdateInterest();
  return socket;
}

void ServerAcceptor::SetMaxPending(int n) {
  max_pending_ = n;
  UpdateInterest();
}

bool ServerAcceptor::ConnectionWaiting() {
  pollfd entry{fd_, POLLIN, 0};
  const SysResult polled = os_.Poll(&entry, 1, 0);
  // When poll itself fails, the accept error stands.
  return polled.rc != 0 && (polled.rc < 0 || (entry.revents & POLLIN) != 0);
}

void ServerAcceptor::Pause() {
  paused_ = true;
  retry_timer_->Start(backoff_);
  backoff_ = std::min(backoff_ * 2, kMaxBackoff);
  UpdateInterest();
}

void ServerAcceptor::OnRetryTimer() {
  paused_ = false;
  on_ready_();
}

}  // namespace internal
}  // namespace ipc
