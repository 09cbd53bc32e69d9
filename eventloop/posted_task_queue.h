// Internal: the FIFO of a loop's posted tasks, stored in fixed-size chunks.
#ifndef LOCALSOCKET_EVENTLOOP_POSTED_TASK_QUEUE_H_
#define LOCALSOCKET_EVENTLOOP_POSTED_TASK_QUEUE_H_

#include <cstddef>
#include <functional>

namespace eventloop {
namespace internal {

// A FIFO of tasks kept in a chain of fixed-size chunks of about 4 KiB (small enough to come
// from malloc's ordinary heap): appending never moves a queued task, and a burst of posts
// costs one allocation per chunk instead of a growing contiguous array. TakeAll() hands the
// whole chain to a Batch in O(1). Emptied chunks come back through Recycle() and are reused by
// later Push() calls, so steady posting allocates nothing.
//
// Memory bound: at most kMaxSpareChunks spare chunks (1 MiB, room for about 32k tasks) stay
// allocated while the queue is empty; chunks beyond that are freed after their batch ran. The bound
// is fixed rather than shrinking after small batches: a producer thread on a busy machine posts in
// bursts of tens of thousands of tasks separated by many tiny batches, and freeing the spares
// between bursts made every burst fault in fresh memory again (cross-thread posting ran at half the
// speed).
//
// Threading: the queue itself is not synchronised. Its owner guards every call on it
// (Push, empty, TakeAll, Recycle) with one mutex; in LoopBase that is posted_mutex_, and Push is
// the only call made from threads other than the loop's. A Batch belongs to the thread that
// took it (the loop thread) and is used without the lock.
class PostedTaskQueue {
  struct Chunk;

 public:
  using Task = std::function<void()>;

  // Spare chunks kept for reuse at most (the bound on an idle queue's memory).
  static constexpr size_t kMaxSpareChunks = 256;

  // Tasks taken out of a queue, in order. Move-only. Destroying a Batch destroys the tasks it
  // still holds, in order, and frees its chunks.
  class Batch {
   public:
    Batch() = default;
    Batch(Batch&& other) noexcept;
    Batch& operator=(Batch&& other) noexcept;
    Batch(const Batch&) = delete;
    Batch& operator=(const Batch&) = delete;
    ~Batch();

    // True if the batch holds no task.
    bool empty() const { return head_ == nullptr; }
    // The number of tasks held.
    size_t size() const;

    // Destroys the tasks held, in order, and frees every chunk held.
    void Clear();

    // Runs every non-empty task in order, then destroys them all in order (no task is
    // destroyed before the last one ran). A task may Post() to the queue the batch came from:
    // that task goes to the queue, not to this batch. Afterwards the batch is empty and holds
    // up to kMaxSpareChunks emptied chunks for Recycle(); the others are freed. Must not be
    // called again from inside one of its tasks.
    void RunAll();

   private:
    friend class PostedTaskQueue;

    // Destroys the tasks held, in order; keeps up to `keep_chunks` emptied chunks in all in
    // emptied_ and frees the others.
    void DestroyTasks(size_t keep_chunks);
    // Frees the chain starting at `chunk`, whose tasks are already destroyed.
    static void FreeChunks(Chunk* chunk);

    Chunk* head_ = nullptr;     // The chain of tasks; every chunk but the last is full.
    size_t tail_size_ = 0;      // Tasks in the last chunk.
    Chunk* emptied_ = nullptr;  // Chunks whose tasks are destroyed, for Recycle().
    Chunk* emptied_tail_ = nullptr;
    size_t emptied_count_ = 0;
  };

  PostedTaskQueue() = default;
  PostedTaskQueue(const PostedTaskQueue&) = delete;
  PostedTaskQueue& operator=(const PostedTaskQueue&) = delete;
  // Destroys the queued tasks in order and frees every chunk.
  ~PostedTaskQueue();

  // True if no task is queued.
  bool empty() const { return head_ == nullptr; }

  // Appends `task`. Allocates only when the last chunk is full and no spare chunk is left.
  void Push(Task&& task);

  // Moves every queued task, in order, into the returned Batch; the queue is empty afterwards.
  // O(1).
  Batch TakeAll();

  // Takes the emptied chunks of `*batch` (after its RunAll()) as spares, up to
  // kMaxSpareChunks in all; those it does not take stay in `*batch`, which frees them when it is
  // destroyed (so that the caller can do that outside its lock). Tasks still in `*batch` stay
  // there.
  void Recycle(Batch* batch);

  // The number of spare chunks kept (for tests).
  size_t spare_chunks() const { return spare_count_; }

  // Tasks per chunk.
  static size_t ChunkCapacity();

 private:
  Chunk* head_ = nullptr;  // The queued tasks; every chunk but the last is full.
  Chunk* tail_ = nullptr;
  size_t tail_size_ = 0;     // Tasks in tail_.
  Chunk* spares_ = nullptr;  // Emptied chunks for reuse, linked through Chunk::next.
  size_t spare_count_ = 0;
};

}  // namespace internal
}  // namespace eventloop

#endif  // LOCALSOCKET_EVENTLOOP_POSTED_TASK_QUEUE_H_
