#include "eventloop/posted_task_queue.h"

#include <new>
#include <utility>

namespace eventloop {
namespace internal {

// A link of the chain: a next pointer and room for kCapacity tasks, constructed in place
// from the front. At most 4096 bytes with malloc's bookkeeping (two words), so that a chunk
// stays far below malloc's mmap threshold and fills one page-sized heap block.
struct PostedTaskQueue::Chunk {
  static constexpr size_t kBytes = 4096 - 2 * sizeof(void*);
  static constexpr size_t kCapacity = (kBytes - sizeof(void*)) / sizeof(Task);  // Less `next`.
  static_assert(kCapacity >= 64, "a chunk should hold a useful number of tasks");

  Task* slot(size_t i) { return reinterpret_cast<Task*>(storage) + i; }
  Task& task(size_t i) { return *std::launder(slot(i)); }

  Chunk* next = nullptr;
  alignas(Task) unsigned char storage[kCapacity * sizeof(Task)];
};

size_t PostedTaskQueue::ChunkCapacity() {
  static_assert(sizeof(Chunk) <= Chunk::kBytes, "a chunk and malloc's bookkeeping fit in 4 KiB");
  return Chunk::kCapacity;
}

PostedTaskQueue::Batch::Batch(Batch&& other) noexcept
    : head_(std::exchange(other.head_, nullptr)),
      tail_size_(std::exchange(other.tail_size_, 0)),
      emptied_(std::exchange(other.emptied_, nullptr)),
      emptied_tail_(std::exchange(other.emptied_tail_, nullptr)),
      emptied_count_(std::exchange(other.emptied_count_, 0)) {}

PostedTaskQueue::Batch& PostedTaskQueue::Batch::operator=(Batch&& other) noexcept {
  if (this != &other) {
    Clear();
    head_ = std::exchange(other.head_, nullptr);
    tail_size_ = std::exchange(other.tail_size_, 0);
    emptied_ = std::exchange(other.emptied_, nullptr);
    emptied_tail_ = std::exchange(other.emptied_tail_, nullptr);
    emptied_count_ = std::exchange(other.emptied_count_, 0);
  }
  return *this;
}

PostedTaskQueue::Batch::~Batch() { Clear(); }

size_t PostedTaskQueue::Batch::size() const {
  size_t size = 0;
  for (const Chunk* chunk = head_; chunk != nullptr; chunk = chunk->next) {
    size += chunk->next != nullptr ? Chunk::kCapacity : tail_size_;
  }
  return size;
}

void PostedTaskQueue::Batch::RunAll() {
  for (Chunk* chunk = head_; chunk != nullptr; chunk = chunk->next) {
    const size_t count = chunk->next != nullptr ? Chunk::kCapacity : tail_size_;
    for (size_t i = 0; i < count; ++i) {
      Task& task = chunk->task(i);
      if (task) task();
    }
  }
  DestroyTasks(kMaxSpareChunks);
}

void PostedTaskQueue::Batch::Clear() {
  DestroyTasks(0);
  FreeChunks(std::exchange(emptied_, nullptr));
  emptied_tail_ = nullptr;
  emptied_count_ = 0;
}

void PostedTaskQueue::Batch::DestroyTasks(size_t keep_chunks) {
  // Detach the chain first: a task's destructor may post to the queue (never to this batch).
  Chunk* chunk = std::exchange(head_, nullptr);
  const size_t last_count = std::exchange(tail_size_, 0);
  while (chunk != nullptr) {
    Chunk* next = chunk->next;
    const size_t count = next != nullptr ? Chunk::kCapacity : last_count;
    for (size_t i = 0; i < count; ++i) chunk->task(i).~Task();
    if (emptied_count_ < keep_chunks) {
      if (emptied_ == nullptr) emptied_tail_ = chunk;
      chunk->next = emptied_;
      emptied_ = chunk;
      ++emptied_count_;
    } else {
      delete chunk;
    }
    chunk = next;
  }
}

void PostedTaskQueue::Batch::FreeChunks(Chunk* chunk) {
  while (chunk != nullptr) delete std::exchange(chunk, chunk->next);
}

PostedTaskQueue::~PostedTaskQueue() {
  TakeAll().Clear();
  Batch::FreeChunks(spares_);
}

void PostedTaskQueue::Push(Task&& task) {
  if (tail_ == nullptr || tail_size_ == Chunk::kCapacity) {
    Chunk* chunk = spares_;
    if (chunk != nullptr) {
      spares_ = chunk->next;
      --spare_count_;
      chunk->next = nullptr;
    } else {
      chunk = new Chunk;
    }
    if (tail_ == nullptr) {
      head_ = chunk;
    } else {
      tail_->next = chunk;
    }
    tail_ = chunk;
    tail_size_ = 0;
  }
  new (tail_->slot(tail_size_)) Task(std::move(task));
  ++tail_size_;
}

PostedTaskQueue::Batch PostedTaskQueue::TakeAll() {
  Batch batch;
  batch.head_ = std::exchange(head_, nullptr);
  tail_ = nullptr;
  batch.tail_size_ = std::exchange(tail_size_, 0);
  return batch;
}

void PostedTaskQueue::Recycle(Batch* batch) {
  if (batch->emptied_ == nullptr) return;
  if (spare_count_ + batch->emptied_count_ <= kMaxSpareChunks) {  // Splice them all: O(1).
    batch->emptied_tail_->next = spares_;
    spares_ = std::exchange(batch->emptied_, nullptr);
    batch->emptied_tail_ = nullptr;
    spare_count_ += std::exchange(batch->emptied_count_, 0);
    return;
  }
  while (spare_count_ < kMaxSpareChunks) {
    Chunk* chunk = batch->emptied_;
    batch->emptied_ = chunk->next;
    --batch->emptied_count_;
    chunk->next = spares_;
    spares_ = chunk;
    ++spare_count_;
  }
}

}  // namespace internal
}  // namespace eventloop
