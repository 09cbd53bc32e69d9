#include "testing/fake_event_loop.h"

#include <signal.h>

#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"

namespace eventloop {
namespace internal {
namespace {

// RunUntilIdle iterations (or FastForwardBy rounds at one time point) after which the loop is
// considered unable to settle.
constexpr uint64_t kMaxIdleIterations = 1000000;

}  // namespace

// An FdWatcher on a FakeEventLoop. Inert once its loop is gone.
class FakeFdWatcher final : public FdWatcher {
 public:
  FakeFdWatcher(FakeEventLoop* loop, uint64_t id, int fd, uint32_t io_events,
                std::function<void(uint32_t)> on_ready)
      : loop_(loop),
        id_(id),
        fd_(fd),
        events_(io_events & (kReadable | kWritable)),
        on_ready_(std::make_shared<std::function<void(uint32_t)>>(std::move(on_ready))) {
    loop_->fd_watchers_.emplace(id_, this);
  }
  ~FakeFdWatcher() override { Detach(); }

  void SetEvents(uint32_t io_events) override {
    if (loop_ == nullptr) return;  // Inert: the loop is gone.
    loop_->DcheckOnLoopThread("FdWatcher::SetEvents");
    events_ = io_events & (kReadable | kWritable);
  }
  uint32_t events() const override {
    if (loop_ != nullptr) loop_->DcheckOnLoopThread("FdWatcher::events");
    return events_;
  }

  int fd() const { return fd_; }
  // The callback to run with the scripted readiness, or nullptr if nothing is deliverable.
  std::shared_ptr<std::function<void(uint32_t)>> Deliverable(uint32_t* ready) const {
    *ready = loop_->FdReadiness(fd_) & events_;
    return *ready != kNoEvents ? on_ready_ : nullptr;
  }
  void Detach() {
    if (loop_ != nullptr) loop_->fd_watchers_.erase(id_);
    loop_ = nullptr;
  }

 private:
  FakeEventLoop* loop_;
  const uint64_t id_;
  const int fd_;
  uint32_t events_;
  const std::shared_ptr<std::function<void(uint32_t)>> on_ready_;
};

// A SignalWatcher on a FakeEventLoop. Inert once its loop is gone.
class FakeSignalWatcher final : public SignalWatcher {
 public:
  FakeSignalWatcher(FakeEventLoop* loop, uint64_t id, int signo, std::function<void()> on_signal)
      : loop_(loop),
        id_(id),
        signo_(signo),
        on_signal_(std::make_shared<std::function<void()>>(std::move(on_signal))) {
    loop_->signal_watchers_.emplace(id_, this);
  }
  ~FakeSignalWatcher() override { Detach(); }

  int signo() const { return signo_; }
  std::shared_ptr<std::function<void()>> on_signal() const { return on_signal_; }
  void Detach() {
    if (loop_ != nullptr) loop_->signal_watchers_.erase(id_);
    loop_ = nullptr;
  }

 private:
  FakeEventLoop* loop_;
  const uint64_t id_;
  const int signo_;
  const std::shared_ptr<std::function<void()>> on_signal_;
};

}  // namespace internal

FakeEventLoop::FakeEventLoop() : LoopBase(owned_clock) {}

FakeEventLoop::~FakeEventLoop() {
  for (const auto& [id, watcher] : std::map<uint64_t, internal::FakeFdWatcher*>(fd_watchers_)) {
    watcher->Detach();
  }
  for (const auto& [id, watcher] :
       std::map<uint64_t, internal::FakeSignalWatcher*>(signal_watchers_)) {
    watcher->Detach();
  }
}

void FakeEventLoop::FastForwardBy(Duration d) {
  BindLoopToCurrentThread("FakeEventLoop::FastForwardBy");
  if (running()) {
    ADD_FAILURE() << "FakeEventLoop::FastForwardBy() called from inside a loop callback";
    return;
  }
  set_running(true);
  FakeClock& clock = fake_clock();
  const TimePoint start = clock.Now();
  const TimePoint end = d <= Duration::zero()
                            ? start
                            : (d >= TimePoint::max() - start ? TimePoint::max() : start + d);
  RunUntilIdleOrFail("FastForwardBy");
  uint64_t rounds_at_same_time = 0;
  TimePoint last = clock.Now();
  for (std::optional<TimePoint> next = NextTimerDeadline(); next && *next <= end;
       next = NextTimerDeadline()) {
    if (*next > clock.Now()) clock.Advance(*next - clock.Now());
    if (clock.Now() != last) {
      last = clock.Now();
      rounds_at_same_time = 0;
    } else if (++rounds_at_same_time > internal::kMaxIdleIterations) {
      ADD_FAILURE() << "FakeEventLoop::FastForwardBy(): timers keep re-arming at one time point";
      break;
    }
    RunUntilIdleOrFail("FastForwardBy");
  }
  if (clock.Now() < end) clock.Advance(end - clock.Now());
  RunUntilIdleOrFail("FastForwardBy");
  set_running(false);
}

void FakeEventLoop::SetFdReady(int fd, uint32_t io_events) {
  DcheckOnLoopThread("FakeEventLoop::SetFdReady");
  fd_readiness_[fd] |= io_events & (kReadable | kWritable);
}

void FakeEventLoop::ClearFdReady(int fd, uint32_t io_events) {
  DcheckOnLoopThread("FakeEventLoop::ClearFdReady");
  auto it = fd_readiness_.find(fd);
  if (it == fd_readiness_.end()) return;
  it->second &= ~io_events;
  if (it->second == kNoEvents) fd_readiness_.erase(it);
}

uint32_t FakeEventLoop::FdReadiness(int fd) const {
  DcheckOnLoopThread("FakeEventLoop::FdReadiness");
  auto it = fd_readiness_.find(fd);
  return it == fd_readiness_.end() ? kNoEvents : it->second;
}

uint32_t FakeEventLoop::WatchedEvents(int fd) const {
  DcheckOnLoopThread("FakeEventLoop::WatchedEvents");
  uint32_t events = kNoEvents;
  for (const auto& [id, watcher] : fd_watchers_) {
    if (watcher->fd() == fd) events |= watcher->events();
  }
  return events;
}

void FakeEventLoop::RaiseSignal(int signo) {
  DcheckOnLoopThread("FakeEventLoop::RaiseSignal");
  raised_signals_.push_back(signo);
}

std::unique_ptr<FdWatcher> FakeEventLoop::WatchFd(int fd, uint32_t io_events,
                                                  std::function<void(uint32_t)> on_ready) {
  DcheckOnLoopThread("EventLoop::WatchFd");
  if (fd < 0 || refused_fds_.count(fd) != 0) return nullptr;
  return std::make_unique<internal::FakeFdWatcher>(this, next_watcher_id_++, fd, io_events,
                                                   std::move(on_ready));
}

std::unique_ptr<SignalWatcher> FakeEventLoop::WatchSignal(int signo,
                                                          std::function<void()> on_signal) {
  DcheckOnLoopThread("EventLoop::WatchSignal");
  if (signo <= 0 || signo >= NSIG || signo == SIGKILL || signo == SIGSTOP) return nullptr;
  return std::make_unique<internal::FakeSignalWatcher>(this, next_watcher_id_++, signo,
                                                       std::move(on_signal));
}

void FakeEventLoop::Run() {
  BindLoopToCurrentThread("EventLoop::Run");
  if (running()) return;
  if (TakeQuitRequest()) return;
  set_running(true);
  // Iterations as LibeventLoop::Run() runs them, so a Quit() ends Run() after the iteration it
  // came in (work it leaves behind waits, as on the real loop). When idle, time jumps to the
  // next deadline instead of blocking.
  uint64_t rounds_at_same_time = 0;
  TimePoint last = Now();
  for (;;) {
    const bool ran = RunNonBlockingIteration();
    if (TakeQuitRequest()) break;
    if (Now() != last) {
      last = Now();
      rounds_at_same_time = 0;
    } else if (++rounds_at_same_time > internal::kMaxIdleIterations) {
      ADD_FAILURE() << "FakeEventLoop::Run(): the loop never became idle and no Quit() came "
                       "(callbacks keep posting work or fd callbacks keep running)";
      break;
    }
    if (ran || HasPendingTasks()) continue;
    if (const std::optional<TimePoint> next = NextTimerDeadline()) {
      if (*next > Now()) fake_clock().Advance(*next - Now());
      continue;
    }
    if (HasDeliverableIo() || !raised_signals_.empty()) continue;
    ADD_FAILURE() << "FakeEventLoop::Run(): nothing left that could ever run, and no Quit()";
    break;
  }
  set_running(false);
}

void FakeEventLoop::RunUntilIdle() {
  BindLoopToCurrentThread("EventLoop::RunUntilIdle");
  if (running()) return;
  set_running(true);
  RunUntilIdleOrFail("RunUntilIdle");
  set_running(false);
}

void FakeEventLoop::WaitForIo(bool /*block*/, std::optional<TimePoint> /*wake_up*/) {
  // Signals raised before this step; ones raised by the callbacks below wait for the next
  // iteration, as a real signal arriving after the poll does.
  std::vector<int> signals;  // Not a deque: constructing one allocates.
  if (!raised_signals_.empty()) {
    signals.assign(raised_signals_.begin(), raised_signals_.end());
    raised_signals_.clear();
  }
  // Watchers created or destroyed by a callback: later ones are looked up again by id. The
  // list reuses the capacity of the previous call's (loops run this often).
  std::vector<uint64_t> ids = std::move(watcher_ids_);
  ids.clear();
  for (const auto& [id, watcher] : fd_watchers_) ids.push_back(id);
  for (uint64_t id : ids) {
    auto it = fd_watchers_.find(id);
    if (it == fd_watchers_.end()) continue;
    uint32_t ready = kNoEvents;
    if (auto on_ready = it->second->Deliverable(&ready)) (*on_ready)(ready);
  }
  watcher_ids_ = std::move(ids);
  for (int signo : signals) {
    std::vector<uint64_t> signal_ids;
    for (const auto& [id, watcher] : signal_watchers_) {
      if (watcher->signo() == signo) signal_ids.push_back(id);
    }
    for (uint64_t id : signal_ids) {
      auto it = signal_watchers_.find(id);
      if (it == signal_watchers_.end()) continue;
      if (auto on_signal = it->second->on_signal(); *on_signal) (*on_signal)();
    }
  }
}

void FakeEventLoop::RunUntilIdleOrFail(const char* caller) {
  for (uint64_t rounds = 0;; ++rounds) {
    if (!RunUntilIdleIterations(internal::kMaxIdleIterations)) {
      ADD_FAILURE() << "FakeEventLoop::" << caller
                    << "(): the loop never became idle (callbacks keep posting work)";
      return;
    }
    if (!settles_fd_readiness_ || !HasDeliverableIo()) return;
    if (rounds >= internal::kMaxIdleIterations) {
      std::string ready;
      for (const auto& [id, watcher] : fd_watchers_) {
        uint32_t events = kNoEvents;
        if (!watcher->Deliverable(&events)) continue;
        std::ostringstream entry;
        entry << " " << watcher->fd() << ":" << static_cast<IoEvents>(events);
        ready += entry.str();
      }
      ADD_FAILURE() << "FakeEventLoop::" << caller
                    << "(): the loop never became idle (fd watchers keep finding their fd ready:"
                    << ready << ")";
      return;
    }
  }
}

bool FakeEventLoop::HasDeliverableIo() const {
  for (const auto& [id, watcher] : fd_watchers_) {
    uint32_t ready = kNoEvents;
    if (watcher->Deliverable(&ready)) return true;
  }
  return false;
}

}  // namespace eventloop
