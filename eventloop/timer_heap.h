// Internal: the queue of a loop's armed timers, a 4-ary min-heap ordered by (deadline, start
// sequence). Not part of the public API.
#ifndef LOCALSOCKET_EVENTLOOP_TIMER_HEAP_H_
#define LOCALSOCKET_EVENTLOOP_TIMER_HEAP_H_

#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "eventloop/clock.h"

namespace eventloop {
namespace internal {

class TimerHeap;

// The part of a timer that a TimerHeap orders: its key and its place in the heap, so that
// removing or re-keying it needs no search. A timer type derives from it. Neither copyable nor
// movable (the heap points at it); its owner removes it from the heap before destroying it.
class TimerHeapNode {
 public:
  TimerHeapNode() = default;
  TimerHeapNode(const TimerHeapNode&) = delete;
  TimerHeapNode& operator=(const TimerHeapNode&) = delete;
  ~TimerHeapNode() = default;

  bool in_heap() const { return heap_index_ != kNotInHeap; }
  // The key given by the last TimerHeap::Push() or Update(); kept after Remove().
  TimePoint deadline() const { return deadline_; }
  uint64_t sequence() const { return sequence_; }

 private:
  friend class TimerHeap;
  static constexpr size_t kNotInHeap = std::numeric_limits<size_t>::max();

  TimePoint deadline_{};
  uint64_t sequence_ = 0;
  size_t heap_index_ = kNotInHeap;
};

// A min-heap of TimerHeapNode pointers, the smallest (deadline, sequence) on top. The caller
// makes sequences unique, so the order is total. Push, Update and Remove are O(log n); top()
// is O(1). Nothing allocates but the growth of the entry array, which is amortised and kept
// (an array at most 4 times too large for its entries shrinks). Entries hold the deadline
// next to the node pointer, so comparisons read the array and touch a node only on equal
// deadlines. Not thread-safe. Neither copyable nor movable; destroying a heap leaves its nodes
// marked in_heap(), so empty it first.
class TimerHeap {
 public:
  TimerHeap() = default;
  TimerHeap(const TimerHeap&) = delete;
  TimerHeap& operator=(const TimerHeap&) = delete;

  bool empty() const { return entries_.empty(); }
  size_t size() const { return entries_.size(); }
  // The node with the smallest key, or nullptr when empty.
  TimerHeapNode* top() const { return entries_.empty() ? nullptr : entries_.front().node; }

  // Inserts `node`, which must not be in a heap, with the key (deadline, sequence).
  void Push(TimerHeapNode* node, TimePoint deadline, uint64_t sequence);
  // Gives `node`, which must be in this heap, the key (deadline, sequence).
  void Update(TimerHeapNode* node, TimePoint deadline, uint64_t sequence);
  // Takes `node`, which must be in this heap, out of it.
  void Remove(TimerHeapNode* node);

 private:
  struct Entry {
    TimePoint deadline;
    TimerHeapNode* node;
  };

  static bool Less(const Entry& a, const Entry& b) {
    if (a.deadline != b.deadline) return a.deadline < b.deadline;
    return a.node->sequence_ < b.node->sequence_;
  }
  // Stores `entry` at `index` and tells its node.
  void Place(size_t index, const Entry& entry) {
    entries_[index] = entry;
    entry.node->heap_index_ = index;
  }
  // Puts `entry` where the hole at `index` is, moving it up or down to keep the heap order.
  void Reposition(size_t index, const Entry& entry);
  void SiftUp(size_t index, const Entry& entry);
  void SiftDown(size_t index, const Entry& entry);
  void MaybeShrink();

  std::vector<Entry> entries_;
};

}  // namespace internal
}  // namespace eventloop

#endif  // LOCALSOCKET_EVENTLOOP_TIMER_HEAP_H_
