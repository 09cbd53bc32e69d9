#include "ipc/shared_name.h"

#include <string>
#include <thread>

#include "gtest/gtest.h"

namespace ipc {
namespace internal {
namespace {

TEST(SharedNameTest, CopiesShareOneString) {
  const SharedName name(std::string("/run/app.sock"));
  const SharedName copy = name;  // NOLINT(performance-unnecessary-copy-initialization)
  EXPECT_EQ(&copy.get(), &name.get());
  EXPECT_EQ(copy.get(), "/run/app.sock");
}

TEST(SharedNameTest, InterningAnEqualNameSharesTheString) {
  const SharedName first = SharedName::Intern("/run/app.sock");
  const SharedName second = SharedName::Intern(std::string("/run/") + "app.sock");
  EXPECT_EQ(first.get(), "/run/app.sock");
  EXPECT_EQ(&second.get(), &first.get());
}

TEST(SharedNameTest, ADifferentNameReplacesTheInternedOneWithoutChangingItsHolders) {
  const SharedName first = SharedName::Intern("/run/a.sock");
  const SharedName other = SharedName::Intern("/run/b.sock");
  EXPECT_EQ(first.get(), "/run/a.sock");
  EXPECT_EQ(other.get(), "/run/b.sock");
  EXPECT_NE(&other.get(), &first.get());
  // The thread now shares b, and a fresh "a" is a new string.
  EXPECT_EQ(&SharedName::Intern("/run/b.sock").get(), &other.get());
  const SharedName again = SharedName::Intern("/run/a.sock");
  EXPECT_EQ(again.get(), "/run/a.sock");
  EXPECT_NE(&again.get(), &first.get());
}

TEST(SharedNameTest, TheEmptyNameIsNotInterned) {
  const SharedName kept = SharedName::Intern("/run/kept.sock");
  EXPECT_TRUE(SharedName::Intern("").get().empty());
  EXPECT_EQ(&SharedName::Intern("/run/kept.sock").get(), &kept.get());
}

TEST(SharedNameTest, EachThreadInternsItsOwnCopy) {
  const SharedName here = SharedName::Intern("/run/threads.sock");
  SharedName there;
  std::thread([&there] { there = SharedName::Intern("/run/threads.sock"); }).join();
  EXPECT_EQ(there.get(), "/run/threads.sock");  // Outlives the thread that interned it.
  EXPECT_NE(&there.get(), &here.get());
}

// Interns in its destructor, which runs after the thread's intern cache is gone when this
// object was constructed first (thread_locals are destroyed in reverse order).
struct InternsWhenDestroyed {
  ~InternsWhenDestroyed() { *result = SharedName::Intern("/run/late.sock").get(); }
  std::string* result = nullptr;
};

TEST(SharedNameTest, InterningAfterTheThreadsCacheIsGoneStillGivesTheName) {
  std::string result;
  std::thread([&result] {
    thread_local InternsWhenDestroyed late;
    late.result = &result;
    const SharedName early = SharedName::Intern("/run/early.sock");  // Creates the cache.
    EXPECT_EQ(early.get(), "/run/early.sock");
  }).join();
  EXPECT_EQ(result, "/run/late.sock");
}

}  // namespace
}  // namespace internal
}  // namespace ipc
