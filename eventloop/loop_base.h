// Internal: the parts of an EventLoop that do not depend on how I/O is polled. Both the
// production LibeventLoop and the testing FakeEventLoop derive from it, so timer ordering,
// posted tasks, before-blocking tasks, Run/RunUntilIdle/Quit and handle lifetimes behave
// identically on both. Not part of the public API.
#ifndef LOCALSOCKET_EVENTLOOP_LOOP_BASE_H_
#define LOCALSOCKET_EVENTLOOP_LOOP_BASE_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>

#include "eventloop/event_loop.h"
#include "eventloop/intrusive_list.h"
#include "eventloop/posted_task_queue.h"
#include "eventloop/thread_binding.h"
#include "eventloop/timer_heap.h"

namespace eventloop {
namespace internal {

class TimerImpl;
class BeforeBlockingTaskImpl;
// Names the list of scheduled BeforeBlockingTaskImpls (each is also in the list of all).
struct ScheduledTag;

// Implements everything of EventLoop but the polling of fds and signals (iteration step 1,
// see event_loop.h), which derived classes provide through WaitForIo() and WakeUp().
//
// Threads: in debug builds it checks the binding rule of event_loop.h in the methods it
// implements and in its handles; derived classes check their own loop-thread-only methods and
// handles with DcheckOnLoopThread() and bind in their own Run-like methods with
// BindLoopToCurrentThread(). Post() and Quit() never check.
class LoopBase : public EventLoop {
 public:
  ~LoopBase() override;  // Makes the timers and before-blocking tasks still alive inert.

  std::unique_ptr<Timer> CreateTimer(std::function<void()> on_fire) override;
  void Post(std::function<void()> task) override;
  void PostDelayed(Duration delay, std::function<void()> task) override;
  void Run() override;
  void RunUntilIdle() override;
  void Quit() override;
  std::unique_ptr<BeforeBlockingTask> CreateBeforeBlockingTask(std::function<void()> run) override;
  // Public as in EventLoop: callers holding the concrete loop type use it too.
  const Clock& clock() const override { return clock_; }
#if LOCALSOCKET_DCHECK_IS_ON
  std::shared_ptr<const ThreadBinding> thread_binding() const override {
    return loop_thread_binding_;
  }
#endif

 protected:
  // `clock` must outlive the loop.
  explicit LoopBase(const Clock& clock);

  // Iteration step 1: polls fds and signals and dispatches the ready watchers. With `block`
  // false it only polls. With `block` true it first waits until some I/O is ready, WakeUp() is
  // called, or, if `wake_up` is set, clock() reaches `wake_up` (set only when
  // SleepsTowardsTimers(): the TimerWakeUpTime() of the earliest deadline, which is in the
  // future).
  virtual void WaitForIo(bool block, std::optional<TimePoint> wake_up) = 0;
  // Interrupts a blocked WaitForIo(). Called from any thread. Not pure: while ~LoopBase
  // destroys queued tasks, one may still call Post() or Quit(), which then reach this no-op.
  virtual void WakeUp() {}
  // Whether a blocking wait may sleep towards the next timer deadline. False for clocks the
  // loop cannot observe advancing by itself (anything but SystemClock()).
  virtual bool SleepsTowardsTimers() const = 0;

  // Debug builds: aborts unless called on the loop's thread (any thread passes until the loop
  // is bound). `caller` names the method in the message, e.g. "EventLoop::WatchFd". Handles
  // whose loop is gone (inert) share nothing with it and must not call this. Release builds:
  // nothing.
  void DcheckOnLoopThread([[maybe_unused]] const char* caller) const {
    LOCALSOCKET_DCHECK_ON_BOUND_THREAD(loop_thread_binding_, caller);
  }
  // Debug builds: binds the loop to the calling thread on the first call, checks on later ones
  // (see DcheckOnLoopThread). For Run-like methods. Release builds: nothing.
  void BindLoopToCurrentThread([[maybe_unused]] const char* caller) {
    LOCALSOCKET_BIND_TO_CURRENT_THREAD(loop_thread_binding_, caller);
  }

  // True while Run() or RunUntilIdle() is active (used to refuse nested runs).
  bool running() const { return running_; }
  void set_running(bool running) { running_ = running; }
  // Consumes a pending Quit(): true if there was one.
  bool TakeQuitRequest() { return quit_requested_.exchange(false); }

  // Runs non-blocking iterations as RunUntilIdle() does (without the nesting check), at most
  // `max_iterations`. Returns false if it stopped because of that cap.
  bool RunUntilIdleIterations(uint64_t max_iterations);
  // Runs one iteration as Run() does, but without blocking in step 1. Returns true if it ran
  // any timer or task.
  bool RunNonBlockingIteration() { return RunIteration(/*may_block=*/false, std::nullopt); }
  // The earliest timer deadline, if any timer is armed.
  std::optional<TimePoint> NextTimerDeadline() const;
  // True if a posted task or before-blocking task is waiting.
  bool HasPendingTasks() const;

 private:
  friend class TimerImpl;
  friend class BeforeBlockingTaskImpl;
  using TimerKey = std::pair<TimePoint, uint64_t>;  // (deadline, start sequence)

  // One iteration: step 1 (blocking only if `may_block` and no work is waiting), then steps 2
  // to 4. Timers fire only if their deadline <= timer_cutoff.first and their start sequence <
  // timer_cutoff.second. Returns true if it ran any timer or task. A `timer_cutoff` of nullopt
  // means (Now() after step 1, next start sequence).
  bool RunIteration(bool may_block, std::optional<TimerKey> timer_cutoff);
  bool FireDueTimers(TimerKey cutoff);
  bool RunPostedTasks();
  bool RunBeforeBlockingTasks();
  // Whether a blocking step 1 may block: false when work is already waiting (a posted or
  // before-blocking task, a due timer). If true, `*wake_up` is set to the wake-up time of the
  // earliest deadline (timer_slack.h) when the loop sleeps towards timers, else left unset.
  bool ShouldBlock(std::optional<TimePoint>* wake_up) const;

  const Clock& clock_;
  LOCALSOCKET_THREAD_BINDING(loop_thread_binding_, "loop");
  bool running_ = false;
  std::atomic<bool> quit_requested_{false};

  // Timers. Handles and PostDelayed tasks are TimerImpls; arming, re-arming and cancelling one
  // allocates nothing.
  uint64_t next_timer_sequence_ = 0;
  TimerHeap armed_timers_;
  IntrusiveList<TimerImpl> timers_;         // Every live Timer handle (made inert at the end).
  IntrusiveList<TimerImpl> delayed_tasks_;  // PostDelayed timers, owned by the loop.

  // Posted tasks. has_posted_tasks_ mirrors !posted_tasks_.empty() (written under the mutex)
  // so that an iteration without posts takes no lock. A Post() the loop has not seen yet
  // writes the wake-up fd after setting it, and the loop reads it after draining that fd.
  // Step 3 takes the whole queue under the lock, runs it outside, and hands the emptied chunks
  // back (a few are kept as spares), so that steady posting allocates nothing.
  std::atomic<bool> has_posted_tasks_{false};
  mutable std::mutex posted_mutex_;
  PostedTaskQueue posted_tasks_;  // Guarded by posted_mutex_.

  // Before-blocking tasks: scheduling and cancelling only link and unlink.
  IntrusiveList<BeforeBlockingTaskImpl, ScheduledTag> scheduled_before_blocking_;  // In order.
  IntrusiveList<BeforeBlockingTaskImpl> before_blocking_tasks_;  // Every live handle.
};

}  // namespace internal
}  // namespace eventloop

#endif  // LOCALSOCKET_EVENTLOOP_LOOP_BASE_H_
