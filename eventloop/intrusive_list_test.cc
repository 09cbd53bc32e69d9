#include "eventloop/intrusive_list.h"

#include <vector>

#include "gtest/gtest.h"

namespace eventloop {
namespace internal {
namespace {

struct OtherListTag;

// An item that can be in two kinds of lists at once.
struct Item : IntrusiveListNode<Item>, IntrusiveListNode<Item, OtherListTag> {
  explicit Item(int v) : value(v) {}
  int value;
};

using List = IntrusiveList<Item>;
using OtherList = IntrusiveList<Item, OtherListTag>;

std::vector<int> Drain(List& list) {
  std::vector<int> values;
  while (!list.empty()) {
    values.push_back(list.front()->value);
    List::Remove(list.front());
  }
  return values;
}

TEST(IntrusiveListTest, KeepsInsertionOrderAndRemovesAnywhere) {
  Item a(1);
  Item b(2);
  Item c(3);
  Item d(4);
  List list;
  EXPECT_TRUE(list.empty());
  list.PushBack(&a);
  list.PushBack(&b);
  list.PushBack(&c);
  list.PushBack(&d);
  EXPECT_TRUE(b.IntrusiveListNode<Item>::linked());
  List::Remove(&b);  // Middle.
  List::Remove(&d);  // Last.
  EXPECT_FALSE(b.IntrusiveListNode<Item>::linked());
  list.PushBack(&b);  // Back in, at the end.
  EXPECT_EQ(Drain(list), (std::vector<int>{1, 3, 2}));
  EXPECT_TRUE(list.empty());
}

TEST(IntrusiveListTest, AnItemIsInOneListOfEachKind) {
  Item a(1);
  Item b(2);
  List list;
  OtherList other;
  list.PushBack(&a);
  list.PushBack(&b);
  other.PushBack(&b);
  other.PushBack(&a);
  EXPECT_EQ(other.front(), &b);
  OtherList::Remove(&b);
  EXPECT_EQ(other.front(), &a);
  EXPECT_TRUE(b.IntrusiveListNode<Item>::linked());  // Still in the first list.
  EXPECT_EQ(Drain(list), (std::vector<int>{1, 2}));
  OtherList::Remove(&a);
  EXPECT_TRUE(other.empty());
}

TEST(IntrusiveListTest, DestroyingTheListUnlinksItsItems) {
  Item a(1);
  {
    List list;
    list.PushBack(&a);
  }
  EXPECT_FALSE(a.IntrusiveListNode<Item>::linked());
  List list;
  list.PushBack(&a);  // Can join another list.
  EXPECT_EQ(Drain(list), (std::vector<int>{1}));
}

TEST(IntrusiveListTest, SpliceMovesEveryItemToTheBackInOrder) {
  Item a(1);
  Item b(2);
  Item c(3);
  Item d(4);
  List list;
  List other;
  list.Splice(other);  // Both empty.
  EXPECT_TRUE(list.empty());
  other.PushBack(&a);
  other.PushBack(&b);
  list.Splice(other);  // Into an empty list.
  EXPECT_TRUE(other.empty());
  other.PushBack(&c);
  other.PushBack(&d);
  list.Splice(other);  // Behind what it holds.
  EXPECT_TRUE(other.empty());
  list.Splice(other);  // From an empty list: nothing changes.
  List::Remove(&c);    // The moved items unlink from their new list.
  other.PushBack(&c);  // The emptied list takes items again.
  EXPECT_EQ(Drain(list), (std::vector<int>{1, 2, 4}));
  EXPECT_EQ(Drain(other), (std::vector<int>{3}));
}

}  // namespace
}  // namespace internal
}  // namespace eventloop
