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
// is O(1). Nothing allocates but the growth of the arrays, which is amortised and kept
// (arrays at most 4 times too large for their entries shrink). The deadlines have an array
// of their own, so comparisons read 8 bytes per entry and touch a node only on equal
// deadlines. Not thread-safe. Neither copyable nor movable; destroying a heap leaves its nodes
// marked in_heap(), so empty it first.
class TimerHeap {
 public:
  TimerHeap() = default;
  TimerHeap(const TimerHeap&) = delete;
  TimerHeap& operator=(const TimerHeap&) = delete;

  bool empty() const { return nodes_.empty(); }
  size_t size() const { return nodes_.size(); }
  // The node with the smallest key, or nullptr when empty.
  TimerHeapNode* top() const { return nodes_.empty() ? nullptr : nodes_.front(); }

  // Inserts `node`, which must not be in a heap, with the key (deadline, sequence).
  void Push(TimerHeapNode* node, TimePoint deadline, uint64_t sequence);
  // Gives `node`, which must be in this heap, the key (deadline, sequence).
  void Update(TimerHeapNode* node, TimePoint deadline, uint64_t sequence);
  // Takes `node`, which must be in this heap, out of it.
  void Remove(TimerHeapNode* node);

 private:
  // Whether the entry at position `a` orders before the one at `b`. Nodes are read only on
  // equal deadlines.
  bool LessAt(size_t a, size_t b) const {
    if (deadlines_[a] != deadlines_[b]) return deadlines_[a] < deadlines_[b];
    return nodes_[a]->sequence_ < nodes_[b]->sequence_;
  }
  // Whether the entry at `position` orders before (deadline, node). Keys are unique, so when
  // it does not, (deadline, node) orders before it.
  bool EntryLess(size_t position, TimePoint deadline, const TimerHeapNode* node) const {
    if (deadlines_[position] != deadline) return deadlines_[position] < deadline;
    return nodes_[position]->sequence_ < node->sequence_;
  }
  // Stores the entry (deadline, node) at `position` and tells the node.
  void Place(size_t position, TimePoint deadline, TimerHeapNode* node) {
    deadlines_[position] = deadline;
    nodes_[position] = node;
    node->heap_index_ = position;
  }
  // Puts (deadline, node) where the hole at `position` is, moving it up or down to keep the
  // heap order.
  void Reposition(size_t position, TimePoint deadline, TimerHeapNode* node);
  void SiftUp(size_t position, TimePoint deadline, TimerHeapNode* node);
  void SiftDown(size_t position, TimePoint deadline, TimerHeapNode* node);
  void MaybeShrink();

  // The heap in array order, as two parallel arrays: a sift-down compares four siblings'
  // deadlines in 32 bytes (at most two cache lines).
  std::vector<TimePoint> deadlines_;
  std::vector<TimerHeapNode*> nodes_;
};

}  // namespace internal
}  // namespace eventloop

#endif  // LOCALSOCKET_EVENTLOOP_TIMER_HEAP_H_
