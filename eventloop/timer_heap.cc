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

size_t Parent(size_t index) { return (index - 1) / kArity; }

}  // namespace

void TimerHeap::Push(TimerHeapNode* node, TimePoint deadline, uint64_t sequence) {
  node->deadline_ = deadline;
  node->sequence_ = sequence;
  const Entry entry{deadline, node};
  entries_.push_back(entry);
  SiftUp(entries_.size() - 1, entry);
}

void TimerHeap::Update(TimerHeapNode* node, TimePoint deadline, uint64_t sequence) {
  node->deadline_ = deadline;
  node->sequence_ = sequence;
  Reposition(node->heap_index_, Entry{deadline, node});
}

void TimerHeap::Remove(TimerHeapNode* node) {
  const size_t index = node->heap_index_;
  node->heap_index_ = TimerHeapNode::kNotInHeap;
  const Entry last = entries_.back();
  entries_.pop_back();
  if (index < entries_.size()) Reposition(index, last);  // Else `node` was the last entry.
  MaybeShrink();
}

void TimerHeap::Reposition(size_t index, const Entry& entry) {
  if (index > 0 && Less(entry, entries_[Parent(index)])) {
    SiftUp(index, entry);
  } else {
    SiftDown(index, entry);
  }
}

void TimerHeap::SiftUp(size_t index, const Entry& entry) {
  while (index > 0) {
    const size_t parent = Parent(index);
    if (!Less(entry, entries_[parent])) break;
    Place(index, entries_[parent]);
    index = parent;
  }
  Place(index, entry);
}

void TimerHeap::SiftDown(size_t index, const Entry& entry) {
  const size_t size = entries_.size();
  for (;;) {
    const size_t first_child = index * kArity + 1;
    if (first_child >= size) break;
    const size_t end = std::min(first_child + kArity, size);
    size_t smallest = first_child;
    for (size_t child = first_child + 1; child < end; ++child) {
      if (Less(entries_[child], entries_[smallest])) smallest = child;
    }
    if (!Less(entries_[smallest], entry)) break;
    Place(index, entries_[smallest]);
    index = smallest;
  }
  Place(index, entry);
}

void TimerHeap::MaybeShrink() {
  if (entries_.capacity() < kMinShrinkCapacity || entries_.size() > entries_.capacity() / 4) {
    return;
  }
  // Half full afterwards: growing or shrinking again takes as many operations as this copies.
  std::vector<Entry> smaller;
  smaller.reserve(entries_.size() * 2);
  smaller.assign(entries_.begin(), entries_.end());
  entries_.swap(smaller);
}

}  // namespace internal
}  // namespace eventloop
