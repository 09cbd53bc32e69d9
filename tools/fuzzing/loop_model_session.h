// fuzz::LoopModelSession: the world of loop_model_fuzzer: the loop under test (FakeEventLoop,
// or LibeventLoop on a FakeClock), its handles in numbered slots (timers, before-blocking
// tasks, fd watchers on two eventfds, signal watchers for SIGWINCH and SIGURG) and the model of
// what event_loop.h promises them (loop_model.h). The fuzzer decodes operations into the calls
// below; every call tells the model, and every callback is checked against it. See
// loop_model_fuzzer.cc for the operations and the invariants. Single-threaded; one per input.
#ifndef LOCALSOCKET_TOOLS_FUZZING_LOOP_MODEL_SESSION_H_
#define LOCALSOCKET_TOOLS_FUZZING_LOOP_MODEL_SESSION_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "eventloop/clock.h"
#include "eventloop/event_loop.h"
#include "testing/fake_clock.h"
#include "testing/fake_event_loop.h"
#include "tools/fuzzing/loop_model.h"

namespace fuzz {

class LoopModelSession {
 public:
  // Runs inside every callback of the loop, after the model accepted the callback and the
  // handles were checked: the callback's own operations (calls on this session, where the run
  // operations must be NestedRun()).
  using CallbackActions = std::function<void()>;

  // A FakeEventLoop, or with `libevent` a LibeventLoop on a FakeClock; two fresh eventfds.
  LoopModelSession(bool libevent, CallbackActions callback_actions);
  ~LoopModelSession();
  LoopModelSession(const LoopModelSession&) = delete;
  LoopModelSession& operator=(const LoopModelSession&) = delete;

  // Whether the loop is a FakeEventLoop.
  bool fake() const { return fake_loop_ != nullptr; }

  // Timers, by slot (< LoopModel::kTimerSlots). Creating destroys the slot's handle first; the
  // others do nothing on an empty slot.
  void CreateTimer(size_t slot);
  void StartTimer(size_t slot, eventloop::Duration delay);
  // Sub-millisecond positive periods become 1 ms: they would fire thousands of times per
  // fast-forward.
  void StartRepeatingTimer(size_t slot, eventloop::Duration period);
  void StopTimer(size_t slot);
  void DestroyTimer(size_t slot);

  // Posted and delayed tasks.
  void Post();
  void PostDelayed(eventloop::Duration delay);

  // Before-blocking tasks, by slot (< LoopModel::kTaskSlots), as the timers.
  void CreateTask(size_t slot);
  void ScheduleTask(size_t slot);
  void CancelTask(size_t slot);
  void DestroyTask(size_t slot);

  // Fd watchers, by slot (< LoopModel::kWatcherSlots), on eventfd `fd` (< LoopModel::kFds).
  void WatchFd(size_t slot, size_t fd, uint32_t interest);
  void SetWatcherEvents(size_t slot, uint32_t interest);
  void DestroyWatcher(size_t slot);
  // Makes eventfd `fd` readable or not: its count 1 or 0 (LibeventLoop), its scripted
  // readiness (FakeEventLoop). Top level only.
  void SetReadable(size_t fd, bool readable);

  // Signal watchers, by slot (< LoopModel::kSignalWatcherSlots), for signal `signal`
  // (< LoopModel::kSignals).
  void WatchSignal(size_t slot, size_t signal);
  void DestroySignalWatcher(size_t slot);
  // Raises `signal` (FakeEventLoop::RaiseSignal, or raise()). Top level only.
  void Raise(size_t signal);

  // Moves the clock forward (a callback's time passing, or time between runs).
  void Advance(eventloop::Duration delay);

  // The top-level runs, each checked against the model when it returns.
  void RunUntilIdle();
  // FakeEventLoop::FastForwardBy(delay); on LibeventLoop, Advance(delay) then RunUntilIdle().
  // Duration::max() only runs until idle.
  void FastForward(eventloop::Duration delay);
  // Quit(), then Run(): it must return at once, running nothing.
  void QuitThenRun();
  // Posts a task that calls Quit(), then Run().
  void RunUntilQuitTask();
  // RunUntilIdle() (`until_idle`) or Run() from inside a callback: it must return at once,
  // running nothing.
  void NestedRun(bool until_idle);

  // Checks every handle's state against the model, and that FakeEventLoop reported no misuse.
  void CheckAfterOperation() const;

  // Destroys the loop first, then checks that the handles are inert, that every task that
  // never ran was destroyed with the loop and that each signal has its disposition back.
  void Finish();

 private:
  void OnCallback();
  void CheckHandles() const;
  LoopModel::FireBound Bound() const;
  std::shared_ptr<const int> TaskLife();

  const CallbackActions callback_actions_;
  eventloop::FakeClock libevent_clock_;  // LibeventLoop's; declared before the loop.
  std::unique_ptr<eventloop::EventLoop> loop_;
  eventloop::FakeEventLoop* fake_loop_ = nullptr;  // loop_, when it is a FakeEventLoop.
  eventloop::FakeClock* clock_ = nullptr;
  std::unique_ptr<eventloop::Timer> timers_[LoopModel::kTimerSlots];
  std::unique_ptr<eventloop::BeforeBlockingTask> tasks_[LoopModel::kTaskSlots];
  std::unique_ptr<eventloop::FdWatcher> watchers_[LoopModel::kWatcherSlots];
  std::unique_ptr<eventloop::SignalWatcher> signal_watchers_[LoopModel::kSignalWatcherSlots];
  // eventfds: watched by both loops, only read and written on LibeventLoop.
  int fds_[LoopModel::kFds] = {};
  // Each signal's handler before any signal watcher.
  void (*original_handlers_[LoopModel::kSignals])(int) = {};
  uint64_t next_generation_ = 0;
  LoopModel model_;
  std::optional<LoopModel::TimerKey> cutoff_;  // While a top-level RunUntilIdle() runs.
  uint64_t callbacks_run_ = 0;
  // While a posted task's callback runs (step 3 of an iteration in eventloop/event_loop.h).
  bool in_posted_task_ = false;
  // One per posted or delayed task's callable; expires when the loop destroys the callable.
  std::vector<std::weak_ptr<const int>> task_lives_;
};

}  // namespace fuzz

#endif  // LOCALSOCKET_TOOLS_FUZZING_LOOP_MODEL_SESSION_H_
