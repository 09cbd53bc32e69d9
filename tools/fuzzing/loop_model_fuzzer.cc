// Fuzzes the event loop's scheduling (eventloop/loop_base.h, shared by FakeEventLoop and
// LibeventLoop): timers, delayed tasks, posted tasks, before-blocking tasks, fd and signal
// watchers, started, stopped, destroyed and run from the top level and from inside each other's
// callbacks, on fake time, against a model of the contract in eventloop/event_loop.h
// (loop_model.h). This file decodes the input; loop_model_session.h performs the operations and
// checks them.
//
// Input: one byte choosing the loop (even: FakeEventLoop; odd: LibeventLoop on a FakeClock,
// which never sleeps towards a timer), then at most 64 operations, each an opcode byte (modulo
// kOpCount) followed by its arguments; a truncated operation reads zeros. T is a timer slot
// byte (modulo 6), B a before-blocking task slot byte (modulo 4), W a watcher slot byte
// (modulo 4), F one of two eventfds (modulo 2; always writable), E an interest byte (modulo 4:
// none, kReadable, kWritable, both), D a delay byte: 0..49 ms, 0..39 us, a negative delay, or
// Duration::max() (see ReadDelay):
//   kCreateTimer T         a new stopped timer in the slot (destroying the slot's handle)
//   kStart T D             Timer::Start
//   kStartRepeating T D    Timer::StartRepeating (sub-millisecond periods become 1 ms)
//   kStop T                Timer::Stop
//   kDestroyTimer T        destroys the slot's handle
//   kPost                  EventLoop::Post
//   kPostDelayed D         EventLoop::PostDelayed
//   kCreateTask B          a new before-blocking task in the slot
//   kSchedule B / kCancel B / kDestroyTask B
//   kAdvance D             moves the clock forward (not Duration::max())
//   kRunUntilIdle          RunUntilIdle()
//   kFastForward D         FakeEventLoop::FastForwardBy (LibeventLoop: kAdvance, then
//                          RunUntilIdle)
//   kQuitThenRun           Quit(), then Run(): it must return at once, running nothing
//   kRunUntilQuitTask      posts a task that calls Quit(), then Run()
//   kWatch W F E           WatchFd (destroying the slot's handle)
//   kSetEvents W E         FdWatcher::SetEvents
//   kDestroyWatcher W      destroys the slot's handle
//   kSetReadable F / kClearReadable F   the fd readable or not (an eventfd count of 1 or 0;
//                          FakeEventLoop's scripted readiness); ignored inside callbacks
//   kWatchSignal S G       WatchSignal in slot S (modulo 3) for G: SIGWINCH or SIGURG (modulo
//                          2; both ignored by default)
//   kDestroySignalWatcher S
//   kRaise G               raise(G) (FakeEventLoop::RaiseSignal); ignored inside callbacks
// Every callback (a timer's, a task's) then performs up to 3 further operations read from the
// input, while a budget of 256 such operations lasts: the same ones, on any slot (its own
// handle included), except that the run operations become nested RunUntilIdle() or Run()
// calls, which must return at once and run nothing, and kAdvance moves the clock inside the
// callback.
//
// Invariants (loop_model.h), checked at every callback and after every operation:
// - a timer or delayed task fires only when armed, at Now() >= its deadline, in (deadline,
//   arming order) order; inside RunUntilIdle() only if it was due when the call started;
//   a repeating timer moves on to the first deadline + k * period after Now(), once per fire;
// - stopped, cancelled and destroyed handles never run;
// - posted tasks run first in, first out, each once; before-blocking tasks in schedule order,
//   each request once;
// - a watcher is called only with events that are ready and that it asked for since the run
//   began (exactly its interest's ready part if that did not change), and every watcher whose
//   interest stayed ready all along is called in each run (level-triggered);
// - a signal watcher is called only for raises since the last run (at most once each), and in
//   the next run for every raise while it lived;
// - Timer::IsActive(), BeforeBlockingTask::IsScheduled() and FdWatcher::events() match the
//   model, also inside their own callbacks;
// - after RunUntilIdle() nothing that was due when it started is left, nor any posted or
//   scheduled task; after FastForwardBy(d) nothing is due before start + d;
// - FakeEventLoop reports no misuse.
// At the end the loop is destroyed before the handles: they turn inert (every method does
// nothing, IsActive() and IsScheduled() are false, events() keeps the last interest) and
// every task that never ran is destroyed; each signal has its disposition back.
#include <chrono>
#include <cstddef>
#include <cstdint>

#include "eventloop/clock.h"
#include "tools/fuzzing/fuzz_input.h"
#include "tools/fuzzing/loop_model.h"
#include "tools/fuzzing/loop_model_session.h"

namespace {

using eventloop::Duration;
using fuzz::LoopModel;

constexpr size_t kMaxOps = 64;
constexpr size_t kMaxActionsPerCallback = 3;
constexpr size_t kCallbackBudget = 256;

enum class Op : uint8_t {
  kCreateTimer,
  kStart,
  kStartRepeating,
  kStop,
  kDestroyTimer,
  kPost,
  kPostDelayed,
  kCreateTask,
  kSchedule,
  kCancel,
  kDestroyTask,
  kAdvance,
  kRunUntilIdle,
  kFastForward,
  kQuitThenRun,
  kRunUntilQuitTask,
  kWatch,
  kSetEvents,
  kDestroyWatcher,
  kSetReadable,
  kClearReadable,
  kWatchSignal,
  kDestroySignalWatcher,
  kRaise,
  kOpCount,
};

// Mostly whole milliseconds below 50, so that deadlines often tie and the arming order decides;
// also microseconds, negative delays (counted as zero) and the largest delay (a deadline at the
// clock's end, which never comes).
Duration ReadDelay(fuzz::FuzzInput& input) {
  const uint8_t b = input.Byte();
  if (b == 255) return Duration::max();
  if (b >= 240) return -std::chrono::milliseconds(b - 239);
  if (b >= 200) return std::chrono::microseconds(b - 200);
  return std::chrono::milliseconds(b % 50);
}

// Decodes the input into operations on one session: the top-level ones, and those of every
// callback while the budget lasts.
class LoopDriver {
 public:
  explicit LoopDriver(fuzz::FuzzInput& input)
      : input_(input), session_(/*libevent=*/input.Bool(), [this] { PerformCallbackActions(); }) {}

  // Runs the input's operations, then the session's end checks.
  void Run() {
    for (size_t ops = 0; ops < kMaxOps && !input_.empty(); ++ops) {
      Perform(/*in_callback=*/false);
      session_.CheckAfterOperation();
    }
    session_.Finish();
  }

 private:
  // Reads one operation and performs it; inside a callback, the run operations become nested
  // calls that must do nothing, and fds and signals are left alone.
  void Perform(bool in_callback) {
    const auto op = static_cast<Op>(input_.Byte() % static_cast<uint8_t>(Op::kOpCount));
    switch (op) {
      case Op::kCreateTimer:
        return session_.CreateTimer(TimerSlot());
      case Op::kStart: {
        const size_t slot = TimerSlot();
        return session_.StartTimer(slot, ReadDelay(input_));
      }
      case Op::kStartRepeating: {
        const size_t slot = TimerSlot();
        return session_.StartRepeatingTimer(slot, ReadDelay(input_));
      }
      case Op::kStop:
        return session_.StopTimer(TimerSlot());
      case Op::kDestroyTimer:
        return session_.DestroyTimer(TimerSlot());
      case Op::kPost:
        return session_.Post();
      case Op::kPostDelayed:
        return session_.PostDelayed(ReadDelay(input_));
      case Op::kCreateTask:
        return session_.CreateTask(TaskSlot());
      case Op::kSchedule:
        return session_.ScheduleTask(TaskSlot());
      case Op::kCancel:
        return session_.CancelTask(TaskSlot());
      case Op::kDestroyTask:
        return session_.DestroyTask(TaskSlot());
      case Op::kAdvance: {
        const Duration delay = ReadDelay(input_);
        if (delay != Duration::max()) session_.Advance(delay);
        return;
      }
      case Op::kRunUntilIdle:
        return in_callback ? session_.NestedRun(/*until_idle=*/true) : session_.RunUntilIdle();
      case Op::kFastForward:
        return in_callback ? session_.NestedRun(/*until_idle=*/true)
                           : session_.FastForward(ReadDelay(input_));
      case Op::kQuitThenRun:
        return in_callback ? session_.NestedRun(/*until_idle=*/false) : session_.QuitThenRun();
      case Op::kRunUntilQuitTask:
        return in_callback ? session_.NestedRun(/*until_idle=*/false) : session_.RunUntilQuitTask();
      case Op::kWatch: {
        const size_t slot = input_.Byte() % LoopModel::kWatcherSlots;
        const size_t fd = FdSlot();
        return session_.WatchFd(slot, fd, Interest());
      }
      case Op::kSetEvents: {
        const size_t slot = input_.Byte() % LoopModel::kWatcherSlots;
        return session_.SetWatcherEvents(slot, Interest());
      }
      case Op::kDestroyWatcher:
        return session_.DestroyWatcher(input_.Byte() % LoopModel::kWatcherSlots);
      case Op::kSetReadable:
      case Op::kClearReadable: {
        const size_t fd = FdSlot();
        if (!in_callback) session_.SetReadable(fd, op == Op::kSetReadable);
        return;
      }
      case Op::kWatchSignal: {
        const size_t slot = input_.Byte() % LoopModel::kSignalWatcherSlots;
        return session_.WatchSignal(slot, SignalSlot());
      }
      case Op::kDestroySignalWatcher:
        return session_.DestroySignalWatcher(input_.Byte() % LoopModel::kSignalWatcherSlots);
      case Op::kRaise: {
        const size_t signal = SignalSlot();
        if (!in_callback) session_.Raise(signal);
        return;
      }
      case Op::kOpCount:
        break;
    }
  }

  // A callback's own operations: up to kMaxActionsPerCallback while the budget lasts.
  void PerformCallbackActions() {
    const size_t actions = input_.InRange(0, kMaxActionsPerCallback);
    for (size_t i = 0; i < actions && callback_budget_ > 0; ++i) {
      --callback_budget_;
      Perform(/*in_callback=*/true);
    }
  }

  size_t TimerSlot() { return input_.Byte() % LoopModel::kTimerSlots; }
  size_t TaskSlot() { return input_.Byte() % LoopModel::kTaskSlots; }
  size_t FdSlot() { return input_.Byte() % LoopModel::kFds; }
  size_t SignalSlot() { return input_.Byte() % LoopModel::kSignals; }
  uint32_t Interest() { return input_.Byte() % 4; }

  fuzz::FuzzInput& input_;
  size_t callback_budget_ = kCallbackBudget;
  fuzz::LoopModelSession session_;  // Last: its callbacks use the members above.
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::FuzzInput input(data, size);
  LoopDriver(input).Run();
  return 0;
}
