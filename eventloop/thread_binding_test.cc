// ThreadBinding: binding, following, the wrong-thread message, and the macros compiling away
// in release builds. The class itself works in every build, so only the macro tests depend
// on LOCALSOCKET_DCHECK_IS_ON.
//
// A thread id may be reused once its thread is joined, so every wrong-thread call below is
// made while the bound thread (normally the main test thread) is still alive.
#include "eventloop/thread_binding.h"

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "gtest/gtest.h"

namespace eventloop {
namespace internal {
namespace {

// Runs `f` on a new thread and joins it.
void OnNewThread(const std::function<void()>& f) { std::thread(f).join(); }

// The message of a wrong-thread call to `caller` on a binding of `owner` bound by `bound_by`.
std::string WrongThreadMessage(const std::string& caller, const std::string& owner,
                               const std::string& bound_by) {
  return "localsocket: " + caller + " called on thread [0-9]+, but the object is bound to " +
         "thread [0-9]+ \\(the " + owner + "'s thread since " + bound_by + "\\)";
}

class ThreadBindingDeathTest : public ::testing::Test {
 protected:
  void SetUp() override { GTEST_FLAG_SET(death_test_style, "threadsafe"); }
};

TEST(ThreadBindingTest, AnUnboundBindingPassesOnEveryThread) {
  ThreadBinding binding("thing");
  binding.Check("Thing::Method");
  OnNewThread([&] { binding.Check("Thing::Method"); });
}

TEST(ThreadBindingTest, ABoundBindingPassesOnItsThread) {
  ThreadBinding binding("thing");
  binding.BindToCurrentThread("Thing::Bind");
  binding.Check("Thing::Method");
  binding.BindToCurrentThread("Thing::Bind");  // Again: a check that passes.
}

TEST_F(ThreadBindingDeathTest, ACallOnAnotherThreadAbortsNamingTheCallAndTheBinder) {
  ThreadBinding binding("thing");
  binding.BindToCurrentThread("Thing::Bind");
  EXPECT_DEATH(OnNewThread([&] { binding.Check("Thing::Method"); }),
               WrongThreadMessage("Thing::Method", "thing", "Thing::Bind"));
  // Binding again elsewhere is a check too.
  EXPECT_DEATH(OnNewThread([&] { binding.BindToCurrentThread("Thing::Bind"); }),
               WrongThreadMessage("Thing::Bind", "thing", "Thing::Bind"));
}

TEST_F(ThreadBindingDeathTest, BoundOnAnotherThreadAbortsHere) {
  ThreadBinding binding("thing");
  OnNewThread([&] { binding.BindToCurrentThread("Thing::Bind"); });
  EXPECT_DEATH(binding.Check("Thing::Method"),
               WrongThreadMessage("Thing::Method", "thing", "Thing::Bind"));
}

TEST(ThreadBindingTest, AFollowerOfUnboundBindingsPassesOnEveryThread) {
  auto parent = std::make_shared<ThreadBinding>("parent");
  ThreadBinding follower("follower");
  follower.Follow(parent);
  EXPECT_TRUE(follower.follows_another());
  follower.Check("Follower::Method");
  OnNewThread([&] { follower.Check("Follower::Method"); });
}

TEST_F(ThreadBindingDeathTest, AFollowerChecksTheFirstBoundBindingOfItsChain) {
  auto grandparent = std::make_shared<ThreadBinding>("loop");
  auto parent = std::make_shared<ThreadBinding>("parent");
  parent->Follow(grandparent);
  ThreadBinding follower("follower");
  follower.Follow(parent);
  grandparent->BindToCurrentThread("Loop::Run");
  follower.Check("Follower::Method");
  EXPECT_DEATH(OnNewThread([&] { follower.Check("Follower::Method"); }),
               WrongThreadMessage("Follower::Method", "loop", "Loop::Run"));
}

TEST_F(ThreadBindingDeathTest, BindingAFollowerWhoseChainIsBoundOnlyChecks) {
  auto parent = std::make_shared<ThreadBinding>("loop");
  ThreadBinding follower("follower");
  follower.Follow(parent);
  parent->BindToCurrentThread("Loop::Run");
  follower.BindToCurrentThread("Follower::Wait");  // Passes, and does not bind the follower.
  parent->DetachFromThread();
  OnNewThread([&] { follower.Check("Follower::Method"); });  // Nothing bound any more.

  parent->BindToCurrentThread("Loop::Run");
  EXPECT_DEATH(OnNewThread([&] { follower.BindToCurrentThread("Follower::Wait"); }),
               WrongThreadMessage("Follower::Wait", "loop", "Loop::Run"));
}

TEST_F(ThreadBindingDeathTest, AFollowerBoundFirstKeepsItsOwnThread) {
  auto parent = std::make_shared<ThreadBinding>("loop");
  ThreadBinding follower("follower");
  follower.Follow(parent);
  follower.BindToCurrentThread("Follower::Wait");
  OnNewThread([&] { parent->BindToCurrentThread("Loop::Run"); });
  follower.Check("Follower::Method");  // Its own binding comes first in the chain.
  EXPECT_DEATH(parent->Check("Loop::Method"),
               WrongThreadMessage("Loop::Method", "loop", "Loop::Run"));
  EXPECT_DEATH(OnNewThread([&] { follower.Check("Follower::Method"); }),
               WrongThreadMessage("Follower::Method", "follower", "Follower::Wait"));
}

TEST_F(ThreadBindingDeathTest, AFollowerOutlivesItsParentsOwner) {
  ThreadBinding follower("follower");
  {
    auto parent = std::make_shared<ThreadBinding>("loop");
    follower.Follow(parent);
    parent->BindToCurrentThread("Loop::Run");
  }  // The owner's reference is gone; the follower's keeps the binding.
  follower.Check("Follower::Method");
  EXPECT_DEATH(OnNewThread([&] { follower.Check("Follower::Method"); }),
               WrongThreadMessage("Follower::Method", "loop", "Loop::Run"));
}

TEST(ThreadBindingTest, FollowingNothingMakesAFollowerFreeStanding) {
  ThreadBinding binding("thing");
  binding.Follow(nullptr);
  EXPECT_FALSE(binding.follows_another());
  binding.Follow(std::make_shared<ThreadBinding>("parent"));
  binding.Follow(nullptr);
  EXPECT_FALSE(binding.follows_another());
}

TEST(ThreadBindingTest, DetachingLetsAnotherThreadBind) {
  ThreadBinding binding("thing");
  binding.BindToCurrentThread("Thing::Bind");
  binding.DetachFromThread();
  std::thread::id other;
  OnNewThread([&] {
    binding.Check("Thing::Method");
    binding.BindToCurrentThread("Thing::Bind");
    binding.Check("Thing::Method");
    other = std::this_thread::get_id();
  });
  EXPECT_NE(other, std::this_thread::get_id());
}

// A class holding a binding through the macros, as owners do.
class Holder {
 public:
  Holder() { LOCALSOCKET_FOLLOW_THREAD_BINDING(thread_binding_, nullptr); }
  void Bind() { LOCALSOCKET_BIND_TO_CURRENT_THREAD(thread_binding_, "Holder::Bind"); }
  void Method() {
    LOCALSOCKET_DCHECK_ON_BOUND_THREAD(thread_binding_, "Holder::Method");
    ++value_;
  }
  void Detach() { LOCALSOCKET_DETACH_FROM_THREAD(thread_binding_); }

 private:
  int value_ = 0;
  LOCALSOCKET_THREAD_BINDING(thread_binding_, "Holder");
};

#if LOCALSOCKET_DCHECK_IS_ON
static_assert(sizeof(Holder) > sizeof(int), "debug builds hold a binding");

TEST_F(ThreadBindingDeathTest, TheMacrosCheckInDebugBuilds) {
  Holder holder;
  OnNewThread([&] { holder.Method(); });  // Unbound.
  holder.Bind();
  holder.Method();
  EXPECT_DEATH(OnNewThread([&] { holder.Method(); }),
               WrongThreadMessage("Holder::Method", "Holder", "Holder::Bind"));
  holder.Detach();
  OnNewThread([&] { holder.Method(); });
}
#else
static_assert(sizeof(Holder) == sizeof(int), "release builds hold no binding");

TEST(ThreadBindingTest, TheMacrosDoNothingInReleaseBuilds) {
  Holder holder;
  holder.Bind();
  OnNewThread([&] { holder.Method(); });
}
#endif

}  // namespace
}  // namespace internal
}  // namespace eventloop
