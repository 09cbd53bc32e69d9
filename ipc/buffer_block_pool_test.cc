#include "ipc/buffer_block_pool.h"

#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace ipc {
namespace internal {
namespace {

TEST(BufferBlockPoolTest, AFreedStandardBlockIsReusedByTheSameThread) {
  for (const size_t size : {kLargeBlockSize, kSmallBlockSize}) {
    char* first = AllocateBlock(size);
    first[size - 1] = 'x';  // The whole capacity is usable.
    FreeBlock(first, size);
    char* again = AllocateBlock(size);
    EXPECT_EQ(again, first) << size;
    FreeBlock(again, size);
  }
}

TEST(BufferBlockPoolTest, TheCacheKeepsAtMostItsCapOfEachSize) {
  for (const auto& [size, cap] : {std::pair{kLargeBlockSize, kSpareLargeBlocks},
                                  std::pair{kSmallBlockSize, kSpareSmallBlocks}}) {
    std::vector<char*> blocks;
    for (size_t i = 0; i < cap + 3; ++i) blocks.push_back(AllocateBlock(size));
    for (char* block : blocks) FreeBlock(block, size);
    // Exactly `cap` come back from the cache (the first `cap` freed, last in first out).
    std::vector<char*> reused;
    for (size_t i = 0; i < cap; ++i) reused.push_back(AllocateBlock(size));
    for (size_t i = 0; i < cap; ++i) EXPECT_EQ(reused[i], blocks[cap - 1 - i]) << size;
    for (char* block : reused) FreeBlock(block, size);
  }
}

TEST(BufferBlockPoolTest, TakeSpareBlockOnlyEverReturnsCachedBlocks) {
  // Empty this thread's cache of large blocks.
  std::vector<char*> held;
  while (char* block = TakeSpareBlock(kLargeBlockSize)) held.push_back(block);
  EXPECT_EQ(TakeSpareBlock(kLargeBlockSize), nullptr);  // None cached: no new block either.
  char* fresh = AllocateBlock(kLargeBlockSize);         // AllocateBlock makes one.
  ASSERT_NE(fresh, nullptr);
  FreeBlock(fresh, kLargeBlockSize);
  EXPECT_EQ(TakeSpareBlock(kLargeBlockSize), fresh);  // Now it is a spare.
  EXPECT_EQ(TakeSpareBlock(100 * 1024), nullptr);     // Other sizes are never cached.
  FreeBlock(fresh, kLargeBlockSize);
  for (char* block : held) FreeBlock(block, kLargeBlockSize);
}

TEST(BufferBlockPoolTest, OtherSizesAndNullGoToTheHeap) {
  char* odd = AllocateBlock(100 * 1024);
  odd[100 * 1024 - 1] = 'y';
  FreeBlock(odd, 100 * 1024);  // Not cached (ASan would report a leak or double free).
  FreeBlock(nullptr, kLargeBlockSize);
  char* large = AllocateBlock(kLargeBlockSize);
  EXPECT_NE(large, nullptr);
  FreeBlock(large, kLargeBlockSize);
}

TEST(BufferBlockPoolTest, EachThreadHasItsOwnCacheAndABlockMayBeFreedOnAnother) {
  char* mine = AllocateBlock(kLargeBlockSize);
  char* theirs = nullptr;
  std::thread([&] {
    theirs = AllocateBlock(kLargeBlockSize);
    FreeBlock(mine, kLargeBlockSize);  // Joins the other thread's cache, freed at its exit.
  }).join();
  FreeBlock(theirs, kLargeBlockSize);
  char* again = AllocateBlock(kLargeBlockSize);
  EXPECT_EQ(again, theirs);  // The block freed here is reused here.
  FreeBlock(again, kLargeBlockSize);
}

}  // namespace
}  // namespace internal
}  // namespace ipc
