// Internal: debug-build checks that loop-thread-only objects are used on one thread, in the
// spirit of Chromium's SEQUENCE_CHECKER. Not part of the public API.
//
// A ThreadBinding remembers one thread once bound, and may follow another binding (its
// parent, e.g. an object follows its loop's binding). A check walks from a binding through
// its parents to the first one that is bound and compares the calling thread with it; when
// none is bound, every thread passes. A call on the wrong thread prints, to stderr,
//   localsocket: LocalSocket::Write called on thread X, but the object is bound to thread Y
//   (the loop's thread since EventLoop::Run)
// and aborts. Which call binds which object is the binding rule in eventloop/event_loop.h.
//
// Release builds pay nothing: when LOCALSOCKET_DCHECK_IS_ON is 0 (NDEBUG defined), the macros
// below declare no member and evaluate none of their arguments. NDEBUG must therefore be the
// same for every translation unit of a build: classes holding a binding (and ipc::Signal,
// which is header-only) change their layout with it. Bazel's `-c opt` defines NDEBUG for every
// target, and the other compilation modes define it for none.
//
// How an object that lives on a loop (say LocalSocket) uses it, after including this header
// (Bazel target //eventloop:thread_binding, visible to //ipc and //testing):
//
//   class LocalSocket {
//     ...
//    private:
//     LOCALSOCKET_THREAD_BINDING(thread_binding_, "LocalSocket");  // A member declaration.
//   };
//
//   LocalSocket::LocalSocket(eventloop::EventLoop& loop, ...) : ... {
//     // Bound once the loop is bound (its first Run/RunUntilIdle)...
//     LOCALSOCKET_FOLLOW_THREAD_BINDING(thread_binding_, loop.thread_binding());
//     // ... and its signals with it (ipc/signal.h).
//     LOCALSOCKET_SIGNALS_FOLLOW_THREAD_BINDING(thread_binding_, connected, disconnected, ...);
//   }
//   bool LocalSocket::WaitForReadyRead(int msecs) {
//     // ... or at its first blocking wait, whichever comes first.
//     LOCALSOCKET_BIND_TO_CURRENT_THREAD(thread_binding_, "LocalSocket::WaitForReadyRead");
//     ...
//   }
//   void LocalSocket::Write(...) {
//     LOCALSOCKET_DCHECK_ON_BOUND_THREAD(thread_binding_, "LocalSocket::Write");
//     ...
//   }
#ifndef LOCALSOCKET_EVENTLOOP_THREAD_BINDING_H_
#define LOCALSOCKET_EVENTLOOP_THREAD_BINDING_H_

// 1 in builds that check threads (NDEBUG not defined), else 0. Test with `#if`.
#ifdef NDEBUG
#define LOCALSOCKET_DCHECK_IS_ON 0
#else
#define LOCALSOCKET_DCHECK_IS_ON 1
#endif

#include <atomic>
#include <memory>
#include <thread>
#include <utility>

namespace eventloop {
namespace internal {

// One object's thread, or the binding it follows. Use it through the macros below, which
// compile away in release builds; the class itself is defined in every build, since
// EventLoop::thread_binding() names it in every build.
//
// Threads: Check, BindToCurrentThread and DetachFromThread may be called from any thread (that
// is what they are for). Follow is not synchronised: call it before another thread can reach
// the binding, normally in the owner's constructor. A thread's id may be reused once the
// thread has exited, so a binding to an exited thread may accept a new thread with the same
// id. Lifetime: a binding holds its parent by shared_ptr, so it stays safe when the parent's
// owner (e.g. the loop) is destroyed first.
class ThreadBinding {
 public:
  // `owner` names what the binding belongs to in messages ("loop", "LocalSocket"); it must be
  // a string with static storage duration (a literal).
  explicit ThreadBinding(const char* owner) : owner_(owner) {}
  ThreadBinding(const ThreadBinding&) = delete;
  ThreadBinding& operator=(const ThreadBinding&) = delete;

  // Makes this binding follow `parent` (nullptr: follow nothing). Has no effect on checks
  // while this binding is bound itself.
  void Follow(std::shared_ptr<const ThreadBinding> parent) { parent_ = std::move(parent); }
  bool follows_another() const { return parent_ != nullptr; }

  // Binds this binding to the calling thread, unless it or one of its parents is bound
  // already: then checks as Check(caller) does.
  void BindToCurrentThread(const char* caller);

  // Forgets the thread this binding is bound to (its parents keep theirs): until it is bound
  // again, checks go on to the parents. For an owner whose remaining work may run elsewhere,
  // such as a loop being destroyed on another thread than the one that ran it.
  void DetachFromThread() { thread_.store(std::thread::id(), std::memory_order_release); }

  // Aborts with a message naming `caller` (e.g. "LocalSocket::Write", a literal) unless the
  // calling thread is the one of the first bound binding in the chain, or nothing is bound.
  void Check(const char* caller) const;

 private:
  // The first bound binding in the chain (this one, then the parents), or nullptr.
  const ThreadBinding* FirstBound() const;

  const char* const owner_;
  std::shared_ptr<const ThreadBinding> parent_;
  std::atomic<std::thread::id> thread_{};       // Default id while unbound.
  std::atomic<const char*> bound_by_{nullptr};  // The caller that bound it.
};

}  // namespace internal
}  // namespace eventloop

#if LOCALSOCKET_DCHECK_IS_ON

// Declares a member `name` of type std::shared_ptr<eventloop::internal::ThreadBinding>, unbound
// and following nothing; `owner` is the literal naming the class in messages. Use it as a
// member declaration followed by `;`.
#define LOCALSOCKET_THREAD_BINDING(name, owner)                      \
  const std::shared_ptr<::eventloop::internal::ThreadBinding> name = \
      std::make_shared<::eventloop::internal::ThreadBinding>(owner)

// Makes the binding `name` follow `parent` (a std::shared_ptr<const ThreadBinding>, such as
// EventLoop::thread_binding(); nullptr is allowed).
#define LOCALSOCKET_FOLLOW_THREAD_BINDING(name, parent) (name)->Follow(parent)

// Binds `name` to the calling thread unless its chain is bound already (then checks).
// `caller` is a literal such as "LocalSocket::WaitForReadyRead".
#define LOCALSOCKET_BIND_TO_CURRENT_THREAD(name, caller) (name)->BindToCurrentThread(caller)

// Aborts unless called on the thread `name` (or the binding it follows) is bound to.
// `caller` is a literal such as "LocalSocket::Write".
#define LOCALSOCKET_DCHECK_ON_BOUND_THREAD(name, caller) (name)->Check(caller)

// Unbinds `name` (see ThreadBinding::DetachFromThread).
#define LOCALSOCKET_DETACH_FROM_THREAD(name) (name)->DetachFromThread()

#else  // !LOCALSOCKET_DCHECK_IS_ON

#define LOCALSOCKET_THREAD_BINDING(name, owner) static_assert(true, "")
#define LOCALSOCKET_FOLLOW_THREAD_BINDING(name, parent) static_cast<void>(0)
#define LOCALSOCKET_BIND_TO_CURRENT_THREAD(name, caller) static_cast<void>(0)
#define LOCALSOCKET_DCHECK_ON_BOUND_THREAD(name, caller) static_cast<void>(0)
#define LOCALSOCKET_DETACH_FROM_THREAD(name) static_cast<void>(0)

#endif  // LOCALSOCKET_DCHECK_IS_ON

#endif  // LOCALSOCKET_EVENTLOOP_THREAD_BINDING_H_
