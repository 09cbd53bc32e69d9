#include "eventloop/timer_heap.h"

#include <algorithm>

namespace eventloop {
namespace internal {
namespace {

// Four children per node: half the depth of a binary heap, and a node's children share one
// or two cache lines, so a sift-down touches fewer lines.
constexpr size_t kArity = 4;
// Arrays with less capacity than this are never shrunk.
constexpr size_t kMinShrinkCapacity = 1024;

size_t Parent(size_t position) { return (position - 1) / kArity; }

}  // namespace

void TimerHeap::Push(TimerHeapNode* node, TimePoint deadline, uint64_t sequence) {
  node->deadline_ = deadline;
  node->sequence_ = sequence;
  deadlines_.push_back(deadline);
  nodes_.push_back(node);
  SiftUp(nodes_.size() - 1, deadline, node);
}

void TimerHeap::Update(TimerHeapNode* node, TimePoint deadline, uint64_t sequence) {
  node->deadline_ = deadline;
  node->sequence_ = sequence;
  Reposition(node->heap_index_, deadline, node);
}

void TimerHeap::Remove(TimerHeapNode* node) {
  const size_t position = node->heap_index_;
  node->heap_index_ = TimerHeapNode::kNotInHeap;
  const TimePoint last_deadline = deadlines_.back();
  TimerHeapNode* const last = nodes_.back();
  deadlines_.pop_back();
  nodes_.pop_back();
  // Else `node` was the last entry.
  if (position < nodes_.size()) Reposition(position, last_deadline, last);
  MaybeShrink();
}

void TimerHeap::Reposition(size_t position, TimePoint deadline, TimerHeapNode* node) {
  if (position > 0 && !EntryLess(Parent(position), deadline, node)) {
    SiftUp(position, deadline, node);
  } else {
    SiftDown(position, deadline, node);
  }
}

void TimerHeap::SiftUp(size_t position, TimePoint deadline, TimerHeapNode* node) {
  while (position > 0) {
    const size_t parent = Parent(position);
    if (EntryLess(parent, deadline, node)) break;
    Place(position, deadlines_[parent], nodes_[parent]);
    position = parent;
  }
  Place(position, deadline, node);
}

void TimerHeap::SiftDown(size_t position, TimePoint deadline, TimerHeapNode* node) {
  const size_t size = nodes_.size();
  for (;;) {
    const size_t first_child = position * kArity + 1;
    if (first_child >= size) break;
    const size_t end = std::min(first_child + kArity, size);
    size_t smallest = first_child;
    for (size_t child = first_child + 1; child < end; ++child) {
      if (LessAt(child, smallest)) smallest = child;
    }
    if (!EntryLess(smallest, deadline, node)) break;
    Place(position, deadlines_[smallest], nodes_[smallest]);
    position = smallest;
  }
  Place(position, deadline, node);
}

void TimerHeap::MaybeShrink() {
  if (nodes_.capacity() < kMinShrinkCapacity || nodes_.size() > nodes_.capacity() / 4) {
    return;
  }
  // Half full afterwards: growing or shrinking again takes as many operations as this copies.
  std::vector<TimePoint> deadlines;
  std::vector<TimerHeapNode*> nodes;
  deadlines.reserve(nodes_.size() * 2);
  nodes.reserve(nodes_.size() * 2);
  deadlines.assign(deadlines_.begin(), deadlines_.end());
  nodes.assign(nodes_.begin(), nodes_.end());
  deadlines_.swap(deadlines);
  nodes_.swap(nodes);
}

}  // namespace internal
}  // namespace eventloop
