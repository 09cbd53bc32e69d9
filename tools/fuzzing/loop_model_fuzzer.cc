// Fuzzes the event loop's scheduling (eventloop/loop_base.h, shared by FakeEventLoop and
// LibeventLoop): timers, delayed tasks, posted tasks, before-blocking tasks and fd watchers,
// started, stopped, destroyed and run from the top level and from inside each other's
// callbacks, on fake time, against a model of the contract in eventloop/event_loop.h
// (loop_model.h).
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
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "eventloop/event_loop.h"
#include "eventloop/libevent_loop.h"
#include "gtest/gtest.h"
#include "testing/fake_clock.h"
#include "testing/fake_event_loop.h"
#include "tools/fuzzing/fuzz_check.h"
#include "tools/fuzzing/fuzz_input.h"
#include "tools/fuzzing/loop_model.h"

namespace {

using eventloop::Duration;
using eventloop::TimePoint;
using fuzz::LoopModel;

constexpr size_t kMaxOps = 64;
constexpr size_t kMaxActionsPerCallback = 3;
constexpr size_t kCallbackBudget = 256;
// Signals whose default action is to ignore them, and which libFuzzer leaves alone.
constexpr int kSignalNumbers[LoopModel::kSignals] = {SIGWINCH, SIGURG};

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

// The loop under test, its handles and the model, driven by one input.
class LoopWorld {
 public:
  LoopWorld(fuzz::FuzzInput& input, bool libevent) : input_(input) {
    for (size_t signal = 0; signal < LoopModel::kSignals; ++signal) {
      original_handlers_[signal] = SignalHandler(kSignalNumbers[signal]);
    }
    for (int& fd : fds_) {
      fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
      FUZZ_CHECK(fd >= 0);
    }
    if (libevent) {
      loop_ = std::make_unique<eventloop::LibeventLoop>(libevent_clock_);
      clock_ = &libevent_clock_;
    } else {
      auto fake = std::make_unique<eventloop::FakeEventLoop>();
      fake_loop_ = fake.get();
      clock_ = &fake->fake_clock();
      loop_ = std::move(fake);
      for (int fd : fds_) fake_loop_->SetFdReady(fd, eventloop::kWritable);  // As an eventfd.
    }
  }
  ~LoopWorld() {
    for (int fd : fds_) close(fd);
  }
  LoopWorld(const LoopWorld&) = delete;
  LoopWorld& operator=(const LoopWorld&) = delete;

  // Runs one top-level operation.
  void Step() {
    Perform(/*in_callback=*/false);
    CheckHandles();
    FUZZ_CHECK(!testing::UnitTest::GetInstance()->Failed());  // FakeEventLoop's own checks.
  }

  // Destroys the loop first, then checks that the handles are inert, that every task that never
  // ran was destroyed with the loop and that each signal has its disposition back.
  void Finish() {
    fake_loop_ = nullptr;
    clock_ = nullptr;
    loop_.reset();
    for (std::unique_ptr<eventloop::Timer>& timer : timers_) {
      if (timer == nullptr) continue;
      timer->Start(Duration::zero());
      timer->StartRepeating(std::chrono::milliseconds(1));
      FUZZ_CHECK(!timer->IsActive());
      timer->Stop();
      timer.reset();
    }
    for (size_t slot = 0; slot < LoopModel::kWatcherSlots; ++slot) {
      if (watchers_[slot] == nullptr) continue;
      watchers_[slot]->SetEvents(eventloop::kReadable | eventloop::kWritable);
      FUZZ_CHECK_EQ(watchers_[slot]->events(), model_.WatcherInterest(slot));  // Unchanged.
      watchers_[slot].reset();
    }
    for (std::unique_ptr<eventloop::SignalWatcher>& watcher : signal_watchers_) watcher.reset();
    for (std::unique_ptr<eventloop::BeforeBlockingTask>& task : tasks_) {
      if (task == nullptr) continue;
      task->Schedule();
      FUZZ_CHECK(!task->IsScheduled());
      task->Cancel();
      task.reset();
    }
    for (const std::weak_ptr<const int>& task : task_lives_) FUZZ_CHECK(task.expired());
    // With its last watcher gone, each signal has its disposition back.
    for (size_t signal = 0; signal < LoopModel::kSignals; ++signal) {
      FUZZ_CHECK(SignalHandler(kSignalNumbers[signal]) == original_handlers_[signal]);
    }
    FUZZ_CHECK(!testing::UnitTest::GetInstance()->Failed());
  }

 private:
  // Reads one operation and performs it; inside a callback, the run operations become nested
  // calls that must do nothing.
  void Perform(bool in_callback) {
    const auto op = static_cast<Op>(input_.Byte() % static_cast<uint8_t>(Op::kOpCount));
    switch (op) {
      case Op::kCreateTimer: {
        const size_t slot = input_.Byte() % LoopModel::kTimerSlots;
        timers_[slot].reset();
        model_.OnTimerDestroyed(slot);
        const uint64_t generation = next_generation_++;
        timers_[slot] = loop_->CreateTimer([this, slot, generation] {
          model_.OnTimerFired(slot, generation, Bound());
          OnCallback();
        });
        model_.OnTimerCreated(slot, generation);
        return;
      }
      case Op::kStart: {
        const size_t slot = input_.Byte() % LoopModel::kTimerSlots;
        const Duration delay = ReadDelay(input_);
        if (timers_[slot] == nullptr) return;
        timers_[slot]->Start(delay);
        model_.OnTimerStart(slot, clock_->Now(), delay);
        return;
      }
      case Op::kStartRepeating: {
        const size_t slot = input_.Byte() % LoopModel::kTimerSlots;
        Duration period = ReadDelay(input_);
        // Sub-millisecond periods would fire thousands of times per fast-forward.
        if (period > Duration::zero())
          period = std::max<Duration>(period, std::chrono::milliseconds(1));
        if (timers_[slot] == nullptr) return;
        timers_[slot]->StartRepeating(period);
        model_.OnTimerStartRepeating(slot, clock_->Now(), period);
        return;
      }
      case Op::kStop: {
        const size_t slot = input_.Byte() % LoopModel::kTimerSlots;
        if (timers_[slot] == nullptr) return;
        timers_[slot]->Stop();
        model_.OnTimerStop(slot);
        return;
      }
      case Op::kDestroyTimer: {
        const size_t slot = input_.Byte() % LoopModel::kTimerSlots;
        timers_[slot].reset();
        model_.OnTimerDestroyed(slot);
        return;
      }
      case Op::kPost: {
        const uint64_t id = model_.OnPost();
        loop_->Post([this, id, life = TaskLife()] {
          model_.OnPostedTaskRan(id);
          in_posted_task_ = true;
          OnCallback();
          in_posted_task_ = false;
        });
        return;
      }
      case Op::kPostDelayed: {
        const Duration delay = ReadDelay(input_);
        const uint64_t id = model_.OnPostDelayed(clock_->Now(), delay);
        loop_->PostDelayed(delay, [this, id, life = TaskLife()] {
          model_.OnDelayedTaskRan(id, Bound());
          OnCallback();
        });
        return;
      }
      case Op::kCreateTask: {
        const size_t slot = input_.Byte() % LoopModel::kTaskSlots;
        tasks_[slot].reset();
        model_.OnTaskDestroyed(slot);
        const uint64_t generation = next_generation_++;
        tasks_[slot] = loop_->CreateBeforeBlockingTask([this, slot, generation] {
          model_.OnTaskRan(slot, generation);
          OnCallback();
        });
        model_.OnTaskCreated(slot, generation);
        return;
      }
      case Op::kSchedule: {
        const size_t slot = input_.Byte() % LoopModel::kTaskSlots;
        if (tasks_[slot] == nullptr) return;
        tasks_[slot]->Schedule();
        model_.OnTaskSchedule(slot, in_posted_task_);
        return;
      }
      case Op::kCancel: {
        const size_t slot = input_.Byte() % LoopModel::kTaskSlots;
        if (tasks_[slot] == nullptr) return;
        tasks_[slot]->Cancel();
        model_.OnTaskCancel(slot);
        return;
      }
      case Op::kDestroyTask: {
        const size_t slot = input_.Byte() % LoopModel::kTaskSlots;
        tasks_[slot].reset();
        model_.OnTaskDestroyed(slot);
        return;
      }
      case Op::kAdvance: {
        const Duration delay = ReadDelay(input_);
        if (delay != Duration::max()) clock_->Advance(delay);
        return;
      }
      case Op::kRunUntilIdle:
      case Op::kFastForward:
        return in_callback ? NestedRun(/*until_idle=*/true) : RunUntilIdle(op);
      case Op::kQuitThenRun:
      case Op::kRunUntilQuitTask:
        return in_callback ? NestedRun(/*until_idle=*/false) : RunUntilQuit(op);
      case Op::kWatch: {
        const size_t slot = input_.Byte() % LoopModel::kWatcherSlots;
        const size_t fd = input_.Byte() % LoopModel::kFds;
        const uint32_t interest = input_.Byte() % 4;
        watchers_[slot].reset();
        model_.OnWatcherDestroyed(slot);
        const uint64_t generation = next_generation_++;
        watchers_[slot] =
            loop_->WatchFd(fds_[fd], interest, [this, slot, generation](uint32_t ready) {
              model_.OnWatcherCalled(slot, generation, ready);
              OnCallback();
            });
        FUZZ_CHECK(watchers_[slot] != nullptr);
        model_.OnWatcherCreated(slot, generation, fd, interest);
        return;
      }
      case Op::kSetEvents: {
        const size_t slot = input_.Byte() % LoopModel::kWatcherSlots;
        const uint32_t interest = input_.Byte() % 4;
        if (watchers_[slot] == nullptr) return;
        watchers_[slot]->SetEvents(interest);
        model_.OnWatcherSetEvents(slot, interest);
        return;
      }
      case Op::kDestroyWatcher: {
        const size_t slot = input_.Byte() % LoopModel::kWatcherSlots;
        watchers_[slot].reset();
        model_.OnWatcherDestroyed(slot);
        return;
      }
      case Op::kSetReadable:
      case Op::kClearReadable: {
        const size_t fd = input_.Byte() % LoopModel::kFds;
        if (!in_callback) SetReadable(fd, op == Op::kSetReadable);
        return;
      }
      case Op::kWatchSignal: {
        const size_t slot = input_.Byte() % LoopModel::kSignalWatcherSlots;
        const size_t signal = input_.Byte() % LoopModel::kSignals;
        signal_watchers_[slot].reset();
        model_.OnSignalWatcherDestroyed(slot);
        const uint64_t generation = next_generation_++;
        signal_watchers_[slot] =
            loop_->WatchSignal(kSignalNumbers[signal], [this, slot, generation] {
              model_.OnSignalWatcherCalled(slot, generation);
              OnCallback();
            });
        FUZZ_CHECK(signal_watchers_[slot] != nullptr);
        model_.OnSignalWatcherCreated(slot, generation, signal);
        return;
      }
      case Op::kDestroySignalWatcher: {
        const size_t slot = input_.Byte() % LoopModel::kSignalWatcherSlots;
        signal_watchers_[slot].reset();
        model_.OnSignalWatcherDestroyed(slot);
        return;
      }
      case Op::kRaise: {
        const size_t signal = input_.Byte() % LoopModel::kSignals;
        if (in_callback) return;
        if (fake_loop_ != nullptr) {
          fake_loop_->RaiseSignal(kSignalNumbers[signal]);
        } else {
          FUZZ_CHECK(raise(kSignalNumbers[signal]) == 0);
        }
        model_.OnSignalRaised(signal);
        return;
      }
      case Op::kOpCount:
        break;
    }
  }

  // kRunUntilIdle and kFastForward at the top level.
  void RunUntilIdle(Op op) {
    model_.BeginRun();
    if (op == Op::kFastForward) {
      const Duration delay = ReadDelay(input_);
      if (delay != Duration::max() && fake_loop_ != nullptr) {
        const TimePoint end = clock_->Now() + std::max(delay, Duration::zero());
        fake_loop_->FastForwardBy(delay);
        model_.CheckNothingDueBefore(end);
        model_.EndPollingRun();
        return;
      }
      if (delay != Duration::max()) clock_->Advance(delay);
    }
    cutoff_ = model_.CutoffAt(clock_->Now());
    loop_->RunUntilIdle();
    model_.CheckIdleAfter(*cutoff_);
    model_.EndPollingRun();
    cutoff_.reset();
  }

  // kQuitThenRun and kRunUntilQuitTask at the top level.
  void RunUntilQuit(Op op) {
    if (op == Op::kQuitThenRun) {
      const uint64_t callbacks = callbacks_run_;
      loop_->Quit();
      loop_->Run();
      FUZZ_CHECK_EQ(callbacks_run_, callbacks);  // A quit that came before Run() ends it at once.
      return;
    }
    model_.BeginRun();
    bool quit = false;
    const uint64_t id = model_.OnPost();
    loop_->Post([this, id, &quit, life = TaskLife()] {
      model_.OnPostedTaskRan(id);
      loop_->Quit();
      quit = true;
      in_posted_task_ = true;
      OnCallback();
      in_posted_task_ = false;
    });
    loop_->Run();
    FUZZ_CHECK(quit);
    model_.EndPollingRun();
  }

  // Makes fd slot `fd` readable or not: an eventfd's count of 1 or 0 (LibeventLoop), its
  // scripted readiness (FakeEventLoop).
  void SetReadable(size_t fd, bool readable) {
    if (fake_loop_ != nullptr) {
      if (readable) {
        fake_loop_->SetFdReady(fds_[fd], eventloop::kReadable);
      } else {
        fake_loop_->ClearFdReady(fds_[fd], eventloop::kReadable);
      }
    } else {
      uint64_t count = 0;
      const ssize_t drained = read(fds_[fd], &count, sizeof count);  // The count back to 0.
      FUZZ_CHECK(drained == sizeof count || errno == EAGAIN);
      count = 1;
      if (readable) FUZZ_CHECK(write(fds_[fd], &count, sizeof count) == sizeof count);
    }
    model_.OnFdReadable(fd, readable);
  }

  // A RunUntilIdle() or Run() from inside a callback: returns at once, running nothing.
  void NestedRun(bool until_idle) {
    const uint64_t callbacks = callbacks_run_;
    if (until_idle) {
      loop_->RunUntilIdle();
    } else {
      loop_->Run();
    }
    FUZZ_CHECK_EQ(callbacks_run_, callbacks);
  }

  // Every callback, after the model accepted it: checks the handles, then performs up to
  // kMaxActionsPerCallback operations while the budget lasts.
  void OnCallback() {
    ++callbacks_run_;
    CheckHandles();
    const size_t actions = input_.InRange(0, kMaxActionsPerCallback);
    for (size_t i = 0; i < actions && callback_budget_ > 0; ++i) {
      --callback_budget_;
      Perform(/*in_callback=*/true);
    }
  }

  void CheckHandles() const {
    for (size_t slot = 0; slot < LoopModel::kTimerSlots; ++slot) {
      FUZZ_CHECK_EQ(timers_[slot] != nullptr, model_.TimerLive(slot));
      if (timers_[slot] != nullptr)
        FUZZ_CHECK_EQ(timers_[slot]->IsActive(), model_.TimerArmed(slot));
    }
    for (size_t slot = 0; slot < LoopModel::kWatcherSlots; ++slot) {
      FUZZ_CHECK_EQ(watchers_[slot] != nullptr, model_.WatcherLive(slot));
      if (watchers_[slot] != nullptr) {
        FUZZ_CHECK_EQ(watchers_[slot]->events(), model_.WatcherInterest(slot));
      }
    }
    for (size_t slot = 0; slot < LoopModel::kSignalWatcherSlots; ++slot) {
      FUZZ_CHECK_EQ(signal_watchers_[slot] != nullptr, model_.SignalWatcherLive(slot));
    }
    for (size_t slot = 0; slot < LoopModel::kTaskSlots; ++slot) {
      FUZZ_CHECK_EQ(tasks_[slot] != nullptr, model_.TaskLive(slot));
      if (tasks_[slot] != nullptr) {
        FUZZ_CHECK_EQ(tasks_[slot]->IsScheduled(), model_.TaskScheduled(slot));
      }
    }
  }

  // The handler the process has for `signo` now.
  static void (*SignalHandler(int signo))(int) {
    struct sigaction action = {};
    FUZZ_CHECK(sigaction(signo, nullptr, &action) == 0);
    return action.sa_handler;
  }

  LoopModel::FireBound Bound() const { return LoopModel::FireBound{clock_->Now(), cutoff_}; }

  // A token for a posted or delayed task's callable: it expires when the loop destroys the
  // callable, after running it or with the loop.
  std::shared_ptr<const int> TaskLife() {
    auto life = std::make_shared<const int>(0);
    task_lives_.push_back(life);
    return life;
  }

  fuzz::FuzzInput& input_;
  eventloop::FakeClock libevent_clock_;  // LibeventLoop's; declared before the loop.
  std::unique_ptr<eventloop::EventLoop> loop_;
  eventloop::FakeEventLoop* fake_loop_ = nullptr;  // loop_, when it is a FakeEventLoop.
  eventloop::FakeClock* clock_ = nullptr;
  std::unique_ptr<eventloop::Timer> timers_[LoopModel::kTimerSlots];
  std::unique_ptr<eventloop::BeforeBlockingTask> tasks_[LoopModel::kTaskSlots];
  std::unique_ptr<eventloop::FdWatcher> watchers_[LoopModel::kWatcherSlots];
  std::unique_ptr<eventloop::SignalWatcher> signal_watchers_[LoopModel::kSignalWatcherSlots];
  int fds_[LoopModel::kFds] = {};
  void (*original_handlers_[LoopModel::kSignals])(
      int) = {};  // Before any signal watcher.  // eventfds: watched by both loops, only read by
                  // LibeventLoop.
  uint64_t next_generation_ = 0;
  LoopModel model_;
  std::optional<LoopModel::TimerKey> cutoff_;  // While a top-level RunUntilIdle() runs.
  uint64_t callbacks_run_ = 0;
  bool in_posted_task_ = false;  // While a posted task's callback runs (step 3).
  size_t callback_budget_ = kCallbackBudget;
  std::vector<std::weak_ptr<const int>> task_lives_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::FuzzInput input(data, size);
  LoopWorld world(input, /*libevent=*/input.Bool());
  for (size_t ops = 0; ops < kMaxOps && !input.empty(); ++ops) world.Step();
  world.Finish();
  return 0;
}
