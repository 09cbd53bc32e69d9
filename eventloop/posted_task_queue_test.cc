#include "eventloop/posted_task_queue.h"

#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"

namespace eventloop {
namespace internal {
namespace {

using Batch = PostedTaskQueue::Batch;

// Appends "~name" to `*log` when destroyed.
class DestructionLogger {
 public:
  DestructionLogger(std::vector<std::string>* log, std::string name)
      : log_(log), name_(std::move(name)) {}
  DestructionLogger(const DestructionLogger&) = delete;
  DestructionLogger& operator=(const DestructionLogger&) = delete;
  ~DestructionLogger() { log_->push_back("~" + name_); }

 private:
  std::vector<std::string>* log_;
  std::string name_;
};

// A task that logs `name` when it runs and "~name" when its last copy is destroyed.
std::function<void()> LoggingTask(std::vector<std::string>* log, const std::string& name) {
  auto logger = std::make_shared<DestructionLogger>(log, name);
  return [log, name, logger = std::move(logger)] { log->push_back(name); };
}

TEST(PostedTaskQueueTest, RunsTasksInOrderAcrossChunkBoundaries) {
  const size_t capacity = PostedTaskQueue::ChunkCapacity();
  const size_t count = 3 * capacity + 5;
  PostedTaskQueue queue;
  EXPECT_TRUE(queue.empty());
  std::vector<size_t> ran;
  for (size_t i = 0; i < count; ++i) queue.Push([&ran, i] { ran.push_back(i); });
  EXPECT_FALSE(queue.empty());

  Batch batch = queue.TakeAll();
  EXPECT_TRUE(queue.empty());
  EXPECT_EQ(batch.size(), count);
  EXPECT_TRUE(ran.empty());
  batch.RunAll();
  EXPECT_TRUE(batch.empty());
  EXPECT_EQ(batch.size(), 0u);

  std::vector<size_t> expected(count);
  for (size_t i = 0; i < count; ++i) expected[i] = i;
  EXPECT_EQ(ran, expected);
}

TEST(PostedTaskQueueTest, ChunkIsAboutFourKibibytes) {
  const size_t bytes = PostedTaskQueue::ChunkCapacity() * sizeof(std::function<void()>);
  EXPECT_GE(PostedTaskQueue::ChunkCapacity(), 64u);
  EXPECT_LE(bytes, 4096u);
  EXPECT_GT(bytes, 4096u - 2 * sizeof(std::function<void()>));
}

TEST(PostedTaskQueueTest, SkipsEmptyTasks) {
  PostedTaskQueue queue;
  std::vector<int> ran;
  queue.Push([&ran] { ran.push_back(1); });
  queue.Push(std::function<void()>());
  queue.Push([&ran] { ran.push_back(3); });
  Batch batch = queue.TakeAll();
  EXPECT_EQ(batch.size(), 3u);
  batch.RunAll();
  EXPECT_EQ(ran, (std::vector<int>{1, 3}));
}

TEST(PostedTaskQueueTest, RecycledChunksAreReusedAndTheSparesAreBounded) {
  const size_t capacity = PostedTaskQueue::ChunkCapacity();
  const size_t max_spares = PostedTaskQueue::kMaxSpareChunks;
  PostedTaskQueue queue;
  size_t runs = 0;
  auto push = [&queue, &runs](size_t count) {
    for (size_t i = 0; i < count; ++i) queue.Push([&runs] { ++runs; });
  };
  // A burst of max_spares + 3 chunks: only max_spares come back as spares.
  push((max_spares + 3) * capacity);
  Batch burst = queue.TakeAll();
  burst.RunAll();
  EXPECT_EQ(runs, (max_spares + 3) * capacity);
  EXPECT_EQ(queue.spare_chunks(), 0u);
  queue.Recycle(&burst);
  EXPECT_EQ(queue.spare_chunks(), max_spares);

  // Pushing takes a spare whenever it starts a chunk.
  push(1);
  EXPECT_EQ(queue.spare_chunks(), max_spares - 1);
  push(capacity - 1);
  EXPECT_EQ(queue.spare_chunks(), max_spares - 1);
  push(1);
  EXPECT_EQ(queue.spare_chunks(), max_spares - 2);
  Batch small = queue.TakeAll();
  EXPECT_EQ(small.size(), capacity + 1);
  small.RunAll();
  queue.Recycle(&small);
  EXPECT_EQ(queue.spare_chunks(), max_spares);

  // Two batches out at once, the second on a newly allocated chunk: recycling the second, then
  // the first, takes only what fits; the batches free the rest.
  push((max_spares + 2) * capacity);
  Batch first = queue.TakeAll();
  EXPECT_EQ(queue.spare_chunks(), 0u);
  push(1);
  Batch second = queue.TakeAll();
  second.RunAll();
  queue.Recycle(&second);
  EXPECT_EQ(queue.spare_chunks(), 1u);
  first.RunAll();
  queue.Recycle(&first);
  EXPECT_EQ(queue.spare_chunks(), max_spares);
  queue.Recycle(&second);
  EXPECT_EQ(queue.spare_chunks(), max_spares);
  EXPECT_EQ(runs, (max_spares + 3) * capacity + capacity + 1 + (max_spares + 2) * capacity + 1);
}

TEST(PostedTaskQueueTest, RecycleLeavesTheSparesAloneWhileTheBatchStillHoldsTasks) {
  PostedTaskQueue queue;
  std::vector<std::string> log;
  queue.Push(LoggingTask(&log, "a"));
  Batch batch = queue.TakeAll();
  queue.Recycle(&batch);
  EXPECT_EQ(queue.spare_chunks(), 0u);
  EXPECT_EQ(batch.size(), 1u);
  batch.RunAll();
  EXPECT_EQ(log, (std::vector<std::string>{"a", "~a"}));
}

TEST(PostedTaskQueueTest, TasksPushedWhileABatchRunsGoToTheQueue) {
  PostedTaskQueue queue;
  std::vector<std::string> log;
  queue.Push([&] {
    log.push_back("first");
    queue.Push([&] { log.push_back("posted by first"); });
  });
  queue.Push([&] { log.push_back("second"); });

  Batch batch = queue.TakeAll();
  batch.RunAll();
  EXPECT_EQ(log, (std::vector<std::string>{"first", "second"}));
  EXPECT_FALSE(queue.empty());
  queue.Recycle(&batch);

  Batch next = queue.TakeAll();
  EXPECT_EQ(next.size(), 1u);
  next.RunAll();
  EXPECT_EQ(log, (std::vector<std::string>{"first", "second", "posted by first"}));
  EXPECT_TRUE(queue.empty());
}

TEST(PostedTaskQueueTest, RunAllDestroysTheTasksInOrderAfterTheLastOneRan) {
  const size_t capacity = PostedTaskQueue::ChunkCapacity();
  PostedTaskQueue queue;
  std::vector<std::string> log;
  // Fill the first chunk, so that the two logging tasks sit in different chunks.
  queue.Push(LoggingTask(&log, "a"));
  for (size_t i = 1; i < capacity; ++i) queue.Push([] {});
  queue.Push(LoggingTask(&log, "b"));
  Batch batch = queue.TakeAll();
  batch.RunAll();
  EXPECT_EQ(log, (std::vector<std::string>{"a", "b", "~a", "~b"}));
}

TEST(PostedTaskQueueTest, DestroyingTheQueueDestroysUnrunTasksInOrder) {
  std::vector<std::string> log;
  {
    PostedTaskQueue queue;
    queue.Push(LoggingTask(&log, "a"));
    for (size_t i = 0; i < PostedTaskQueue::ChunkCapacity(); ++i) queue.Push([] {});
    queue.Push(LoggingTask(&log, "b"));
    EXPECT_TRUE(log.empty());
  }
  EXPECT_EQ(log, (std::vector<std::string>{"~a", "~b"}));
}

TEST(PostedTaskQueueTest, DestroyingOrClearingABatchDestroysUnrunTasksInOrder) {
  std::vector<std::string> log;
  PostedTaskQueue queue;
  queue.Push(LoggingTask(&log, "a"));
  queue.Push(LoggingTask(&log, "b"));
  {
    Batch batch = queue.TakeAll();
    EXPECT_TRUE(log.empty());
  }
  EXPECT_EQ(log, (std::vector<std::string>{"~a", "~b"}));

  log.clear();
  queue.Push(LoggingTask(&log, "c"));
  Batch batch = queue.TakeAll();
  batch.Clear();
  EXPECT_EQ(log, (std::vector<std::string>{"~c"}));
  EXPECT_TRUE(batch.empty());

  // Assigning over a batch destroys what it held.
  log.clear();
  queue.Push(LoggingTask(&log, "d"));
  batch = queue.TakeAll();
  queue.Push(LoggingTask(&log, "e"));
  batch = queue.TakeAll();
  EXPECT_EQ(log, (std::vector<std::string>{"~d"}));
  Batch moved(std::move(batch));
  EXPECT_EQ(moved.size(), 1u);
  moved.RunAll();
  EXPECT_EQ(log, (std::vector<std::string>{"~d", "e", "~e"}));
}

TEST(PostedTaskQueueTest, ATaskDestroyedByClearMayPushToTheQueue) {
  PostedTaskQueue queue;
  std::vector<std::string> log;
  struct PushOnDestruction {
    PostedTaskQueue* queue;
    std::vector<std::string>* log;
    ~PushOnDestruction() {
      queue->Push([log = log] { log->push_back("pushed from a destructor"); });
    }
  };
  auto pusher = std::make_shared<PushOnDestruction>(PushOnDestruction{&queue, &log});
  queue.Push([pusher = std::move(pusher)] {});
  queue.TakeAll().Clear();
  Batch batch = queue.TakeAll();
  EXPECT_EQ(batch.size(), 1u);
  batch.RunAll();
  EXPECT_EQ(log, (std::vector<std::string>{"pushed from a destructor"}));
}

}  // namespace
}  // namespace internal
}  // namespace eventloop
