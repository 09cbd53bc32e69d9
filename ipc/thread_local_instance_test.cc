#include "ipc/thread_local_instance.h"

#include <thread>

#include "gtest/gtest.h"

namespace ipc {
namespace internal {
namespace {

struct Counter {
  int value = 0;
};

TEST(ThreadLocalInstanceTest, EachThreadGetsItsOwnInstanceOnEveryCall) {
  Counter* mine = ThreadLocalInstance<Counter>::Get();
  ASSERT_NE(mine, nullptr);
  EXPECT_EQ(ThreadLocalInstance<Counter>::Get(), mine);
  mine->value = 7;
  int seen_there = -1;
  Counter* theirs = nullptr;
  std::thread([&] {
    theirs = ThreadLocalInstance<Counter>::Get();
    seen_there = theirs->value;
  }).join();
  EXPECT_NE(theirs, mine);
  EXPECT_EQ(seen_there, 0);  // A fresh instance, not this thread's.
  EXPECT_EQ(mine->value, 7);
}

struct Probe {};

// Asks for the instance in its destructor: run after the instance is gone when this object
// was made first (thread_locals are destroyed in reverse order of construction).
struct AsksWhenDestroyed {
  ~AsksWhenDestroyed() { *got_null = ThreadLocalInstance<Probe>::Get() == nullptr; }
  bool* got_null = nullptr;
};

TEST(ThreadLocalInstanceTest, DuringTheThreadsExitAfterItsInstanceIsGoneGetIsNull) {
  bool got_null = false;
  std::thread([&got_null] {
    thread_local AsksWhenDestroyed late;
    late.got_null = &got_null;
    EXPECT_NE(ThreadLocalInstance<Probe>::Get(), nullptr);  // Made after `late`.
  }).join();
  EXPECT_TRUE(got_null);
}

}  // namespace
}  // namespace internal
}  // namespace ipc
