#include "eventloop/libevent_loop.h"

#include <event2/event.h>
#include <event2/event_struct.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "eventloop/reentrant_callback.h"

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

// True for fds epoll can watch, for a watcher that starts paused. Sockets and pipes always are;
// for anything else (character devices such as /dev/null or a terminal, regular files,
// directories, eventfds...) the kernel decides: a throwaway epoll instance tries to add the fd.
// libevent would only learn it when the watcher is first enabled, and a watcher that never
// fires would hang its owner.
bool IsPollableFd(int fd) {
  struct stat st;
  if (fstat(fd, &st) != 0) return false;
  if (S_ISSOCK(st.st_mode) || S_ISFIFO(st.st_mode)) return true;
  const int probe = epoll_create1(EPOLL_CLOEXEC);
  if (probe < 0) return false;  // Out of fds: the caller gets no watcher, as for any failure.
  epoll_event event{};
  event.events = EPOLLIN;
  const bool pollable = epoll_ctl(probe, EPOLL_CTL_ADD, fd, &event) == 0;
  close(probe);
  return pollable;
}

// libevent's log messages ("[warn] ...", "[err] ..."), which it would print to stderr: the
// library prints nothing.
void DiscardLibeventMessage(int /*severity*/, const char* /*message*/) {}

// Installs DiscardLibeventMessage as libevent's (process-wide) log callback, once.
void SilenceLibevent() {
  static std::once_flag once;
  std::call_once(once, [] { event_set_log_callback(&DiscardLibeventMessage); });
}

// Serialises the check and the creation in NewEventBase(), so that two loops built at once on
// two threads cannot take each other's checked fds.
std::mutex& BaseCreationMutex() {
  static auto* const mutex = new std::mutex();
  return *mutex;
}

// Whether libevent's epoll backend can make its fds now: makes what it makes (an epoll fd and
// a non-blocking pipe, libevent's signal pipe) and closes them again. libevent exits the
// process when it gets the epoll fd but not the pipe; a failure here (EMFILE, ENFILE...) means
// it must not be asked.
bool LibeventCanMakeItsFds() {
  const int epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd < 0) return false;
  int pipe_fds[2];
  const bool made = pipe2(pipe_fds, O_NONBLOCK | O_CLOEXEC) == 0;
  if (made) {
    close(pipe_fds[0]);
    close(pipe_fds[1]);
  }
  close(epoll_fd);
  return made;
}

// A new event_base on epoll, or nullptr (never exits the process; see libevent_loop.h).
event_base* NewEventBase() {
  event_config* config = event_config_new();
  if (config == nullptr) return nullptr;
  // The loop never calls libevent from another thread (Post and Quit only write to an
  // eventfd), so it needs no locks. No EVENT_BASE_FLAG_PRECISE_TIMER: the loop uses no
  // libevent timer, and that flag makes epoll set a timerfd before every epoll_wait.
  // EVENT_BASE_FLAG_IGNORE_ENV: the fds libevent makes must not depend on the environment
  // (EVENT_PRECISE_TIMER adds a timerfd, EVENT_NOEPOLL switches the backend). Only epoll: the
  // poll and select backends make no fd of their own, so when epoll fails for want of fds they
  // would go on to the signal pipe, whose failure exits the process.
  event_base* base = nullptr;
  if (event_config_set_flag(config, EVENT_BASE_FLAG_NOLOCK | EVENT_BASE_FLAG_IGNORE_ENV) == 0 &&
      event_config_avoid_method(config, "poll") == 0 &&
      event_config_avoid_method(config, "select") == 0) {
    const std::lock_guard<std::mutex> lock(BaseCreationMutex());
    if (LibeventCanMakeItsFds()) base = event_base_new_with_config(config);
  }
  event_config_free(config);
  return base;
}

}  // namespace

// An FdWatcher backed by a persistent libevent event, held inside the watcher (event_assign)
// so that a watcher is one allocation. The event's flags are the interest, and its fd the
// watched fd. Inert once its loop is gone.
class LibeventFdWatcher final : public FdWatcher, public IntrusiveListNode<LibeventFdWatcher> {
 public:
  LibeventFdWatcher(LibeventLoop* loop, std::function<void(uint32_t)> on_ready)
      : loop_(loop), on_ready_(std::move(on_ready)) {
    loop_->fd_watchers_.PushBack(this);
  }
  ~LibeventFdWatcher() override { Detach(); }

  // Sets up the libevent event for `fd` and `io_events` and adds it. False if libevent or the
  // kernel refused it; the watcher is then inert.
  bool Init(int fd, uint32_t io_events) {
    // The event lives in this object, so the library must agree with its header on the size.
    if (event_get_struct_event_size() != sizeof(event) ||
        event_assign(&event_, loop_->base_, fd, LibeventFlags(io_events), &OnReady, this) != 0) {
      IntrusiveList<LibeventFdWatcher>::Remove(this);
      loop_ = nullptr;  // Nothing to delete: the event was never set up.
      return false;
    }
    return IoEvents() == kNoEvents || event_add(&event_, nullptr) == 0;
  }

  void SetEvents(uint32_t io_events) override {
    if (loop_ == nullptr) return;
    loop_->DcheckOnLoopThread("FdWatcher::SetEvents");
    io_events &= kReadable | kWritable;
    if (LibeventFlags(io_events) != event_.ev_events) Reassign(io_events);
  }
  uint32_t events() const override {
    if (loop_ != nullptr) loop_->DcheckOnLoopThread("FdWatcher::events");
    return IoEvents();
  }

  // Deletes the libevent event and unregisters; afterwards the handle is inert.
  void Detach() {
    if (loop_ == nullptr) return;
    event_del(&event_);  // Keeps the flags: events() still reports them.
    IntrusiveList<LibeventFdWatcher>::Remove(this);
    loop_ = nullptr;
  }

 private:
  // Re-adds the event with the interest `io_events`. Out of line, so that the common call of
  // SetEvents (no change) stays a few instructions.
  [[gnu::noinline]] void Reassign(uint32_t io_events) {
    const int fd = event_get_fd(&event_);
    event_del(&event_);
    event_assign(&event_, loop_->base_, fd, LibeventFlags(io_events), &OnReady, this);
    if (io_events != kNoEvents) event_add(&event_, nullptr);
  }

  // The interest, as the event's flags hold it. The hot paths (OnReady, SetEvents) read the
  // flags from the struct, whose size Init checked, rather than call event_get_events.
  uint32_t IoEvents() const {
    const int16_t flags = event_.ev_events;
    return ((flags & EV_READ) ? kReadable : kNoEvents) |
           ((flags & EV_WRITE) ? kWritable : kNoEvents);
  }

  static void OnReady(int /*fd*/, int16_t what, void* arg) {
    auto* self = static_cast<LibeventFdWatcher*>(arg);
    const int asked = what & self->event_.ev_events;  // Only what the watcher asks for now.
    uint32_t ready = kNoEvents;
    if (asked & EV_READ) ready |= kReadable;
    if (asked & EV_WRITE) ready |= kWritable;
    if (ready == kNoEvents) return;
    self->on_ready_.Run(ready);  // It may destroy this watcher: touch nothing after.
  }

  LibeventLoop* loop_;
  ReentrantCallback<uint32_t> on_ready_;
  event event_{};
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
  internal::SilenceLibevent();
  // The loop's own fds first: libevent is asked only once they exist (see NewEventBase).
  const bool needs_timer_fd = &clock == &SystemClock();  // As SleepsTowardsTimers().
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd_ >= 0 && needs_timer_fd) {
    timer_fd_ = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  }
  event_base* base = nullptr;
  if (wake_fd_ >= 0 && (timer_fd_ >= 0 || !needs_timer_fd)) base = internal::NewEventBase();
  if (base != nullptr) {
    wake_event_ = event_new(base, wake_fd_, EV_READ | EV_PERSIST, &OnWakeUp, this);
    if (timer_fd_ >= 0) {
      timer_event_ = event_new(base, timer_fd_, EV_READ | EV_PERSIST, &OnTimerFdExpired, this);
    }
  }
  if (base == nullptr || wake_event_ == nullptr || event_add(wake_event_, nullptr) != 0 ||
      (needs_timer_fd && (timer_event_ == nullptr || event_add(timer_event_, nullptr) != 0))) {
    if (wake_event_ != nullptr) event_free(wake_event_);
    if (timer_event_ != nullptr) event_free(timer_event_);
    wake_event_ = timer_event_ = nullptr;
    if (base != nullptr) event_base_free(base);
    if (wake_fd_ >= 0) close(wake_fd_);
    if (timer_fd_ >= 0) close(timer_fd_);
    wake_fd_ = timer_fd_ = -1;
    return;
  }
  base_ = base;
}

LibeventLoop::~LibeventLoop() {
  // Handles that outlive the loop become inert; their libevent events go before the base.
  while (!fd_watchers_.empty()) fd_watchers_.front()->Detach();
  for (auto* watcher : std::vector<internal::LibeventSignalWatcher*>(signal_watchers_.begin(),
                                                                     signal_watchers_.end())) {
    watcher->Detach();
  }
  if (base_ == nullptr) return;
  event_free(wake_event_);
  if (timer_event_ != nullptr) event_free(timer_event_);
  event_base_free(base_);
  close(wake_fd_);
  if (timer_fd_ >= 0) close(timer_fd_);
}

std::unique_ptr<FdWatcher> LibeventLoop::WatchFd(int fd, uint32_t io_events,
                                                 std::function<void(uint32_t)> on_ready) {
  DcheckOnLoopThread("EventLoop::WatchFd");
  if (base_ == nullptr || fd < 0) return nullptr;
  // A watcher that starts with interest needs no probe: Init's epoll_ctl fails for an fd the
  // kernel cannot watch (one syscall saved per connection). One that starts paused is probed.
  if ((io_events & (kReadable | kWritable)) == kNoEvents && !internal::IsPollableFd(fd)) {
    return nullptr;
  }
  auto watcher = std::make_unique<internal::LibeventFdWatcher>(this, std::move(on_ready));
  if (!watcher->Init(fd, io_events)) return nullptr;
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

void LibeventLoop::WaitForIo(bool block, std::optional<TimePoint> wake_up) {
  if (base_ == nullptr) return;
  if (!block) {
    // One poll: EVLOOP_NONBLOCK alone keeps polling while callbacks ran, so a level-triggered
    // fd that stays ready would make it loop forever.
    event_base_loop(base_, EVLOOP_NONBLOCK | EVLOOP_ONCE);
    return;
  }
  PrepareTimerFd(wake_up);
  event_base_loop(base_, EVLOOP_ONCE);
}

void LibeventLoop::PrepareTimerFd(std::optional<TimePoint> wake_up) {
  if (timer_fd_ < 0) return;
  // After an expiry it is set even to nullopt: only that makes it stop being readable.
  const bool earlier = wake_up && (!timer_fd_set_to_ || *wake_up < *timer_fd_set_to_);
  if (timer_fd_expired_ || earlier) SetTimerFd(wake_up);
}

void LibeventLoop::SetTimerFd(std::optional<TimePoint> at) {
  itimerspec spec{};
  if (at) {
    // An absolute time on CLOCK_MONOTONIC, which is steady_clock's (SystemClock()). All zero
    // would disarm: the earliest time is 1 ns.
    const int64_t ns = std::max<int64_t>(at->time_since_epoch().count(), 1);
    spec.it_value.tv_sec = static_cast<time_t>(ns / 1000000000);
    spec.it_value.tv_nsec = static_cast<decltype(spec.it_value.tv_nsec)>(ns % 1000000000);
  }
  // Cannot fail with a valid fd and these values.
  timerfd_settime(timer_fd_, TFD_TIMER_ABSTIME, &spec, nullptr);
  timer_fd_set_to_ = at;
  timer_fd_expired_ = false;
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

void LibeventLoop::OnTimerFdExpired(int /*fd*/, int16_t /*what*/, void* arg) {
  // Not read here: the next blocking wait sets the timerfd again, which clears the expiry.
  auto* self = static_cast<LibeventLoop*>(arg);
  self->timer_fd_expired_ = true;
  self->timer_fd_set_to_.reset();
}

void LibeventLoop::ReleaseSignalOwnership() {
  std::lock_guard<std::mutex> lock(internal::SignalOwnerMutex());
  if (internal::signal_owner == this) internal::signal_owner = nullptr;
}

}  // namespace eventloop
