// The EventLoop contract (eventloop/event_loop.h), checked against every loop of the library:
// LibeventLoop on a FakeClock, LibeventLoop on SystemClock() and FakeEventLoop. Tests that need
// to move time run only on the fake-time loops (EventLoopTimeContractTest).
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "eventloop/clock.h"
#include "eventloop/event_loop.h"
#include "eventloop/libevent_loop.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/fake_clock.h"
#include "testing/fake_event_loop.h"
#include "testing/loop_watchdog.h"

namespace eventloop {
namespace {

using std::chrono::hours;
using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::nanoseconds;
using std::chrono::seconds;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

// Elapsed time in whole microseconds (prints readably in failure messages).
int64_t Us(Duration d) { return std::chrono::duration_cast<microseconds>(d).count(); }
int64_t Ms(int64_t ms) { return ms * 1000; }  // Milliseconds, in the unit of Us().

// A pipe, for handles that need a real, pollable fd (the fake loop accepts it too).
class Pipe {
 public:
  Pipe() {
    int fds[2];
    if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) == 0) {
      read_fd_ = fds[0];
      write_fd_ = fds[1];
    }
  }
  Pipe(const Pipe&) = delete;
  Pipe& operator=(const Pipe&) = delete;
  ~Pipe() {
    if (read_fd_ >= 0) close(read_fd_);
    if (write_fd_ >= 0) close(write_fd_);
  }
  int read_fd() const { return read_fd_; }

 private:
  int read_fd_ = -1;
  int write_fd_ = -1;
};

// Per-loop traits: how to build the loop, destroy it early, and (fake time only) move time.
class LibeventOnFakeClock {
 public:
  static constexpr const char* kName = "LibeventLoopOnFakeClock";
  // FastForward() jumps to the end and fires what is due then, so callbacks see the end time.
  static constexpr bool kFastForwardStepsToDeadlines = false;

  EventLoop& loop() { return *loop_; }
  void DestroyLoop() { loop_.reset(); }
  void AdvanceClock(Duration d) { clock_.Advance(d); }
  void FastForward(Duration d) {
    clock_.Advance(d);
    loop_->RunUntilIdle();
  }

 private:
  FakeClock clock_;  // Outlives the loop.
  std::unique_ptr<LibeventLoop> loop_ = std::make_unique<LibeventLoop>(clock_);
};

class LibeventOnSystemClock {
 public:
  static constexpr const char* kName = "LibeventLoopOnSystemClock";
  EventLoop& loop() { return *loop_; }
  void DestroyLoop() { loop_.reset(); }

 private:
  std::unique_ptr<LibeventLoop> loop_ = std::make_unique<LibeventLoop>();
};

class Fake {
 public:
  static constexpr const char* kName = "FakeEventLoop";
  static constexpr bool kFastForwardStepsToDeadlines = true;

  EventLoop& loop() { return *loop_; }
  void DestroyLoop() { loop_.reset(); }
  void AdvanceClock(Duration d) { loop_->fake_clock().Advance(d); }
  void FastForward(Duration d) { loop_->FastForwardBy(d); }

 private:
  std::unique_ptr<FakeEventLoop> loop_ = std::make_unique<FakeEventLoop>();
};

class TraitsNames {
 public:
  template <typename T>
  static std::string GetName(int /*index*/) {
    return T::kName;
  }
};

template <typename Traits>
class EventLoopContractTest : public ::testing::Test {
 protected:
  EventLoop& loop() { return traits_.loop(); }

  // A callback that appends `name` to events_.
  std::function<void()> Record(std::string name) {
    return [this, name = std::move(name)] { events_.push_back(name); };
  }

  Traits traits_;
  std::vector<std::string> events_;
};

using AllLoops = ::testing::Types<LibeventOnFakeClock, LibeventOnSystemClock, Fake>;
TYPED_TEST_SUITE(EventLoopContractTest, AllLoops, TraitsNames);

// ---------------------------------------------------------------------------------------------
// Posted tasks.

TYPED_TEST(EventLoopContractTest, PostedTasksRunFirstInFirstOut) {
  for (int i = 0; i < 5; ++i) this->loop().Post(this->Record("task" + std::to_string(i)));
  EXPECT_THAT(this->events_, IsEmpty());  // Post never runs anything by itself.
  this->loop().RunUntilIdle();
  EXPECT_THAT(this->events_, ElementsAre("task0", "task1", "task2", "task3", "task4"));
}

TYPED_TEST(EventLoopContractTest, PostedTaskNeverRunsInsideTheCurrentCallback) {
  EventLoop& loop = this->loop();
  loop.Post([this, &loop] {
    this->events_.push_back("outer begin");
    loop.Post(this->Record("inner"));
    this->events_.push_back("outer end");
  });
  loop.RunUntilIdle();
  EXPECT_THAT(this->events_, ElementsAre("outer begin", "outer end", "inner"));
}

TYPED_TEST(EventLoopContractTest, TaskPostingTaskRunsBothInOneRunUntilIdle) {
  EventLoop& loop = this->loop();
  loop.Post([this, &loop] {
    this->events_.push_back("first");
    loop.Post([this, &loop] {
      this->events_.push_back("second");
      loop.Post(this->Record("third"));
    });
  });
  loop.RunUntilIdle();
  EXPECT_THAT(this->events_, ElementsAre("first", "second", "third"));
  loop.RunUntilIdle();  // Nothing left.
  EXPECT_EQ(this->events_.size(), 3u);
}

TYPED_TEST(EventLoopContractTest, TasksPostedDuringStep3RunInTheNextIteration) {
  EventLoop& loop = this->loop();
  auto before_blocking = loop.CreateBeforeBlockingTask(this->Record("before blocking"));
  loop.Post([this, &loop, &before_blocking] {
    this->events_.push_back("a");
    loop.Post(this->Record("c (posted by a)"));
    before_blocking->Schedule();
  });
  loop.Post(this->Record("b"));
  loop.RunUntilIdle();
  // a and b run in iteration 1, then its before-blocking step; c waits for iteration 2.
  EXPECT_THAT(this->events_, ElementsAre("a", "b", "before blocking", "c (posted by a)"));
}

TYPED_TEST(EventLoopContractTest, BurstOfPostsFromATaskRunsInOrderInTheNextIteration) {
  // Enough tasks for many of the queue's chunks and more than its spares; twice, so that the
  // second burst also runs on recycled chunks.
  constexpr int kBurst = 40000;
  EventLoop& loop = this->loop();
  std::vector<int> ran;
  for (int round = 0; round < 2; ++round) {
    ran.clear();
    auto before_blocking = loop.CreateBeforeBlockingTask([&ran] { ran.push_back(-1); });
    loop.Post([&loop, &ran, &before_blocking] {
      for (int i = 0; i < kBurst; ++i) loop.Post([&ran, i] { ran.push_back(i); });
      before_blocking->Schedule();
    });
    loop.RunUntilIdle();
    ASSERT_EQ(ran.size(), static_cast<size_t>(kBurst) + 1);
    EXPECT_EQ(ran.front(), -1);  // The burst waited for the next iteration.
    for (int i = 0; i < kBurst; ++i) ASSERT_EQ(ran[static_cast<size_t>(i) + 1], i);
  }
}

TYPED_TEST(EventLoopContractTest, EmptyPostedTaskIsIgnored) {
  this->loop().Post(std::function<void()>());
  this->loop().Post(this->Record("after"));
  this->loop().RunUntilIdle();
  EXPECT_THAT(this->events_, ElementsAre("after"));
}

// ---------------------------------------------------------------------------------------------
// One iteration's order (event_loop.h): timers, then posted tasks, then before-blocking tasks.

TYPED_TEST(EventLoopContractTest, OneIterationRunsTimersThenPostedTasksThenBeforeBlocking) {
  EventLoop& loop = this->loop();
  auto before_blocking = loop.CreateBeforeBlockingTask(this->Record("before blocking"));
  auto timer1 = loop.CreateTimer(this->Record("timer1"));
  auto timer2 = loop.CreateTimer(this->Record("timer2"));
  before_blocking->Schedule();
  loop.Post(this->Record("posted1"));
  timer1->Start(Duration::zero());
  loop.PostDelayed(Duration::zero(), this->Record("delayed"));
  loop.Post(this->Record("posted2"));
  timer2->Start(Duration::zero());
  loop.RunUntilIdle();
  EXPECT_THAT(this->events_,
              ElementsAre("timer1", "delayed", "timer2", "posted1", "posted2", "before blocking"));
}

// ---------------------------------------------------------------------------------------------
// Timers that do not need time to move (zero or negative delays, far deadlines).

TYPED_TEST(EventLoopContractTest, DueTimersFireInStartOrder) {
  EventLoop& loop = this->loop();
  std::vector<std::unique_ptr<Timer>> timers;
  for (int i = 0; i < 4; ++i) timers.push_back(loop.CreateTimer(this->Record(std::to_string(i))));
  timers[2]->Start(Duration::zero());
  timers[0]->Start(Duration::zero());
  timers[3]->Start(-seconds(1));  // A negative delay counts as zero.
  timers[1]->Start(Duration::zero());
  timers[0]->Start(Duration::zero());  // Restarting moves it behind the others.
  loop.RunUntilIdle();
  EXPECT_THAT(this->events_, ElementsAre("2", "3", "1", "0"));
}

TYPED_TEST(EventLoopContractTest, OneShotTimerFiresOnceAndIsInactiveInItsCallback) {
  EventLoop& loop = this->loop();
  std::unique_ptr<Timer> timer;
  std::vector<bool> active_inside;
  timer = loop.CreateTimer([&] { active_inside.push_back(timer->IsActive()); });
  EXPECT_FALSE(timer->IsActive());  // Created stopped.
  timer->Start(Duration::zero());
  EXPECT_TRUE(timer->IsActive());
  loop.RunUntilIdle();
  EXPECT_THAT(active_inside, ElementsAre(false));
  EXPECT_FALSE(timer->IsActive());
  loop.RunUntilIdle();
  EXPECT_THAT(active_inside, ElementsAre(false));  // Did not fire again.
}

TYPED_TEST(EventLoopContractTest, OneShotRestartedInItsCallbackIsActiveAndFiresOnTheNextCall) {
  EventLoop& loop = this->loop();
  std::unique_ptr<Timer> timer;
  std::vector<bool> active_after_restart;
  timer = loop.CreateTimer([&] {
    if (active_after_restart.size() < 2) {
      timer->Start(Duration::zero());
      active_after_restart.push_back(timer->IsActive());
    }
  });
  timer->Start(Duration::zero());
  loop.RunUntilIdle();
  // Re-armed for a time already due: it waits for the next RunUntilIdle().
  EXPECT_THAT(active_after_restart, ElementsAre(true));
  EXPECT_TRUE(timer->IsActive());
  loop.RunUntilIdle();
  EXPECT_THAT(active_after_restart, ElementsAre(true, true));
}

TYPED_TEST(EventLoopContractTest, StopCancelsAndIsSafeWhenInactive) {
  EventLoop& loop = this->loop();
  auto timer = loop.CreateTimer(this->Record("fired"));
  timer->Stop();  // Not active: no effect.
  timer->Start(Duration::zero());
  timer->Stop();
  EXPECT_FALSE(timer->IsActive());
  timer->Stop();
  loop.RunUntilIdle();
  EXPECT_THAT(this->events_, IsEmpty());
  timer->Start(Duration::zero());  // Usable again after Stop().
  loop.RunUntilIdle();
  EXPECT_THAT(this->events_, ElementsAre("fired"));
}

TYPED_TEST(EventLoopContractTest, DestroyingTheHandleCancelsTheTimer) {
  auto timer = this->loop().CreateTimer(this->Record("fired"));
  timer->Start(Duration::zero());
  timer.reset();
  this->loop().RunUntilIdle();
  EXPECT_THAT(this->events_, IsEmpty());
}

TYPED_TEST(EventLoopContractTest, StartRepeatingWithNonPositivePeriodIsIgnored) {
  EventLoop& loop = this->loop();
  auto stopped = loop.CreateTimer(this->Record("stopped"));
  stopped->StartRepeating(Duration::zero());
  EXPECT_FALSE(stopped->IsActive());
  stopped->StartRepeating(-milliseconds(1));
  EXPECT_FALSE(stopped->IsActive());

  auto one_shot = loop.CreateTimer(this->Record("one-shot"));
  one_shot->Start(Duration::zero());
  one_shot->StartRepeating(Duration::zero());  // Keeps its one-shot state.
  one_shot->StartRepeating(-hours(1));
  EXPECT_TRUE(one_shot->IsActive());
  loop.RunUntilIdle();
  loop.RunUntilIdle();
  EXPECT_THAT(this->events_, ElementsAre("one-shot"));  // Still a one-shot: fired once.
  EXPECT_FALSE(one_shot->IsActive());
}

TYPED_TEST(EventLoopContractTest, TimerFarInTheFutureDoesNotFire) {
  EventLoop& loop = this->loop();
  auto timer = loop.CreateTimer(this->Record("far"));
  auto huge = loop.CreateTimer(this->Record("huge"));
  timer->Start(hours(1));
  huge->Start(Duration::max());  // Saturates instead of overflowing into the past.
  loop.RunUntilIdle();
  EXPECT_THAT(this->events_, IsEmpty());
  EXPECT_TRUE(timer->IsActive());
  EXPECT_TRUE(huge->IsActive());
}

TYPED_TEST(EventLoopContractTest, TimerCallbackMayDestroyItsOwnHandle) {
  EventLoop& loop = this->loop();
  std::unique_ptr<Timer> timer;
  // The callback owns state that must stay valid until it returns (ASan checks).
  auto token = std::make_shared<std::string>("alive");
  timer = loop.CreateTimer([&, token] {
    timer.reset();
    this->events_.push_back(*token);
  });
  token.reset();
  timer->Start(Duration::zero());
  loop.RunUntilIdle();
  EXPECT_EQ(timer, nullptr);
  EXPECT_THAT(this->events_, ElementsAre("alive"));
}

TYPED_TEST(EventLoopContractTest, CallbackDestroyingOrStoppingAnotherDueTimerPreventsItsFire) {
  EventLoop& loop = this->loop();
  std::unique_ptr<Timer> victim1 = loop.CreateTimer(this->Record("victim1"));
  std::unique_ptr<Timer> victim2 = loop.CreateTimer(this->Record("victim2"));
  auto killer = loop.CreateTimer([&] {
    this->events_.push_back("killer");
    victim1.reset();
    victim2->Stop();
  });
  auto bystander = loop.CreateTimer(this->Record("bystander"));
  killer->Start(Duration::zero());
  victim1->Start(Duration::zero());
  victim2->Start(Duration::zero());
  bystander->Start(Duration::zero());
  loop.RunUntilIdle();
  EXPECT_THAT(this->events_, ElementsAre("killer", "bystander"));
  EXPECT_FALSE(victim2->IsActive());
}

TYPED_TEST(EventLoopContractTest, TimerStartedDueInsideACallbackWaitsForTheNextRunUntilIdle) {
  EventLoop& loop = this->loop();
  auto late = loop.CreateTimer(this->Record("late"));
  auto from_task = loop.CreateTimer(this->Record("started by task"));
  auto starter = loop.CreateTimer([&] {
    this->events_.push_back("starter");
    late->Start(Duration::zero());
  });
  auto armed_before = loop.CreateTimer(this->Record("armed before"));
  starter->Start(Duration::zero());
  armed_before->Start(Duration::zero());
  loop.Post([&] {
    this->events_.push_back("task");
    from_task->Start(-seconds(1));
    loop.PostDelayed(Duration::zero(), this->Record("delayed by task"));
  });
  loop.RunUntilIdle();
  EXPECT_THAT(this->events_, ElementsAre("starter", "armed before", "task"));
  EXPECT_TRUE(late->IsActive());
  this->events_.clear();
  loop.RunUntilIdle();
  EXPECT_THAT(this->events_, ElementsAre("late", "started by task", "delayed by task"));
}

// ---------------------------------------------------------------------------------------------
// RunUntilIdle, Run and Quit.

TYPED_TEST(EventLoopContractTest, RunUntilIdleReturnsWhenIdleAndNeverBlocks) {
  EventLoop& loop = this->loop();
  Watchdog watchdog(loop);
  loop.RunUntilIdle();  // Nothing registered at all.
  auto timer = loop.CreateTimer(this->Record("timer"));
  timer->Start(hours(1));
  Pipe pipe;
  auto watcher =
      loop.WatchFd(pipe.read_fd(), kReadable, [&](uint32_t) { this->events_.push_back("fd"); });
  ASSERT_NE(watcher, nullptr);
  loop.RunUntilIdle();  // A far timer and an fd that is never ready.
  EXPECT_THAT(this->events_, IsEmpty());
  EXPECT_FALSE(watchdog.fired());
}

TYPED_TEST(EventLoopContractTest, QuitBeforeRunMakesRunReturnAtOnceAndIsRememberedOnce) {
  EventLoop& loop = this->loop();
  Watchdog watchdog(loop);
  loop.Post(this->Record("pending"));
  loop.Quit();
  loop.Quit();  // Still one pending quit.
  loop.Run();
  EXPECT_THAT(this->events_, IsEmpty());  // Returned at once, before running anything.
  // The second Quit() was not remembered: this Run() runs until the task quits.
  loop.Post([&] {
    this->events_.push_back("quitter");
    loop.Quit();
  });
  loop.Run();
  EXPECT_THAT(this->events_, ElementsAre("pending", "quitter"));
  EXPECT_FALSE(watchdog.fired());
}

TYPED_TEST(EventLoopContractTest, QuitFromACallbackEndsRunAfterTheCurrentIteration) {
  EventLoop& loop = this->loop();
  Watchdog watchdog(loop);
  auto before_blocking = loop.CreateBeforeBlockingTask(this->Record("before blocking"));
  loop.Post([&] {
    this->events_.push_back("quitter");
    loop.Quit();
    loop.Post(this->Record("next iteration"));
    before_blocking->Schedule();
  });
  loop.Post(this->Record("same iteration"));
  loop.Run();
  EXPECT_THAT(this->events_, ElementsAre("quitter", "same iteration", "before blocking"));
  this->events_.clear();
  loop.RunUntilIdle();
  EXPECT_THAT(this->events_, ElementsAre("next iteration"));
  EXPECT_FALSE(watchdog.fired());
}

TYPED_TEST(EventLoopContractTest, QuitFromATimerEndsRun) {
  EventLoop& loop = this->loop();
  Watchdog watchdog(loop);
  auto timer = loop.CreateTimer([&] {
    this->events_.push_back("timer");
    loop.Quit();
  });
  timer->Start(Duration::zero());
  loop.Run();
  EXPECT_THAT(this->events_, ElementsAre("timer"));
  EXPECT_FALSE(watchdog.fired());
}

TYPED_TEST(EventLoopContractTest, QuitDuringRunUntilIdleMakesTheNextRunReturnAtOnce) {
  EventLoop& loop = this->loop();
  Watchdog watchdog(loop);
  loop.Post([&] { loop.Quit(); });
  loop.RunUntilIdle();
  loop.Post(this->Record("after"));
  loop.Run();  // Returns at once: the quit from RunUntilIdle() is pending.
  EXPECT_THAT(this->events_, IsEmpty());
  loop.RunUntilIdle();
  EXPECT_THAT(this->events_, ElementsAre("after"));
  EXPECT_FALSE(watchdog.fired());
}

TYPED_TEST(EventLoopContractTest, NestedRunAndRunUntilIdleReturnAtOnce) {
  EventLoop& loop = this->loop();
  Watchdog watchdog(loop);
  loop.Post([&] {
    loop.RunUntilIdle();
    loop.Run();
    this->events_.push_back("outer task");
  });
  loop.Post(this->Record("second task"));
  loop.RunUntilIdle();
  // Had the nested calls run the loop, "second task" would come first.
  EXPECT_THAT(this->events_, ElementsAre("outer task", "second task"));

  this->events_.clear();
  auto timer = loop.CreateTimer([&] {
    loop.Run();
    loop.RunUntilIdle();
    this->events_.push_back("timer");
    loop.Quit();
  });
  timer->Start(Duration::zero());
  loop.Post(this->Record("task"));
  loop.Run();
  EXPECT_THAT(this->events_, ElementsAre("timer", "task"));
  EXPECT_FALSE(watchdog.fired());
}

// ---------------------------------------------------------------------------------------------
// BeforeBlockingTask.

TYPED_TEST(EventLoopContractTest, BeforeBlockingTaskRunsOncePerScheduleAndCoalesces) {
  EventLoop& loop = this->loop();
  int runs = 0;
  auto task = loop.CreateBeforeBlockingTask([&] { ++runs; });
  EXPECT_FALSE(task->IsScheduled());
  loop.RunUntilIdle();
  EXPECT_EQ(runs, 0);  // Not scheduled: does not run.
  task->Schedule();
  task->Schedule();
  task->Schedule();
  EXPECT_TRUE(task->IsScheduled());
  loop.RunUntilIdle();
  EXPECT_EQ(runs, 1);
  EXPECT_FALSE(task->IsScheduled());
  loop.RunUntilIdle();
  EXPECT_EQ(runs, 1);
  task->Schedule();
  loop.RunUntilIdle();
  EXPECT_EQ(runs, 2);
}

TYPED_TEST(EventLoopContractTest, BeforeBlockingTaskRunsAfterThePostedTasksOfItsIteration) {
  EventLoop& loop = this->loop();
  auto task = loop.CreateBeforeBlockingTask(this->Record("before blocking"));
  auto timer = loop.CreateTimer([&] {
    this->events_.push_back("timer");
    task->Schedule();
  });
  timer->Start(Duration::zero());
  loop.Post(this->Record("posted1"));
  loop.Post([&] {
    this->events_.push_back("posted2");
    task->Schedule();  // Coalesces with the timer's request.
  });
  loop.RunUntilIdle();
  EXPECT_THAT(this->events_, ElementsAre("timer", "posted1", "posted2", "before blocking"));
}

TYPED_TEST(EventLoopContractTest, BeforeBlockingTasksRunInSchedulingOrder) {
  EventLoop& loop = this->loop();
  auto one = loop.CreateBeforeBlockingTask(this->Record("one"));
  auto two = loop.CreateBeforeBlockingTask(this->Record("two"));
  auto three = loop.CreateBeforeBlockingTask(this->Record("three"));
  two->Schedule();
  three->Schedule();
  one->Schedule();
  two->Schedule();  // Already scheduled: keeps its place.
  three->Cancel();
  three->Schedule();  // Cancelled, then scheduled again: goes last.
  loop.RunUntilIdle();
  EXPECT_THAT(this->events_, ElementsAre("two", "one", "three"));
}

TYPED_TEST(EventLoopContractTest, CancelledOrDestroyedBeforeBlockingTaskDoesNotRun) {
  EventLoop& loop = this->loop();
  auto cancelled = loop.CreateBeforeBlockingTask(this->Record("cancelled"));
  auto destroyed = loop.CreateBeforeBlockingTask(this->Record("destroyed"));
  cancelled->Cancel();  // Safe when not scheduled.
  cancelled->Schedule();
  cancelled->Cancel();
  EXPECT_FALSE(cancelled->IsScheduled());
  destroyed->Schedule();
  destroyed.reset();
  loop.RunUntilIdle();
  EXPECT_THAT(this->events_, IsEmpty());
}

TYPED_TEST(EventLoopContractTest, BeforeBlockingTaskCancelledByAnotherOneInTheSameStepDoesNotRun) {
  EventLoop& loop = this->loop();
  std::unique_ptr<BeforeBlockingTask> victim1 =
      loop.CreateBeforeBlockingTask(this->Record("victim1"));
  std::unique_ptr<BeforeBlockingTask> victim2 =
      loop.CreateBeforeBlockingTask(this->Record("victim2"));
  auto killer = loop.CreateBeforeBlockingTask([&] {
    this->events_.push_back("killer");
    victim1.reset();
    victim2->Cancel();
  });
  killer->Schedule();
  victim1->Schedule();
  victim2->Schedule();
  loop.RunUntilIdle();
  EXPECT_THAT(this->events_, ElementsAre("killer"));
}

TYPED_TEST(EventLoopContractTest, BeforeBlockingTaskRescheduledFromItsRunRunsInTheNextIteration) {
  EventLoop& loop = this->loop();
  std::unique_ptr<BeforeBlockingTask> task;
  int runs = 0;
  std::vector<bool> scheduled_inside;
  task = loop.CreateBeforeBlockingTask([&] {
    ++runs;
    this->events_.push_back("run" + std::to_string(runs));
    scheduled_inside.push_back(task->IsScheduled());
    if (runs == 1) {
      loop.Post(this->Record("posted by run1"));
      task->Schedule();
      scheduled_inside.push_back(task->IsScheduled());
    }
  });
  task->Schedule();
  loop.RunUntilIdle();
  // Had run2 stayed in the same iteration, it would come before the posted task.
  EXPECT_THAT(this->events_, ElementsAre("run1", "posted by run1", "run2"));
  EXPECT_THAT(scheduled_inside, ElementsAre(false, true, false));
}

TYPED_TEST(EventLoopContractTest, BeforeBlockingTaskMayDestroyItsOwnHandle) {
  EventLoop& loop = this->loop();
  std::unique_ptr<BeforeBlockingTask> task;
  auto token = std::make_shared<std::string>("alive");
  task = loop.CreateBeforeBlockingTask([&, token] {
    task.reset();
    this->events_.push_back(*token);  // The callable is still alive (ASan checks).
  });
  token.reset();
  task->Schedule();
  loop.RunUntilIdle();
  EXPECT_EQ(task, nullptr);
  EXPECT_THAT(this->events_, ElementsAre("alive"));
}

// ---------------------------------------------------------------------------------------------
// Lifetimes: handles outliving the loop, and the loop destroyed with work pending.

TYPED_TEST(EventLoopContractTest, HandlesOutlivingTheLoopAreInert) {
  EventLoop& loop = this->loop();
  Pipe pipe;
  auto one_shot = loop.CreateTimer(this->Record("one-shot"));
  auto repeating = loop.CreateTimer(this->Record("repeating"));
  auto idle = loop.CreateTimer(this->Record("idle"));
  auto before_blocking = loop.CreateBeforeBlockingTask(this->Record("before blocking"));
  auto paused_before_blocking = loop.CreateBeforeBlockingTask(this->Record("paused"));
  auto watcher = loop.WatchFd(pipe.read_fd(), kReadable, [&](uint32_t) {});
  auto signal_watcher = loop.WatchSignal(SIGUSR2, [] {});
  ASSERT_NE(watcher, nullptr);
  ASSERT_NE(signal_watcher, nullptr);
  one_shot->Start(Duration::zero());
  repeating->StartRepeating(hours(1));
  before_blocking->Schedule();

  this->traits_.DestroyLoop();

  EXPECT_FALSE(one_shot->IsActive());
  EXPECT_FALSE(repeating->IsActive());
  EXPECT_FALSE(before_blocking->IsScheduled());
  // Every method is a no-op now.
  idle->Start(Duration::zero());
  EXPECT_FALSE(idle->IsActive());
  idle->StartRepeating(milliseconds(1));
  EXPECT_FALSE(idle->IsActive());
  one_shot->Stop();
  repeating->Start(seconds(1));
  EXPECT_FALSE(repeating->IsActive());
  paused_before_blocking->Schedule();
  EXPECT_FALSE(paused_before_blocking->IsScheduled());
  before_blocking->Cancel();
  watcher->SetEvents(kReadable | kWritable);
  watcher->SetEvents(kNoEvents);
  EXPECT_EQ(watcher->events(), kReadable);  // The interest it had when the loop went.
  // Destructors are safe (ASan checks), in any order.
  repeating.reset();
  watcher.reset();
  before_blocking.reset();
  signal_watcher.reset();
  one_shot.reset();
  idle.reset();
  paused_before_blocking.reset();
  EXPECT_THAT(this->events_, IsEmpty());
}

// Counts destructions of the callables that hold it.
struct DestructionCounter {
  explicit DestructionCounter(int* count) : count(count) {}
  ~DestructionCounter() { ++*count; }
  int* count;
};

TYPED_TEST(EventLoopContractTest, DestroyingTheLoopDestroysPendingTasksThatOwnHandles) {
  EventLoop& loop = this->loop();
  Pipe pipe;
  bool ran = false;
  int destroyed = 0;
  {
    std::shared_ptr<Timer> timer = loop.CreateTimer([&] { ran = true; });
    std::shared_ptr<Timer> repeating = loop.CreateTimer([&] { ran = true; });
    std::shared_ptr<BeforeBlockingTask> before_blocking =
        loop.CreateBeforeBlockingTask([&] { ran = true; });
    std::shared_ptr<FdWatcher> watcher =
        loop.WatchFd(pipe.read_fd(), kReadable, [&](uint32_t) { ran = true; });
    ASSERT_NE(watcher, nullptr);
    timer->Start(hours(1));
    repeating->StartRepeating(hours(2));
    before_blocking->Schedule();
    auto posted_counter = std::make_shared<DestructionCounter>(&destroyed);
    auto delayed_counter = std::make_shared<DestructionCounter>(&destroyed);
    // The pending tasks become the last owners of every handle.
    loop.Post([&ran, timer, repeating, before_blocking, watcher, posted_counter] { ran = true; });
    loop.PostDelayed(hours(1), [&ran, timer, before_blocking, delayed_counter] { ran = true; });
  }
  EXPECT_EQ(destroyed, 0);
  this->traits_.DestroyLoop();  // ASan checks that the handles die safely with the tasks.
  EXPECT_FALSE(ran);
  EXPECT_EQ(destroyed, 2);  // Both tasks were destroyed without running.
}

// Calls `on_destroy` from its destructor.
struct OnDestroy {
  explicit OnDestroy(std::function<void()> f) : on_destroy(std::move(f)) {}
  ~OnDestroy() { on_destroy(); }
  std::function<void()> on_destroy;
};

TYPED_TEST(EventLoopContractTest, PendingTaskDestroyedWithTheLoopMayPostAndQuit) {
  // E.g. a task owning an object whose destructor posts a notification: the loop is going
  // away, so that task is destroyed without running too, and nothing crashes.
  EventLoop& loop = this->loop();
  bool ran = false;
  int destroyed = 0;
  auto counter = std::make_shared<DestructionCounter>(&destroyed);
  auto delayed_poster = std::make_shared<OnDestroy>([&loop, &ran, counter] {
    loop.Post([&ran, counter] { ran = true; });
    loop.Quit();
  });
  auto poster = std::make_shared<OnDestroy>([&loop, &ran, counter, delayed_poster] {
    loop.PostDelayed(hours(1), [&ran, delayed_poster] { ran = true; });
    loop.Quit();
  });
  counter.reset();
  delayed_poster.reset();
  loop.Post([&ran, poster] { ran = true; });
  poster.reset();
  this->traits_.DestroyLoop();
  EXPECT_FALSE(ran);
  EXPECT_EQ(destroyed, 1);  // Every task queued during destruction was destroyed too.
}

// ---------------------------------------------------------------------------------------------
// Invalid arguments.

TYPED_TEST(EventLoopContractTest, WatchSignalRejectsInvalidNumbers) {
  EventLoop& loop = this->loop();
  for (int signo : {0, -1, NSIG, NSIG + 1, SIGKILL, SIGSTOP}) {
    EXPECT_EQ(loop.WatchSignal(signo, [] {}), nullptr) << "signo " << signo;
  }
}

TYPED_TEST(EventLoopContractTest, WatchFdRejectsNegativeFds) {
  EventLoop& loop = this->loop();
  for (int fd : {-1, -2, -1000}) {
    EXPECT_EQ(loop.WatchFd(fd, kReadable, [](uint32_t) {}), nullptr) << "fd " << fd;
  }
}

// =============================================================================================
// Deadlines: loops whose clock the test moves.

template <typename Traits>
class EventLoopTimeContractTest : public EventLoopContractTest<Traits> {
 protected:
  // Moves the clock without running the loop, then runs what became due.
  void AdvanceAndRun(Duration d) {
    this->traits_.AdvanceClock(d);
    this->loop().RunUntilIdle();
  }
  // A callback recording `name` and checking that it runs no earlier than `deadline`.
  std::function<void()> RecordAt(std::string name, TimePoint deadline) {
    return [this, name = std::move(name), deadline] {
      EXPECT_GE(this->loop().Now(), deadline) << name << " fired early";
      this->events_.push_back(name);
    };
  }
};

using FakeTimeLoops = ::testing::Types<LibeventOnFakeClock, Fake>;
TYPED_TEST_SUITE(EventLoopTimeContractTest, FakeTimeLoops, TraitsNames);

TYPED_TEST(EventLoopTimeContractTest, TimersFireInDeadlineOrderAndTiesInStartOrder) {
  EventLoop& loop = this->loop();
  const TimePoint start = loop.Now();
  auto a = loop.CreateTimer(this->RecordAt("a@30", start + milliseconds(30)));
  auto b = loop.CreateTimer(this->RecordAt("b@10", start + milliseconds(10)));
  auto c = loop.CreateTimer(this->RecordAt("c@20", start + milliseconds(20)));
  auto d = loop.CreateTimer(this->RecordAt("d@10", start + milliseconds(10)));
  auto e = loop.CreateTimer(this->RecordAt("e@20", start + milliseconds(20)));
  a->Start(milliseconds(30));
  b->Start(milliseconds(10));
  c->Start(milliseconds(20));
  d->Start(milliseconds(10));
  e->Start(milliseconds(20));
  this->AdvanceAndRun(milliseconds(10) - nanoseconds(1));
  EXPECT_THAT(this->events_, IsEmpty());  // Nothing is due yet.
  this->AdvanceAndRun(nanoseconds(1));    // Due when deadline <= Now().
  EXPECT_THAT(this->events_, ElementsAre("b@10", "d@10"));
  this->AdvanceAndRun(hours(1));  // One jump past all the others: still in order.
  EXPECT_THAT(this->events_, ElementsAre("b@10", "d@10", "c@20", "e@20", "a@30"));
}

TYPED_TEST(EventLoopTimeContractTest, RestartReplacesTheDeadlineAndThePlaceAmongTies) {
  EventLoop& loop = this->loop();
  auto a = loop.CreateTimer(this->Record("a"));
  auto b = loop.CreateTimer(this->Record("b"));
  auto c = loop.CreateTimer(this->Record("c"));
  auto moved_later = loop.CreateTimer(this->Record("moved later"));
  a->Start(milliseconds(10));
  b->Start(milliseconds(10));
  c->Start(milliseconds(20));
  moved_later->Start(milliseconds(5));
  a->Start(milliseconds(10));  // Same deadline as before, but now started after b.
  c->Start(milliseconds(10));  // Earlier deadline, and last among the ties.
  moved_later->Start(milliseconds(15));
  this->AdvanceAndRun(milliseconds(10));
  EXPECT_THAT(this->events_, ElementsAre("b", "a", "c"));  // moved_later's old 5 ms is gone.
  this->AdvanceAndRun(milliseconds(5));
  EXPECT_THAT(this->events_, ElementsAre("b", "a", "c", "moved later"));
  this->AdvanceAndRun(hours(1));
  EXPECT_EQ(this->events_.size(), 4u);  // Each fired exactly once.
}

TYPED_TEST(EventLoopTimeContractTest, RestartAfterTimeMovedUsesTheNewNow) {
  EventLoop& loop = this->loop();
  auto timer = loop.CreateTimer(this->Record("timer"));
  timer->Start(milliseconds(10));
  this->AdvanceAndRun(milliseconds(8));
  timer->Start(milliseconds(10));  // Now due at 18 ms.
  this->AdvanceAndRun(milliseconds(9));
  EXPECT_THAT(this->events_, IsEmpty());
  this->AdvanceAndRun(milliseconds(1));
  EXPECT_THAT(this->events_, ElementsAre("timer"));
}

TYPED_TEST(EventLoopTimeContractTest, RepeatingTimerPeriodAndNoCatchUpBurstAfterAStall) {
  EventLoop& loop = this->loop();
  const TimePoint start = loop.Now();
  std::unique_ptr<Timer> timer;
  std::vector<int64_t> fired_at;
  std::vector<bool> active_inside;
  timer = loop.CreateTimer([&] {
    fired_at.push_back(Us(loop.Now() - start));
    active_inside.push_back(timer->IsActive());
  });
  timer->StartRepeating(milliseconds(10));
  EXPECT_TRUE(timer->IsActive());
  this->AdvanceAndRun(milliseconds(10) - nanoseconds(1));
  EXPECT_THAT(fired_at, IsEmpty());  // First due at Now() + period, not at once.
  this->AdvanceAndRun(nanoseconds(1));
  this->AdvanceAndRun(milliseconds(10));
  EXPECT_THAT(fired_at, ElementsAre(Ms(10), Ms(20)));
  // A stall of 5.5 periods: exactly one fire, then the next deadline is the first
  // 20 + k * 10 later than 75, i.e. 80.
  this->AdvanceAndRun(milliseconds(55));
  EXPECT_THAT(fired_at, ElementsAre(Ms(10), Ms(20), Ms(75)));
  this->loop().RunUntilIdle();  // No catch-up fire either on a second call.
  EXPECT_EQ(fired_at.size(), 3u);
  this->AdvanceAndRun(milliseconds(5) - nanoseconds(1));
  EXPECT_EQ(fired_at.size(), 3u);
  this->AdvanceAndRun(nanoseconds(1));
  EXPECT_EQ(fired_at.back(), Ms(80));
  // A stall ending exactly on a multiple of the period: next is strictly later than Now().
  this->AdvanceAndRun(milliseconds(30));
  EXPECT_EQ(fired_at.back(), Ms(110));
  EXPECT_EQ(fired_at.size(), 5u);
  this->AdvanceAndRun(milliseconds(10) - nanoseconds(1));
  EXPECT_EQ(fired_at.size(), 5u);
  this->AdvanceAndRun(nanoseconds(1));
  EXPECT_EQ(fired_at.back(), Ms(120));
  EXPECT_EQ(fired_at.size(), 6u);
  EXPECT_THAT(active_inside, ::testing::Each(true));
  EXPECT_TRUE(timer->IsActive());
}

TYPED_TEST(EventLoopTimeContractTest, StartRepeatingAgainRestartsThePhase) {
  EventLoop& loop = this->loop();
  const TimePoint start = loop.Now();
  std::vector<int64_t> fired_at;
  auto timer = loop.CreateTimer([&] { fired_at.push_back(Us(loop.Now() - start)); });
  timer->StartRepeating(milliseconds(10));
  this->AdvanceAndRun(milliseconds(5));
  timer->StartRepeating(milliseconds(10));  // Now due at 15, 25, ...
  this->AdvanceAndRun(milliseconds(5));
  EXPECT_THAT(fired_at, IsEmpty());
  this->AdvanceAndRun(milliseconds(5));
  this->AdvanceAndRun(milliseconds(10));
  EXPECT_THAT(fired_at, ElementsAre(Ms(15), Ms(25)));
  timer->StartRepeating(Duration::zero());  // Ignored: keeps repeating every 10 ms.
  this->AdvanceAndRun(milliseconds(10));
  EXPECT_THAT(fired_at, ElementsAre(Ms(15), Ms(25), Ms(35)));
  timer->Start(milliseconds(1));  // Becomes a one-shot.
  this->AdvanceAndRun(milliseconds(1));
  this->AdvanceAndRun(milliseconds(100));
  EXPECT_THAT(fired_at, ElementsAre(Ms(15), Ms(25), Ms(35), Ms(36)));
  EXPECT_FALSE(timer->IsActive());
}

TYPED_TEST(EventLoopTimeContractTest, RepeatingTimerStoppedOrDestroyedInItsCallback) {
  EventLoop& loop = this->loop();
  std::unique_ptr<Timer> stopped;
  std::unique_ptr<Timer> destroyed;
  stopped = loop.CreateTimer([&] {
    this->events_.push_back("stopped");
    stopped->Stop();
    EXPECT_FALSE(stopped->IsActive());
  });
  auto token = std::make_shared<std::string>("destroyed");
  destroyed = loop.CreateTimer([&, token] {
    destroyed.reset();
    this->events_.push_back(*token);
  });
  token.reset();
  stopped->StartRepeating(milliseconds(1));
  destroyed->StartRepeating(milliseconds(1));
  for (int i = 0; i < 3; ++i) this->AdvanceAndRun(milliseconds(1));
  EXPECT_THAT(this->events_, ElementsAre("stopped", "destroyed"));
  EXPECT_FALSE(stopped->IsActive());
}

TYPED_TEST(EventLoopTimeContractTest, CallbackStoppingAnotherTimerDueLaterInTheSameCall) {
  EventLoop& loop = this->loop();
  std::unique_ptr<Timer> victim = loop.CreateTimer(this->Record("victim"));
  auto killer = loop.CreateTimer([&] {
    this->events_.push_back("killer");
    victim.reset();
  });
  victim->Start(milliseconds(2));
  killer->Start(milliseconds(1));
  this->AdvanceAndRun(milliseconds(5));  // Both due in this call; the earlier one kills.
  EXPECT_THAT(this->events_, ElementsAre("killer"));
}

TYPED_TEST(EventLoopTimeContractTest, TimerStartedInACallbackWaitsForTheNextCallEvenIfDue) {
  EventLoop& loop = this->loop();
  auto second = loop.CreateTimer(this->Record("second"));
  auto first = loop.CreateTimer([&] {
    this->events_.push_back("first");
    second->Start(Duration::zero());
  });
  auto third = loop.CreateTimer(this->Record("third"));
  first->Start(milliseconds(1));
  third->Start(milliseconds(3));
  this->AdvanceAndRun(milliseconds(5));
  // "second" was armed during the call: it waits for the next call although already due.
  EXPECT_THAT(this->events_, ElementsAre("first", "third"));
  this->loop().RunUntilIdle();
  EXPECT_THAT(this->events_, ElementsAre("first", "third", "second"));
}

TYPED_TEST(EventLoopTimeContractTest, PostDelayedIsOrderedAmongTimers) {
  EventLoop& loop = this->loop();
  auto a = loop.CreateTimer(this->Record("timer a@10"));
  auto b = loop.CreateTimer(this->Record("timer b@10"));
  a->Start(milliseconds(10));
  loop.PostDelayed(milliseconds(10), this->Record("delayed@10"));
  b->Start(milliseconds(10));
  loop.PostDelayed(milliseconds(5), this->Record("delayed@5"));
  loop.PostDelayed(milliseconds(20), [&] {
    this->events_.push_back("delayed@20");
    loop.PostDelayed(Duration::zero(), this->Record("delayed by delayed"));
  });
  this->AdvanceAndRun(milliseconds(4));
  EXPECT_THAT(this->events_, IsEmpty());
  this->AdvanceAndRun(milliseconds(6));
  EXPECT_THAT(this->events_, ElementsAre("delayed@5", "timer a@10", "delayed@10", "timer b@10"));
  this->AdvanceAndRun(milliseconds(10));
  EXPECT_EQ(this->events_.back(), "delayed@20");
  this->loop().RunUntilIdle();
  EXPECT_EQ(this->events_.back(), "delayed by delayed");
  this->AdvanceAndRun(hours(1));
  EXPECT_EQ(this->events_.size(), 6u);  // Each ran exactly once.
}

TYPED_TEST(EventLoopTimeContractTest, BeforeBlockingTaskScheduledByATimerRunsInThatIteration) {
  EventLoop& loop = this->loop();
  auto task = loop.CreateBeforeBlockingTask(this->Record("before blocking"));
  auto timer = loop.CreateTimer([&] {
    this->events_.push_back("timer");
    task->Schedule();
    loop.Post(this->Record("posted by timer"));
  });
  timer->StartRepeating(milliseconds(1));
  this->AdvanceAndRun(milliseconds(1));
  this->AdvanceAndRun(milliseconds(1));
  EXPECT_THAT(this->events_, ElementsAre("timer", "posted by timer", "before blocking", "timer",
                                         "posted by timer", "before blocking"));
}

TYPED_TEST(EventLoopTimeContractTest, FastForwardFiresEverythingDueInOrder) {
  EventLoop& loop = this->loop();
  const TimePoint start = loop.Now();
  auto a = loop.CreateTimer(this->RecordAt("a", start + milliseconds(3)));
  auto b = loop.CreateTimer(this->RecordAt("b", start + milliseconds(1)));
  auto c = loop.CreateTimer(this->RecordAt("c", start + milliseconds(7)));
  a->Start(milliseconds(3));
  b->Start(milliseconds(1));
  c->Start(milliseconds(7));
  this->traits_.FastForward(milliseconds(5));
  EXPECT_THAT(this->events_, ElementsAre("b", "a"));
  EXPECT_EQ(loop.Now(), start + milliseconds(5));
  EXPECT_TRUE(c->IsActive());
}

// 100k timers with seeded random delays (many equal deadlines) and random restarts fire sorted
// by (deadline, order of their last start), each no earlier than its deadline.
TYPED_TEST(EventLoopTimeContractTest, RandomTimersFireSortedByDeadlineThenStartOrder) {
  constexpr int kTimers = 100000;
  constexpr int kRestarts = 5000;
  constexpr int64_t kMaxDelayUs = 20000;  // 100k timers on 20k distinct deadlines: many ties.
  EventLoop& loop = this->loop();
  std::mt19937 rng(20240611);
  std::uniform_int_distribution<int64_t> delay_us(-10, kMaxDelayUs);  // A few negative ones.
  std::uniform_int_distribution<int> pick(0, kTimers - 1);
  const TimePoint start = loop.Now();

  struct Armed {
    TimePoint deadline;
    uint64_t start_sequence;
  };
  std::vector<Armed> armed(kTimers);
  std::vector<int> fired;
  fired.reserve(kTimers);
  int early = 0;
  int not_at_deadline = 0;
  uint64_t next_sequence = 0;
  std::vector<std::unique_ptr<Timer>> timers;
  timers.reserve(kTimers);
  for (int i = 0; i < kTimers; ++i) {
    timers.push_back(loop.CreateTimer([&, i] {
      fired.push_back(i);
      if (loop.Now() < armed[i].deadline) ++early;
      if (loop.Now() != armed[i].deadline) ++not_at_deadline;
    }));
  }
  auto start_timer = [&](int i) {
    const Duration delay = microseconds(delay_us(rng));
    armed[i] = {start + std::max(delay, Duration::zero()), next_sequence++};
    timers[i]->Start(delay);
  };
  for (int i = 0; i < kTimers; ++i) start_timer(i);
  for (int r = 0; r < kRestarts; ++r) start_timer(pick(rng));

  std::vector<int> expected(kTimers);
  for (int i = 0; i < kTimers; ++i) expected[i] = i;
  std::sort(expected.begin(), expected.end(), [&](int x, int y) {
    if (armed[x].deadline != armed[y].deadline) return armed[x].deadline < armed[y].deadline;
    return armed[x].start_sequence < armed[y].start_sequence;
  });

  // Move time in random steps (some zero) past the last deadline.
  std::uniform_int_distribution<int64_t> step_us(0, 3000);
  while (loop.Now() <= start + microseconds(kMaxDelayUs)) {
    this->traits_.FastForward(microseconds(step_us(rng)));
  }

  ASSERT_EQ(fired.size(), expected.size());
  const auto mismatch = std::mismatch(fired.begin(), fired.end(), expected.begin());
  EXPECT_TRUE(mismatch.first == fired.end())
      << "first difference at position " << (mismatch.first - fired.begin()) << ": fired timer "
      << *mismatch.first << ", expected timer " << *mismatch.second;
  EXPECT_EQ(early, 0);
  if (TypeParam::kFastForwardStepsToDeadlines) {
    EXPECT_EQ(not_at_deadline, 0);
  }
}

// Random starts, restarts, stops and destructions, between runs and from inside callbacks,
// against a reference model of the contract: each RunUntilIdle() fires, in (deadline, start
// order) order, the timers armed before the call with deadline <= Now(); a timer stopped,
// destroyed or restarted by an earlier callback of the call does not fire in it.
TYPED_TEST(EventLoopTimeContractTest, RandomStartsStopsAndCallbackEditsMatchAModel) {
  constexpr int kTimers = 500;
  constexpr int kRounds = 400;
  EventLoop& loop = this->loop();
  std::mt19937 rng(99);
  std::uniform_int_distribution<int> pick(0, kTimers - 1);
  std::uniform_int_distribution<int> delay_ms(0, 12);  // Whole milliseconds: many ties.
  std::uniform_int_distribution<int> action(0, 9);

  struct Model {
    bool armed = false;
    TimePoint deadline;
    uint64_t sequence = 0;
    int fires = 0;
  };
  std::vector<Model> model(kTimers);
  uint64_t next_sequence = 0;
  std::vector<std::unique_ptr<Timer>> timers(kTimers);
  std::vector<int> fired;

  std::function<void(int)> make_timer;  // Creates (or replaces) timers[i].
  // What the callback of timer `i` does on its `n`-th fire (a pure function, so the model can
  // replay it): nothing, restart itself, stop another timer (perhaps itself), start another
  // one, or destroy another one (perhaps itself).
  auto edit = [&](int i, int n, bool real) {
    const int kind = (i * 7 + n * 3) % 5;
    const int other = (i * 31 + n * 17) % kTimers;
    const Duration delay = milliseconds((i + n) % 3);  // Zero included: due at once.
    auto arm = [&](int t) {
      model[t] = {true, loop.Now() + delay, next_sequence++, model[t].fires};
      if (real) timers[t]->Start(delay);
    };
    if (kind == 1) arm(i);
    if (kind == 2) {
      model[other].armed = false;
      if (real) timers[other]->Stop();
    }
    if (kind == 3) arm(other);
    if (kind == 4) {
      model[other].armed = false;
      if (real) make_timer(other);
    }
  };
  make_timer = [&](int i) {
    timers[i] = loop.CreateTimer([&, i] {
      fired.push_back(i);
      model[i].armed = false;  // A one-shot timer is inactive in its callback.
      edit(i, model[i].fires++, /*real=*/true);
    });
  };
  for (int i = 0; i < kTimers; ++i) make_timer(i);

  for (int round = 0; round < kRounds; ++round) {
    // Edits between runs.
    for (int k = 0; k < 40; ++k) {
      const int i = pick(rng);
      const int kind = action(rng);
      if (kind < 6) {
        const Duration delay = milliseconds(delay_ms(rng));
        model[i] = {true, loop.Now() + delay, next_sequence++, model[i].fires};
        timers[i]->Start(delay);
      } else if (kind < 8) {
        model[i].armed = false;
        timers[i]->Stop();
      } else {
        model[i].armed = false;
        make_timer(i);  // Destroys the old handle.
      }
    }
    this->traits_.AdvanceClock(milliseconds(round % 5 == 0 ? 0 : delay_ms(rng) / 3));
    const TimePoint now = loop.Now();
    // The expected fires of this call: run the model's callbacks on a copy of its state, then
    // restore it for the real callbacks to edit the same way.
    const std::vector<Model> saved = model;
    const uint64_t cutoff_sequence = next_sequence;
    std::vector<int> expected;
    for (;;) {
      int best = -1;
      for (int i = 0; i < kTimers; ++i) {
        const Model& m = model[i];
        if (!m.armed || m.deadline > now || m.sequence >= cutoff_sequence) continue;
        if (best < 0 || m.deadline < model[best].deadline ||
            (m.deadline == model[best].deadline && m.sequence < model[best].sequence)) {
          best = i;
        }
      }
      if (best < 0) break;
      expected.push_back(best);
      model[best].armed = false;
      edit(best, model[best].fires++, /*real=*/false);
    }
    model = saved;
    next_sequence = cutoff_sequence;

    fired.clear();
    loop.RunUntilIdle();
    ASSERT_EQ(fired, expected) << "round " << round;
    for (int i = 0; i < kTimers; ++i) {
      ASSERT_EQ(timers[i]->IsActive(), model[i].armed) << "round " << round << ", timer " << i;
    }
  }
}

}  // namespace
}  // namespace eventloop
