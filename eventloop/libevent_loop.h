// The production EventLoop, running on libevent (event_base, epoll on Linux).
#ifndef LOCALSOCKET_EVENTLOOP_LIBEVENT_LOOP_H_
#define LOCALSOCKET_EVENTLOOP_LIBEVENT_LOOP_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <set>

#include "eventloop/clock.h"
#include "eventloop/event_loop.h"
#include "eventloop/intrusive_list.h"
#include "eventloop/loop_base.h"

struct event;
struct event_base;

namespace eventloop {

namespace internal {
class LibeventFdWatcher;
class LibeventSignalWatcher;
}  // namespace internal

// An EventLoop on a private libevent event_base. Fd watchers and signal watchers are libevent
// events; timers, posted tasks and before-blocking tasks are kept by the loop itself and run
// around each call to event_base_loop(EVLOOP_ONCE), in the iteration order documented in
// event_loop.h. Timers follow the injected Clock: on SystemClock() a blocking wait ends at the
// wake-up time of the next deadline (rounded up to 4 ms: "Timer lateness" in event_loop.h),
// through a timerfd of the loop's own (libevent's timers measure time on a coarse clock, and
// its precise mode costs a system call per iteration); on any other clock (e.g. a
// FakeClock) Run() blocks on fds and posts only, and due timers fire on the next iteration
// after the clock is advanced (FakeClock::Advance, then RunUntilIdle()).
//
// System calls: the loop itself costs one epoll_wait per iteration (plus an eventfd read when
// Post() or Quit() woke it). The timerfd is set (timerfd_settime) only when a blocking wait
// must end earlier than it is set to, or after it expired; a wake-up that moves later leaves
// it as it is. So a timeout restarted on every message costs no system call, only one early
// wake-up whenever the deadline the timerfd was set to comes (the timerfd is set again then).
//
// Resources and failure: a loop holds 5 fds on SystemClock() (libevent's epoll fd and signal
// pipe, the loop's eventfd and timerfd) and 4 on any other clock (no timerfd). Construction
// never exits, aborts or prints: libevent would exit the process when it gets its epoll fd but
// not its signal pipe, so the constructor first makes the loop's own fds, then checks that
// libevent can make its own (by making an epoll fd and a pipe and closing them again) before it
// asks libevent, with only the epoll backend allowed and libevent's environment variables
// ignored; the check and libevent's creation hold a process-wide mutex, so loops built at once
// on several threads cannot take each other's fds. Whatever fails yields IsValid() == false and
// every fd taken is closed again. What remains: another thread of the process that opens fds
// while the fd table is full, in the few system calls between the check and libevent's own
// calls, can still make libevent exit the process. The first loop built installs a libevent
// log callback (process-wide, once) that discards libevent's messages, which libevent would
// otherwise print to stderr; a program that uses libevent itself may install its own callback
// afterwards.
//
// Threads: Post() and Quit() may be called from any thread (they only write to an eventfd);
// everything else belongs to the loop thread, the thread of the first Run() or RunUntilIdle()
// (debug builds check it; see event_loop.h). The loop may be built, and destroyed, on another
// thread while no thread runs it. Destroying the loop with live handles is safe: they become
// inert. Destroying it from inside one of its callbacks is not supported.
class LibeventLoop : public internal::LoopBase {
 public:
  LibeventLoop();                             // Timers on SystemClock().
  explicit LibeventLoop(const Clock& clock);  // `clock` must outlive the loop.
  ~LibeventLoop() override;

  // False if the kernel refused the loop's resources (epoll, libevent's signal pipe, eventfd,
  // and on SystemClock() a timerfd; e.g. EMFILE with fewer than 5 free fds, 4 on another
  // clock: see the class comment). An invalid loop holds no fd, returns nullptr from
  // WatchFd/WatchSignal and returns from Run() at once; timers and tasks still run under
  // RunUntilIdle().
  bool IsValid() const { return base_ != nullptr; }

  std::unique_ptr<FdWatcher> WatchFd(int fd, uint32_t io_events,
                                     std::function<void(uint32_t ready)> on_ready) override;
  std::unique_ptr<SignalWatcher> WatchSignal(int signo, std::function<void()> on_signal) override;
  void Run() override;

 protected:
  void WaitForIo(bool block, std::optional<TimePoint> wake_up) override;
  void WakeUp() override;
  bool SleepsTowardsTimers() const override;

 private:
  friend class internal::LibeventFdWatcher;
  friend class internal::LibeventSignalWatcher;

  static void OnWakeUp(int fd, int16_t what, void* arg);
  static void OnTimerFdExpired(int fd, int16_t what, void* arg);
  // Makes timer_fd_ end the coming blocking wait no later than `wake_up` (see the class comment).
  void PrepareTimerFd(std::optional<TimePoint> wake_up);
  // Sets timer_fd_ to expire at `at` (nullopt: disarms it), which also clears an expiry.
  void SetTimerFd(std::optional<TimePoint> at);
  void ReleaseSignalOwnership();

  event_base* base_ = nullptr;
  int wake_fd_ = -1;             // eventfd written by WakeUp().
  event* wake_event_ = nullptr;  // Drains wake_fd_.
  // A CLOCK_MONOTONIC timerfd (SystemClock() loops only) that ends a blocking wait at the next
  // timer deadline, and the libevent event that notes its expiry.
  int timer_fd_ = -1;
  event* timer_event_ = nullptr;
  std::optional<TimePoint> timer_fd_set_to_;  // nullopt while disarmed or expired.
  bool timer_fd_expired_ = false;             // Expired and still readable until set again.
  internal::IntrusiveList<internal::LibeventFdWatcher> fd_watchers_;  // Every live one.
  std::set<internal::LibeventSignalWatcher*> signal_watchers_;
};

}  // namespace eventloop

#endif  // LOCALSOCKET_EVENTLOOP_LIBEVENT_LOOP_H_
