// Internal: the FIFO of blocks inside a ByteBuffer.
#ifndef LOCALSOCKET_IPC_BLOCK_QUEUE_H_
#define LOCALSOCKET_IPC_BLOCK_QUEUE_H_

#include <cstddef>
#include <cstdint>

namespace ipc {
namespace internal {

// One block of buffered bytes: [begin, end) of `data` are stored, [end, capacity) is free.
// 32-bit offsets keep it small: a block holds less than 4 GiB. A borrowed block is a caller's
// memory, full (capacity == end), kept valid by its ByteBuffer; any other block comes from
// buffer_block_pool.h.
struct BufferBlock {
  char* data = nullptr;
  uint32_t capacity = 0;
  uint32_t begin = 0;     // First unread byte.
  uint32_t end = 0;       // One past the last stored byte.
  bool borrowed = false;  // In the padding: the descriptor stays 24 bytes.

  size_t stored() const { return end - begin; }
  size_t room() const { return capacity - end; }
};

// A ring of BufferBlocks with room for two inline, so a buffer holding one or two blocks (the
// common case) allocates nothing for its bookkeeping. Beyond two it grows on the heap once and
// keeps that array (24 bytes a slot) until it is destroyed, so a stream that buffers several
// blocks at a time allocates nothing per block either. The heap array's pointer takes the
// place of the inline slots, which are unused from then on. It owns the descriptors, not the
// block memory. Not thread-safe.
class BlockQueue {
 public:
  BlockQueue() : inline_{} {}
  BlockQueue(const BlockQueue&) = delete;
  BlockQueue& operator=(const BlockQueue&) = delete;
  ~BlockQueue() {
    if (on_heap()) delete[] heap_;
  }

  bool empty() const { return count_ == 0; }
  size_t size() const { return count_; }
  // The i-th block from the front; i < size().
  BufferBlock& operator[](size_t i) { return slots()[(head_ + i) & (capacity_ - 1)]; }
  const BufferBlock& operator[](size_t i) const { return slots()[(head_ + i) & (capacity_ - 1)]; }
  BufferBlock& front() { return (*this)[0]; }
  const BufferBlock& front() const { return (*this)[0]; }
  BufferBlock& back() { return (*this)[count_ - 1]; }

  void push_back(const BufferBlock& block) {
    if (count_ == capacity_) Grow();
    slots()[(head_ + count_) & (capacity_ - 1)] = block;
    ++count_;
  }
  void pop_front() {
    head_ = (head_ + 1) & (capacity_ - 1);
    --count_;
  }
  void pop_back() { --count_; }

 private:
  static constexpr size_t kInlineCapacity = 2;  // A power of two, as every capacity.

  bool on_heap() const { return capacity_ > kInlineCapacity; }
  BufferBlock* slots() { return on_heap() ? heap_ : inline_; }
  const BufferBlock* slots() const { return on_heap() ? heap_ : inline_; }

  // Doubles the capacity, moving the blocks to the front of a heap array.
  void Grow() {
    auto* grown = new BufferBlock[size_t{capacity_} * 2];
    for (size_t i = 0; i < count_; ++i) grown[i] = (*this)[i];
    if (on_heap()) delete[] heap_;
    heap_ = grown;  // Ends the inline slots' life (they were copied out above).
    capacity_ *= 2;
    head_ = 0;
  }

  union {
    BufferBlock inline_[kInlineCapacity];  // While capacity_ is kInlineCapacity.
    BufferBlock* heap_;                    // Owned, once capacity_ is larger.
  };
  uint32_t capacity_ = kInlineCapacity;
  uint32_t head_ = 0;
  uint32_t count_ = 0;
};

}  // namespace internal
}  // namespace ipc

#endif  // LOCALSOCKET_IPC_BLOCK_QUEUE_H_
