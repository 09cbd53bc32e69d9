#include "ipc/buffer_block_pool.h"

#include <array>

#include "ipc/thread_local_instance.h"

namespace ipc {
namespace internal {
namespace {

// A fixed-capacity stack of spare blocks of one size.
template <size_t kCapacity>
struct SpareBlocks {
  std::array<char*, kCapacity> blocks{};
  size_t count = 0;
};

// A thread's cache (a ThreadLocalInstance: blocks freed after the thread's cache is gone, by
// a static object destroyed at exit, go straight back to the heap).
class ThreadCache {
 public:
  ThreadCache() = default;
  ~ThreadCache() {
    for (size_t i = 0; i < large_.count; ++i) delete[] large_.blocks[i];
    for (size_t i = 0; i < small_.count; ++i) delete[] small_.blocks[i];
  }
  ThreadCache(const ThreadCache&) = delete;
  ThreadCache& operator=(const ThreadCache&) = delete;

  char* Take(size_t capacity) {
    if (capacity == kLargeBlockSize) return Pop(large_);
    if (capacity == kSmallBlockSize) return Pop(small_);
    return nullptr;
  }
  bool Keep(char* block, size_t capacity) {
    if (capacity == kLargeBlockSize) return Push(large_, block);
    if (capacity == kSmallBlockSize) return Push(small_, block);
    return false;
  }

 private:
  template <size_t kCapacity>
  static char* Pop(SpareBlocks<kCapacity>& spares) {
    return spares.count == 0 ? nullptr : spares.blocks[--spares.count];
  }
  template <size_t kCapacity>
  // The block is kept to be written again: it cannot point to const.
  // NOLINTNEXTLINE(readability-non-const-parameter)
  static bool Push(SpareBlocks<kCapacity>& spares, char* block) {
    if (spares.count == kCapacity) return false;
    spares.blocks[spares.count++] = block;
    return true;
  }

  SpareBlocks<kSpareLargeBlocks> large_;
  SpareBlocks<kSpareSmallBlocks> small_;
};

using ThreadCaches = ThreadLocalInstance<ThreadCache>;

}  // namespace

char* TakeSpareBlock(size_t capacity) {
  ThreadCache* cache = ThreadCaches::Get();
  return cache != nullptr ? cache->Take(capacity) : nullptr;
}

char* AllocateBlock(size_t capacity) {
  if (char* block = TakeSpareBlock(capacity)) return block;
  return new char[capacity];
}

void FreeBlock(char* block, size_t capacity) {
  if (block == nullptr) return;
  ThreadCache* cache = ThreadCaches::Get();
  if (cache == nullptr || !cache->Keep(block, capacity)) delete[] block;
}

}  // namespace internal
}  // namespace ipc
