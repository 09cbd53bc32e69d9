// The model of loop_model_fuzzer: what an EventLoop owes its timers, delayed tasks, posted
// tasks and before-blocking tasks (the contract in eventloop/event_loop.h), kept beside a real
// loop and checked at every callback the loop makes.
#ifndef LOCALSOCKET_TOOLS_FUZZING_LOOP_MODEL_H_
#define LOCALSOCKET_TOOLS_FUZZING_LOOP_MODEL_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>

#include "eventloop/clock.h"

namespace fuzz {

// The expected state of one loop. Timers and before-blocking tasks live in numbered slots, each
// holding at most one handle; a handle is known by (slot, generation), so a callback of a
// destroyed handle is told apart from one of its slot's next handle. Posted and delayed tasks
// are numbered in order of creation. Every On* call that observes the loop checks the
// contract and aborts (FUZZ_CHECK) when the loop broke it. Not thread-safe.
class LoopModel {
 public:
  using TimePoint = eventloop::TimePoint;
  using Duration = eventloop::Duration;

  // A timer's place in the firing order: deadline, then arming order.
  struct TimerKey {
    TimePoint deadline;
    uint64_t sequence = 0;
    bool operator<(const TimerKey& other) const {
      return deadline != other.deadline ? deadline < other.deadline : sequence < other.sequence;
    }
  };

  // What may fire now: every timer fires at or after its deadline; inside RunUntilIdle() only
  // timers that were due when the call started (key below `cutoff`).
  struct FireBound {
    TimePoint now;
    std::optional<TimerKey> cutoff;
  };

  static constexpr size_t kTimerSlots = 6;
  static constexpr size_t kTaskSlots = 4;
  static constexpr size_t kWatcherSlots = 4;
  static constexpr size_t kFds = 2;
  static constexpr size_t kSignalWatcherSlots = 3;
  static constexpr size_t kSignals = 2;

  // Timers (handles from CreateTimer).
  void OnTimerCreated(size_t slot, uint64_t generation);
  void OnTimerDestroyed(size_t slot);
  void OnTimerStart(size_t slot, TimePoint now, Duration delay);
  void OnTimerStartRepeating(size_t slot, TimePoint now, Duration period);
  void OnTimerStop(size_t slot);
  // The timer (slot, generation) fired: checks that it was armed, due and first in order, then
  // re-arms a repeating timer at its next deadline after `bound.now`, or disarms it.
  void OnTimerFired(size_t slot, uint64_t generation, const FireBound& bound);
  bool TimerLive(size_t slot) const { return timers_[slot].live; }
  bool TimerArmed(size_t slot) const { return timers_[slot].armed.has_value(); }

  // Delayed tasks (PostDelayed): numbered from 0.
  uint64_t OnPostDelayed(TimePoint now, Duration delay);
  void OnDelayedTaskRan(uint64_t id, const FireBound& bound);

  // Posted tasks (Post): numbered from 0, run first in, first out.
  uint64_t OnPost();
  void OnPostedTaskRan(uint64_t id);
  size_t pending_posted_tasks() const { return posted_.size(); }

  // Before-blocking tasks (CreateBeforeBlockingTask).
  void OnTaskCreated(size_t slot, uint64_t generation);
  void OnTaskDestroyed(size_t slot);
  // A Schedule() call; `from_posted_task` when made by a posted task's callback (step 3 of an
  // iteration, whose scheduled tasks still run in this iteration).
  void OnTaskSchedule(size_t slot, bool from_posted_task);
  void OnTaskCancel(size_t slot);
  // The task (slot, generation) runs: checks that it was scheduled, first in schedule order,
  // and after the posted tasks it must follow.
  void OnTaskRan(size_t slot, uint64_t generation);
  bool TaskLive(size_t slot) const { return tasks_[slot].live; }
  bool TaskScheduled(size_t slot) const { return tasks_[slot].scheduled.has_value(); }

  // Fd watchers (WatchFd) on kFds fds, always writable, readable as the top level sets them
  // (never while the loop runs). Interest and readiness are IoEvents bits.
  void OnFdReadable(size_t fd, bool readable) { fd_readable_[fd] = readable; }
  void OnWatcherCreated(size_t slot, uint64_t generation, size_t fd, uint32_t interest);
  void OnWatcherDestroyed(size_t slot) { watchers_[slot] = Watcher{}; }
  void OnWatcherSetEvents(size_t slot, uint32_t interest);
  // The watcher (slot, generation) was called with `ready`: checks that it lives, and that
  // `ready` is ready and was asked for since the run began (exactly what it asks for, ready,
  // when its interest has not changed since).
  void OnWatcherCalled(size_t slot, uint64_t generation, uint32_t ready);
  bool WatcherLive(size_t slot) const { return watchers_[slot].live; }
  uint32_t WatcherInterest(size_t slot) const { return watchers_[slot].interest; }
  // Signal watchers (WatchSignal) on kSignals signals, raised only by the top level.
  void OnSignalWatcherCreated(size_t slot, uint64_t generation, size_t signal);
  void OnSignalWatcherDestroyed(size_t slot) { signal_watchers_[slot] = SignalWatcher{}; }
  void OnSignalRaised(size_t signal);
  // The watcher (slot, generation) was called: checks that it lives and that its signal was
  // raised since the last run, at most once per raise.
  void OnSignalWatcherCalled(size_t slot, uint64_t generation);
  bool SignalWatcherLive(size_t slot) const { return signal_watchers_[slot].live; }

  // A top-level run starts: forgets what the watchers asked for and were called with before.
  void BeginRun();
  // After a run that polled at least once: every fd watcher that asked for a ready event all
  // along was called, and every signal watcher whose signal was raised while it lived; the
  // raises are then all delivered.
  void EndPollingRun();

  // The key a timer armed now would get, with a deadline of `now`: the cutoff of a
  // RunUntilIdle() that starts now.
  TimerKey CutoffAt(TimePoint now) const { return TimerKey{now, next_sequence_}; }
  // After a RunUntilIdle() that started with `cutoff`: everything that was due then fired, and
  // no posted or before-blocking task waits.
  void CheckIdleAfter(const TimerKey& cutoff) const;
  // After a FastForwardBy() to `end`: no timer or delayed task is due before `end`.
  void CheckNothingDueBefore(TimePoint end) const;

 private:
  struct Timer {
    bool live = false;
    uint64_t generation = 0;
    std::optional<TimerKey> armed;
    Duration period = Duration::zero();  // Zero: one-shot.
  };
  struct Task {
    bool live = false;
    uint64_t generation = 0;
    std::optional<uint64_t> scheduled;  // Its place in the schedule while scheduled.
    // Posted tasks numbered below this run before it: those pending when it was scheduled,
    // unless a posted task scheduled it (they may then wait for the next iteration).
    uint64_t after_posted = 0;
  };

  struct Watcher {
    bool live = false;
    uint64_t generation = 0;
    size_t fd = 0;
    uint32_t interest = 0;
    uint32_t asked_in_run = 0;    // Every interest it had since the run began.
    bool changed_in_run = false;  // Created or given new interest since the run began.
    uint64_t calls_in_run = 0;
  };

  struct SignalWatcher {
    bool live = false;
    uint64_t generation = 0;
    size_t signal = 0;
    uint64_t raised_while_live = 0;  // Since the last run.
    uint64_t calls_in_run = 0;
    bool live_all_run = false;  // Lived from the run's start.
  };

  uint32_t Readiness(size_t fd) const;

  // Checks that `key` may fire under `bound` and that no armed timer or delayed task precedes
  // it.
  void CheckMayFire(const TimerKey& key, const FireBound& bound) const;
  TimerKey Arm(TimePoint deadline) { return TimerKey{deadline, next_sequence_++}; }

  Timer timers_[kTimerSlots];
  std::map<uint64_t, TimerKey> delayed_;  // Delayed tasks not run yet, by number.
  uint64_t next_delayed_ = 0;
  uint64_t next_sequence_ = 0;  // Counts every arming, as the loop does.
  std::deque<uint64_t> posted_;
  uint64_t next_posted_ = 0;
  Task tasks_[kTaskSlots];
  uint64_t next_schedule_ = 0;
  Watcher watchers_[kWatcherSlots];
  bool fd_readable_[kFds] = {};
  SignalWatcher signal_watchers_[kSignalWatcherSlots];
  uint64_t raises_[kSignals] = {};  // Since the last run.
};

}  // namespace fuzz

#endif  // LOCALSOCKET_TOOLS_FUZZING_LOOP_MODEL_H_
