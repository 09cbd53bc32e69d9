// Test helper: a thread's spare large buffer blocks (ipc/buffer_block_pool.h), held out of its
// cache, so that a test's reads start from a known cache. Internal to our ipc tests.
#ifndef LOCALSOCKET_TESTING_TAKEN_SPARE_BLOCKS_H_
#define LOCALSOCKET_TESTING_TAKEN_SPARE_BLOCKS_H_

#include <cstddef>
#include <vector>

#include "ipc/buffer_block_pool.h"

namespace ipc {
namespace test {

// Holds every spare large block of the calling thread while it lives (the cache is empty
// meanwhile, until blocks are freed), then gives them back. Same thread only.
class TakenSpareLargeBlocks {
 public:
  TakenSpareLargeBlocks() {
    while (char* block = internal::TakeSpareBlock(internal::kLargeBlockSize)) {
      blocks_.push_back(block);
    }
  }
  ~TakenSpareLargeBlocks() {
    for (char* block : blocks_) internal::FreeBlock(block, internal::kLargeBlockSize);
  }
  TakenSpareLargeBlocks(const TakenSpareLargeBlocks&) = delete;
  TakenSpareLargeBlocks& operator=(const TakenSpareLargeBlocks&) = delete;

  // How many blocks it holds.
  size_t size() const { return blocks_.size(); }

 private:
  std::vector<char*> blocks_;
};

// Takes `count` large blocks (spare or new) and frees them all: the calling thread's spares
// then hold at least min(count, its cap).
inline void AddSpareLargeBlocks(size_t count) {
  std::vector<char*> blocks;
  for (size_t i = 0; i < count; ++i)
    blocks.push_back(internal::AllocateBlock(internal::kLargeBlockSize));
  for (char* block : blocks) internal::FreeBlock(block, internal::kLargeBlockSize);
}

// How many spare large blocks the calling thread has (it keeps them).
inline size_t CountSpareLargeBlocks() { return TakenSpareLargeBlocks().size(); }

}  // namespace test
}  // namespace ipc

#endif  // LOCALSOCKET_TESTING_TAKEN_SPARE_BLOCKS_H_
