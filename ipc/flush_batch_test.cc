// FlushBatch: every request of a loop runs in the loop's one before-blocking task, in the order
// first scheduled, once per scheduling; requests scheduled from inside a run wait for the next
// iteration; cancelled and destroyed requests never run; loops (and threads) have batches of
// their own; and scheduling costs no allocation once a loop has its batch.
#include "ipc/flush_batch.h"

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/fake_event_loop.h"
#include "testing/heap_counter.h"

namespace ipc {
namespace internal {
namespace {

using ::testing::ElementsAre;

// A request that logs its runs and then runs `on_flush`.
class LoggingRequest final : public FlushRequest {
 public:
  LoggingRequest(std::string name, std::vector<std::string>* log)
      : name_(std::move(name)), log_(log) {}
  ~LoggingRequest() = default;

  std::function<void()> on_flush;

 private:
  void RunFlush() override {
    log_->push_back(name_);
    if (on_flush) on_flush();
  }

  const std::string name_;
  std::vector<std::string>* const log_;
};

TEST(FlushBatchTest, RunsEveryRequestOnceBeforeTheLoopBlocksInSchedulingOrder) {
  eventloop::FakeEventLoop loop;
  std::vector<std::string> log;
  LoggingRequest a("a", &log);
  LoggingRequest b("b", &log);
  LoggingRequest c("c", &log);
  b.ScheduleFlush(loop);
  a.ScheduleFlush(loop);
  b.ScheduleFlush(loop);  // Already pending: changes nothing.
  EXPECT_TRUE(a.flush_scheduled());
  EXPECT_FALSE(c.flush_scheduled());
  EXPECT_THAT(log, ElementsAre());
  loop.RunUntilIdle();
  EXPECT_THAT(log, ElementsAre("b", "a"));
  EXPECT_FALSE(a.flush_scheduled());
  EXPECT_FALSE(b.flush_scheduled());
  loop.RunUntilIdle();
  EXPECT_THAT(log, ElementsAre("b", "a"));  // Once per scheduling.
}

TEST(FlushBatchTest, ARequestScheduledInsideARunWaitsForTheNextIteration) {
  eventloop::FakeEventLoop loop;
  std::vector<std::string> log;
  LoggingRequest a("a", &log);
  LoggingRequest b("b", &log);
  LoggingRequest c("c", &log);
  // A task posted by the first run marks where the next iteration starts.
  bool first_run = true;
  a.on_flush = [&] {
    if (!first_run) return;
    first_run = false;
    b.ScheduleFlush(loop);  // Pending in this run already: runs in it.
    c.ScheduleFlush(loop);  // New: the next iteration.
    a.ScheduleFlush(loop);  // Itself, from its own run: the next iteration too.
    loop.Post([&] { log.push_back("next iteration"); });
  };
  a.ScheduleFlush(loop);
  b.ScheduleFlush(loop);
  loop.RunUntilIdle();
  EXPECT_THAT(log, ElementsAre("a", "b", "next iteration", "c", "a"));
}

TEST(FlushBatchTest, CancelledAndDestroyedRequestsDoNotRun) {
  eventloop::FakeEventLoop loop;
  std::vector<std::string> log;
  auto a = std::make_unique<LoggingRequest>("a", &log);
  auto b = std::make_unique<LoggingRequest>("b", &log);
  auto c = std::make_unique<LoggingRequest>("c", &log);
  auto d = std::make_unique<LoggingRequest>("d", &log);
  a->on_flush = [&] {
    b->CancelFlush();  // Pending in this run: withdrawn.
    c.reset();         // Destroyed while pending in this run.
    a.reset();         // Itself, from inside its run.
  };
  a->ScheduleFlush(loop);
  b->ScheduleFlush(loop);
  c->ScheduleFlush(loop);
  d->ScheduleFlush(loop);
  d->CancelFlush();
  d->CancelFlush();  // Nothing pending: no-op.
  loop.RunUntilIdle();
  EXPECT_THAT(log, ElementsAre("a"));
  EXPECT_FALSE(b->flush_scheduled());
}

TEST(FlushBatchTest, EachLoopRunsItsOwnRequests) {
  auto first = std::make_unique<eventloop::FakeEventLoop>();
  eventloop::FakeEventLoop second;
  std::vector<std::string> log;
  LoggingRequest a("a", &log);
  LoggingRequest b("b", &log);
  a.ScheduleFlush(*first);
  b.ScheduleFlush(second);
  second.RunUntilIdle();
  EXPECT_THAT(log, ElementsAre("b"));
  first->RunUntilIdle();
  EXPECT_THAT(log, ElementsAre("b", "a"));

  // A pending request of a destroyed loop never runs; a new loop gets a batch of its own.
  a.ScheduleFlush(*first);
  first.reset();
  EXPECT_TRUE(a.flush_scheduled());
  eventloop::FakeEventLoop third;
  b.ScheduleFlush(third);  // Drops the destroyed loop's batch: `a` is unlinked.
  EXPECT_FALSE(a.flush_scheduled());
  a.ScheduleFlush(third);
  third.RunUntilIdle();
  EXPECT_THAT(log, ElementsAre("b", "a", "b", "a"));
}

TEST(FlushBatchTest, ThreadsHaveBatchesOfTheirOwn) {
  std::vector<std::string> log;
  std::thread other([] {
    eventloop::FakeEventLoop loop;
    std::vector<std::string> other_log;
    LoggingRequest request("other", &other_log);
    request.ScheduleFlush(loop);
    loop.RunUntilIdle();
    EXPECT_THAT(other_log, ElementsAre("other"));
  });
  eventloop::FakeEventLoop loop;
  LoggingRequest request("here", &log);
  request.ScheduleFlush(loop);
  loop.RunUntilIdle();
  other.join();
  EXPECT_THAT(log, ElementsAre("here"));
}

TEST(FlushBatchTest, ARequestMadeBeforeTheLoopRunsRunsOnTheLoopsThread) {
  std::vector<std::string> log;
  LoggingRequest request("early", &log);
  std::thread::id ran_on;
  request.on_flush = [&] { ran_on = std::this_thread::get_id(); };
  {
    eventloop::FakeEventLoop loop;
    request.ScheduleFlush(loop);  // On this thread, before the loop is bound.
    std::thread runner([&] { loop.RunUntilIdle(); });
    const std::thread::id runner_id = runner.get_id();
    runner.join();
    EXPECT_EQ(ran_on, runner_id);
  }  // The loop goes before this thread's batch of it: the batch is inert, then dropped.
  EXPECT_THAT(log, ElementsAre("early"));
}

TEST(FlushBatchTest, SchedulingAllocatesNothingOnceTheLoopHasItsBatch) {
  eventloop::FakeEventLoop loop;
  std::vector<std::string> log;
  log.reserve(64);
  LoggingRequest first("first", &log);
  first.ScheduleFlush(loop);  // Makes the loop's batch.
  loop.RunUntilIdle();
  std::vector<std::unique_ptr<LoggingRequest>> requests;
  for (int i = 0; i < 8; ++i) requests.push_back(std::make_unique<LoggingRequest>("r", &log));
  const uint64_t before = ipc::test::HeapAllocationCount();
  for (int round = 0; round < 3; ++round) {
    for (const auto& request : requests) request->ScheduleFlush(loop);
    loop.RunUntilIdle();
  }
  EXPECT_EQ(ipc::test::HeapAllocationCount(), before);
  EXPECT_EQ(log.size(), 1u + 3 * 8);
}

}  // namespace
}  // namespace internal
}  // namespace ipc
