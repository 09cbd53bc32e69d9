#include "ipc/buffer_block_pool.h"

#include <array>

namespace ipc {
namespace internal {
namespace {

// A fixed-capacity stack of spare blocks of one size.
template <size_t kCapacity>
struct SpareBlocks {
  std::array<char*, kCapacity> blocks{};
  size_t count = 0;
};

// The calling thread's cache. Destroyed with the thread; blocks freed after that (by a static
// object destroyed at exit) go straight back to the heap.
class ThreadCache {
 public:
  ThreadCache() { phase_ = Phase::kAlive; }
  ~ThreadCache() {
    phase_ = Phase::kDestroyed;
    for (size_t i = 0; i < large_.count; ++i) delete[] large_.blocks[i];
    for (size_t i = 0; i < small_.count; ++i) delete[] small_.blocks[i];
  }
  ThreadCache(const ThreadCache&) = delete;
  ThreadCache& operator=(const ThreadCache&) = delete;

  // The cache, or nullptr once this thread's cache was destroyed.
  static ThreadCache* Get() {
    // Checked first: control must not reach a destroyed thread_local's definition again.
    if (phase_ == Phase::kDestroyed) return nullptr;
    thread_local ThreadCache cache;
    return &cache;
  }

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

  enum class Phase : unsigned char { kNotCreated, kAlive, kDestroyed };
  // Trivially destructible, so it stays readable after the cache is destroyed.
  static thread_local Phase phase_;
  SpareBlocks<kSpareLargeBlocks> large_;
  SpareBlocks<kSpareSmallBlocks> small_;
};

thread_local ThreadCache::Phase ThreadCache::phase_ = ThreadCache::Phase::kNotCreated;

}  // namespace

char* TakeSpareBlock(size_t capacity) {
  ThreadCache* cache = ThreadCache::Get();
  return cache != nullptr ? cache->Take(capacity) : nullptr;
}

char* AllocateBlock(size_t capacity) {
  if (char* block = TakeSpareBlock(capacity)) return block;
  return new char[capacity];
}

void FreeBlock(char* block, size_t capacity) {
  if (block == nullptr) return;
  ThreadCache* cache = ThreadCache::Get();
  if (cache == nullptr || !cache->Keep(block, capacity)) delete[] block;
}

}  // namespace internal
}  // namespace ipc
