// The default EventLoop::CreateBeforeBlockingTask (eventloop/event_loop.cc), which EventLoop
// implementations outside this library inherit: each run is a posted task.
#include "eventloop/event_loop.h"

#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/fake_event_loop.h"

namespace eventloop {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// An EventLoop of its own that forwards to a FakeEventLoop but keeps the default
// CreateBeforeBlockingTask.
class ForwardingLoop final : public EventLoop {
 public:
  explicit ForwardingLoop(EventLoop& inner) : inner_(inner) {}
  std::unique_ptr<Timer> CreateTimer(std::function<void()> on_fire) override {
    return inner_.CreateTimer(std::move(on_fire));
  }
  std::unique_ptr<FdWatcher> WatchFd(int fd, uint32_t io_events,
                                     std::function<void(uint32_t)> on_ready) override {
    return inner_.WatchFd(fd, io_events, std::move(on_ready));
  }
  std::unique_ptr<SignalWatcher> WatchSignal(int signo, std::function<void()> on_signal) override {
    return inner_.WatchSignal(signo, std::move(on_signal));
  }
  void Post(std::function<void()> task) override { inner_.Post(std::move(task)); }
  void PostDelayed(Duration delay, std::function<void()> task) override {
    inner_.PostDelayed(delay, std::move(task));
  }
  void Run() override { inner_.Run(); }
  void RunUntilIdle() override { inner_.RunUntilIdle(); }
  void Quit() override { inner_.Quit(); }
  const Clock& clock() const override { return inner_.clock(); }

 private:
  EventLoop& inner_;
};

class DefaultBeforeBlockingTaskTest : public ::testing::Test {
 protected:
  std::function<void()> Record(std::string name) {
    return [this, name = std::move(name)] { events_.push_back(name); };
  }

  FakeEventLoop inner_;
  ForwardingLoop loop_{inner_};
  std::vector<std::string> events_;
};

TEST_F(DefaultBeforeBlockingTaskTest, RunsOncePerScheduleAndCoalesces) {
  auto task = loop_.CreateBeforeBlockingTask(Record("run"));
  EXPECT_FALSE(task->IsScheduled());
  task->Schedule();
  task->Schedule();
  EXPECT_TRUE(task->IsScheduled());
  loop_.RunUntilIdle();
  EXPECT_THAT(events_, ElementsAre("run"));
  EXPECT_FALSE(task->IsScheduled());
  loop_.RunUntilIdle();
  EXPECT_THAT(events_, ElementsAre("run"));
  task->Schedule();
  loop_.RunUntilIdle();
  EXPECT_THAT(events_, ElementsAre("run", "run"));
}

TEST_F(DefaultBeforeBlockingTaskTest, RunsAsAPostedTaskInFifoOrder) {
  auto task = loop_.CreateBeforeBlockingTask(Record("before blocking"));
  loop_.Post(Record("posted before"));
  task->Schedule();
  loop_.Post(Record("posted after"));
  task->Schedule();  // Coalesced: keeps its first place.
  loop_.RunUntilIdle();
  EXPECT_THAT(events_, ElementsAre("posted before", "before blocking", "posted after"));
}

TEST_F(DefaultBeforeBlockingTaskTest, CancelAndDestructionWithdrawTheRun) {
  auto cancelled = loop_.CreateBeforeBlockingTask(Record("cancelled"));
  auto destroyed = loop_.CreateBeforeBlockingTask(Record("destroyed"));
  auto rescheduled = loop_.CreateBeforeBlockingTask(Record("rescheduled"));
  cancelled->Cancel();  // Safe when not scheduled.
  cancelled->Schedule();
  cancelled->Cancel();
  EXPECT_FALSE(cancelled->IsScheduled());
  destroyed->Schedule();
  destroyed.reset();
  rescheduled->Schedule();
  rescheduled->Cancel();
  rescheduled->Schedule();  // The cancelled request's posted task must not run it a second time.
  loop_.RunUntilIdle();
  EXPECT_THAT(events_, ElementsAre("rescheduled"));
}

TEST_F(DefaultBeforeBlockingTaskTest, RescheduledFromItsOwnRunRunsAgainLater) {
  std::unique_ptr<BeforeBlockingTask> task;
  int runs = 0;
  task = loop_.CreateBeforeBlockingTask([&] {
    ++runs;
    events_.push_back("run" + std::to_string(runs));
    EXPECT_FALSE(task->IsScheduled());
    if (runs == 1) {
      loop_.Post(Record("posted by run1"));
      task->Schedule();
      EXPECT_TRUE(task->IsScheduled());
    }
  });
  task->Schedule();
  loop_.RunUntilIdle();
  EXPECT_THAT(events_, ElementsAre("run1", "posted by run1", "run2"));
}

TEST_F(DefaultBeforeBlockingTaskTest, MayDestroyItsOwnHandleWhileRunning) {
  std::unique_ptr<BeforeBlockingTask> task;
  auto token = std::make_shared<std::string>("alive");
  task = loop_.CreateBeforeBlockingTask([&, token] {
    task.reset();
    events_.push_back(*token);  // The callable lives until it returns (ASan).
  });
  token.reset();
  task->Schedule();
  loop_.RunUntilIdle();
  EXPECT_EQ(task, nullptr);
  EXPECT_THAT(events_, ElementsAre("alive"));
}

TEST_F(DefaultBeforeBlockingTaskTest, NotScheduledNothingRuns) {
  auto task = loop_.CreateBeforeBlockingTask(Record("run"));
  loop_.RunUntilIdle();
  EXPECT_THAT(events_, IsEmpty());
}

}  // namespace
}  // namespace eventloop

namespace eventloop {
namespace {

TEST(IoEventsTest, PrintsFlagNames) {
  const auto print = [](uint32_t bits) {
    std::ostringstream out;
    out << static_cast<IoEvents>(bits);
    return out.str();
  };
  EXPECT_EQ(print(kNoEvents), "kNoEvents");
  EXPECT_EQ(print(kReadable), "kReadable");
  EXPECT_EQ(print(kWritable), "kWritable");
  EXPECT_EQ(print(kReadable | kWritable), "kReadable|kWritable");
  EXPECT_EQ(print(kWritable | 8), "kWritable|0x8");
}

}  // namespace
}  // namespace eventloop
