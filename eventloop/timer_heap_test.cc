// TimerHeap against a reference model (an ordered set), with many equal deadlines.
#include "eventloop/timer_heap.h"

#include <chrono>
#include <cstdint>
#include <random>
#include <set>
#include <tuple>
#include <vector>

#include "gtest/gtest.h"

namespace eventloop {
namespace internal {
namespace {

using std::chrono::milliseconds;

struct TestTimer : TimerHeapNode {
  int id = 0;
};

TimePoint At(int64_t ms) { return TimePoint(milliseconds(ms)); }

TEST(TimerHeapTest, EmptyHeapHasNoTop) {
  TimerHeap heap;
  EXPECT_TRUE(heap.empty());
  EXPECT_EQ(heap.top(), nullptr);
}

TEST(TimerHeapTest, PushUpdateRemoveKeepTheSmallestKeyOnTop) {
  TimerHeap heap;
  TestTimer a;
  TestTimer b;
  TestTimer c;
  heap.Push(&a, At(30), 0);
  heap.Push(&b, At(10), 1);
  heap.Push(&c, At(10), 2);
  EXPECT_TRUE(a.in_heap());
  EXPECT_EQ(heap.size(), 3u);
  EXPECT_EQ(heap.top(), &b);  // Equal deadlines: the smaller sequence first.
  heap.Update(&b, At(10), 3);
  EXPECT_EQ(heap.top(), &c);
  heap.Update(&a, At(5), 4);
  EXPECT_EQ(heap.top(), &a);
  EXPECT_EQ(a.deadline(), At(5));
  EXPECT_EQ(a.sequence(), 4u);
  heap.Remove(&a);
  EXPECT_FALSE(a.in_heap());
  EXPECT_EQ(a.deadline(), At(5));  // The key stays readable.
  EXPECT_EQ(heap.top(), &c);
  heap.Remove(&b);  // Not the top.
  EXPECT_EQ(heap.top(), &c);
  heap.Remove(&c);
  EXPECT_TRUE(heap.empty());
  EXPECT_EQ(heap.top(), nullptr);
}

// Random pushes, updates (earlier and later), removals anywhere and pops, checked after every
// operation against an ordered set; then a full drain in exact order. Deadlines come from a
// small range, so most comparisons meet equal deadlines. The heap grows large enough to shrink
// its array when it empties.
TEST(TimerHeapTest, RandomOperationsMatchAnOrderedSet) {
  constexpr int kTimers = 5000;
  constexpr int kOperations = 300000;
  std::mt19937 rng(7);
  std::uniform_int_distribution<int64_t> deadline_ms(0, 200);
  std::uniform_int_distribution<int> pick(0, kTimers - 1);
  std::uniform_int_distribution<int> operation(0, 9);

  std::vector<TestTimer> timers(kTimers);
  for (int i = 0; i < kTimers; ++i) timers[i].id = i;
  using Key = std::tuple<TimePoint, uint64_t, int>;
  std::set<Key> model;
  uint64_t next_sequence = 0;
  TimerHeap heap;

  auto check_top = [&]() {
    ASSERT_EQ(heap.size(), model.size());
    if (model.empty()) {
      ASSERT_EQ(heap.top(), nullptr);
      return;
    }
    const auto* top = static_cast<const TestTimer*>(heap.top());
    ASSERT_NE(top, nullptr);
    ASSERT_EQ(top->id, std::get<2>(*model.begin()));
  };
  auto key_of = [&](const TestTimer& t) { return Key{t.deadline(), t.sequence(), t.id}; };

  for (int op = 0; op < kOperations; ++op) {
    // Phases: mostly growing, then mostly shrinking, so both directions get exercised.
    const bool growing = (op / 50000) % 2 == 0;
    const int kind = operation(rng);
    TestTimer& timer = timers[pick(rng)];
    if (kind == 0 && !model.empty()) {  // Pop the top.
      auto* top = static_cast<TestTimer*>(heap.top());
      model.erase(model.begin());
      heap.Remove(top);
      ASSERT_FALSE(top->in_heap());
    } else if (!timer.in_heap()) {
      if (growing || kind < 3) {
        const TimePoint deadline = At(deadline_ms(rng));
        const uint64_t sequence = next_sequence++;
        heap.Push(&timer, deadline, sequence);
        model.insert(key_of(timer));
      }
    } else if (kind < 5) {  // Re-key: earlier, later or equal.
      model.erase(key_of(timer));
      heap.Update(&timer, At(deadline_ms(rng)), next_sequence++);
      model.insert(key_of(timer));
    } else if (!growing || kind < 6) {
      model.erase(key_of(timer));
      heap.Remove(&timer);
    }
    ASSERT_NO_FATAL_FAILURE(check_top()) << "after operation " << op;
  }
  for (const TestTimer& timer : timers) {
    ASSERT_EQ(timer.in_heap(), model.count(key_of(timer)) == 1) << "timer " << timer.id;
  }
  while (!model.empty()) {
    auto* top = static_cast<TestTimer*>(heap.top());
    ASSERT_EQ(top->id, std::get<2>(*model.begin()));
    model.erase(model.begin());
    heap.Remove(top);
  }
  EXPECT_TRUE(heap.empty());
}

}  // namespace
}  // namespace internal
}  // namespace eventloop
