// LibeventLoop with real kernel objects: fds, threads, POSIX signals, and timers on both
// SystemClock() and a FakeClock. The behaviour common to every loop is in
// event_loop_contract_test.cc.
#include "eventloop/libevent_loop.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "eventloop/clock.h"
#include "eventloop/event_loop.h"
#include "eventloop/timer_slack.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/fake_clock.h"
#include "testing/loop_watchdog.h"

namespace eventloop {
namespace {

using std::chrono::milliseconds;
using std::chrono::nanoseconds;
using std::chrono::seconds;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

// A connected, non-blocking AF_UNIX stream socket pair.
class SocketPair {
 public:
  SocketPair() {
    int fds[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) == 0) {
      fds_[0] = fds[0];
      fds_[1] = fds[1];
    }
  }
  SocketPair(const SocketPair&) = delete;
  SocketPair& operator=(const SocketPair&) = delete;
  ~SocketPair() {
    for (int fd : fds_) {
      if (fd >= 0) close(fd);
    }
  }
  int a() const { return fds_[0]; }
  int b() const { return fds_[1]; }

 private:
  int fds_[2] = {-1, -1};
};

void WriteByte(int fd) {
  const char byte = 'x';
  ASSERT_EQ(write(fd, &byte, 1), 1) << "errno " << errno;
}

// Reads everything available; returns the byte count.
int Drain(int fd) {
  char buffer[256];
  int total = 0;
  for (;;) {
    const ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n <= 0) return total;
    total += static_cast<int>(n);
  }
}

TEST(LibeventLoopTest, IsValid) {
  LibeventLoop loop;
  EXPECT_TRUE(loop.IsValid());
  EXPECT_EQ(&loop.clock(), &SystemClock());
  FakeClock clock;
  LibeventLoop fake_time_loop(clock);
  EXPECT_EQ(&fake_time_loop.clock(), &clock);
  EXPECT_EQ(fake_time_loop.Now(), clock.Now());
}

// ---------------------------------------------------------------------------------------------
// Fd watchers.

TEST(LibeventLoopFdTest, ReadableFdIsReportedLevelTriggeredUntilDrained) {
  LibeventLoop loop;
  SocketPair pair;
  std::vector<uint32_t> ready_events;
  auto watcher = loop.WatchFd(pair.a(), kReadable, [&](uint32_t ready) {
    ready_events.push_back(ready);
    // Were RunUntilIdle to spin on the ready fd, stop it here so the test fails, not hangs.
    if (ready_events.size() > 1000) Drain(pair.a());
  });
  ASSERT_NE(watcher, nullptr);
  EXPECT_EQ(watcher->events(), kReadable);
  loop.RunUntilIdle();
  EXPECT_THAT(ready_events, IsEmpty());  // Nothing to read yet.

  WriteByte(pair.b());
  loop.RunUntilIdle();  // Returns although the fd stays ready: one delivery per iteration.
  EXPECT_THAT(ready_events, ElementsAre(kReadable));
  loop.RunUntilIdle();  // Level-triggered: still ready, delivered again.
  EXPECT_THAT(ready_events, ElementsAre(kReadable, kReadable));

  // Three iterations (task1; task2 posted by task1; the idle one): one delivery each.
  ready_events.clear();
  loop.Post([&] { loop.Post([] {}); });
  loop.RunUntilIdle();
  EXPECT_THAT(ready_events, ElementsAre(kReadable, kReadable, kReadable));

  ASSERT_EQ(Drain(pair.a()), 1);
  ready_events.clear();
  loop.RunUntilIdle();
  EXPECT_THAT(ready_events, IsEmpty());  // Drained: no longer ready.
}

TEST(LibeventLoopFdTest, PipeReadEndAndPeerHangUp) {
  LibeventLoop loop;
  int fds[2];
  ASSERT_EQ(pipe2(fds, O_NONBLOCK | O_CLOEXEC), 0);
  std::vector<uint32_t> ready_events;
  auto watcher =
      loop.WatchFd(fds[0], kReadable, [&](uint32_t ready) { ready_events.push_back(ready); });
  ASSERT_NE(watcher, nullptr);
  WriteByte(fds[1]);
  loop.RunUntilIdle();
  EXPECT_THAT(ready_events, ElementsAre(kReadable));
  ASSERT_EQ(Drain(fds[0]), 1);
  close(fds[1]);  // End of file is readable too.
  loop.RunUntilIdle();
  EXPECT_THAT(ready_events, ElementsAre(kReadable, kReadable));
  watcher.reset();
  close(fds[0]);
}

TEST(LibeventLoopFdTest, WriteInterestOnASocketPairIsReadyAtOnce) {
  LibeventLoop loop;
  SocketPair pair;
  std::vector<uint32_t> ready_events;
  auto watcher = loop.WatchFd(pair.a(), kReadable | kWritable,
                              [&](uint32_t ready) { ready_events.push_back(ready); });
  ASSERT_NE(watcher, nullptr);
  EXPECT_EQ(watcher->events(), kReadable | kWritable);
  loop.RunUntilIdle();
  EXPECT_THAT(ready_events, ElementsAre(kWritable));  // Only what is ready is reported.
  WriteByte(pair.b());
  loop.RunUntilIdle();
  EXPECT_THAT(ready_events, ElementsAre(kWritable, kReadable | kWritable));
  // The ready subset of the interest only: readable is masked out here.
  watcher->SetEvents(kWritable);
  EXPECT_EQ(watcher->events(), kWritable);
  loop.RunUntilIdle();
  EXPECT_THAT(ready_events, ElementsAre(kWritable, kReadable | kWritable, kWritable));
  watcher->SetEvents(kReadable);
  loop.RunUntilIdle();
  EXPECT_THAT(ready_events, ElementsAre(kWritable, kReadable | kWritable, kWritable, kReadable));
}

TEST(LibeventLoopFdTest, NoEventsPausesTheWatcherAndReEnablingResumes) {
  LibeventLoop loop;
  SocketPair pair;
  WriteByte(pair.b());  // Ready from the start.
  int calls = 0;
  auto watcher = loop.WatchFd(pair.a(), kReadable, [&](uint32_t) { ++calls; });
  ASSERT_NE(watcher, nullptr);
  watcher->SetEvents(kNoEvents);
  EXPECT_EQ(watcher->events(), kNoEvents);
  loop.RunUntilIdle();
  loop.RunUntilIdle();
  EXPECT_EQ(calls, 0);  // Paused although the fd is ready.
  watcher->SetEvents(kReadable);
  loop.RunUntilIdle();
  EXPECT_EQ(calls, 1);

  // Created paused.
  int paused_calls = 0;
  auto paused = loop.WatchFd(pair.a(), kNoEvents, [&](uint32_t) { ++paused_calls; });
  ASSERT_NE(paused, nullptr);
  EXPECT_EQ(paused->events(), kNoEvents);
  loop.RunUntilIdle();
  EXPECT_EQ(paused_calls, 0);
  paused->SetEvents(kReadable);
  loop.RunUntilIdle();
  EXPECT_EQ(paused_calls, 1);
  EXPECT_EQ(calls, 3);  // Two watchers of one fd both see it.

  // Bits other than kReadable and kWritable are ignored.
  watcher->SetEvents(kReadable | 0x80);
  EXPECT_EQ(watcher->events(), kReadable);
}

TEST(LibeventLoopFdTest, PausingItselfInsideItsCallback) {
  LibeventLoop loop;
  SocketPair pair;
  WriteByte(pair.b());
  std::unique_ptr<FdWatcher> watcher;
  int calls = 0;
  watcher = loop.WatchFd(pair.a(), kReadable, [&](uint32_t) {
    ++calls;
    watcher->SetEvents(kNoEvents);
  });
  ASSERT_NE(watcher, nullptr);
  loop.RunUntilIdle();
  loop.RunUntilIdle();
  EXPECT_EQ(calls, 1);
}

TEST(LibeventLoopFdTest, WatcherMayDestroyItselfInItsCallback) {
  LibeventLoop loop;
  SocketPair pair;
  WriteByte(pair.b());
  std::unique_ptr<FdWatcher> watcher;
  auto token = std::make_shared<std::string>("alive");
  std::vector<std::string> events;
  watcher = loop.WatchFd(pair.a(), kReadable, [&, token](uint32_t) {
    watcher.reset();
    events.push_back(*token);  // The callable outlives the handle until it returns (ASan).
  });
  token.reset();
  ASSERT_NE(watcher, nullptr);
  loop.RunUntilIdle();
  loop.RunUntilIdle();
  EXPECT_EQ(watcher, nullptr);
  EXPECT_THAT(events, ElementsAre("alive"));
}

TEST(LibeventLoopFdTest, WatcherDestroyingAnotherReadyWatcherPreventsItsCallback) {
  LibeventLoop loop;
  SocketPair pair1;
  SocketPair pair2;
  WriteByte(pair1.b());
  WriteByte(pair2.b());
  // Both fds are ready in the same iteration; libevent's dispatch order between them is not
  // specified, so whichever runs first destroys the other.
  std::unique_ptr<FdWatcher> watcher1;
  std::unique_ptr<FdWatcher> watcher2;
  std::vector<std::string> events;
  watcher1 = loop.WatchFd(pair1.a(), kReadable, [&](uint32_t) {
    events.push_back("watcher1");
    watcher2.reset();
  });
  watcher2 = loop.WatchFd(pair2.a(), kReadable, [&](uint32_t) {
    events.push_back("watcher2");
    watcher1.reset();
  });
  ASSERT_NE(watcher1, nullptr);
  ASSERT_NE(watcher2, nullptr);
  loop.RunUntilIdle();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0] == "watcher1", watcher2 == nullptr);
  EXPECT_EQ(events[0] == "watcher2", watcher1 == nullptr);
  loop.RunUntilIdle();  // The survivor stays level-triggered.
  EXPECT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1], events[0]);
}

TEST(LibeventLoopFdTest, WatcherPausingAnotherReadyWatcherPreventsItsCallback) {
  LibeventLoop loop;
  SocketPair pair1;
  SocketPair pair2;
  WriteByte(pair1.b());
  WriteByte(pair2.b());
  std::unique_ptr<FdWatcher> watcher1;
  std::unique_ptr<FdWatcher> watcher2;
  std::vector<std::string> events;
  watcher1 = loop.WatchFd(pair1.a(), kReadable, [&](uint32_t) {
    events.push_back("watcher1");
    watcher2->SetEvents(kNoEvents);
  });
  watcher2 = loop.WatchFd(pair2.a(), kReadable, [&](uint32_t) {
    events.push_back("watcher2");
    watcher1->SetEvents(kNoEvents);
  });
  ASSERT_NE(watcher1, nullptr);
  ASSERT_NE(watcher2, nullptr);
  loop.RunUntilIdle();
  ASSERT_EQ(events.size(), 1u);  // Whichever ran first paused the other.
  loop.RunUntilIdle();           // The paused one stays paused; the other is level-triggered.
  EXPECT_THAT(events, ElementsAre(events[0], events[0]));
}

TEST(LibeventLoopFdTest, WatchFdRejectsFdsTheKernelCannotWatch) {
  LibeventLoop loop;
  auto callback = [](uint32_t) {};
  EXPECT_EQ(loop.WatchFd(-1, kReadable, callback), nullptr);

  // A closed fd.
  int fds[2];
  ASSERT_EQ(pipe2(fds, O_CLOEXEC), 0);
  close(fds[0]);
  close(fds[1]);
  EXPECT_EQ(loop.WatchFd(fds[0], kReadable, callback), nullptr);
  EXPECT_EQ(loop.WatchFd(fds[0], kNoEvents, callback), nullptr);

  // A regular file (epoll refuses those) and a directory.
  char path[] = "/tmp/libevent_loop_test_XXXXXX";
  const int file = mkstemp(path);
  ASSERT_GE(file, 0);
  unlink(path);
  EXPECT_EQ(loop.WatchFd(file, kReadable, callback), nullptr);
  EXPECT_EQ(loop.WatchFd(file, kNoEvents, callback), nullptr);
  close(file);
  const int dir = open("/tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  ASSERT_GE(dir, 0);
  EXPECT_EQ(loop.WatchFd(dir, kReadable, callback), nullptr);
  close(dir);

  // A character device epoll refuses, also when the watcher starts paused (it would never
  // fire once enabled).
  const int null_device = open("/dev/null", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(null_device, 0);
  EXPECT_EQ(loop.WatchFd(null_device, kReadable, callback), nullptr);
  EXPECT_EQ(loop.WatchFd(null_device, kNoEvents, callback), nullptr);
  close(null_device);
}

TEST(LibeventLoopFdTest, ARefusedWatcherLeavesTheLoopWatchingOtherFds) {
  LibeventLoop loop;
  const int null_device = open("/dev/null", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(null_device, 0);
  EXPECT_EQ(loop.WatchFd(null_device, kReadable | kWritable, [](uint32_t) {}), nullptr);
  close(null_device);

  SocketPair pair;
  std::vector<uint32_t> seen;
  auto watcher = loop.WatchFd(pair.a(), kReadable, [&](uint32_t ready) {
    seen.push_back(ready);
    Drain(pair.a());
    loop.Quit();
  });
  ASSERT_NE(watcher, nullptr);
  WriteByte(pair.b());
  loop.Run();
  EXPECT_THAT(seen, ElementsAre(kReadable));
}

TEST(LibeventLoopFdTest, WatchesAnEventFdWhichIsNeitherSocketNorPipe) {
  LibeventLoop loop;
  const int event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  ASSERT_GE(event_fd, 0);
  uint32_t seen = 0;
  auto watcher = loop.WatchFd(event_fd, kNoEvents, [&](uint32_t ready) {
    seen = ready;
    loop.Quit();
  });
  ASSERT_NE(watcher, nullptr);
  watcher->SetEvents(kReadable);
  const uint64_t one = 1;
  ASSERT_EQ(write(event_fd, &one, sizeof(one)), static_cast<ssize_t>(sizeof(one)));
  loop.Run();
  EXPECT_EQ(seen, kReadable);
  watcher.reset();
  close(event_fd);
}

TEST(LibeventLoopFdTest, OneIterationRunsFdCallbacksThenTimersThenTasksThenBeforeBlocking) {
  LibeventLoop loop;
  SocketPair pair;
  std::vector<std::string> events;
  auto before_blocking = loop.CreateBeforeBlockingTask([&] { events.push_back("before"); });
  auto timer = loop.CreateTimer([&] { events.push_back("timer"); });
  auto started_by_fd = loop.CreateTimer([&] { events.push_back("started by fd"); });
  std::unique_ptr<FdWatcher> watcher;
  watcher = loop.WatchFd(pair.a(), kReadable, [&](uint32_t) {
    events.push_back("fd");
    Drain(pair.a());
    started_by_fd->Start(Duration::zero());  // Started during step 1, before step 2.
  });
  ASSERT_NE(watcher, nullptr);
  before_blocking->Schedule();
  loop.Post([&] { events.push_back("task"); });
  timer->Start(Duration::zero());
  WriteByte(pair.b());
  Watchdog watchdog(loop);
  loop.Post([&] { loop.Quit(); });
  loop.Run();
  EXPECT_FALSE(watchdog.fired());
  EXPECT_THAT(events, ElementsAre("fd", "timer", "started by fd", "task", "before"));
}

// ---------------------------------------------------------------------------------------------
// Threads: Post and Quit from other threads.

TEST(LibeventLoopThreadTest, PostFromAnotherThreadWakesABlockedRun) {
  LibeventLoop loop;
  std::promise<void> loop_running;
  std::future<void> loop_running_future = loop_running.get_future();
  const std::thread::id loop_thread = std::this_thread::get_id();
  std::vector<std::string> events;
  // The loop runs this, then blocks: nothing else is registered or pending.
  loop.Post([&] { loop_running.set_value(); });
  std::thread poster([&] {
    loop_running_future.wait();
    loop.Post([&] {
      events.push_back(std::this_thread::get_id() == loop_thread ? "on loop thread" : "elsewhere");
      loop.Quit();
    });
  });
  Watchdog watchdog(loop);
  loop.Run();
  poster.join();
  EXPECT_FALSE(watchdog.fired());
  EXPECT_THAT(events, ElementsAre("on loop thread"));
}

TEST(LibeventLoopThreadTest, QuitFromAnotherThreadEndsABlockedRun) {
  LibeventLoop loop;
  std::promise<void> loop_running;
  std::future<void> loop_running_future = loop_running.get_future();
  loop.Post([&] { loop_running.set_value(); });
  std::thread quitter([&] {
    loop_running_future.wait();
    loop.Quit();
  });
  Watchdog watchdog(loop);
  loop.Run();
  quitter.join();
  EXPECT_FALSE(watchdog.fired());
}

TEST(LibeventLoopThreadTest, QuitFromAnotherThreadBeforeRunIsRemembered) {
  LibeventLoop loop;
  std::thread quitter([&] { loop.Quit(); });
  quitter.join();
  Watchdog watchdog(loop);
  loop.Run();  // Returns at once.
  EXPECT_FALSE(watchdog.fired());
}

TEST(LibeventLoopThreadTest, ManyThreadsPostingConcurrently) {
  constexpr int kThreads = 6;
  constexpr int kTasksPerThread = 5000;
  constexpr int kTotal = kThreads * kTasksPerThread;
  LibeventLoop loop;
  std::vector<std::vector<int>> received(kThreads);  // Loop thread only.
  int total = 0;
  std::promise<void> go;
  std::shared_future<void> go_future = go.get_future().share();
  loop.Post([&] { go.set_value(); });  // All threads start once the loop runs.
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      go_future.wait();
      for (int i = 0; i < kTasksPerThread; ++i) {
        loop.Post([&, t, i] {
          received[t].push_back(i);
          if (++total == kTotal) loop.Quit();
        });
      }
    });
  }
  Watchdog watchdog(loop, seconds(60));
  loop.Run();
  for (std::thread& thread : threads) thread.join();
  loop.RunUntilIdle();  // Anything extra would show up below.
  EXPECT_FALSE(watchdog.fired());
  EXPECT_EQ(total, kTotal);
  for (int t = 0; t < kThreads; ++t) {
    ASSERT_EQ(received[t].size(), static_cast<size_t>(kTasksPerThread)) << "thread " << t;
    for (int i = 0; i < kTasksPerThread; ++i) {
      ASSERT_EQ(received[t][i], i) << "thread " << t << " out of order";
    }
  }
}

TEST(LibeventLoopThreadTest, PostFromAnotherThreadWhileLoopBlocksOnAFakeClockTimer) {
  FakeClock clock;
  LibeventLoop loop(clock);
  bool timer_fired = false;
  auto timer = loop.CreateTimer([&] { timer_fired = true; });
  timer->Start(nanoseconds(1));  // Never due: nobody advances the clock during Run().
  std::promise<void> loop_running;
  std::future<void> loop_running_future = loop_running.get_future();
  loop.Post([&] { loop_running.set_value(); });
  std::thread poster([&] {
    loop_running_future.wait();
    loop.Post([&] { loop.Quit(); });
  });
  Watchdog watchdog(loop);
  loop.Run();
  poster.join();
  EXPECT_FALSE(watchdog.fired());
  EXPECT_FALSE(timer_fired);
}

// ---------------------------------------------------------------------------------------------
// Run() blocks instead of spinning. The loop counts its waits for I/O; another thread quits it
// after a few real milliseconds. That delay orders nothing (every outcome is checked through
// the loop): it only gives a spinning loop time to show itself.

class CountingLoop : public LibeventLoop {
 public:
  using LibeventLoop::LibeventLoop;
  int waits() const { return waits_; }

 protected:
  void WaitForIo(bool block, std::optional<TimePoint> wake_up) override {
    ++waits_;
    LibeventLoop::WaitForIo(block, wake_up);
  }

 private:
  int waits_ = 0;
};

// Runs `loop` until another thread quits it `delay` after the loop started running.
void RunForRealTime(EventLoop& loop, milliseconds delay) {
  std::promise<void> running;
  std::future<void> running_future = running.get_future();
  loop.Post([&] { running.set_value(); });
  std::thread quitter([&] {
    running_future.wait();
    std::mutex mutex;
    std::condition_variable never_notified;
    std::unique_lock<std::mutex> lock(mutex);
    never_notified.wait_for(lock, delay, [] { return false; });
    loop.Quit();
  });
  Watchdog watchdog(loop);
  loop.Run();
  quitter.join();
  EXPECT_FALSE(watchdog.fired());
}

TEST(LibeventLoopBlockingTest, RunWithNothingRegisteredBlocks) {
  CountingLoop loop;
  RunForRealTime(loop, milliseconds(20));
  // One wait for the first task, one blocking wait ended by Quit() (and perhaps one more
  // for a leftover wake-up).
  EXPECT_LE(loop.waits(), 4);
}

TEST(LibeventLoopBlockingTest, RunDoesNotSpinTowardsAFakeClockDeadline) {
  FakeClock clock;
  CountingLoop loop(clock);
  bool fired = false;
  auto timer = loop.CreateTimer([&] { fired = true; });
  timer->Start(nanoseconds(1));
  RunForRealTime(loop, milliseconds(20));
  EXPECT_LE(loop.waits(), 4);
  EXPECT_FALSE(fired);
}

TEST(LibeventLoopBlockingTest, RunSleepsTowardsAFarSystemClockDeadlineWithoutSpinning) {
  CountingLoop loop;
  bool fired = false;
  auto far = loop.CreateTimer([&] { fired = true; });
  auto huge = loop.CreateTimer([&] { fired = true; });
  far->Start(std::chrono::hours(24 * 365));
  huge->Start(Duration::max());
  RunForRealTime(loop, milliseconds(20));
  EXPECT_LE(loop.waits(), 4);
  EXPECT_FALSE(fired);
}

// A timer stopped while the loop sleeps towards it wakes the loop early once at most (its
// timerfd is left set), and the expired timerfd never makes the loop spin afterwards.
TEST(LibeventLoopBlockingTest, TimerStoppedWhileTheLoopSleepsTowardsItDoesNotMakeItSpin) {
  SocketPair pair;
  CountingLoop loop;
  bool fired = false;
  auto timer = loop.CreateTimer([&] { fired = true; });
  timer->Start(milliseconds(20));
  // Ready by the first blocking wait, which sets the timerfd for the timer before polling.
  auto watcher = loop.WatchFd(pair.a(), kReadable, [&](uint32_t) {
    Drain(pair.a());
    timer->Stop();
  });
  loop.Post([&] { WriteByte(pair.b()); });
  RunForRealTime(loop, milliseconds(60));
  EXPECT_FALSE(fired);
  EXPECT_LE(loop.waits(), 8);
}

// ---------------------------------------------------------------------------------------------
// Signals. Only one loop per process receives POSIX signals at a time.

TEST(LibeventLoopSignalTest, RaisedSignalIsDeliveredOnTheLoop) {
  LibeventLoop loop;
  int calls = 0;
  auto watcher = loop.WatchSignal(SIGUSR1, [&] {
    ++calls;
    loop.Quit();
  });
  ASSERT_NE(watcher, nullptr);
  ASSERT_EQ(raise(SIGUSR1), 0);
  EXPECT_EQ(calls, 0);  // Not from the signal handler: on the loop.
  {
    Watchdog watchdog(loop);
    loop.Run();
    EXPECT_FALSE(watchdog.fired());
  }
  EXPECT_EQ(calls, 1);

  ASSERT_EQ(kill(getpid(), SIGUSR1), 0);
  {
    Watchdog watchdog(loop);
    loop.Run();
    EXPECT_FALSE(watchdog.fired());
  }
  EXPECT_EQ(calls, 2);
}

TEST(LibeventLoopSignalTest, EveryWatcherOfTheSignalIsCalled) {
  LibeventLoop loop;
  std::vector<std::string> events;
  auto first = loop.WatchSignal(SIGUSR1, [&] { events.push_back("first"); });
  auto second = loop.WatchSignal(SIGUSR1, [&] {
    events.push_back("second");
    loop.Quit();
  });
  auto other = loop.WatchSignal(SIGUSR2, [&] { events.push_back("other signal"); });
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  ASSERT_NE(other, nullptr);
  ASSERT_EQ(raise(SIGUSR1), 0);
  Watchdog watchdog(loop);
  loop.Run();
  EXPECT_FALSE(watchdog.fired());
  EXPECT_THAT(events, ::testing::UnorderedElementsAre("first", "second"));
}

TEST(LibeventLoopSignalTest, SignalWatcherMayDestroyItselfInItsCallback) {
  LibeventLoop loop;
  std::unique_ptr<SignalWatcher> watcher;
  auto keep_handler = loop.WatchSignal(SIGUSR1, [&] { loop.Quit(); });  // Keeps SIGUSR1 caught.
  int calls = 0;
  watcher = loop.WatchSignal(SIGUSR1, [&] {
    ++calls;
    watcher.reset();
  });
  ASSERT_NE(watcher, nullptr);
  ASSERT_NE(keep_handler, nullptr);
  for (int i = 0; i < 2; ++i) {
    ASSERT_EQ(raise(SIGUSR1), 0);
    Watchdog watchdog(loop);
    loop.Run();
    EXPECT_FALSE(watchdog.fired());
  }
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(watcher, nullptr);
}

volatile sig_atomic_t g_previous_handler_calls = 0;
void CountingHandler(int /*signo*/) { g_previous_handler_calls = g_previous_handler_calls + 1; }

TEST(LibeventLoopSignalTest, PreviousDispositionIsRestoredWhenTheLastWatcherGoes) {
  struct sigaction counting = {};
  counting.sa_handler = &CountingHandler;
  sigemptyset(&counting.sa_mask);
  struct sigaction original = {};
  ASSERT_EQ(sigaction(SIGUSR2, &counting, &original), 0);
  g_previous_handler_calls = 0;
  {
    LibeventLoop loop;
    int calls = 0;
    auto watcher = loop.WatchSignal(SIGUSR2, [&] {
      ++calls;
      loop.Quit();
    });
    ASSERT_NE(watcher, nullptr);
    ASSERT_EQ(raise(SIGUSR2), 0);
    Watchdog watchdog(loop);
    loop.Run();
    EXPECT_FALSE(watchdog.fired());
    EXPECT_EQ(calls, 1);
    EXPECT_EQ(g_previous_handler_calls, 0);  // The loop's handler replaced it meanwhile.
    watcher.reset();
    ASSERT_EQ(raise(SIGUSR2), 0);
    EXPECT_EQ(g_previous_handler_calls, 1);  // Restored.
  }
  ASSERT_EQ(sigaction(SIGUSR2, &original, nullptr), 0);
}

TEST(LibeventLoopSignalTest, OnlyOneLoopHoldsSignalWatchersAtATime) {
  auto first = std::make_unique<LibeventLoop>();
  LibeventLoop second;
  auto first_usr1 = first->WatchSignal(SIGUSR1, [] {});
  ASSERT_NE(first_usr1, nullptr);
  EXPECT_EQ(second.WatchSignal(SIGUSR1, [] {}), nullptr);
  EXPECT_EQ(second.WatchSignal(SIGUSR2, [] {}), nullptr);  // Any signal.
  auto first_usr2 = first->WatchSignal(SIGUSR2, [] {});    // The holder may add more.
  ASSERT_NE(first_usr2, nullptr);
  first_usr1.reset();
  EXPECT_EQ(second.WatchSignal(SIGUSR1, [] {}), nullptr);  // first still holds SIGUSR2.
  first_usr2.reset();

  // The first loop's watchers are gone: the second loop may watch, and receives the signal.
  int calls = 0;
  auto second_usr1 = second.WatchSignal(SIGUSR1, [&] {
    ++calls;
    second.Quit();
  });
  ASSERT_NE(second_usr1, nullptr);
  EXPECT_EQ(first->WatchSignal(SIGUSR1, [] {}), nullptr);  // Now the first one is refused.
  ASSERT_EQ(raise(SIGUSR1), 0);
  {
    Watchdog watchdog(second);
    second.Run();
    EXPECT_FALSE(watchdog.fired());
  }
  EXPECT_EQ(calls, 1);
  second_usr1.reset();

  // Destroying a loop releases its signals even while its (now inert) watcher handles live.
  auto first_again = first->WatchSignal(SIGUSR1, [] {});
  ASSERT_NE(first_again, nullptr);
  EXPECT_EQ(second.WatchSignal(SIGUSR1, [] {}), nullptr);
  first.reset();
  auto after_destruction = second.WatchSignal(SIGUSR1, [&] {
    ++calls;
    second.Quit();
  });
  ASSERT_NE(after_destruction, nullptr);
  ASSERT_EQ(raise(SIGUSR1), 0);
  {
    Watchdog watchdog(second);
    second.Run();
    EXPECT_FALSE(watchdog.fired());
  }
  EXPECT_EQ(calls, 2);
  first_again.reset();  // Inert: must not release the second loop's ownership.
  LibeventLoop third;
  EXPECT_EQ(third.WatchSignal(SIGUSR1, [] {}), nullptr);
}

// ---------------------------------------------------------------------------------------------
// Timers on SystemClock(): a blocking Run() wakes up for them.

TEST(LibeventLoopSystemClockTest, OneShotTimerFiresFromABlockingRun) {
  LibeventLoop loop;
  constexpr milliseconds kDelay(5);
  const TimePoint start = SystemClock().Now();
  TimePoint fired_at;
  int fires = 0;
  auto timer = loop.CreateTimer([&] {
    ++fires;
    fired_at = loop.Now();
    loop.Quit();
  });
  timer->Start(kDelay);
  Watchdog watchdog(loop);
  loop.Run();  // Nothing but the timer can end this.
  const Duration elapsed = SystemClock().Now() - start;
  EXPECT_FALSE(watchdog.fired());
  EXPECT_EQ(fires, 1);
  EXPECT_GE(fired_at - start, kDelay);
  EXPECT_GE(elapsed, kDelay);
}

TEST(LibeventLoopSystemClockTest, RepeatingTimerAndPostDelayedFromABlockingRun) {
  LibeventLoop loop;
  constexpr milliseconds kPeriod(2);
  const TimePoint start = loop.Now();
  std::vector<Duration> fired_after;
  bool delayed_ran = false;
  auto timer = loop.CreateTimer([&] {
    fired_after.push_back(loop.Now() - start);
    if (fired_after.size() == 3) loop.Quit();
  });
  timer->StartRepeating(kPeriod);
  loop.PostDelayed(milliseconds(1), [&] { delayed_ran = loop.Now() - start >= milliseconds(1); });
  Watchdog watchdog(loop);
  loop.Run();
  EXPECT_FALSE(watchdog.fired());
  ASSERT_EQ(fired_after.size(), 3u);
  for (size_t i = 0; i < fired_after.size(); ++i) {
    // The k-th fire is no earlier than k periods (no catch-up burst moves it earlier).
    EXPECT_GE(fired_after[i], kPeriod * static_cast<int>(i + 1)) << "fire " << i;
  }
  EXPECT_TRUE(delayed_ran);
  EXPECT_TRUE(timer->IsActive());
}

// A timer moved later while the loop sleeps towards its old deadline fires at the new one; the
// early wake-up at the old deadline does not make the loop spin.
TEST(LibeventLoopSystemClockTest, TimerMovedLaterWhileTheLoopSleepsFiresAtItsNewDeadline) {
  SocketPair pair;
  CountingLoop loop;
  TimePoint restarted_at;
  TimePoint fired_at;
  auto timer = loop.CreateTimer([&] {
    fired_at = loop.Now();
    loop.Quit();
  });
  timer->Start(milliseconds(10));
  auto watcher = loop.WatchFd(pair.a(), kReadable, [&](uint32_t) {
    Drain(pair.a());
    restarted_at = loop.Now();
    timer->Start(milliseconds(40));
  });
  loop.Post([&] { WriteByte(pair.b()); });
  Watchdog watchdog(loop);
  loop.Run();
  EXPECT_FALSE(watchdog.fired());
  EXPECT_GE(fired_at - restarted_at, milliseconds(40));
  EXPECT_LE(loop.waits(), 8);
}

// A timer moved earlier while the loop sleeps towards a far deadline wakes it in time.
TEST(LibeventLoopSystemClockTest, TimerMovedEarlierWhileTheLoopSleepsFiresAtItsNewDeadline) {
  SocketPair pair;
  LibeventLoop loop;
  TimePoint restarted_at;
  TimePoint fired_at;
  auto timer = loop.CreateTimer([&] {
    fired_at = loop.Now();
    loop.Quit();
  });
  timer->Start(std::chrono::hours(1));
  auto watcher = loop.WatchFd(pair.a(), kReadable, [&](uint32_t) {
    Drain(pair.a());
    restarted_at = loop.Now();
    timer->Start(milliseconds(5));
  });
  loop.Post([&] { WriteByte(pair.b()); });
  Watchdog watchdog(loop);
  loop.Run();  // Only the timer can end this (or the watchdog, failing).
  EXPECT_FALSE(watchdog.fired());
  EXPECT_GE(fired_at - restarted_at, milliseconds(5));
}

// Timers due close together share a wake-up (event_loop.h, "Timer lateness"), and none fires
// before its deadline. 40 deadlines 100 us apart span less than two 4 ms slots.
TEST(LibeventLoopSystemClockTest, TimersDueCloseTogetherShareWakeUpsAndNoneFiresEarly) {
  CountingLoop loop;
  constexpr int kTimers = 40;
  std::vector<TimePoint> deadlines(kTimers);
  std::vector<int> fired;
  int early = 0;
  std::vector<std::unique_ptr<Timer>> timers;
  for (int i = 0; i < kTimers; ++i) {
    timers.push_back(loop.CreateTimer([&, i] {
      if (loop.Now() < deadlines[i]) ++early;
      fired.push_back(i);
      if (fired.size() == kTimers) loop.Quit();
    }));
  }
  loop.Post([&] {  // Started from inside Run(), so the loop is idle right after.
    for (int i = 0; i < kTimers; ++i) {
      const Duration delay = milliseconds(2) + std::chrono::microseconds(100 * i);
      deadlines[i] = loop.Now() + delay;
      timers[i]->Start(delay);
    }
  });
  Watchdog watchdog(loop);
  loop.Run();
  EXPECT_FALSE(watchdog.fired());
  EXPECT_EQ(early, 0);
  ASSERT_EQ(fired.size(), static_cast<size_t>(kTimers));
  for (int i = 0; i < kTimers; ++i) EXPECT_EQ(fired[i], i);
  // One wait for the posted task, two or three wake-ups (a slot boundary may fall inside the
  // span twice), perhaps one more for scheduling: far fewer than one per deadline.
  EXPECT_LE(loop.waits(), 8);
}

// ---------------------------------------------------------------------------------------------
// The lateness rule, on a FakeClock: a LibeventLoop that sleeps as it would on SystemClock(),
// except that a blocking wait moves the clock to its wake-up time instead of sleeping.

class SimulatedSleepLoop : public LibeventLoop {
 public:
  explicit SimulatedSleepLoop(FakeClock& clock) : LibeventLoop(clock), clock_(clock) {}
  // The wake-up time of every blocking wait that had one.
  const std::vector<TimePoint>& wake_ups() const { return wake_ups_; }

 protected:
  bool SleepsTowardsTimers() const override { return true; }
  void WaitForIo(bool block, std::optional<TimePoint> wake_up) override {
    if (block && wake_up) {
      wake_ups_.push_back(*wake_up);
      if (*wake_up > clock_.Now()) clock_.Advance(*wake_up - clock_.Now());
    }
    LibeventLoop::WaitForIo(/*block=*/false, std::nullopt);
  }

 private:
  FakeClock& clock_;
  std::vector<TimePoint> wake_ups_;
};

TEST(LibeventLoopTimerLatenessTest, SleepingLoopWakesAtTheNextFourMillisecondSlot) {
  FakeClock clock;
  SimulatedSleepLoop loop(clock);
  // Start on a slot boundary, so the expected slots are round numbers.
  const TimePoint start = internal::TimerWakeUpTime(clock.Now());
  clock.Advance(start - clock.Now());
  ASSERT_EQ(internal::kTimerWakeUpGranularity, milliseconds(4));

  struct Fire {
    std::string name;
    Duration deadline;
    Duration at;
  };
  std::vector<Fire> fires;
  std::vector<std::unique_ptr<Timer>> timers;
  auto add = [&](const std::string& name, Duration delay, bool last = false) {
    timers.push_back(loop.CreateTimer([&, name, delay, last] {
      fires.push_back({name, delay, loop.Now() - start});
      if (last) loop.Quit();
    }));
    timers.back()->Start(delay);
  };
  using std::chrono::microseconds;
  add("a@1ms", milliseconds(1));
  add("b@3.999ms", microseconds(3999));
  add("c@4ms", milliseconds(4));
  add("d@4.001ms", microseconds(4001));  // Just past the first slot: must wait for the next.
  add("e@9ms", milliseconds(9));
  add("f@9ms", milliseconds(9));                   // Tie: after e.
  add("g@20ms", milliseconds(20), /*last=*/true);  // On a boundary: not delayed.
  Watchdog watchdog(loop);
  loop.Run();
  EXPECT_FALSE(watchdog.fired());

  ASSERT_EQ(fires.size(), 7u);
  const std::vector<std::string> order = {"a@1ms", "b@3.999ms", "c@4ms", "d@4.001ms",
                                          "e@9ms", "f@9ms",     "g@20ms"};
  const std::vector<Duration> fired_at = {milliseconds(4), milliseconds(4),  milliseconds(4),
                                          milliseconds(8), milliseconds(12), milliseconds(12),
                                          milliseconds(20)};
  for (size_t i = 0; i < fires.size(); ++i) {
    EXPECT_EQ(fires[i].name, order[i]);
    EXPECT_EQ(fires[i].at, fired_at[i]) << fires[i].name;
    EXPECT_GE(fires[i].at, fires[i].deadline) << fires[i].name << " fired early";
    EXPECT_LT(fires[i].at - fires[i].deadline, milliseconds(4)) << fires[i].name;
  }
  EXPECT_THAT(loop.wake_ups(), ElementsAre(start + milliseconds(4), start + milliseconds(8),
                                           start + milliseconds(12), start + milliseconds(20)));
}

// The slack moves only the wake-up: a loop that is not sleeping (here RunUntilIdle after the
// clock moved) fires a timer as soon as its deadline <= Now(), between slot boundaries too.
TEST(LibeventLoopTimerLatenessTest, TheDueTestIsExactWhenTheLoopDoesNotSleep) {
  FakeClock clock;
  SimulatedSleepLoop loop(clock);
  const TimePoint start = internal::TimerWakeUpTime(clock.Now());
  clock.Advance(start - clock.Now());
  std::vector<Duration> fired_at;
  auto timer = loop.CreateTimer([&] { fired_at.push_back(loop.Now() - start); });
  timer->Start(milliseconds(1));
  clock.Advance(milliseconds(1) - nanoseconds(1));
  loop.RunUntilIdle();
  EXPECT_THAT(fired_at, IsEmpty());
  clock.Advance(nanoseconds(1));
  loop.RunUntilIdle();
  EXPECT_THAT(fired_at, ElementsAre(milliseconds(1)));
  EXPECT_THAT(loop.wake_ups(), IsEmpty());
}

// ---------------------------------------------------------------------------------------------
// Timers on a FakeClock: Run() services fds but never sleeps towards a fake deadline.

TEST(LibeventLoopFakeClockTest, TimersFireOnlyOnceTheClockIsAdvancedWhileFdsAreServiced) {
  FakeClock clock;
  LibeventLoop loop(clock);
  SocketPair pair;
  std::vector<std::string> events;
  auto timer = loop.CreateTimer([&] { events.push_back("timer"); });
  timer->Start(nanoseconds(1));
  int fd_calls = 0;
  auto watcher = loop.WatchFd(pair.a(), kReadable, [&](uint32_t) {
    Drain(pair.a());
    ++fd_calls;
    events.push_back("fd" + std::to_string(fd_calls));
    if (fd_calls == 1) {
      loop.Quit();  // Clock untouched: the timer must not fire.
    } else if (fd_calls == 2) {
      // Advanced in a posted task, i.e. after this iteration's timer step (step 2).
      loop.Post([&] {
        clock.Advance(nanoseconds(1));
        events.push_back("advanced");
        loop.Quit();
      });
    }
  });
  ASSERT_NE(watcher, nullptr);

  // Run() blocks on the fds (real time passes, far more than 1 ns) until another thread makes
  // the socket readable.
  std::promise<void> loop_running;
  std::future<void> loop_running_future = loop_running.get_future();
  loop.Post([&] { loop_running.set_value(); });
  std::thread writer([&] {
    loop_running_future.wait();
    WriteByte(pair.b());
  });
  {
    Watchdog watchdog(loop);
    loop.Run();
    EXPECT_FALSE(watchdog.fired());
  }
  writer.join();
  EXPECT_THAT(events, ElementsAre("fd1"));
  loop.RunUntilIdle();  // The fake clock has not moved: still nothing due.
  EXPECT_THAT(events, ElementsAre("fd1"));

  WriteByte(pair.b());
  {
    Watchdog watchdog(loop);
    loop.Run();
    EXPECT_FALSE(watchdog.fired());
  }
  EXPECT_THAT(events, ElementsAre("fd1", "fd2", "advanced"));  // Not fired inside Run().
  loop.RunUntilIdle();                                         // Now due.
  EXPECT_THAT(events, ElementsAre("fd1", "fd2", "advanced", "timer"));
}

TEST(LibeventLoopFakeClockTest, AdvanceInAnFdCallbackFiresTheTimerInTheSameIteration) {
  // event_loop.h: step 1 runs fd callbacks, step 2 fires timers due at Now() after step 1. So a
  // clock advanced by an fd callback fires the timer before that iteration ends (and before
  // the Run() that the callback quit returns).
  FakeClock clock;
  LibeventLoop loop(clock);
  SocketPair pair;
  std::vector<std::string> events;
  auto timer = loop.CreateTimer([&] { events.push_back("timer"); });
  timer->Start(nanoseconds(1));
  auto watcher = loop.WatchFd(pair.a(), kReadable, [&](uint32_t) {
    Drain(pair.a());
    events.push_back("fd");
    clock.Advance(nanoseconds(1));
    loop.Quit();
    loop.Post([&] { events.push_back("task"); });
  });
  ASSERT_NE(watcher, nullptr);
  WriteByte(pair.b());
  Watchdog watchdog(loop);
  loop.Run();
  EXPECT_FALSE(watchdog.fired());
  EXPECT_THAT(events, ElementsAre("fd", "timer", "task"));
}

TEST(LibeventLoopFakeClockTest, AdvanceThenRunUntilIdleFiresDueTimersInDeadlineOrder) {
  FakeClock clock;
  LibeventLoop loop(clock);
  std::vector<std::string> events;
  auto late = loop.CreateTimer([&] { events.push_back("late"); });
  auto early = loop.CreateTimer([&] { events.push_back("early"); });
  auto not_due = loop.CreateTimer([&] { events.push_back("not due"); });
  late->Start(milliseconds(20));
  early->Start(milliseconds(10));
  not_due->Start(milliseconds(31));
  clock.Advance(milliseconds(30));
  EXPECT_THAT(events, IsEmpty());  // Advancing alone fires nothing.
  loop.RunUntilIdle();
  EXPECT_THAT(events, ElementsAre("early", "late"));
}

}  // namespace
}  // namespace eventloop
