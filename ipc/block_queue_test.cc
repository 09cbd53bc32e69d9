#include "ipc/block_queue.h"

#include <deque>
#include <random>

#include "gtest/gtest.h"

namespace ipc {
namespace internal {
namespace {

BufferBlock Numbered(size_t n) {
  BufferBlock block;
  block.capacity = n;
  return block;
}

TEST(BlockQueueTest, KeepsFifoOrderAcrossWrapAroundAndGrowth) {
  BlockQueue queue;
  EXPECT_TRUE(queue.empty());
  // Two inline slots, wrapped around: push, pop, push.
  queue.push_back(Numbered(1));
  queue.push_back(Numbered(2));
  queue.pop_front();
  queue.push_back(Numbered(3));
  ASSERT_EQ(queue.size(), 2u);
  EXPECT_EQ(queue.front().capacity, 2u);
  EXPECT_EQ(queue.back().capacity, 3u);
  // Growth while wrapped keeps the order.
  queue.push_back(Numbered(4));
  queue.push_back(Numbered(5));
  ASSERT_EQ(queue.size(), 4u);
  for (size_t i = 0; i < 4; ++i) EXPECT_EQ(queue[i].capacity, i + 2);
  queue.pop_back();
  EXPECT_EQ(queue.back().capacity, 4u);
}

TEST(BlockQueueTest, RandomOperationsMatchADeque) {
  std::mt19937 rng(99);
  BlockQueue queue;
  std::deque<size_t> model;
  size_t next = 0;
  for (int step = 0; step < 100000; ++step) {
    const unsigned op = rng() % 7;
    if (op < 4 || model.empty()) {  // Pushes outnumber pops, so the queue grows and empties.
      queue.push_back(Numbered(next));
      model.push_back(next++);
    } else if (op < 6) {
      queue.pop_front();
      model.pop_front();
    } else {
      queue.pop_back();
      model.pop_back();
    }
    ASSERT_EQ(queue.size(), model.size());
    if (!model.empty()) {
      ASSERT_EQ(queue.front().capacity, model.front());
      ASSERT_EQ(queue.back().capacity, model.back());
      ASSERT_EQ(queue[model.size() / 2].capacity, model[model.size() / 2]);
    }
    if (step % 1000 == 999) {  // Now and then drain it completely.
      while (!model.empty()) {
        ASSERT_EQ(queue.front().capacity, model.front());
        queue.pop_front();
        model.pop_front();
      }
      ASSERT_TRUE(queue.empty());
    }
  }
}

}  // namespace
}  // namespace internal
}  // namespace ipc
