// Internal: a callback that may destroy the object holding it while it runs. Not part of the
// public API.
#ifndef LOCALSOCKET_EVENTLOOP_REENTRANT_CALLBACK_H_
#define LOCALSOCKET_EVENTLOOP_REENTRANT_CALLBACK_H_

#include <functional>
#include <utility>

namespace eventloop {
namespace internal {

// Holds the callback of a handle (a timer, a watcher, a task) as a member. Run() calls it from
// a local, so the callback may destroy the handle, and this member with it, while it runs; Run()
// then reports that, and the caller must touch nothing of the handle. Costs no allocation
// beyond std::function's own. Neither copyable nor movable (a running Run() points at it).
template <typename... Args>
class ReentrantCallback {
 public:
  explicit ReentrantCallback(std::function<void(Args...)> callback)
      : callback_(std::move(callback)) {}
  ReentrantCallback(const ReentrantCallback&) = delete;
  ReentrantCallback& operator=(const ReentrantCallback&) = delete;
  ~ReentrantCallback() {
    if (destroyed_ != nullptr) *destroyed_ = true;  // Destroyed by the running callback.
  }

  // Calls the callback (an empty one does nothing). False if the call destroyed this object;
  // then it is gone, and so is whatever owned it.
  bool Run(Args... args) {
    std::function<void(Args...)> callback = std::move(callback_);
    bool destroyed = false;
    // The pointer to the local never outlives this call: the destructor consumes it, or the
    // line after the call clears it. GCC cannot see that through an owner it does not know.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdangling-pointer"
#endif
    destroyed_ = &destroyed;
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
    if (callback) callback(args...);
    if (destroyed) return false;
    destroyed_ = nullptr;
    callback_ = std::move(callback);
    return true;
  }

  // Moves the callback out, for an owner that destroys itself before calling it.
  std::function<void(Args...)> Take() { return std::move(callback_); }

 private:
  std::function<void(Args...)> callback_;  // Moved out while it runs.
  bool* destroyed_ = nullptr;              // While it runs: set to true by the destructor.
};

}  // namespace internal
}  // namespace eventloop

#endif  // LOCALSOCKET_EVENTLOOP_REENTRANT_CALLBACK_H_
