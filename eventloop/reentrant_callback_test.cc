#include "eventloop/reentrant_callback.h"

#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace eventloop {
namespace internal {
namespace {

// An owner that holds its callback as a member, as the loop's handles do.
struct Owner {
  explicit Owner(std::function<void(int)> f) : callback(std::move(f)) {}
  ReentrantCallback<int> callback;
};

TEST(ReentrantCallbackTest, RunsWithTheArgumentsAndKeepsTheCallbackForTheNextRun) {
  std::vector<int> seen;
  Owner owner([&](int n) { seen.push_back(n); });
  EXPECT_TRUE(owner.callback.Run(1));
  EXPECT_TRUE(owner.callback.Run(2));
  EXPECT_EQ(seen, (std::vector<int>{1, 2}));
}

TEST(ReentrantCallbackTest, TheCallbackMayDestroyItsOwnerAndItsCapturesLiveUntilItReturns) {
  std::unique_ptr<Owner> owner;
  auto token = std::make_shared<std::string>("alive");
  std::string seen;
  owner = std::make_unique<Owner>([&, token](int) {
    owner.reset();
    seen = *token;  // Still valid: the callable runs from a local (ASan checks).
  });
  token.reset();
  Owner* raw = owner.get();
  EXPECT_FALSE(raw->callback.Run(0));
  EXPECT_EQ(owner, nullptr);
  EXPECT_EQ(seen, "alive");
}

TEST(ReentrantCallbackTest, AnEmptyCallbackDoesNothingAndTakeEmptiesIt) {
  ReentrantCallback<> empty{std::function<void()>()};
  EXPECT_TRUE(empty.Run());
  int runs = 0;
  ReentrantCallback<> callback([&] { ++runs; });
  std::function<void()> taken = callback.Take();
  EXPECT_TRUE(callback.Run());  // Nothing left to run.
  EXPECT_EQ(runs, 0);
  taken();
  EXPECT_EQ(runs, 1);
}

TEST(ReentrantCallbackTest, ANestedRunOfAnotherOwnerIsIndependent) {
  std::unique_ptr<Owner> inner = std::make_unique<Owner>([&](int) { inner.reset(); });
  Owner outer([&](int) { EXPECT_FALSE(inner->callback.Run(0)); });
  EXPECT_TRUE(outer.callback.Run(0));
  EXPECT_EQ(inner, nullptr);
}

}  // namespace
}  // namespace internal
}  // namespace eventloop
