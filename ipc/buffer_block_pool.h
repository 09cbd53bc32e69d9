// Internal: the memory behind ByteBuffer's blocks, with a small per-thread cache of freed
// blocks of the two standard sizes, so that a socket exchanging messages allocates nothing in
// steady state while an idle socket holds no block at all.
#ifndef LOCALSOCKET_IPC_BUFFER_BLOCK_POOL_H_
#define LOCALSOCKET_IPC_BUFFER_BLOCK_POOL_H_

#include <cstddef>

namespace ipc {
namespace internal {

// The standard block sizes: a large block takes one read from the kernel or a burst of
// writes; a small block keeps a short message without pinning a large one.
inline constexpr size_t kLargeBlockSize = size_t{64} * 1024;
inline constexpr size_t kSmallBlockSize = 512;

// How many freed blocks of each standard size a thread keeps for reuse. Loops are
// single-threaded, so this is the spare memory of one loop: 256 KiB of large blocks and
// 32 KiB of small ones at most. Blocks beyond the cap go back to the heap.
inline constexpr size_t kSpareLargeBlocks = 4;
inline constexpr size_t kSpareSmallBlocks = 64;

// A block of exactly `capacity` bytes (uninitialised): from the calling thread's cache when
// `capacity` is a standard size and a spare one is there, else from the heap.
char* AllocateBlock(size_t capacity);
// A spare block of exactly `capacity` bytes from the calling thread's cache, or nullptr when
// the cache has none: never allocates.
char* TakeSpareBlock(size_t capacity);
// Returns a block from AllocateBlock(capacity) (the same capacity), on any thread: it joins
// the calling thread's cache when that has room, else goes back to the heap. Null is ignored.
void FreeBlock(char* block, size_t capacity);

}  // namespace internal
}  // namespace ipc

#endif  // LOCALSOCKET_IPC_BUFFER_BLOCK_POOL_H_
