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

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <utility>
#include <vector>

#include "eventloop/thread_binding.h"

namespace ipc {

template <typename... Args>
class Signal;

namespace signal_internal {

// A slot after the first one ever connected to the Signal (that one lives inline in the
// Core). `connected` turns false on Disconnect.
struct ExtraSlotBase {
  explicit ExtraSlotBase(uint64_t slot_id) : id(slot_id) {}
  virtual ~ExtraSlotBase() = default;
  const uint64_t id;
  bool connected = true;
};

template <typename... Args>
struct ExtraSlot final : ExtraSlotBase {
  ExtraSlot(uint64_t slot_id, std::function<void(Args...)> f)
      : ExtraSlotBase(slot_id), fn(std::move(f)) {}
  std::function<void(Args...)> fn;
};

// The slots after the first, allocated when a second slot is connected and kept until the
// Core goes, so that no slot id is reused.
struct ExtraSlots {
  std::vector<std::unique_ptr<ExtraSlotBase>> slots;  // connection order
  uint64_t next_id = 2;                               // the first slot's id is 1
};

// The slot list of one Signal, in one allocation with its first slot (the common case is one
// slot per signal). Reference counted: the Signal holds one reference until it is destroyed and
// no Emit runs (running Emits keep the list valid, so a slot may destroy the Signal); each
// Connection holds one, so it may outlive the Signal. The count is atomic, so a Connection may
// be destroyed on any thread; everything else is single-threaded (see the file comment).
class CoreBase {
 public:
  static constexpr uint64_t kFirstSlotId = 1;

  CoreBase(const CoreBase&) = delete;
  CoreBase& operator=(const CoreBase&) = delete;

  void Ref() { refs_.fetch_add(1, std::memory_order_relaxed); }
  // Drops a reference; the last one deletes the Core.
  void Unref() {
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
  }

  // False once the Signal is destroyed.
  bool alive() const { return alive_; }
  bool emitting() const { return emit_depth_ > 0; }

  // Marks slot `id` disconnected and drops it, at once when no Emit is running, else after the
  // outermost Emit. The callable is released only after the list is consistent again, so a
  // callable whose destructor reaches this Signal sees a valid list.
  void Disconnect(uint64_t id) {
    if (id == kFirstSlotId) {
      if (!first_connected_) return;
      first_connected_ = false;
      if (emitting()) {
        needs_compaction_ = true;
        return;
      }
      ReleaseFirstCallable();
      return;
    }
    if (extras_ == nullptr) return;
    std::vector<std::unique_ptr<ExtraSlotBase>>& slots = extras_->slots;
    const auto it =
        std::find_if(slots.begin(), slots.end(), [id](const auto& slot) { return slot->id == id; });
    if (it == slots.end() || !(*it)->connected) return;
    (*it)->connected = false;
    if (emitting()) {
      needs_compaction_ = true;
      return;
    }
    const std::unique_ptr<ExtraSlotBase> doomed = std::move(*it);
    slots.erase(it);
  }  // `doomed` released here, after the erase.

  // Disconnects every slot (see Disconnect).
  void DisconnectAll() {
    const bool had_slots = first_connected_ || (extras_ != nullptr && !extras_->slots.empty());
    first_connected_ = false;
    if (extras_ != nullptr) {
      for (const auto& slot : extras_->slots) slot->connected = false;
    }
    if (emitting()) {
      if (had_slots) needs_compaction_ = true;
      return;
    }
    Compact();
  }

  // True while slot `id` is connected and the Signal alive.
  bool IsConnected(uint64_t id) const {
    if (!alive_) return false;
    if (id == kFirstSlotId) return first_connected_;
    if (extras_ == nullptr) return false;
    const auto& slots = extras_->slots;
    const auto it =
        std::find_if(slots.begin(), slots.end(), [id](const auto& slot) { return slot->id == id; });
    return it != slots.end() && (*it)->connected;
  }

  size_t ConnectedCount() const {
    size_t n = first_connected_ ? 1 : 0;
    if (extras_ != nullptr) {
      for (const auto& slot : extras_->slots) n += slot->connected ? 1 : 0;
    }
    return n;
  }

  // Debug builds: aborts unless called on the Signal's thread (see the file comment).
  void CheckThread([[maybe_unused]] const char* caller) const {
    LOCALSOCKET_DCHECK_ON_BOUND_THREAD(thread_binding_, caller);
  }
  // Debug builds: as CheckThread, but a Signal that follows no owner binds to the calling
  // thread on the first call.
  void BindOrCheckThread([[maybe_unused]] const char* caller) {
#if LOCALSOCKET_DCHECK_IS_ON
    if (thread_binding_->follows_another()) {
      thread_binding_->Check(caller);
    } else {
      thread_binding_->BindToCurrentThread(caller);
    }
#endif
  }
#if LOCALSOCKET_DCHECK_IS_ON
  void FollowThreadBinding(std::shared_ptr<const eventloop::internal::ThreadBinding> owner) {
    thread_binding_->Follow(std::move(owner));
  }
#endif

 protected:
  template <typename... Args>
  friend class ::ipc::Signal;

  CoreBase()
      : emit_depth_(0),
        alive_(true),
        needs_compaction_(false),
        first_connected_(false),
        first_used_(false) {}
  virtual ~CoreBase() = default;
  // Destroys the first slot's callable (after moving it out of the Core).
  virtual void ReleaseFirstCallable() = 0;

  // The Signal is destroyed: disconnects everything and drops its reference, or leaves both
  // to the outermost running Emit.
  void OwnerGone() {
    alive_ = false;
    DisconnectAll();
    if (!emitting()) Unref();
  }

  void BeginEmit() { ++emit_depth_; }
  // After the outermost Emit: drops the slots disconnected meanwhile, or the Signal's
  // reference if a slot destroyed it.
  void EndEmit() {
    --emit_depth_;
    if (emitting()) return;
    if (needs_compaction_) Compact();
    if (!alive_) Unref();
  }

  // Drops the disconnected slots. Called when no Emit is running. The callables are released
  // after the list is rebuilt, so one whose destructor reaches this Signal sees a valid list.
  void Compact() {
    needs_compaction_ = false;
    std::vector<std::unique_ptr<ExtraSlotBase>> doomed;
    if (extras_ != nullptr) {
      doomed.swap(extras_->slots);
      for (auto& slot : doomed) {
        if (slot->connected) extras_->slots.push_back(std::move(slot));
      }
    }
    if (!first_connected_) ReleaseFirstCallable();
  }  // Disconnected extra slots (left in `doomed`) released here.

  // References: the Signal's (until it is gone and no Emit runs) and one per Connection.
  std::atomic<uint32_t> refs_{1};
  // Bit-fields, so that a Core with its first slot fits a 64-byte heap block.
  uint32_t emit_depth_ : 28;       // number of Emits running (the stack ends far sooner)
  uint32_t alive_ : 1;             // false once the Signal is destroyed
  uint32_t needs_compaction_ : 1;  // a slot was disconnected while an Emit ran
  uint32_t first_connected_ : 1;   // the inline first slot is connected
  uint32_t first_used_ : 1;        // the inline first slot was ever connected
  std::unique_ptr<ExtraSlots> extras_;
  LOCALSOCKET_THREAD_BINDING(thread_binding_, "Signal");
};

template <typename... Args>
class Core final : public CoreBase {
 public:
  Core() = default;

  std::function<void(Args...)> first_fn;  // empty unless the first slot is connected

 private:
  ~Core() override = default;
  void ReleaseFirstCallable() override {
    std::function<void(Args...)> doomed = std::move(first_fn);
    first_fn = nullptr;
  }  // `doomed` released here, with the list consistent.
};

}  // namespace signal_internal

// A handle to one slot's connection to a Signal. Copyable: copies share the same connection,
// so Disconnect through any copy disconnects it for all. Destroying a Connection does not
// disconnect. A Connection may outlive its Signal: it then reports connected() false and
// Disconnect() does nothing. It never keeps the slot callable alive; it keeps only the
// Signal's small bookkeeping block allocated. Same thread as the Signal (see the file
// comment), except that copying and destroying a Connection are safe on any thread.
class Connection {
 public:
  // Not connected to anything.
  Connection() = default;
  Connection(const Connection& other) : core_(other.core_), slot_id_(other.slot_id_) {
    if (core_ != nullptr) core_->Ref();
  }
  Connection(Connection&& other) noexcept
      : core_(std::exchange(other.core_, nullptr)), slot_id_(other.slot_id_) {}
  Connection& operator=(Connection other) noexcept {
    std::swap(core_, other.core_);
    std::swap(slot_id_, other.slot_id_);
    return *this;
  }
  ~Connection() {
    // The analyzer does not follow the reference count: after copy-assigning a Connection, it
    // takes the release of the old reference for the last one although the copy holds another.
    if (core_ != nullptr) core_->Unref();  // NOLINT(clang-analyzer-cplusplus.NewDelete)
  }

  // Disconnects the slot: it is never called again, not even later in an Emit that is running
  // (see the file comment). A no-op when already disconnected or when the Signal is gone.
  void Disconnect() {
    signal_internal::CoreBase* core = std::exchange(core_, nullptr);
    if (core == nullptr) return;
    if (core->alive()) {
      core->CheckThread("Connection::Disconnect");
      core->Disconnect(slot_id_);
    }
    core->Unref();  // After the release of the callable, which may reach this Signal.
  }

  // True while the slot is connected: false for a default-constructed Connection, once
  // disconnected (through any copy, or by DisconnectAll) and once the Signal is destroyed.
  bool connected() const {
    if (core_ == nullptr) return false;
    if (core_->alive()) core_->CheckThread("Connection::connected");
    return core_->IsConnected(slot_id_);
  }

 private:
  template <typename... Args>
  friend class Signal;

  // Takes a new reference to `core`.
  Connection(signal_internal::CoreBase* core, uint64_t slot_id) : core_(core), slot_id_(slot_id) {
    core_->Ref();
  }

  signal_internal::CoreBase* core_ = nullptr;
  uint64_t slot_id_ = 0;
};

// A list of slots called by Emit(args...) in connection order. Neither copyable nor movable
// (Connections refer to it). Destroying it disconnects every slot and releases the slot
// callables (immediately, or after the running Emit's current slot returns). Costs one pointer
// until the first Connect, then one allocation holding the first slot; later slots allocate
// one each. Single-threaded: see the file comment.
template <typename... Args>
class Signal {
 public:
  Signal() = default;
  Signal(const Signal&) = delete;
  Signal& operator=(const Signal&) = delete;
  ~Signal() {
    // Disconnects all; when an Emit is running it stops after the current slot, since the
    // Core is no longer alive, and the outermost Emit drops the Signal's reference.
    if (core_ != nullptr) core_->OwnerGone();
  }

  // Appends `slot` to the list; it runs from the next Emit on. An empty std::function is not
  // connected (the returned Connection is not connected). The callable is destroyed when the
  // slot is disconnected (after it returns, if it is running) or the Signal is destroyed.
  Connection Connect(std::function<void(Args...)> slot) {
    CoreType* core = Core();
    core->CheckThread("Signal::Connect");
    if (!slot) return Connection();
    // The inline first slot takes only the first connection: a slot id is never reused.
    if (!core->first_used_) {
      core->first_used_ = true;
      core->first_connected_ = true;
      core->first_fn = std::move(slot);
      return Connection(core, signal_internal::CoreBase::kFirstSlotId);
    }
    if (core->extras_ == nullptr) core->extras_ = std::make_unique<signal_internal::ExtraSlots>();
    const uint64_t id = core->extras_->next_id++;
    core->extras_->slots.push_back(
        std::make_unique<signal_internal::ExtraSlot<Args...>>(id, std::move(slot)));
    return Connection(core, id);
  }

  // Calls every slot connected when the call starts, in connection order, each with `args...`
  // (passed as lvalues, so every slot sees the same values; nothing is moved from). Skips slots
  // disconnected meanwhile. Returns early, touching nothing of the Signal, when a slot destroys
  // the Signal.
  void Emit(Args... args) {
    if (Unused()) return;
    // The Core outlives this call even if a slot destroys the Signal (see EmitScope).
    CoreType* core = Core();
    core->BindOrCheckThread("Signal::Emit");
    EmitScope scope(core);
    // Disconnected slots are only marked while an Emit runs and extra slots are only appended,
    // so the callables stay in place and slots appended during this Emit lie beyond `count`.
    const size_t count = core->extras_ == nullptr ? 0 : core->extras_->slots.size();
    if (core->first_connected_) core->first_fn(args...);
    for (size_t i = 0; i < count && core->alive_; ++i) {
      signal_internal::ExtraSlotBase& slot = *core->extras_->slots[i];
      if (!slot.connected) continue;
      static_cast<signal_internal::ExtraSlot<Args...>&>(slot).fn(args...);
    }
  }

  // Disconnects every slot, as Connection::Disconnect on each.
  void DisconnectAll() {
    if (Unused()) return;
    CoreType* core = Core();
    core->CheckThread("Signal::DisconnectAll");
    core->DisconnectAll();
  }

  // Number of slots currently connected (disconnected slots not yet removed do not count).
  size_t slot_count() const {
    if (Unused()) return 0;
    CoreType* core = Core();
    core->CheckThread("Signal::slot_count");
    return core->ConnectedCount();
  }

#if LOCALSOCKET_DCHECK_IS_ON
  // Debug builds only; owners call it through LOCALSOCKET_SIGNALS_FOLLOW_THREAD_BINDING, which
  // compiles away in release builds. Makes this Signal check `owner` (the owner's binding,
  // see eventloop/thread_binding.h) instead of binding itself at its first Emit. Call it
  // before the Signal is used, normally in the owner's constructor; not thread-safe. nullptr
  // makes the Signal free-standing again.
  void FollowThreadBinding(std::shared_ptr<const eventloop::internal::ThreadBinding> owner) {
    Core()->FollowThreadBinding(std::move(owner));
  }
#endif

 private:
  using CoreType = signal_internal::Core<Args...>;

  // The slot list and its bookkeeping, created at the first Connect: a Signal nobody
  // connects to costs one null pointer. Debug builds create it whenever it is used, so that
  // the thread checks always run.
  CoreType* Core() const {
    if (core_ == nullptr) core_ = new CoreType();
    // The analyzer assumes an Emit may end with alive_ false and free the Core while this
    // Signal lives; alive_ turns false only in this Signal's destructor.
    return core_;  // NOLINT(clang-analyzer-cplusplus.NewDelete)
  }
  // True when nothing was ever connected, so there is nothing to do (release builds only).
  bool Unused() const {
#if LOCALSOCKET_DCHECK_IS_ON
    return false;
#else
    return core_ == nullptr;
#endif
  }

  // Counts running Emits; the outermost one removes the slots disconnected meanwhile and, if
  // a slot destroyed the Signal, drops the Signal's reference to the Core.
  class EmitScope {
   public:
    explicit EmitScope(CoreType* core) : core_(core) { core_->BeginEmit(); }
    EmitScope(const EmitScope&) = delete;
    EmitScope& operator=(const EmitScope&) = delete;
    ~EmitScope() { core_->EndEmit(); }

   private:
    CoreType* core_;
  };

  mutable CoreType* core_ = nullptr;
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
