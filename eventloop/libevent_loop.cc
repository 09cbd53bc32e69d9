#include "eventloop/libevent_loop.h"

#include <event2/event.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

namespace eventloop {
namespace internal {
namespace {

// libevent delivers POSIX signals to one event_base at a time: the loop that holds signal
// watchers owns them until its last signal watcher is gone.
std::mutex& SignalOwnerMutex() {
  static auto* const mutex = new std::mutex();
  return *mutex;
}
const LibeventLoop* signal_owner = nullptr;  // Guarded by SignalOwnerMutex().

int16_t LibeventFlags(uint32_t io_events) {  // libevent's flags type (short).
  int16_t flags = EV_PERSIST;
  if (io_events & kReadable) flags |= EV_READ;
  if (io_events & kWritable) flags |= EV_WRITE;
  return flags;
}

bool IsValidSignal(int signo) {
  return signo > 0 && signo < NSIG && signo != SIGKILL && signo != SIGSTOP;
}

// True for fds epoll can watch: open, and not a regular file or a directory.
bool IsPollableFd(int fd) {
  struct stat st;
  if (fstat(fd, &st) != 0) return false;
  return !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode);
}

}  // namespace

// An FdWatcher backed by a persistent libevent event. Inert once its loop is gone.
class LibeventFdWatcher final : public FdWatcher {
 public:
  LibeventFdWatcher(LibeventLoop* loop, int fd, uint32_t io_events,
                    std::function<void(uint32_t)> on_ready)
      : loop_(loop),
        fd_(fd),
        events_(io_events & (kReadable | kWritable)),
        on_ready_(std::make_shared<std::function<void(uint32_t)>>(std::move(on_ready))) {}
  ~LibeventFdWatcher() override { Detach(); }

  // Creates the libevent event. False if libevent or the kernel refused it.
  bool Init() {
    event_ = event_new(loop_->base_, fd_, LibeventFlags(events_), &OnReady, this);
    if (event_ == nullptr) return false;
    if (events_ != kNoEvents && event_add(event_, nullptr) != 0) return false;
    loop_->fd_watchers_.insert(this);
    return true;
  }

  void SetEvents(uint32_t io_events) override {
    if (loop_ == nullptr) return;
    loop_->DcheckOnLoopThread("FdWatcher::SetEvents");
    io_events &= kReadable | kWritable;
    if (io_events == events_) return;
    events_ = io_events;
    event_del(event_);
    event_assign(event_, loop_->base_, fd_, LibeventFlags(events_), &OnReady, this);
    if (events_ != kNoEvents) event_add(event_, nullptr);
  }
  uint32_t events() const override {
    if (loop_ != nullptr) loop_->DcheckOnLoopThread("FdWatcher::events");
    return events_;
  }

  // Frees the libevent event and unregisters; afterwards the handle is inert.
  void Detach() {
    if (event_ != nullptr) event_free(event_);
    event_ = nullptr;
    if (loop_ != nullptr) loop_->fd_watchers_.erase(this);
    loop_ = nullptr;
  }

 private:
  static void OnReady(int /*fd*/, int16_t what, void* arg) {
    auto* self = static_cast<LibeventFdWatcher*>(arg);
    uint32_t ready = kNoEvents;
    if (what & EV_READ) ready |= kReadable;
    if (what & EV_WRITE) ready |= kWritable;
    ready &= self->events_;
    if (ready == kNoEvents) return;
    // The copy keeps the callable alive if the callback destroys this watcher.
    const std::shared_ptr<std::function<void(uint32_t)>> on_ready = self->on_ready_;
    if (*on_ready) (*on_ready)(ready);
  }

  LibeventLoop* loop_;
  const int fd_;
  uint32_t events_;
  event* event_ = nullptr;
  const std::shared_ptr<std::function<void(uint32_t)>> on_ready_;
};

// A SignalWatcher backed by a libevent signal event. Inert once its loop is gone.
class LibeventSignalWatcher final : public SignalWatcher {
 public:
  LibeventSignalWatcher(LibeventLoop* loop, std::function<void()> on_signal)
      : loop_(loop), on_signal_(std::make_shared<std::function<void()>>(std::move(on_signal))) {
    loop_->signal_watchers_.insert(this);
  }
  ~LibeventSignalWatcher() override { Detach(); }

  // Creates and adds the libevent event. False if libevent refused it.
  bool Init(int signo) {
    event_ = evsignal_new(loop_->base_, signo, &OnSignal, this);
    return event_ != nullptr && event_add(event_, nullptr) == 0;
  }

  void Detach() {
    if (event_ != nullptr) event_free(event_);
    event_ = nullptr;
    if (loop_ == nullptr) return;
    loop_->signal_watchers_.erase(this);
    if (loop_->signal_watchers_.empty()) loop_->ReleaseSignalOwnership();
    loop_ = nullptr;
  }

 private:
  static void OnSignal(int /*signo*/, int16_t /*what*/, void* arg) {
    const std::shared_ptr<std::function<void()>> on_signal =
        static_cast<LibeventSignalWatcher*>(arg)->on_signal_;
    if (*on_signal) (*on_signal)();
  }

  LibeventLoop* loop_;
  event* event_ = nullptr;
  const std::shared_ptr<std::function<void()>> on_signal_;
};

}  // namespace internal

LibeventLoop::LibeventLoop() : LibeventLoop(SystemClock()) {}

LibeventLoop::LibeventLoop(const Clock& clock) : LoopBase(clock) {
  event_config* config = event_config_new();
  if (config == nullptr) return;
  // The loop never calls libevent from another thread (Post and Quit only write to an
  // eventfd), so it needs no locks; a precise timer avoids waking early on coarse clocks.
  event_config_set_flag(config, EVENT_BASE_FLAG_NOLOCK);
  event_config_set_flag(config, EVENT_BASE_FLAG_PRECISE_TIMER);
  event_base* base = event_base_new_with_config(config);
  event_config_free(config);
  if (base == nullptr) return;
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd_ >= 0) {
    wake_event_ = event_new(base, wake_fd_, EV_READ | EV_PERSIST, &OnWakeUp, this);
    timeout_event_ = evtimer_new(
        base, [](int /*fd*/, int16_t /*what*/, void* /*arg*/) {}, nullptr);
  }
  if (wake_event_ == nullptr || timeout_event_ == nullptr || event_add(wake_event_, nullptr) != 0) {
    if (wake_event_ != nullptr) event_free(wake_event_);
    if (timeout_event_ != nullptr) event_free(timeout_event_);
    wake_event_ = timeout_event_ = nullptr;
    if (wake_fd_ >= 0) close(wake_fd_);
    wake_fd_ = -1;
    event_base_free(base);
    return;
  }
  base_ = base;
}

LibeventLoop::~LibeventLoop() {
  // Handles that outlive the loop become inert; their libevent events go before the base.
  for (auto* watcher :
       std::vector<internal::LibeventFdWatcher*>(fd_watchers_.begin(), fd_watchers_.end())) {
    watcher->Detach();
  }
  for (auto* watcher : std::vector<internal::LibeventSignalWatcher*>(signal_watchers_.begin(),
                                                                     signal_watchers_.end())) {
    watcher->Detach();
  }
  if (base_ == nullptr) return;
  event_free(wake_event_);
  event_free(timeout_event_);
  event_base_free(base_);
  close(wake_fd_);
}

std::unique_ptr<FdWatcher> LibeventLoop::WatchFd(int fd, uint32_t io_events,
                                                 std::function<void(uint32_t)> on_ready) {
  DcheckOnLoopThread("EventLoop::WatchFd");
  if (base_ == nullptr || fd < 0 || !internal::IsPollableFd(fd)) return nullptr;
  auto watcher =
      std::make_unique<internal::LibeventFdWatcher>(this, fd, io_events, std::move(on_ready));
  if (!watcher->Init()) return nullptr;
  return watcher;
}

std::unique_ptr<SignalWatcher> LibeventLoop::WatchSignal(int signo,
                                                         std::function<void()> on_signal) {
  DcheckOnLoopThread("EventLoop::WatchSignal");
  if (base_ == nullptr || !internal::IsValidSignal(signo)) return nullptr;
  {
    std::lock_guard<std::mutex> lock(internal::SignalOwnerMutex());
    if (internal::signal_owner != nullptr && internal::signal_owner != this) return nullptr;
    internal::signal_owner = this;
  }
  auto watcher = std::make_unique<internal::LibeventSignalWatcher>(this, std::move(on_signal));
  if (!watcher->Init(signo)) return nullptr;  // Its destructor releases ownership if unused.
  return watcher;
}

void LibeventLoop::Run() {
  BindLoopToCurrentThread("EventLoop::Run");
  if (base_ == nullptr) return;
  LoopBase::Run();
}

void LibeventLoop::WaitForIo(std::optional<Duration> timeout) {
  if (base_ == nullptr) return;
  if (timeout && *timeout <= Duration::zero()) {
    // One poll: EVLOOP_NONBLOCK alone keeps polling while callbacks ran, so a level-triggered
    // fd that stays ready would make it loop forever.
    event_base_loop(base_, EVLOOP_NONBLOCK | EVLOOP_ONCE);
    return;
  }
  if (timeout) {
    const auto micros = std::chrono::ceil<std::chrono::microseconds>(*timeout).count();
    timeval tv;
    tv.tv_sec = static_cast<time_t>(micros / 1000000);
    tv.tv_usec = static_cast<suseconds_t>(micros % 1000000);
    evtimer_add(timeout_event_, &tv);
  }
  event_base_loop(base_, EVLOOP_ONCE);
  if (timeout) evtimer_del(timeout_event_);
}

void LibeventLoop::WakeUp() {
  if (wake_fd_ < 0) return;
  const uint64_t one = 1;
  // EAGAIN means the counter is saturated: a wake-up is pending anyway.
  while (write(wake_fd_, &one, sizeof(one)) < 0 && errno == EINTR) {
  }
}

bool LibeventLoop::SleepsTowardsTimers() const { return &clock() == &SystemClock(); }

void LibeventLoop::OnWakeUp(int fd, int16_t /*what*/, void* /*arg*/) {
  uint64_t count;
  while (read(fd, &count, sizeof(count)) < 0 && errno == EINTR) {
  }
}

void LibeventLoop::ReleaseSignalOwnership() {
  std::lock_guard<std::mutex> lock(internal::SignalOwnerMutex());
  if (internal::signal_owner == this) internal::signal_owner = nullptr;
}

}  // namespace eventloop
