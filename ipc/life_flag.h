// Internal: lifetime tracking shared by LocalSocket and LocalServer.
//
// LifeFlag: whether an object is still alive, for code that emits signals whose slots may
// destroy the emitter. LoopLink: whether the object's loop is still alive; an object that
// outlives its loop becomes inert (its methods do nothing).
//
// Threads: loop-thread only, like their owners.
#ifndef LOCALSOCKET_IPC_LIFE_FLAG_H_
#define LOCALSOCKET_IPC_LIFE_FLAG_H_

#include <memory>

#include "eventloop/event_loop.h"

namespace ipc {
namespace internal {

// Whether its owner is alive, for the code that checks after each emission. Allocates nothing:
// the flag keeps a list of its live watches and clears them when it is destroyed.
class LifeFlag {
 public:
  // Tells whether the flag's owner is still alive; it may outlive the flag. Watches are locals
  // of the code that checks them: neither copyable nor movable.
  class Watch {
   public:
    explicit Watch(const LifeFlag& flag) : flag_(&flag), next_(flag.watches_) {
      if (next_ != nullptr) next_->prev_ = this;
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdangling-pointer"
#endif
      // The flag never keeps the address past this watch's life: the destructor unlinks it.
      // GCC cannot see that through a flag it does not know.
      flag.watches_ = this;
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
    }
    Watch(const Watch&) = delete;
    Watch& operator=(const Watch&) = delete;
    ~Watch() {
      if (flag_ == nullptr) return;  // The flag is gone and has unlinked every watch.
      if (prev_ != nullptr) {
        prev_->next_ = next_;
      } else {
        flag_->watches_ = next_;
      }
      if (next_ != nullptr) next_->prev_ = prev_;
    }

    bool alive() const { return flag_ != nullptr; }

   private:
    friend class LifeFlag;
    const LifeFlag* flag_;  // nullptr once the flag is destroyed.
    Watch* prev_ = nullptr;
    Watch* next_;
  };

  LifeFlag() = default;
  LifeFlag(const LifeFlag&) = delete;
  LifeFlag& operator=(const LifeFlag&) = delete;
  ~LifeFlag() {
    for (Watch* watch = watches_; watch != nullptr; watch = watch->next_) watch->flag_ = nullptr;
  }

  Watch watch() const { return Watch(*this); }

 private:
  mutable Watch* watches_ = nullptr;  // The live watches, newest first.
};

class LoopLink {
 public:
  explicit LoopLink(const eventloop::EventLoop& loop) : token_(loop.lifetime_token()) {}
  // True once the loop is gone.
  bool LoopGone() const { return token_.expired(); }

 private:
  const std::weak_ptr<const void> token_;
};

}  // namespace internal
}  // namespace ipc

#endif  // LOCALSOCKET_IPC_LIFE_FLAG_H_
