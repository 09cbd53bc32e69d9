// FakeEventLoop beyond the EventLoop contract (eventloop/event_loop_contract_test.cc):
// FastForwardBy, scripted fd readiness, raised signals, Run() on fake time, the loud
// failures that replace hangs, and the thread checks of the test controls.
#include "testing/fake_event_loop.h"

#include <signal.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "eventloop/event_loop.h"
#include "eventloop/thread_binding.h"
#include "gmock/gmock.h"
#include "gtest/gtest-spi.h"
#include "gtest/gtest.h"
#include "testing/fake_clock.h"

namespace eventloop {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::nanoseconds;
using std::chrono::seconds;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

// Elapsed fake time in whole milliseconds, readable in failure messages.
int64_t Ms(Duration d) { return std::chrono::duration_cast<milliseconds>(d).count(); }

class FakeEventLoopTest : public ::testing::Test {
 protected:
  // A callback recording "name@<ms since start>".
  std::function<void()> Record(const std::string& name) {
    return
        [this, name] { events_.push_back(name + "@" + std::to_string(Ms(loop_.Now() - start_))); };
  }

  FakeEventLoop loop_;
  const TimePoint start_ = loop_.Now();
  std::vector<std::string> events_;
};

TEST_F(FakeEventLoopTest, UsesItsOwnFakeClock) {
  EXPECT_EQ(&loop_.clock(), &loop_.fake_clock());
  EXPECT_EQ(loop_.Now(), FakeClock().Now());  // Starts where every FakeClock starts.
  loop_.fake_clock().Advance(seconds(3));
  EXPECT_EQ(loop_.Now(), start_ + seconds(3));
}

// ---------------------------------------------------------------------------------------------
// FastForwardBy.

TEST_F(FakeEventLoopTest, FastForwardByStepsNowToEachDeadlineAndRunsTasksBetweenTimers) {
  auto before_blocking = loop_.CreateBeforeBlockingTask(Record("before blocking"));
  auto at10 = loop_.CreateTimer([&] {
    Record("timer")();
    loop_.Post(Record("task posted at 10"));
    before_blocking->Schedule();
  });
  auto at20a = loop_.CreateTimer(Record("timer a"));
  auto at20b = loop_.CreateTimer(Record("timer b"));
  auto at30 = loop_.CreateTimer(Record("timer"));
  auto at31 = loop_.CreateTimer(Record("timer"));
  at30->Start(milliseconds(30));
  at20a->Start(milliseconds(20));
  at10->Start(milliseconds(10));
  at20b->Start(milliseconds(20));
  at31->Start(milliseconds(31));
  loop_.FastForwardBy(milliseconds(25));
  EXPECT_THAT(events_, ElementsAre("timer@10", "task posted at 10@10", "before blocking@10",
                                   "timer a@20", "timer b@20"));
  EXPECT_EQ(loop_.Now(), start_ + milliseconds(25));  // Ends at start + d.
  events_.clear();
  loop_.FastForwardBy(milliseconds(5));  // A deadline exactly at the end fires.
  EXPECT_THAT(events_, ElementsAre("timer@30"));
  EXPECT_EQ(loop_.Now(), start_ + milliseconds(30));
  EXPECT_TRUE(at31->IsActive());
}

TEST_F(FakeEventLoopTest, FastForwardByFiresARepeatingTimerAtEveryDeadline) {
  auto timer = loop_.CreateTimer(Record("tick"));
  timer->StartRepeating(milliseconds(3));
  loop_.FastForwardBy(milliseconds(10));
  EXPECT_THAT(events_, ElementsAre("tick@3", "tick@6", "tick@9"));
  EXPECT_EQ(loop_.Now(), start_ + milliseconds(10));
}

TEST_F(FakeEventLoopTest, FastForwardByFiresTimersStartedMeanwhile) {
  auto second = loop_.CreateTimer(Record("second"));
  auto again = loop_.CreateTimer(Record("zero delay"));
  auto first = loop_.CreateTimer([&] {
    Record("first")();
    second->Start(milliseconds(5));
    again->Start(Duration::zero());  // Due at once: fires at the same time point.
  });
  first->Start(milliseconds(5));
  loop_.FastForwardBy(milliseconds(10));
  EXPECT_THAT(events_, ElementsAre("first@5", "zero delay@5", "second@10"));
}

TEST_F(FakeEventLoopTest, FastForwardByZeroOrNegativeRunsPendingWorkOnly) {
  auto timer = loop_.CreateTimer(Record("timer"));
  timer->Start(nanoseconds(1));
  loop_.Post(Record("task"));
  loop_.FastForwardBy(-seconds(1));
  EXPECT_EQ(loop_.Now(), start_);
  loop_.FastForwardBy(Duration::zero());
  EXPECT_EQ(loop_.Now(), start_);
  EXPECT_THAT(events_, ElementsAre("task@0"));
}

TEST_F(FakeEventLoopTest, FastForwardByFromInsideACallbackFailsLoudly) {
  loop_.Post([&] { loop_.FastForwardBy(seconds(1)); });
  EXPECT_NONFATAL_FAILURE(loop_.RunUntilIdle(), "FastForwardBy() called from inside a loop");
  EXPECT_EQ(loop_.Now(), start_);
}

TEST_F(FakeEventLoopTest, FastForwardByFailsLoudlyOnATimerReArmingAtOneTimePoint) {
  std::unique_ptr<Timer> timer;
  timer = loop_.CreateTimer([&] { timer->Start(Duration::zero()); });
  timer->Start(milliseconds(1));
  EXPECT_NONFATAL_FAILURE(loop_.FastForwardBy(milliseconds(2)),
                          "timers keep re-arming at one time point");
  timer.reset();
}

// ---------------------------------------------------------------------------------------------
// Scripted fd readiness.

TEST_F(FakeEventLoopTest, FdReadinessIsLevelTriggeredAndDeliveredToInterestedWatchersOnly) {
  std::vector<std::string> events;
  auto watch = [&](int fd, uint32_t interest, const std::string& name) {
    return loop_.WatchFd(fd, interest, [&events, name](uint32_t ready) {
      events.push_back(name + ":" + std::to_string(ready));
    });
  };
  auto reader = watch(5, kReadable, "reader");
  auto writer = watch(5, kWritable, "writer");
  auto both = watch(6, kReadable | kWritable, "both");
  auto paused = watch(5, kNoEvents, "paused");
  ASSERT_NE(reader, nullptr);
  ASSERT_NE(paused, nullptr);

  loop_.RunUntilIdle();
  EXPECT_THAT(events, IsEmpty());  // Nothing scripted.

  loop_.SetFdReady(5, kReadable);
  EXPECT_EQ(loop_.FdReadiness(5), kReadable);
  loop_.RunUntilIdle();
  EXPECT_THAT(events, ElementsAre("reader:1"));
  loop_.RunUntilIdle();  // Level-triggered: again, until cleared.
  EXPECT_THAT(events, ElementsAre("reader:1", "reader:1"));

  events.clear();
  loop_.SetFdReady(5, kWritable);  // Adds to the readiness.
  EXPECT_EQ(loop_.FdReadiness(5), kReadable | kWritable);
  loop_.SetFdReady(6, kWritable);
  loop_.RunUntilIdle();
  // Each watcher gets the ready subset of its own interest, in creation order.
  EXPECT_THAT(events, ElementsAre("reader:1", "writer:2", "both:2"));

  events.clear();
  loop_.ClearFdReady(5, kReadable);
  EXPECT_EQ(loop_.FdReadiness(5), kWritable);
  loop_.ClearFdReady(6, kReadable | kWritable);
  EXPECT_EQ(loop_.FdReadiness(6), kNoEvents);
  loop_.RunUntilIdle();
  EXPECT_THAT(events, ElementsAre("writer:2"));

  events.clear();
  loop_.ClearFdReady(5, kWritable);
  loop_.ClearFdReady(7, kReadable);  // Never ready: no effect.
  loop_.RunUntilIdle();
  EXPECT_THAT(events, IsEmpty());

  // Bits other than kReadable and kWritable are masked out.
  loop_.SetFdReady(5, 0x80);
  EXPECT_EQ(loop_.FdReadiness(5), kNoEvents);
}

TEST_F(FakeEventLoopTest, SetEventsPausesAndResumesAndWatchedEventsFollows) {
  int calls = 0;
  auto reader = loop_.WatchFd(3, kReadable, [&](uint32_t) { ++calls; });
  auto writer = loop_.WatchFd(3, kWritable, [&](uint32_t) {});
  EXPECT_EQ(loop_.WatchedEvents(3), kReadable | kWritable);
  EXPECT_EQ(loop_.WatchedEvents(4), kNoEvents);
  loop_.SetFdReady(3, kReadable);
  reader->SetEvents(kNoEvents);
  EXPECT_EQ(reader->events(), kNoEvents);
  EXPECT_EQ(loop_.WatchedEvents(3), kWritable);
  loop_.RunUntilIdle();
  EXPECT_EQ(calls, 0);  // Paused although ready.
  reader->SetEvents(kReadable | 0x80);
  EXPECT_EQ(reader->events(), kReadable);
  loop_.RunUntilIdle();
  EXPECT_EQ(calls, 1);
  writer.reset();
  EXPECT_EQ(loop_.WatchedEvents(3), kReadable);
  reader.reset();
  EXPECT_EQ(loop_.WatchedEvents(3), kNoEvents);
}

TEST_F(FakeEventLoopTest, ReadinessAloneDoesNotStartAnotherIteration) {
  int calls = 0;
  auto watcher = loop_.WatchFd(1, kReadable, [&](uint32_t) { ++calls; });
  loop_.SetFdReady(1, kReadable);
  loop_.RunUntilIdle();
  EXPECT_EQ(calls, 1);
  loop_.Post([&] { loop_.Post([] {}); });  // Three iterations: task, task, idle.
  loop_.RunUntilIdle();
  EXPECT_EQ(calls, 4);
}

TEST_F(FakeEventLoopTest, SettlingFdReadinessRunsIterationsUntilNoWatcherIsReady) {
  EXPECT_FALSE(loop_.settles_fd_readiness());
  loop_.SetSettlesFdReadiness(true);
  EXPECT_TRUE(loop_.settles_fd_readiness());
  // A chain of three hops, each making the fd of an earlier watcher ready (so one pass over
  // the watchers cannot deliver it): all at one RunUntilIdle.
  std::vector<std::unique_ptr<FdWatcher>> hops;
  for (int fd = 1; fd <= 3; ++fd) {
    hops.push_back(loop_.WatchFd(fd, kReadable, [this, fd](uint32_t) {
      Record("fd" + std::to_string(fd))();
      loop_.ClearFdReady(fd, kReadable);
      if (fd > 1) loop_.SetFdReady(fd - 1, kReadable);
    }));
  }
  loop_.SetFdReady(3, kReadable);
  loop_.RunUntilIdle();
  EXPECT_THAT(events_, ElementsAre("fd3@0", "fd2@0", "fd1@0"));
  // Readiness nobody is interested in does not keep it running.
  loop_.SetFdReady(1, kWritable);
  loop_.SetFdReady(7, kReadable);
  loop_.RunUntilIdle();
  EXPECT_THAT(events_, ElementsAre("fd3@0", "fd2@0", "fd1@0"));
  // Without settling, one hop per RunUntilIdle (ReadinessAloneDoesNotStartAnotherIteration).
  events_.clear();
  loop_.SetSettlesFdReadiness(false);
  loop_.SetFdReady(3, kReadable);
  loop_.RunUntilIdle();
  EXPECT_THAT(events_, ElementsAre("fd3@0"));
  loop_.RunUntilIdle();
  EXPECT_THAT(events_, ElementsAre("fd3@0", "fd2@0"));
}

TEST_F(FakeEventLoopTest, SettlingFastForwardByFinishesEachExchangeAtItsTimePoint) {
  loop_.SetSettlesFdReadiness(true);
  // A timer at 10 ms starts a two-hop exchange (the second hop on an earlier watcher); a timer
  // at 20 ms must see it finished.
  auto second = loop_.WatchFd(2, kReadable, [this](uint32_t) {
    Record("fd2")();
    loop_.ClearFdReady(2, kReadable);
  });
  auto first = loop_.WatchFd(1, kReadable, [this](uint32_t) {
    Record("fd1")();
    loop_.ClearFdReady(1, kReadable);
    loop_.SetFdReady(2, kReadable);
  });
  auto start = loop_.CreateTimer([this] {
    Record("start")();
    loop_.SetFdReady(1, kReadable);
  });
  auto check = loop_.CreateTimer(Record("check"));
  start->Start(milliseconds(10));
  check->Start(milliseconds(20));
  loop_.FastForwardBy(milliseconds(30));
  EXPECT_THAT(events_, ElementsAre("start@10", "fd1@10", "fd2@10", "check@20"));
}

TEST_F(FakeEventLoopTest, SettlingFailsLoudlyOnAWatcherThatNeverConsumesItsReadiness) {
  loop_.SetSettlesFdReadiness(true);
  int calls = 0;
  auto watcher = loop_.WatchFd(5, kWritable, [&](uint32_t) { ++calls; });
  loop_.SetFdReady(5, kWritable);
  EXPECT_NONFATAL_FAILURE(loop_.RunUntilIdle(), "fd watchers keep finding their fd ready");
  EXPECT_GT(calls, 1000);
  watcher.reset();
  loop_.RunUntilIdle();  // Still usable afterwards.
}

TEST_F(FakeEventLoopTest, FdCallbacksComeFirstInTheIteration) {
  auto before_blocking = loop_.CreateBeforeBlockingTask(Record("before blocking"));
  auto timer = loop_.CreateTimer(Record("timer"));
  auto started_by_fd = loop_.CreateTimer(Record("started by fd"));
  auto watcher = loop_.WatchFd(9, kReadable, [&](uint32_t) {
    Record("fd")();
    loop_.ClearFdReady(9, kReadable);
    started_by_fd->Start(Duration::zero());
  });
  loop_.SetFdReady(9, kReadable);
  before_blocking->Schedule();
  loop_.Post(Record("task"));
  timer->Start(Duration::zero());
  loop_.Post([&] { loop_.Quit(); });
  loop_.Run();  // As in LibeventLoop::Run(): the timer started in step 1 fires in step 2.
  EXPECT_THAT(events_,
              ElementsAre("fd@0", "timer@0", "started by fd@0", "task@0", "before blocking@0"));
}

TEST_F(FakeEventLoopTest, WatcherCallbackDestroyingOrCreatingWatchers) {
  std::unique_ptr<FdWatcher> later;
  std::unique_ptr<FdWatcher> created;
  std::unique_ptr<FdWatcher> self;
  std::vector<std::string> events;
  auto first = loop_.WatchFd(1, kReadable, [&](uint32_t) {
    events.push_back("first");
    later.reset();  // Ready in this iteration too: must not be called.
    if (!created) {
      created = loop_.WatchFd(1, kReadable, [&](uint32_t) { events.push_back("created"); });
    }
  });
  later = loop_.WatchFd(1, kReadable, [&](uint32_t) { events.push_back("later"); });
  auto token = std::make_shared<std::string>("self");
  self = loop_.WatchFd(1, kReadable, [&, token](uint32_t) {
    self.reset();
    events.push_back(*token);  // Still alive while it runs (ASan).
  });
  token.reset();
  loop_.SetFdReady(1, kReadable);
  loop_.RunUntilIdle();
  // The watcher created during step 1 waits for the next iteration.
  EXPECT_THAT(events, ElementsAre("first", "self"));
  loop_.RunUntilIdle();
  EXPECT_THAT(events, ElementsAre("first", "self", "first", "created"));
  EXPECT_EQ(self, nullptr);
}

TEST_F(FakeEventLoopTest, WatchFdAcceptsAnyNonNegativeNumber) {
  EXPECT_NE(loop_.WatchFd(0, kReadable, [](uint32_t) {}), nullptr);
  EXPECT_NE(loop_.WatchFd(123456, kNoEvents, [](uint32_t) {}), nullptr);
  EXPECT_EQ(loop_.WatchFd(-1, kReadable, [](uint32_t) {}), nullptr);
}

// ---------------------------------------------------------------------------------------------
// Raised signals.

TEST_F(FakeEventLoopTest, RefuseToWatchMakesWatchFdFailForThatFdOnly) {
  loop_.RefuseToWatch(7);
  EXPECT_EQ(loop_.WatchFd(7, kReadable, [](uint32_t) {}), nullptr);
  EXPECT_EQ(loop_.WatchFd(-1, kReadable, [](uint32_t) {}), nullptr);
  EXPECT_NE(loop_.WatchFd(8, kReadable, [](uint32_t) {}), nullptr);
  EXPECT_EQ(loop_.WatchedEvents(7), kNoEvents);
}

TEST_F(FakeEventLoopTest, RaiseSignalDeliversToThatSignalsWatchersOnTheNextIteration) {
  std::vector<std::string> events;
  auto usr1a = loop_.WatchSignal(SIGUSR1, [&] { events.push_back("usr1 a"); });
  auto usr2 = loop_.WatchSignal(SIGUSR2, [&] { events.push_back("usr2"); });
  auto usr1b = loop_.WatchSignal(SIGUSR1, [&] { events.push_back("usr1 b"); });
  ASSERT_NE(usr1a, nullptr);
  loop_.RaiseSignal(SIGUSR1);
  EXPECT_THAT(events, IsEmpty());  // Not synchronously.
  loop_.RunUntilIdle();
  EXPECT_THAT(events, ElementsAre("usr1 a", "usr1 b"));
  loop_.RunUntilIdle();  // Delivered once per raise.
  EXPECT_THAT(events, ElementsAre("usr1 a", "usr1 b"));
  usr1a.reset();
  loop_.RaiseSignal(SIGUSR2);
  loop_.RaiseSignal(SIGUSR1);
  loop_.RunUntilIdle();
  EXPECT_THAT(events, ElementsAre("usr1 a", "usr1 b", "usr2", "usr1 b"));
}

TEST_F(FakeEventLoopTest, WatchSignalTouchesNoProcessStateAndHasNoOneLoopLimit) {
  FakeEventLoop other;
  auto mine = loop_.WatchSignal(SIGUSR1, [] {});
  auto theirs = other.WatchSignal(SIGUSR1, [] {});
  EXPECT_NE(mine, nullptr);
  EXPECT_NE(theirs, nullptr);
  struct sigaction current = {};
  ASSERT_EQ(sigaction(SIGUSR1, nullptr, &current), 0);
  EXPECT_EQ(current.sa_handler, SIG_DFL);  // No real handler was installed.
  EXPECT_EQ(loop_.WatchSignal(SIGKILL, [] {}), nullptr);
}

// ---------------------------------------------------------------------------------------------
// Run() on fake time, and the loud failures that replace hangs.

TEST_F(FakeEventLoopTest, RunAdvancesFakeTimeUntilQuit) {
  auto ticker = loop_.CreateTimer(Record("tick"));
  ticker->StartRepeating(seconds(2));
  auto quitter = loop_.CreateTimer([&] {
    Record("quit")();
    loop_.Quit();
  });
  quitter->Start(seconds(5));
  loop_.Run();
  EXPECT_THAT(events_, ElementsAre("tick@2000", "tick@4000", "quit@5000"));
  EXPECT_EQ(loop_.Now(), start_ + seconds(5));  // Stops at the quitting timer's deadline.
}

TEST_F(FakeEventLoopTest, RunServicesFdsAndSignalsWithoutTimers) {
  int fd_calls = 0;
  auto watcher = loop_.WatchFd(4, kReadable, [&](uint32_t) {
    if (++fd_calls == 3) loop_.RaiseSignal(SIGTERM);
  });
  auto signal_watcher = loop_.WatchSignal(SIGTERM, [&] { loop_.Quit(); });
  loop_.SetFdReady(4, kReadable);
  loop_.Run();
  EXPECT_EQ(fd_calls, 4);  // The signal raised by the third call comes in the fourth iteration.
  EXPECT_EQ(loop_.Now(), start_);
}

TEST_F(FakeEventLoopTest, RunWithNothingToDoFailsLoudly) {
  EXPECT_NONFATAL_FAILURE(loop_.Run(), "nothing left that could ever run, and no Quit()");
  auto timer = loop_.CreateTimer(Record("timer"));
  timer->Start(seconds(1));
  // Fires the timer, then finds nothing else.
  EXPECT_NONFATAL_FAILURE(loop_.Run(), "nothing left that could ever run");
  EXPECT_THAT(events_, ElementsAre("timer@1000"));
}

TEST_F(FakeEventLoopTest, RunWithASelfRepostingTaskThatQuitsReturns) {
  int runs = 0;
  std::function<void()> task = [&] {
    if (++runs == 100) {
      loop_.Quit();
    }
    loop_.Post(task);  // Keeps reposting, also after Quit().
  };
  loop_.Post(task);
  loop_.Run();
  EXPECT_EQ(runs, 100);
}

TEST_F(FakeEventLoopTest, SelfRepostingTaskMakesRunUntilIdleFailLoudlyInsteadOfHanging) {
  const auto start = std::chrono::steady_clock::now();
  bool repost = true;
  std::function<void()> task = [&] {
    if (repost) loop_.Post(task);
  };
  loop_.Post(task);
  EXPECT_NONFATAL_FAILURE(loop_.RunUntilIdle(), "never became idle");
  const auto elapsed = std::chrono::steady_clock::now() - start;
  repost = false;
  loop_.RunUntilIdle();  // Still usable afterwards.
  RecordProperty("elapsed_ms",
                 static_cast<int>(std::chrono::duration_cast<milliseconds>(elapsed).count()));
  EXPECT_LT(elapsed, seconds(20)) << "the 1e6-iteration cap takes too long";
}

TEST_F(FakeEventLoopTest, SelfRepostingTaskMakesRunFailLoudlyWithoutQuit) {
  bool repost = true;
  std::function<void()> task = [&] {
    if (repost) loop_.Post(task);
  };
  loop_.Post(task);
  EXPECT_NONFATAL_FAILURE(loop_.Run(), "never became idle");
  repost = false;
  loop_.RunUntilIdle();
}

// ---------------------------------------------------------------------------------------------
// Threads: the test controls belong to the loop's thread, like the rest of the loop; the loop
// binds at its first Run(), RunUntilIdle() or FastForwardBy(). Wrong-thread calls are made
// while the bound thread is alive (a joined thread's id may be reused).

// Runs `f` on a new thread and joins it.
void OnNewThread(const std::function<void()>& f) { std::thread(f).join(); }

TEST_F(FakeEventLoopTest, BuiltAndScriptedOnOneThreadThenRunOnAnother) {
  auto watcher = loop_.WatchFd(3, kReadable, [&](uint32_t) {
    Record("fd")();
    loop_.ClearFdReady(3, kReadable);
  });
  auto signal_watcher = loop_.WatchSignal(SIGUSR1, Record("signal"));
  loop_.SetFdReady(3, kReadable);
  loop_.RaiseSignal(SIGUSR1);
  loop_.fake_clock().Advance(milliseconds(5));
  OnNewThread([&] { loop_.FastForwardBy(milliseconds(10)); });
  EXPECT_THAT(events_, ElementsAre("fd@5", "signal@5"));
}

#if LOCALSOCKET_DCHECK_IS_ON

class FakeEventLoopDeathTest : public FakeEventLoopTest {
 protected:
  void SetUp() override { GTEST_FLAG_SET(death_test_style, "threadsafe"); }
};

TEST_F(FakeEventLoopDeathTest, TestControlsAbortOnAnotherThreadThanTheLoops) {
  loop_.FastForwardBy(milliseconds(1));  // Binds the loop to this thread.
  const std::vector<std::pair<std::string, std::function<void()>>> calls = {
      {"FakeEventLoop::FastForwardBy", [&] { loop_.FastForwardBy(milliseconds(1)); }},
      {"FakeEventLoop::SetFdReady", [&] { loop_.SetFdReady(3, kReadable); }},
      {"FakeEventLoop::ClearFdReady", [&] { loop_.ClearFdReady(3, kReadable); }},
      {"FakeEventLoop::FdReadiness", [&] { loop_.FdReadiness(3); }},
      {"FakeEventLoop::WatchedEvents", [&] { loop_.WatchedEvents(3); }},
      {"FakeEventLoop::RaiseSignal", [&] { loop_.RaiseSignal(SIGUSR1); }},
      {"FakeEventLoop::fake_clock", [&] { loop_.fake_clock(); }},
  };
  for (const auto& [caller, call] : calls) {
    EXPECT_DEATH(OnNewThread(call),
                 "localsocket: " + caller +
                     " called on thread [0-9]+, but the object is bound to thread [0-9]+ "
                     "\\(the loop's thread since FakeEventLoop::FastForwardBy\\)")
        << caller;
  }
}

#endif  // LOCALSOCKET_DCHECK_IS_ON

}  // namespace
}  // namespace eventloop
