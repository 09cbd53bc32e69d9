// Qt-style signals holding plain std::function slots.
//
//   ipc::Signal<int> changed;
//   ipc::Connection c = changed.Connect([](int v) { ... });
//   changed.Emit(42);    // runs every connected slot, in connection order
//   c.Disconnect();
//
// Re-entrancy. During Emit a slot may:
//   - Disconnect any connection, its own included. A slot disconnected before its turn in the
//     running Emit does not run; the callable of a slot disconnected while it runs stays alive
//     until it returns.
//   - Connect new slots. They run from the next Emit on (a nested Emit started after the
//     Connect is such a next Emit); the running Emit never calls them.
//   - Emit the same signal again (nested Emit). Each nested Emit runs the slots connected at
//     the time it starts, skipping the disconnected ones.
//   - Destroy the object that owns the Signal. The running Emit (and every enclosing one) then
//     returns as soon as the current slot returns, without touching the destroyed Signal.
// Disconnected slots are removed at once when no Emit is running, else after the outermost
// Emit returns.
//
// Threads: single-threaded by design, without locking. A Signal, every Connection to it and
// every call that reaches it (Connect, Emit, DisconnectAll, slot_count(), Disconnect,
// connected(), destruction) must be used on one thread, normally the thread of the event loop
// that drives the owning object. Debug builds (NDEBUG not defined) check it and abort with a
// message naming the call (eventloop/thread_binding.h); release builds check nothing:
//   - A free-standing Signal binds to the thread of its first Emit; before that, any thread
//     passes.
//   - A Signal owned by an object that has a thread binding (LocalSocket, LocalServer) follows
//     its owner's binding instead and never binds itself: the owner calls, in its constructor,
//       LOCALSOCKET_SIGNALS_FOLLOW_THREAD_BINDING(thread_binding_, signal_a, signal_b, ...);
//   - Connection::Disconnect and connected() check while the Signal lives, since they reach its
//     slot list; once it is destroyed (or being destroyed) any thread passes.
//   - The destructor does not check, so an owner may be destroyed on another thread once the
//     loop's thread is joined.
#ifndef LOCALSOCKET_IPC_SIGNAL_H_
#define LOCALSOCKET_IPC_SIGNAL_H_

#include <cstddef>
#include <functional>
#include <memory>
#include <utility>
#include <vector>

#include "eventloop/thread_binding.h"

namespace ipc {

template <typename... Args>
class Signal;

namespace signal_internal {

// One connected slot. `connected` turns false on Disconnect or when the Signal is destroyed.
struct SlotBase {
  virtual ~SlotBase() = default;
  bool connected = true;
};

template <typename... Args>
struct Slot final : SlotBase {
  explicit Slot(std::function<void(Args...)> f) : fn(std::move(f)) {}
  std::function<void(Args...)> fn;
};

// The slot list, shared by the Signal (owner), the running Emits (strong references, so a slot
// may destroy the Signal) and Connections (weak references, so they may outlive it).
class SignalCore {
 public:
  // Marks `slot` disconnected and drops it from the list, at once when no Emit is running,
  // else after the outermost Emit. The entry is released only after the list is consistent
  // again, so a slot callable whose destructor reaches this Signal sees a valid list.
  void Disconnect(const std::shared_ptr<SlotBase>& slot) {
    if (!slot->connected) return;
    slot->connected = false;
    if (emit_depth > 0) {
      needs_compaction = true;
      return;
    }
    std::shared_ptr<SlotBase> doomed;
    for (auto it = slots.begin(); it != slots.end(); ++it) {
      if (*it == slot) {
        doomed = std::move(*it);
        slots.erase(it);
        break;
      }
    }
  }  // `doomed` released here, after the erase.

  // Disconnects every slot (see Disconnect).
  void DisconnectAll() {
    for (const auto& slot : slots) slot->connected = false;
    if (emit_depth > 0) {
      needs_compaction = !slots.empty();
      return;
    }
    std::vector<std::shared_ptr<SlotBase>> doomed;
    doomed.swap(slots);
  }  // `doomed` released here, after `slots` became empty.

  // Drops the disconnected entries. Called when no Emit is running.
  void Compact() {
    needs_compaction = false;
    std::vector<std::shared_ptr<SlotBase>> old;
    old.swap(slots);
    for (auto& slot : old) {
      if (slot->connected) slots.push_back(std::move(slot));
    }
  }  // Disconnected entries (still in `old`) released here, after `slots` is rebuilt.

  size_t ConnectedCount() const {
    size_t n = 0;
    for (const auto& slot : slots) n += slot->connected ? 1 : 0;
    return n;
  }

  // Debug builds: aborts unless called on the Signal's thread (see the file comment).
  void CheckThread([[maybe_unused]] const char* caller) const {
    LOCALSOCKET_DCHECK_ON_BOUND_THREAD(thread_binding, caller);
  }
  // Debug builds: as CheckThread, but a Signal that follows no owner binds to the calling
  // thread on the first call.
  void BindOrCheckThread([[maybe_unused]] const char* caller) {
#if LOCALSOCKET_DCHECK_IS_ON
    if (thread_binding->follows_another()) {
      thread_binding->Check(caller);
    } else {
      thread_binding->BindToCurrentThread(caller);
    }
#endif
  }

  std::vector<std::shared_ptr<SlotBase>> slots;  // connection order
  int emit_depth = 0;                            // number of Emits running
  bool needs_compaction = false;                 // a slot was disconnected while an Emit ran
  bool alive = true;                             // false once the Signal is destroyed
  LOCALSOCKET_THREAD_BINDING(thread_binding, "Signal");
};

}  // namespace signal_internal

// A handle to one slot's connection to a Signal. Copyable: copies share the same connection,
// so Disconnect through any copy disconnects it for all. Destroying a Connection does not
// disconnect. A Connection may outlive its Signal: it then reports connected() false and
// Disconnect() does nothing. Holds only weak references: it never keeps the Signal or the slot
// callable alive. Same thread as the Signal (see the file comment).
class Connection {
 public:
  // Not connected to anything.
  Connection() = default;

  // Disconnects the slot: it is never called again, not even later in an Emit that is running
  // (see the file comment). A no-op when already disconnected or when the Signal is gone.
  void Disconnect() {
    std::shared_ptr<signal_internal::SignalCore> core = core_.lock();
    if (core && core->alive) core->CheckThread("Connection::Disconnect");
    std::shared_ptr<signal_internal::SlotBase> slot = slot_.lock();
    core_.reset();
    slot_.reset();
    if (core && slot) core->Disconnect(slot);
  }

  // True while the slot is connected: false for a default-constructed Connection, once
  // disconnected (through any copy, or by DisconnectAll) and once the Signal is destroyed.
  bool connected() const {
    std::shared_ptr<signal_internal::SignalCore> core = core_.lock();
    if (core && core->alive) core->CheckThread("Connection::connected");
    std::shared_ptr<signal_internal::SlotBase> slot = slot_.lock();
    return core && core->alive && slot && slot->connected;
  }

 private:
  template <typename... Args>
  friend class Signal;

  Connection(std::weak_ptr<signal_internal::SignalCore> core,
             std::weak_ptr<signal_internal::SlotBase> slot)
      : core_(std::move(core)), slot_(std::move(slot)) {}

  std::weak_ptr<signal_internal::SignalCore> core_;
  std::weak_ptr<signal_internal::SlotBase> slot_;
};

// A list of slots called by Emit(args...) in connection order. Neither copyable nor movable
// (Connections refer to it). Destroying it disconnects every slot and releases the slot
// callables (immediately, or after the running Emit's current slot returns). Single-threaded:
// see the file comment.
template <typename... Args>
class Signal {
 public:
  Signal() = default;
  Signal(const Signal&) = delete;
  Signal& operator=(const Signal&) = delete;
  ~Signal() {
    if (!core_) return;
    core_->alive = false;
    // Disconnects all; when an Emit is running it holds `core_` and stops after the current
    // slot, since `alive` is false.
    core_->DisconnectAll();
  }

  // Appends `slot` to the list; it runs from the next Emit on. An empty std::function is not
  // connected (the returned Connection is not connected). The callable is destroyed when the
  // slot is disconnected (after it returns, if it is running) or the Signal is destroyed.
  Connection Connect(std::function<void(Args...)> slot) {
    const std::shared_ptr<signal_internal::SignalCore>& core = Core();
    core->CheckThread("Signal::Connect");
    if (!slot) return Connection();
    auto entry = std::make_shared<signal_internal::Slot<Args...>>(std::move(slot));
    core->slots.push_back(entry);
    return Connection(core, entry);
  }

  // Calls every slot connected when the call starts, in connection order, each with `args...`
  // (passed as lvalues, so every slot sees the same values; nothing is moved from). Skips slots
  // disconnected meanwhile. Returns early, touching nothing of the Signal, when a slot destroys
  // the Signal.
  void Emit(Args... args) {
    if (Unused()) return;
    // The strong reference keeps the list valid even if a slot destroys the Signal.
    std::shared_ptr<signal_internal::SignalCore> core = Core();
    core->BindOrCheckThread("Signal::Emit");
    EmitScope scope(core.get());
    // Entries are only appended while an Emit runs, so indices stay valid; entries appended
    // during this Emit are beyond `count`.
    const size_t count = core->slots.size();
    for (size_t i = 0; i < count && core->alive; ++i) {
      // A copy, so the callable outlives its own Disconnect while running.
      std::shared_ptr<signal_internal::SlotBase> slot = core->slots[i];
      if (!slot->connected) continue;
      static_cast<signal_internal::Slot<Args...>&>(*slot).fn(args...);
    }
  }

  // Disconnects every slot, as Connection::Disconnect on each.
  void DisconnectAll() {
    if (Unused()) return;
    Core()->CheckThread("Signal::DisconnectAll");
    core_->DisconnectAll();
  }

  // Number of slots currently connected (disconnected slots not yet removed do not count).
  size_t slot_count() const {
    if (Unused()) return 0;
    Core()->CheckThread("Signal::slot_count");
    return core_->ConnectedCount();
  }

#if LOCALSOCKET_DCHECK_IS_ON
  // Debug builds only; owners call it through LOCALSOCKET_SIGNALS_FOLLOW_THREAD_BINDING, which
  // compiles away in release builds. Makes this Signal check `owner` (the owner's binding,
  // see eventloop/thread_binding.h) instead of binding itself at its first Emit. Call it
  // before the Signal is used, normally in the owner's constructor; not thread-safe. nullptr
  // makes the Signal free-standing again.
  void FollowThreadBinding(std::shared_ptr<const eventloop::internal::ThreadBinding> owner) {
    Core()->thread_binding->Follow(std::move(owner));
  }
#endif

 private:
  // The slot list and its bookkeeping, created at the first Connect: a Signal nobody
  // connects to costs one null pointer. Debug builds create it whenever it is used, so that
  // the thread checks always run.
  const std::shared_ptr<signal_internal::SignalCore>& Core() const {
    if (!core_) core_ = std::make_shared<signal_internal::SignalCore>();
    return core_;
  }
  // True when nothing was ever connected, so there is nothing to do (release builds only).
  bool Unused() const {
#if LOCALSOCKET_DCHECK_IS_ON
    return false;
#else
    return !core_;
#endif
  }

  // Counts running Emits; the outermost one removes the slots disconnected meanwhile.
  class EmitScope {
   public:
    explicit EmitScope(signal_internal::SignalCore* core) : core_(core) { ++core_->emit_depth; }
    EmitScope(const EmitScope&) = delete;
    EmitScope& operator=(const EmitScope&) = delete;
    ~EmitScope() {
      if (--core_->emit_depth == 0 && core_->needs_compaction) core_->Compact();
    }

   private:
    signal_internal::SignalCore* core_;
  };

  mutable std::shared_ptr<signal_internal::SignalCore> core_;
};

#if LOCALSOCKET_DCHECK_IS_ON
namespace signal_internal {
// Calls FollowThreadBinding(owner) on every Signal in `signals`.
template <typename... Signals>
void FollowThreadBinding(const std::shared_ptr<const eventloop::internal::ThreadBinding>& owner,
                         Signals&... signals) {
  (signals.FollowThreadBinding(owner), ...);
}
}  // namespace signal_internal
#endif

}  // namespace ipc

// For owners of Signals (in their constructor): makes each of the Signals `...` follow the
// owner's binding `binding` (declared with LOCALSOCKET_THREAD_BINDING, see
// eventloop/thread_binding.h), e.g.
//   LOCALSOCKET_SIGNALS_FOLLOW_THREAD_BINDING(thread_binding_, connected, disconnected);
// Release builds: nothing, and the arguments are not evaluated.
#if LOCALSOCKET_DCHECK_IS_ON
#define LOCALSOCKET_SIGNALS_FOLLOW_THREAD_BINDING(binding, ...) \
  ::ipc::signal_internal::FollowThreadBinding(binding, __VA_ARGS__)
#else
#define LOCALSOCKET_SIGNALS_FOLLOW_THREAD_BINDING(binding, ...) static_cast<void>(0)
#endif

#endif  // LOCALSOCKET_IPC_SIGNAL_H_
