// Internal: a doubly-linked list whose links live inside the listed objects, so that linking and
// unlinking never allocate and an object unlinks itself in O(1). Not part of the public API.
#ifndef LOCALSOCKET_EVENTLOOP_INTRUSIVE_LIST_H_
#define LOCALSOCKET_EVENTLOOP_INTRUSIVE_LIST_H_

namespace eventloop {
namespace internal {

template <typename T, typename Tag>
class IntrusiveList;

// The links that put a T in an IntrusiveList<T, Tag>. T derives (publicly) from one
// IntrusiveListNode<T, Tag> per kind of list it can be in, each kind named by its own Tag type
// (which may stay incomplete). A node is in at most one list at a time. Neither copyable nor
// movable: its neighbours point at it. Its owner unlinks it before destroying it.
template <typename T, typename Tag = void>
class IntrusiveListNode {
 public:
  IntrusiveListNode() = default;
  IntrusiveListNode(const IntrusiveListNode&) = delete;
  IntrusiveListNode& operator=(const IntrusiveListNode&) = delete;
  ~IntrusiveListNode() = default;

  // True while the node is in a list.
  bool linked() const { return next_ != nullptr; }

 private:
  friend class IntrusiveList<T, Tag>;
  IntrusiveListNode* prev_ = nullptr;
  IntrusiveListNode* next_ = nullptr;
};

// An ordered list of T objects it does not own, linked through their IntrusiveListNode<T, Tag>
// base. Every operation is O(1) and allocates nothing. Neither copyable nor movable. Not
// thread-safe. Items still listed when the list is destroyed are unlinked, not destroyed.
template <typename T, typename Tag = void>
class IntrusiveList {
 public:
  IntrusiveList() { head_.prev_ = head_.next_ = &head_; }
  IntrusiveList(const IntrusiveList&) = delete;
  IntrusiveList& operator=(const IntrusiveList&) = delete;
  ~IntrusiveList() {
    for (Node* node = head_.next_; node != &head_;) {
      Node* next = node->next_;
      node->prev_ = node->next_ = nullptr;
      node = next;
    }
  }

  bool empty() const { return head_.next_ == &head_; }
  // The first item. The list must not be empty.
  T* front() const { return static_cast<T*>(head_.next_); }
  // Appends `item`, which must not be in a list of this kind.
  void PushBack(T* item) {
    Node* node = item;
    node->prev_ = head_.prev_;
    node->next_ = &head_;
    head_.prev_->next_ = node;
    head_.prev_ = node;
  }
  // Moves every item of `other` to the back of this list, in order; `other` ends up empty.
  void Splice(IntrusiveList& other) {
    if (other.empty()) return;
    Node* first = other.head_.next_;
    Node* last = other.head_.prev_;
    first->prev_ = head_.prev_;
    head_.prev_->next_ = first;
    last->next_ = &head_;
    head_.prev_ = last;
    other.head_.prev_ = other.head_.next_ = &other.head_;
  }
  // Unlinks `item` from the list of this kind it is in (it must be in one).
  static void Remove(T* item) {
    Node* node = item;
    node->prev_->next_ = node->next_;
    node->next_->prev_ = node->prev_;
    node->prev_ = node->next_ = nullptr;
  }

 private:
  using Node = IntrusiveListNode<T, Tag>;
  Node head_;  // The sentinel: not part of a T, so never returned as one.
};

}  // namespace internal
}  // namespace eventloop

#endif  // LOCALSOCKET_EVENTLOOP_INTRUSIVE_LIST_H_
