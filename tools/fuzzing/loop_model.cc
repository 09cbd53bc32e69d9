#include "tools/fuzzing/loop_model.h"

#include <string>

#include "eventloop/event_loop.h"
#include "tools/fuzzing/fuzz_check.h"

namespace fuzz {
namespace {

using TimePoint = LoopModel::TimePoint;
using Duration = LoopModel::Duration;

// `now + delay`, a negative delay counting as zero, and capped at the clock's last point.
TimePoint DeadlineAfter(TimePoint now, Duration delay) {
  if (delay <= Duration::zero()) return now;
  if (delay >= TimePoint::max() - now) return TimePoint::max();
  return now + delay;
}

std::string KeyText(const LoopModel::TimerKey& key) {
  return "deadline " + std::to_string(key.deadline.time_since_epoch().count()) + " ns, sequence " +
         std::to_string(key.sequence);
}

}  // namespace

void LoopModel::OnTimerCreated(size_t slot, uint64_t generation) {
  timers_[slot] = Timer{true, generation, std::nullopt, Duration::zero()};
}

void LoopModel::OnTimerDestroyed(size_t slot) { timers_[slot] = Timer{}; }

void LoopModel::OnTimerStart(size_t slot, TimePoint now, Duration delay) {
  Timer& timer = timers_[slot];
  timer.period = Duration::zero();
  timer.armed = Arm(DeadlineAfter(now, delay));
}

void LoopModel::OnTimerStartRepeating(size_t slot, TimePoint now, Duration period) {
  if (period <= Duration::zero()) return;  // Ignored: the timer keeps its state.
  Timer& timer = timers_[slot];
  timer.period = period;
  timer.armed = Arm(DeadlineAfter(now, period));
}

void LoopModel::OnTimerStop(size_t slot) { timers_[slot].armed.reset(); }

void LoopModel::OnTimerFired(size_t slot, uint64_t generation, const FireBound& bound) {
  Timer& timer = timers_[slot];
  FUZZ_CHECK(timer.live && timer.generation == generation);  // Destroyed handles never fire.
  FUZZ_CHECK(timer.armed.has_value());                       // Stopped timers never fire.
  const TimerKey key = *timer.armed;
  CheckMayFire(key, bound);
  if (timer.period == Duration::zero()) {
    timer.armed.reset();
    return;
  }
  // The first deadline + k * period (k >= 1) later than the time it fires: no catch-up burst.
  TimePoint next = DeadlineAfter(key.deadline, timer.period);
  if (next <= bound.now && next != TimePoint::max()) {
    const auto periods = (bound.now - key.deadline) / timer.period + 1;
    next = DeadlineAfter(key.deadline, timer.period * periods);
  }
  FUZZ_CHECK(next > bound.now || next == TimePoint::max());
  timer.armed = Arm(next);
}

uint64_t LoopModel::OnPostDelayed(TimePoint now, Duration delay) {
  const uint64_t id = next_delayed_++;
  delayed_.emplace(id, Arm(DeadlineAfter(now, delay)));
  return id;
}

void LoopModel::OnDelayedTaskRan(uint64_t id, const FireBound& bound) {
  const auto it = delayed_.find(id);
  FUZZ_CHECK(it != delayed_.end());  // Each runs once.
  CheckMayFire(it->second, bound);
  delayed_.erase(it);
}

uint64_t LoopModel::OnPost() {
  posted_.push_back(next_posted_);
  return next_posted_++;
}

void LoopModel::OnPostedTaskRan(uint64_t id) {
  FUZZ_CHECK(!posted_.empty());
  FUZZ_CHECK_EQ(id, posted_.front());  // First in, first out, each once.
  posted_.pop_front();
}

void LoopModel::OnTaskCreated(size_t slot, uint64_t generation) {
  tasks_[slot] = Task{true, generation, std::nullopt};
}

void LoopModel::OnTaskDestroyed(size_t slot) { tasks_[slot] = Task{}; }

void LoopModel::OnTaskSchedule(size_t slot, bool from_posted_task) {
  Task& task = tasks_[slot];
  if (task.scheduled) return;  // Repeated calls coalesce.
  task.scheduled = next_schedule_++;
  // Scheduled outside step 3, it runs at a step 4 that comes after the next step 3, which
  // runs every task pending now.
  task.after_posted = from_posted_task ? 0 : next_posted_;
}

void LoopModel::OnTaskCancel(size_t slot) { tasks_[slot].scheduled.reset(); }

void LoopModel::OnTaskRan(size_t slot, uint64_t generation) {
  Task& task = tasks_[slot];
  FUZZ_CHECK(task.live && task.generation == generation);  // Destroyed handles never run.
  FUZZ_CHECK(task.scheduled.has_value());                  // Cancelled ones neither.
  // A task runs in the iteration it was scheduled in, so everything scheduled before it (and
  // still scheduled) runs before it.
  for (const Task& other : tasks_) {
    if (other.scheduled) FUZZ_CHECK(*other.scheduled >= *task.scheduled);
  }
  if (!posted_.empty() && posted_.front() < task.after_posted) {
    CheckFailed(__FILE__, __LINE__, "a before-blocking task ran before a task posted earlier",
                "posted task " + std::to_string(posted_.front()) + " still waits");
  }
  task.scheduled.reset();
}

void LoopModel::OnWatcherCreated(size_t slot, uint64_t generation, size_t fd, uint32_t interest) {
  watchers_[slot] = Watcher{true, generation, fd, interest, interest, true, 0};
}

void LoopModel::OnWatcherSetEvents(size_t slot, uint32_t interest) {
  Watcher& watcher = watchers_[slot];
  if (interest == watcher.interest) return;
  watcher.interest = interest;
  watcher.asked_in_run |= interest;
  watcher.changed_in_run = true;
}

void LoopModel::OnWatcherCalled(size_t slot, uint64_t generation, uint32_t ready) {
  Watcher& watcher = watchers_[slot];
  FUZZ_CHECK(watcher.live && watcher.generation == generation);  // Destroyed ones never run.
  FUZZ_CHECK(ready != 0);
  FUZZ_CHECK_EQ(ready & ~Readiness(watcher.fd), 0U);  // Only what is ready,
  FUZZ_CHECK_EQ(ready & ~watcher.asked_in_run, 0U);   // and was asked for.
  if (!watcher.changed_in_run) FUZZ_CHECK_EQ(ready, watcher.interest & Readiness(watcher.fd));
  ++watcher.calls_in_run;
}

void LoopModel::OnSignalWatcherCreated(size_t slot, uint64_t generation, size_t signal) {
  signal_watchers_[slot] = SignalWatcher{true, generation, signal, 0, 0, false};
}

void LoopModel::OnSignalRaised(size_t signal) {
  ++raises_[signal];
  for (SignalWatcher& watcher : signal_watchers_) {
    if (watcher.live && watcher.signal == signal) ++watcher.raised_while_live;
  }
}

void LoopModel::OnSignalWatcherCalled(size_t slot, uint64_t generation) {
  SignalWatcher& watcher = signal_watchers_[slot];
  FUZZ_CHECK(watcher.live && watcher.generation == generation);  // Destroyed ones never run.
  // Raises close together may come as one call, never as more calls than raises.
  FUZZ_CHECK(watcher.calls_in_run < raises_[watcher.signal]);
  ++watcher.calls_in_run;
}

void LoopModel::BeginRun() {
  for (Watcher& watcher : watchers_) {
    watcher.asked_in_run = watcher.interest;
    watcher.changed_in_run = false;
    watcher.calls_in_run = 0;
  }
  for (SignalWatcher& watcher : signal_watchers_) {
    watcher.calls_in_run = 0;
    watcher.live_all_run = watcher.live;
  }
}

void LoopModel::EndPollingRun() {
  for (const Watcher& watcher : watchers_) {
    if (!watcher.live || watcher.changed_in_run) continue;
    // Level-triggered: ready for what it asks, it is called at the run's first poll.
    if ((watcher.interest & Readiness(watcher.fd)) != 0) FUZZ_CHECK(watcher.calls_in_run > 0);
  }
  for (SignalWatcher& watcher : signal_watchers_) {
    // A signal raised while the watcher lived reaches it at the run's first poll.
    if (watcher.live && watcher.live_all_run && watcher.raised_while_live > 0) {
      FUZZ_CHECK(watcher.calls_in_run > 0);
    }
    watcher.raised_while_live = 0;
  }
  for (uint64_t& raises : raises_) raises = 0;
}

uint32_t LoopModel::Readiness(size_t fd) const {
  return eventloop::kWritable | (fd_readable_[fd] ? eventloop::kReadable : 0U);
}

void LoopModel::CheckIdleAfter(const TimerKey& cutoff) const {
  for (const Timer& timer : timers_) {
    if (!timer.armed || !(*timer.armed < cutoff)) continue;
    // Armed before the call, due when it started: it must have fired (and, if repeating,
    // moved on to a later deadline).
    CheckFailed(__FILE__, __LINE__, "a due timer did not fire",
                KeyText(*timer.armed) + ", call started at " + KeyText(cutoff));
  }
  for (const auto& [id, key] : delayed_) {
    if (key < cutoff) {
      CheckFailed(__FILE__, __LINE__, "a due delayed task did not run",
                  "task " + std::to_string(id) + ", " + KeyText(key));
    }
  }
  FUZZ_CHECK(posted_.empty());
  for (const Task& task : tasks_) FUZZ_CHECK(!task.scheduled.has_value());
}

void LoopModel::CheckNothingDueBefore(TimePoint end) const {
  for (const Timer& timer : timers_) {
    if (timer.armed) FUZZ_CHECK(timer.armed->deadline >= end);
  }
  for (const auto& [id, key] : delayed_) FUZZ_CHECK(key.deadline >= end);
}

void LoopModel::CheckMayFire(const TimerKey& key, const FireBound& bound) const {
  if (key.deadline > bound.now) {
    CheckFailed(__FILE__, __LINE__, "fired before its deadline",
                KeyText(key) + ", now " + std::to_string(bound.now.time_since_epoch().count()));
  }
  if (bound.cutoff && !(key < *bound.cutoff)) {
    CheckFailed(__FILE__, __LINE__, "RunUntilIdle fired a timer that was not due when it started",
                KeyText(key) + ", call started at " + KeyText(*bound.cutoff));
  }
  // Firing order: (deadline, arming order). Whatever precedes it must have fired already.
  for (const Timer& timer : timers_) {
    if (timer.armed && *timer.armed < key) {
      CheckFailed(__FILE__, __LINE__, "fired out of order",
                  KeyText(key) + " before " + KeyText(*timer.armed));
    }
  }
  for (const auto& [id, other] : delayed_) {
    if (other < key) {
      CheckFailed(__FILE__, __LINE__, "fired out of order",
                  KeyText(key) + " before delayed task " + KeyText(other));
    }
  }
}

}  // namespace fuzz
