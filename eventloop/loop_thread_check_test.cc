// The binding rule of event_loop.h on LibeventLoop and FakeEventLoop: in debug builds a
// loop-thread-only call on another thread than the loop's aborts with a message naming it;
// the allowed cross-thread uses (built on one thread and run on another, Post and Quit from
// anywhere, objects outliving their loop, destruction elsewhere) pass in every build.
//
// A thread id may be reused once its thread is joined, so every wrong-thread call below is
// made while the loop's thread (the main test thread, unless stated) is still alive.
#include <unistd.h>

#include <csignal>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "eventloop/event_loop.h"
#include "eventloop/libevent_loop.h"
#include "eventloop/thread_binding.h"
#include "gtest/gtest.h"
#include "testing/fake_event_loop.h"
#include "testing/loop_watchdog.h"

namespace eventloop {
namespace {

using std::chrono::milliseconds;

// Runs `f` on a new thread and joins it.
void OnNewThread(const std::function<void()>& f) { std::thread(f).join(); }

// Binds `loop` to the calling thread through Run().
void RunOnce(EventLoop& loop) {
  loop.Post([&loop] { loop.Quit(); });
  loop.Run();
}

// An open pipe, so that WatchFd works on the real loop too.
class Pipe {
 public:
  Pipe() { EXPECT_EQ(pipe(fds_), 0); }
  Pipe(const Pipe&) = delete;
  Pipe& operator=(const Pipe&) = delete;
  ~Pipe() {
    close(fds_[0]);
    close(fds_[1]);
  }
  int read_end() const { return fds_[0]; }

 private:
  int fds_[2] = {-1, -1};
};

template <typename Loop>
class LoopThreadCheckTest : public ::testing::Test {
 protected:
  Loop loop_;
  Pipe pipe_;
};

using LoopTypes = ::testing::Types<LibeventLoop, FakeEventLoop>;
TYPED_TEST_SUITE(LoopThreadCheckTest, LoopTypes);

TYPED_TEST(LoopThreadCheckTest, LoopsOfThisLibraryExposeABindingInDebugBuildsOnly) {
  EXPECT_EQ(this->loop_.thread_binding() != nullptr, LOCALSOCKET_DCHECK_IS_ON != 0);
}

TYPED_TEST(LoopThreadCheckTest, BuiltOnOneThreadAndRunOnAnother) {
  EventLoop& loop = this->loop_;
  std::vector<std::string> events;  // Written by the loop thread, read after the join.
  std::unique_ptr<Timer> later_timer;
  auto timer = loop.CreateTimer([&] {
    events.push_back("timer");
    // Loop-thread-only calls from inside the loop, on the thread that runs it.
    later_timer = loop.CreateTimer([&] {
      events.push_back("later timer");
      loop.Quit();
    });
    later_timer->Start(milliseconds(1));
  });
  timer->Start(Duration::zero());
  auto task = loop.CreateBeforeBlockingTask([&] { events.push_back("before blocking"); });
  task->Schedule();
  auto watcher = loop.WatchFd(this->pipe_.read_end(), kNoEvents, [](uint32_t) {});
  ASSERT_NE(watcher, nullptr);
  watcher->SetEvents(kReadable);
  watcher->SetEvents(kNoEvents);
  loop.PostDelayed(Duration::zero(), [&] { events.push_back("delayed"); });
  loop.Post([&] { events.push_back("posted"); });

  Watchdog watchdog(loop);
  std::thread runner([&] { loop.Run(); });
  runner.join();
  EXPECT_FALSE(watchdog.fired());
  EXPECT_EQ(events, (std::vector<std::string>{"timer", "delayed", "posted", "before blocking",
                                              "later timer"}));
  // The handles and the loop are destroyed here, on the thread that built them: destructors do
  // not check.
}

TYPED_TEST(LoopThreadCheckTest, PostAndQuitPassOnEveryThread) {
  EventLoop& loop = this->loop_;
  RunOnce(loop);  // Bound to this thread.
  std::thread::id ran_on;
  OnNewThread([&] {
    loop.Post([&] { ran_on = std::this_thread::get_id(); });
    loop.Quit();
  });
  loop.Run();  // Returns at once: the Quit came while no Run was active.
  loop.RunUntilIdle();
  EXPECT_EQ(ran_on, std::this_thread::get_id());
}

TYPED_TEST(LoopThreadCheckTest, HandlesOutlivingTheirLoopAreInertOnEveryThread) {
  auto loop = std::make_unique<TypeParam>();
  auto timer = loop->CreateTimer([] {});
  auto task = loop->CreateBeforeBlockingTask([] {});
  auto watcher = loop->WatchFd(this->pipe_.read_end(), kReadable, [](uint32_t) {});
  ASSERT_NE(watcher, nullptr);
  std::shared_ptr<const internal::ThreadBinding> binding = loop->thread_binding();
  loop->RunUntilIdle();  // Bound to this thread.
  loop.reset();
  OnNewThread([&] {
    timer->Start(Duration::zero());
    timer->StartRepeating(milliseconds(1));
    timer->Stop();
    EXPECT_FALSE(timer->IsActive());
    task->Schedule();
    task->Cancel();
    EXPECT_FALSE(task->IsScheduled());
    watcher->SetEvents(kWritable);
    // A follower (as sockets hold) keeps the binding alive; the destroyed loop released it.
    if (binding != nullptr) binding->Check("Test::Follower");
  });
}

// Calls PostDelayed on its loop when destroyed, as a task's captured state may.
class PostsDelayedWhenDestroyed {
 public:
  explicit PostsDelayedWhenDestroyed(EventLoop* loop) : loop_(loop) {}
  PostsDelayedWhenDestroyed(const PostsDelayedWhenDestroyed&) = delete;
  PostsDelayedWhenDestroyed& operator=(const PostsDelayedWhenDestroyed&) = delete;
  ~PostsDelayedWhenDestroyed() {
    loop_->PostDelayed(Duration::zero(), [] {});
  }

 private:
  EventLoop* const loop_;
};

TYPED_TEST(LoopThreadCheckTest, DestroyedOnAnotherThreadThanTheOneThatRanIt) {
  auto loop = std::make_unique<TypeParam>();
  OnNewThread([&] {
    RunOnce(*loop);  // Bound to the runner thread.
    // Left queued: destroyed with the loop, and its destructor still uses the loop.
    auto state = std::make_shared<PostsDelayedWhenDestroyed>(loop.get());
    loop->Post([state] {});
  });
  loop.reset();  // Here, on another thread than the loop's.
}

#if LOCALSOCKET_DCHECK_IS_ON

// The message of `caller` called on the wrong thread of a loop bound by `bound_by`.
std::string WrongThreadMessage(const std::string& caller, const std::string& bound_by) {
  return "localsocket: " + caller + " called on thread [0-9]+, but the object is bound to " +
         "thread [0-9]+ \\(the loop's thread since " + bound_by + "\\)";
}

template <typename Loop>
class LoopThreadCheckDeathTest : public LoopThreadCheckTest<Loop> {
 protected:
  void SetUp() override { GTEST_FLAG_SET(death_test_style, "threadsafe"); }
};
TYPED_TEST_SUITE(LoopThreadCheckDeathTest, LoopTypes);

TYPED_TEST(LoopThreadCheckDeathTest, CreateTimerOnAnotherThreadThanTheRunAborts) {
  EventLoop& loop = this->loop_;
  RunOnce(loop);
  EXPECT_DEATH(OnNewThread([&] { loop.CreateTimer([] {}); }),
               WrongThreadMessage("EventLoop::CreateTimer", "EventLoop::Run"));
}

TYPED_TEST(LoopThreadCheckDeathTest, RunOnASecondThreadAborts) {
  EventLoop& loop = this->loop_;
  loop.RunUntilIdle();
  EXPECT_DEATH(OnNewThread([&] { RunOnce(loop); }),
               WrongThreadMessage("EventLoop::Run", "EventLoop::RunUntilIdle"));
  EXPECT_DEATH(OnNewThread([&] { loop.RunUntilIdle(); }),
               WrongThreadMessage("EventLoop::RunUntilIdle", "EventLoop::RunUntilIdle"));
}

TYPED_TEST(LoopThreadCheckDeathTest, BuiltHereRunElsewhereThenUsedHereAborts) {
  EventLoop& loop = this->loop_;
  auto timer = loop.CreateTimer([] {});
  OnNewThread([&] { RunOnce(loop); });
  EXPECT_DEATH(timer->Start(Duration::zero()),
               WrongThreadMessage("Timer::Start", "EventLoop::Run"));
}

TYPED_TEST(LoopThreadCheckDeathTest, EveryLoopThreadOnlyCallAbortsOnAnotherThread) {
  EventLoop& loop = this->loop_;
  auto timer = loop.CreateTimer([] {});
  auto task = loop.CreateBeforeBlockingTask([] {});
  auto watcher = loop.WatchFd(this->pipe_.read_end(), kNoEvents, [](uint32_t) {});
  ASSERT_NE(watcher, nullptr);
  RunOnce(loop);
  const std::vector<std::pair<std::string, std::function<void()>>> calls = {
      {"EventLoop::CreateTimer", [&] { loop.CreateTimer([] {}); }},
      {"EventLoop::WatchFd",
       [&] { loop.WatchFd(this->pipe_.read_end(), kReadable, [](uint32_t) {}); }},
      {"EventLoop::WatchSignal", [&] { loop.WatchSignal(SIGUSR2, [] {}); }},
      {"EventLoop::PostDelayed", [&] { loop.PostDelayed(Duration::zero(), [] {}); }},
      {"EventLoop::Run", [&] { loop.Run(); }},
      {"EventLoop::RunUntilIdle", [&] { loop.RunUntilIdle(); }},
      {"EventLoop::CreateBeforeBlockingTask", [&] { loop.CreateBeforeBlockingTask([] {}); }},
      {"Timer::Start", [&] { timer->Start(Duration::zero()); }},
      {"Timer::StartRepeating", [&] { timer->StartRepeating(milliseconds(1)); }},
      {"Timer::Stop", [&] { timer->Stop(); }},
      {"Timer::IsActive", [&] { timer->IsActive(); }},
      {"BeforeBlockingTask::Schedule", [&] { task->Schedule(); }},
      {"BeforeBlockingTask::Cancel", [&] { task->Cancel(); }},
      {"BeforeBlockingTask::IsScheduled", [&] { task->IsScheduled(); }},
      {"FdWatcher::SetEvents", [&] { watcher->SetEvents(kReadable); }},
      {"FdWatcher::events", [&] { watcher->events(); }},
  };
  for (const auto& [caller, call] : calls) {
    EXPECT_DEATH(OnNewThread(call), WrongThreadMessage(caller, "EventLoop::Run")) << caller;
  }
}

#endif  // LOCALSOCKET_DCHECK_IS_ON

}  // namespace
}  // namespace eventloop
