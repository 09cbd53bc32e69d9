// The event loop interface: timers, fd watchers, POSIX signal watchers, posted tasks and
// before-blocking tasks, all delivered on one thread.
//
// One iteration of a loop runs these steps in this order:
//   1. Wait for I/O: poll the watched fds (and the internal wake-up fd), blocking only when
//      nothing below is pending, then run the callback of every ready FdWatcher and
//      SignalWatcher. When the loop's clock is SystemClock(), a blocking wait also ends for the
//      earliest timer deadline, rounded up as "Timer lateness" below says; on any other clock
//      it waits for fds and posts only.
//   2. Fire due timers (deadline <= Now()) in (deadline, start order) order. A timer (re)started
//      during this step waits for a later iteration, even if it is already due.
//   3. Run the tasks that were posted before this step began, first in, first out. Tasks posted
//      meanwhile run in the next iteration.
//   4. Run the BeforeBlockingTasks scheduled before this step began, in scheduling order (this
//      is where sockets flush their write buffers, so many writes coalesce into one send).
// Then Run() either returns (after Quit()) or starts the next iteration.
//
// Timer lateness: a timer never fires before its deadline; step 2 tests deadline <= Now()
// exactly, on every clock, and keeps its order. On SystemClock(), a loop sleeping towards a
// deadline wakes up at the next multiple of 4 ms of the clock (counted from steady_clock's
// epoch), so timers due within one 4 ms slot share one wake-up (libevent's default timers,
// which run on the kernel's coarse clock, have a similar granularity). A timer that comes due
// while the loop sleeps therefore fires up to 4 ms after its deadline, plus the kernel's
// scheduling delay and the time the loop spends in other callbacks. A loop that is busy (fds
// ready, tasks posted) fires it at its first step 2 with deadline <= Now(). A FakeClock never
// sleeps: there, timers fire as soon as the test's RunUntilIdle() or FastForwardBy() reaches
// their deadline.
//
// Threads: everything is loop-thread only except EventLoop::Post and EventLoop::Quit. Debug
// builds (NDEBUG not defined) check this and abort with a message naming the call made on the
// wrong thread; release builds check nothing. A loop may be built, and its timers, watchers
// and sockets created, on one thread and run on another, so the checks bind lazily:
//   - A loop binds to the thread of its first Run() or RunUntilIdle() (FakeEventLoop's
//     FastForwardBy() too). From then on every loop-thread-only method of the loop and of its
//     handles must be called on that thread. Before that, any thread passes.
//   - A socket or server binds at its loop's binding or at its own first blocking wait,
//     whichever comes first.
//   - The signals of a socket or server follow their owner's binding; only a free-standing
//     ipc::Signal binds itself, at its first Emit.
// Destructors do not check: destroying objects on another thread once the loop thread has been
// joined is allowed. A destroyed loop releases its binding, so objects that outlive their loop
// (inert) then pass on any thread, unless they bound themselves at a wait. The rule covers the
// loops of this library and the objects built on them; an EventLoop implementation from
// elsewhere is not checked, and objects built on it bind at their first wait only.
// Lifetimes: handles (Timer, FdWatcher, SignalWatcher, BeforeBlockingTask) should be destroyed
// before their loop. A handle that outlives its loop becomes inert: its methods do nothing and
// its destructor is safe. Destroying a handle always cancels it, also from inside its own
// callback.
#ifndef LOCALSOCKET_EVENTLOOP_EVENT_LOOP_H_
#define LOCALSOCKET_EVENTLOOP_EVENT_LOOP_H_

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <memory>

#include "eventloop/clock.h"

namespace eventloop {

namespace internal {
class ThreadBinding;
}  // namespace internal

// Bit flags for FdWatcher interest and readiness.
enum IoEvents : uint32_t { kNoEvents = 0, kReadable = 1, kWritable = 2 };
// Prints "kNoEvents", "kReadable", "kWritable" or "kReadable|kWritable" (also the gtest
// printer).
std::ostream& operator<<(std::ostream& os, IoEvents events);
void PrintTo(IoEvents events, std::ostream* os);

// A one-shot or repeating timer. Created stopped. Destroying the handle cancels the timer. It
// fires no earlier than its deadline, and on SystemClock() up to 4 ms later (see "Timer
// lateness" above).
class Timer {
 public:
  virtual ~Timer() = default;
  // (Re)arms as a one-shot timer due at Now() + delay (a negative delay counts as 0).
  // Restarting an active timer replaces its deadline and its place among equal deadlines.
  virtual void Start(Duration delay) = 0;
  // Arms a repeating timer: first due at Now() + period, then at the first prev + k * period
  // that is later than Now() when it fires, so a long stall causes no burst of catch-up fires.
  // A period <= 0 is ignored (the timer keeps its previous state).
  virtual void StartRepeating(Duration period) = 0;
  // Cancels the timer; it will not fire until started again. Safe when not active.
  virtual void Stop() = 0;
  // True while armed. False inside a one-shot timer's own callback (unless restarted there),
  // true inside a repeating timer's callback (unless stopped there).
  virtual bool IsActive() const = 0;
};

// Watches one fd for readability and/or writability, level-triggered: the callback runs on
// every iteration in which the fd is ready for an event of interest. Destroying the handle
// stops watching; it never closes the fd. Destroy the watcher before closing its fd.
class FdWatcher {
 public:
  virtual ~FdWatcher() = default;
  // Replaces the interest set; kNoEvents pauses the watcher. Takes effect from the next poll.
  virtual void SetEvents(uint32_t io_events) = 0;
  // The current interest set.
  virtual uint32_t events() const = 0;
};

// Delivers a POSIX signal (SIGTERM, SIGHUP, ...) on the loop thread while the handle lives.
// Signals arriving close together may be delivered as one callback, as POSIX allows.
class SignalWatcher {
 public:
  virtual ~SignalWatcher() = default;
};

// Work the loop runs once, at step 4 of the iteration in which it was scheduled (see the file
// comment), i.e. before the loop next blocks. Components use it to batch work such as socket
// write flushes. Destroying the handle cancels it.
class BeforeBlockingTask {
 public:
  virtual ~BeforeBlockingTask() = default;
  // Requests one run. Calls made before the run coalesce into that run. Called from inside
  // its own run, it requests another run in the next iteration.
  virtual void Schedule() = 0;
  // Withdraws a pending request. Safe when none is pending.
  virtual void Cancel() = 0;
  // True between Schedule() and the start of the run (or Cancel()).
  virtual bool IsScheduled() const = 0;
};

// A single-threaded reactor. Neither copyable nor movable.
class EventLoop {
 public:
  EventLoop() = default;
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;
  virtual ~EventLoop() = default;

  // A stopped timer that runs `on_fire` on the loop thread each time it fires.
  virtual std::unique_ptr<Timer> CreateTimer(std::function<void()> on_fire) = 0;

  // Watches `fd` for `io_events` (kNoEvents allowed: start paused) and calls `on_ready` with
  // the ready subset of the interest. Returns nullptr for a negative fd, or (on the real loop)
  // an fd the kernel cannot watch, such as a closed fd, a regular file or /dev/null.
  virtual std::unique_ptr<FdWatcher> WatchFd(int fd, uint32_t io_events,
                                             std::function<void(uint32_t ready)> on_ready) = 0;

  // Runs `on_signal` on the loop thread each time `signo` is delivered to the process, while
  // the handle lives; the previous disposition is restored when the last watcher of `signo`
  // goes. Returns nullptr for an invalid number (<= 0, >= NSIG, SIGKILL, SIGSTOP) and, on the
  // real loop, while another live loop of the process holds signal watchers (libevent delivers
  // signals to one event_base at a time).
  virtual std::unique_ptr<SignalWatcher> WatchSignal(int signo,
                                                     std::function<void()> on_signal) = 0;

  // Queues `task` to run on the loop thread, FIFO, never inside the current callback.
  // Thread-safe; wakes a blocked Run(). Tasks still queued when the loop is destroyed are
  // destroyed without running.
  virtual void Post(std::function<void()> task) = 0;

  // Runs `task` once after `delay` (measured on clock()), ordered among timers. Loop thread
  // only. It cannot be cancelled; use a Timer for that.
  virtual void PostDelayed(Duration delay, std::function<void()> task) = 0;

  // Runs iterations until Quit(). A Quit() that came while no Run() was active makes this
  // return at once (one pending quit is remembered). Called from inside a loop callback, it
  // returns at once. Blocks even when nothing is registered.
  virtual void Run() = 0;

  // Runs non-blocking iterations until one of them runs no timer, posted task or
  // before-blocking task. Each iteration polls fds once with a zero timeout and dispatches
  // what is ready; fires only timers that were due when the call started; runs posted tasks
  // (including ones posted meanwhile) and before-blocking tasks. Fd readiness alone never
  // starts another iteration, so it never spins on a level-triggered fd and never blocks.
  // Called from inside a loop callback, it returns at once.
  virtual void RunUntilIdle() = 0;

  // Makes the active Run() return at the end of its current iteration, or the next Run()
  // return at once. Thread-safe.
  virtual void Quit() = 0;

  // The clock timers are measured on. Valid for the loop's lifetime.
  virtual const Clock& clock() const = 0;
  TimePoint Now() const { return clock().Now(); }

  // A BeforeBlockingTask running `run` (see above). The loops of this library implement it
  // natively; this default, for other EventLoop implementations, runs the work as a posted
  // task. Loop thread only.
  virtual std::unique_ptr<BeforeBlockingTask> CreateBeforeBlockingTask(std::function<void()> run);

  // A token that expires once the loop is fully destroyed. Objects that may outlive their loop
  // (sockets, servers) keep it and become inert once it has expired. Loop thread only.
  std::weak_ptr<const void> lifetime_token() const { return lifetime_; }

  // Internal to this library: the loop's thread binding (eventloop/thread_binding.h), which
  // objects built on the loop follow in debug builds. This default, kept by EventLoop
  // implementations outside this library and by every loop in release builds, returns nullptr
  // (nothing to follow). Any thread; the binding lives as long as the longest holder.
  virtual std::shared_ptr<const internal::ThreadBinding> thread_binding() const { return nullptr; }

 private:
  const std::shared_ptr<const void> lifetime_ = std::make_shared<char>(0);
};

}  // namespace eventloop

#endif  // LOCALSOCKET_EVENTLOOP_EVENT_LOOP_H_
