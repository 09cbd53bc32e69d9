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
#include <utility>

#include "eventloop/event_loop.h"

namespace ipc {
namespace internal {

class LifeFlag {
 public:
  // Outlives the flag: tells whether its owner is still alive.
  class Watch {
   public:
    bool alive() const { return *alive_; }

   private:
    friend class LifeFlag;
    explicit Watch(std::shared_ptr<const bool> alive) : alive_(std::move(alive)) {}
    std::shared_ptr<const bool> alive_;
  };

  LifeFlag() : alive_(std::make_shared<bool>(true)) {}
  LifeFlag(const LifeFlag&) = delete;
  LifeFlag& operator=(const LifeFlag&) = delete;
  ~LifeFlag() { *alive_ = false; }

  Watch watch() const { return Watch(alive_); }

 private:
  const std::shared_ptr<bool> alive_;
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
