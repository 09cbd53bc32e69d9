#include "ipc/signal.h"

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "eventloop/thread_binding.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ipc {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// Sets *destroyed when destroyed; captured (through a shared_ptr) by slots to observe when
// the Signal releases their callables.
class LifeProbe {
 public:
  explicit LifeProbe(bool* destroyed) : destroyed_(destroyed) {}
  LifeProbe(const LifeProbe&) = delete;
  LifeProbe& operator=(const LifeProbe&) = delete;
  ~LifeProbe() { *destroyed_ = true; }
  int value = 7;

 private:
  bool* destroyed_;
};

// An object owning a Signal, as LocalSocket owns its signals.
struct Owner {
  Signal<int> sig;
};

TEST(ConnectionTest, DefaultIsNotConnectedAndDisconnectIsANoop) {
  Connection c;
  EXPECT_FALSE(c.connected());
  c.Disconnect();
  EXPECT_FALSE(c.connected());
}

TEST(SignalTest, EmitWithoutSlotsDoesNothing) {
  Signal<> sig;
  EXPECT_EQ(sig.slot_count(), 0u);
  sig.Emit();
  sig.DisconnectAll();
  EXPECT_EQ(sig.slot_count(), 0u);
  int runs = 0;
  sig.Connect([&] { ++runs; });  // The first Connect after all that works as usual.
  sig.Emit();
  EXPECT_EQ(runs, 1);
  EXPECT_EQ(sig.slot_count(), 1u);
}

TEST(SignalTest, SlotsRunInConnectionOrderWithTheArguments) {
  Signal<int, std::string> sig;
  std::vector<std::string> calls;
  sig.Connect([&](int n, std::string s) { calls.push_back("a" + std::to_string(n) + s); });
  sig.Connect([&](int n, std::string s) { calls.push_back("b" + std::to_string(n) + s); });
  sig.Connect([&](int n, std::string s) { calls.push_back("c" + std::to_string(n) + s); });
  EXPECT_EQ(sig.slot_count(), 3u);
  sig.Emit(1, "x");
  sig.Emit(2, "y");
  EXPECT_THAT(calls, ElementsAre("a1x", "b1x", "c1x", "a2y", "b2y", "c2y"));
}

TEST(SignalTest, EverySlotSeesTheSameValueEvenIfAnEarlierSlotMovesFromItsCopy) {
  Signal<std::string> sig;
  std::vector<std::string> seen;
  sig.Connect([&](std::string s) { seen.push_back(std::move(s)); });
  sig.Connect([&](std::string s) { seen.push_back(std::move(s)); });
  sig.Emit(std::string(100, 'z'));
  EXPECT_THAT(seen, ElementsAre(std::string(100, 'z'), std::string(100, 'z')));
}

TEST(SignalTest, ReferenceArgumentsReachEverySlot) {
  Signal<std::vector<int>&> sig;
  sig.Connect([](std::vector<int>& v) { v.push_back(1); });
  sig.Connect([](std::vector<int>& v) { v.push_back(v.size() + 1); });
  std::vector<int> v;
  sig.Emit(v);
  EXPECT_THAT(v, ElementsAre(1, 2));
}

TEST(SignalTest, EmptyFunctionIsNotConnected) {
  Signal<int> sig;
  Connection c = sig.Connect(std::function<void(int)>());
  EXPECT_FALSE(c.connected());
  EXPECT_EQ(sig.slot_count(), 0u);
  sig.Emit(1);  // Must not call an empty std::function.
}

TEST(SignalTest, DisconnectStopsTheSlotAndReleasesItsCallableAtOnce) {
  Signal<> sig;
  int a = 0;
  int b = 0;
  bool destroyed = false;
  auto probe = std::make_shared<LifeProbe>(&destroyed);
  Connection ca = sig.Connect([&a, probe] { a += probe->value; });
  probe.reset();
  Connection cb = sig.Connect([&b] { ++b; });
  EXPECT_TRUE(ca.connected());
  sig.Emit();
  ca.Disconnect();
  EXPECT_FALSE(ca.connected());
  EXPECT_TRUE(cb.connected());
  EXPECT_TRUE(destroyed);  // Not emitting: removed and released immediately.
  EXPECT_EQ(sig.slot_count(), 1u);
  sig.Emit();
  EXPECT_EQ(a, 7);
  EXPECT_EQ(b, 2);
  ca.Disconnect();  // Twice: no-op.
  EXPECT_EQ(sig.slot_count(), 1u);
}

TEST(SignalTest, CopiesOfAConnectionShareIt) {
  Signal<> sig;
  int calls = 0;
  Connection original = sig.Connect([&] { ++calls; });
  Connection copy = original;
  Connection assigned;
  assigned = copy;
  EXPECT_TRUE(original.connected());
  EXPECT_TRUE(copy.connected());
  EXPECT_TRUE(assigned.connected());
  copy.Disconnect();
  EXPECT_FALSE(original.connected());
  EXPECT_FALSE(copy.connected());
  EXPECT_FALSE(assigned.connected());
  original.Disconnect();  // Already disconnected through a copy: no-op.
  sig.Emit();
  EXPECT_EQ(calls, 0);
}

TEST(SignalTest, DestroyingAConnectionDoesNotDisconnect) {
  Signal<> sig;
  int calls = 0;
  {
    Connection c = sig.Connect([&] { ++calls; });
  }
  sig.Emit();
  EXPECT_EQ(calls, 1);
}

TEST(SignalTest, ConnectionOutlivesTheSignal) {
  bool destroyed = false;
  Connection c;
  Connection copy;
  {
    Signal<int> sig;
    auto probe = std::make_shared<LifeProbe>(&destroyed);
    c = sig.Connect([probe](int) {});
    copy = c;
    EXPECT_TRUE(c.connected());
  }
  EXPECT_TRUE(destroyed);  // The Signal released the callable; the Connection did not keep it.
  EXPECT_FALSE(c.connected());
  EXPECT_FALSE(copy.connected());
  c.Disconnect();  // Safe and a no-op.
  EXPECT_FALSE(c.connected());
  EXPECT_FALSE(copy.connected());
}

TEST(SignalTest, AMovedConnectionKeepsTheSlotAndTheSourceIsEmpty) {
  Signal<> sig;
  int calls = 0;
  Connection source = sig.Connect([&] { ++calls; });
  Connection target = std::move(source);
  EXPECT_FALSE(source.connected());  // NOLINT(bugprone-use-after-move): moved-from is empty.
  source.Disconnect();               // NOLINT(bugprone-use-after-move): a no-op.
  EXPECT_TRUE(target.connected());
  sig.Emit();
  EXPECT_EQ(calls, 1);
  target = target;  // Self-assignment keeps the connection.
  EXPECT_TRUE(target.connected());
  target.Disconnect();
  sig.Emit();
  EXPECT_EQ(calls, 1);
}

// A slot's identity is never reused: a handle to a disconnected slot cannot reach a slot
// connected later, whatever the position the new slot takes.
TEST(SignalTest, AHandleToADisconnectedSlotNeverReachesALaterOne) {
  Signal<> sig;
  std::vector<std::string> calls;
  Connection first = sig.Connect([&] { calls.push_back("first"); });
  Connection stale_first = first;
  first.Disconnect();
  Connection second = sig.Connect([&] { calls.push_back("second"); });
  Connection stale_second = second;
  second.Disconnect();
  Connection third = sig.Connect([&] { calls.push_back("third"); });
  stale_first.Disconnect();
  stale_second.Disconnect();
  EXPECT_FALSE(stale_first.connected());
  EXPECT_FALSE(stale_second.connected());
  EXPECT_TRUE(third.connected());
  EXPECT_EQ(sig.slot_count(), 1u);
  sig.Emit();
  EXPECT_THAT(calls, ElementsAre("third"));
}

TEST(SignalTest, SlotsConnectedAfterTheFirstIsGoneKeepConnectionOrder) {
  Signal<int> sig;
  std::vector<int> calls;
  Connection first = sig.Connect([&](int v) { calls.push_back(v); });
  sig.Connect([&](int v) { calls.push_back(10 + v); });
  first.Disconnect();
  sig.Connect([&](int v) { calls.push_back(20 + v); });
  sig.Emit(1);
  EXPECT_THAT(calls, ElementsAre(11, 21));
}

// A Connection keeps only the Signal's bookkeeping: the last handle, destroyed long after the
// Signal, frees it (the sanitizer builds check that nothing leaks or is freed twice).
TEST(SignalTest, TheLastConnectionOfADestroyedSignalFreesItsBookkeeping) {
  std::vector<Connection> handles;
  {
    Signal<> sig;
    handles.push_back(sig.Connect([] {}));
    handles.push_back(sig.Connect([] {}));
    handles.push_back(handles[0]);
  }
  for (const Connection& c : handles) EXPECT_FALSE(c.connected());
  handles.clear();
}

TEST(SignalTest, SlotDisconnectingItselfRunsToTheEndAndNeverAgain) {
  Signal<> sig;
  std::vector<std::string> calls;
  bool destroyed = false;
  bool alive_after_disconnect = false;
  int value_after_disconnect = 0;
  auto probe = std::make_shared<LifeProbe>(&destroyed);
  Connection self;
  self = sig.Connect([&, probe] {
    calls.push_back("self");
    self.Disconnect();
    EXPECT_FALSE(self.connected());
    // The callable (and what it captured) stays alive until it returns.
    alive_after_disconnect = !destroyed;
    value_after_disconnect = probe->value;
  });
  probe.reset();
  sig.Connect([&] { calls.push_back("next"); });
  sig.Emit();
  EXPECT_TRUE(alive_after_disconnect);
  EXPECT_EQ(value_after_disconnect, 7);
  EXPECT_TRUE(destroyed);  // Released after the outermost Emit.
  EXPECT_EQ(sig.slot_count(), 1u);
  sig.Emit();
  EXPECT_THAT(calls, ElementsAre("self", "next", "next"));
}

TEST(SignalTest, SlotDisconnectingALaterSlotPreventsItsRun) {
  Signal<> sig;
  std::vector<std::string> calls;
  Connection later;
  sig.Connect([&] {
    calls.push_back("first");
    later.Disconnect();
  });
  later = sig.Connect([&] { calls.push_back("later"); });
  sig.Connect([&] { calls.push_back("last"); });
  sig.Emit();
  EXPECT_THAT(calls, ElementsAre("first", "last"));
  EXPECT_FALSE(later.connected());
  EXPECT_EQ(sig.slot_count(), 2u);
}

TEST(SignalTest, SlotDisconnectingAnEarlierSlotAffectsOnlyLaterEmits) {
  Signal<> sig;
  std::vector<std::string> calls;
  Connection earlier = sig.Connect([&] { calls.push_back("earlier"); });
  sig.Connect([&] {
    calls.push_back("second");
    earlier.Disconnect();
  });
  sig.Emit();
  sig.Emit();
  EXPECT_THAT(calls, ElementsAre("earlier", "second", "second"));
}

TEST(SignalTest, SlotConnectedDuringEmitRunsFromTheNextEmit) {
  Signal<int> sig;
  std::vector<std::string> calls;
  bool connected_once = false;
  Connection added;
  sig.Connect([&](int n) {
    calls.push_back("a" + std::to_string(n));
    if (!connected_once) {
      connected_once = true;
      added = sig.Connect([&](int m) { calls.push_back("new" + std::to_string(m)); });
      EXPECT_TRUE(added.connected());
    }
  });
  sig.Connect([&](int n) { calls.push_back("b" + std::to_string(n)); });
  sig.Emit(1);
  EXPECT_THAT(calls, ElementsAre("a1", "b1"));
  EXPECT_EQ(sig.slot_count(), 3u);
  sig.Emit(2);
  EXPECT_THAT(calls, ElementsAre("a1", "b1", "a2", "b2", "new2"));
}

TEST(SignalTest, SlotConnectedAndDisconnectedDuringTheSameEmitNeverRuns) {
  Signal<> sig;
  int added_calls = 0;
  sig.Connect([&] {
    Connection c = sig.Connect([&] { ++added_calls; });
    c.Disconnect();
  });
  sig.Emit();
  EXPECT_EQ(sig.slot_count(), 1u);
  sig.Emit();
  EXPECT_EQ(added_calls, 0);
  EXPECT_EQ(sig.slot_count(), 1u);
}

TEST(SignalTest, SlotDestroyingTheOwnerEndsTheEmit) {
  auto owner = std::make_unique<Owner>();
  std::vector<std::string> calls;
  bool destroyed = false;
  bool alive_after_owner_gone = false;
  auto probe = std::make_shared<LifeProbe>(&destroyed);
  Connection first = owner->sig.Connect([&, probe](int n) {
    calls.push_back("first" + std::to_string(n));
    owner.reset();
    alive_after_owner_gone = !destroyed;  // Own callable still alive while it runs.
    calls.push_back("first-after-reset" + std::to_string(probe->value));
    EXPECT_FALSE(first.connected());
  });
  probe.reset();
  Connection second = owner->sig.Connect([&](int) { calls.push_back("second"); });
  owner->sig.Emit(5);  // Under ASan: any use of the freed Owner fails the test.
  EXPECT_EQ(owner, nullptr);
  EXPECT_TRUE(alive_after_owner_gone);
  EXPECT_TRUE(destroyed);
  EXPECT_THAT(calls, ElementsAre("first5", "first-after-reset7"));
  EXPECT_FALSE(first.connected());
  EXPECT_FALSE(second.connected());
  first.Disconnect();
  second.Disconnect();
}

TEST(SignalTest, SlotDestroyingTheOwnerDuringANestedEmitEndsEveryEmit) {
  auto owner = std::make_unique<Owner>();
  std::vector<std::string> calls;
  owner->sig.Connect([&](int n) {
    calls.push_back("a" + std::to_string(n));
    if (n == 1) owner->sig.Emit(2);
    calls.push_back("a-end" + std::to_string(n));
  });
  owner->sig.Connect([&](int n) {
    calls.push_back("b" + std::to_string(n));
    if (n == 2) owner.reset();
  });
  owner->sig.Connect([&](int n) { calls.push_back("c" + std::to_string(n)); });
  owner->sig.Emit(1);
  EXPECT_EQ(owner, nullptr);
  EXPECT_THAT(calls, ElementsAre("a1", "a2", "a-end2", "b2", "a-end1"));
}

TEST(SignalTest, NestedEmitRunsAllSlotsInsideTheOuterOne) {
  Signal<int> sig;
  std::vector<std::string> calls;
  sig.Connect([&](int n) {
    calls.push_back("a" + std::to_string(n));
    if (n < 3) sig.Emit(n + 1);
  });
  sig.Connect([&](int n) { calls.push_back("b" + std::to_string(n)); });
  sig.Emit(1);
  EXPECT_THAT(calls, ElementsAre("a1", "a2", "a3", "b3", "b2", "b1"));
}

TEST(SignalTest, DisconnectInNestedEmitIsSeenByOuterEmitAndCompactedAfterTheOutermost) {
  Signal<int> sig;
  std::vector<std::string> calls;
  bool b_destroyed = false;
  bool b_alive_after_inner_emit = false;
  size_t count_after_inner_emit = 0;
  auto probe = std::make_shared<LifeProbe>(&b_destroyed);
  Connection b;
  sig.Connect([&](int n) {
    calls.push_back("a" + std::to_string(n));
    if (n == 1) {
      sig.Emit(2);
      b_alive_after_inner_emit = !b_destroyed;
      count_after_inner_emit = sig.slot_count();
    }
  });
  b = sig.Connect([&, probe](int n) { calls.push_back("b" + std::to_string(n)); });
  probe.reset();
  sig.Connect([&](int n) {
    calls.push_back("c" + std::to_string(n));
    if (n == 2) b.Disconnect();
  });
  sig.Emit(1);
  EXPECT_THAT(calls, ElementsAre("a1", "a2", "b2", "c2", "c1"));
  EXPECT_TRUE(b_alive_after_inner_emit);  // Not compacted when only the inner Emit ended.
  EXPECT_EQ(count_after_inner_emit, 2u);
  EXPECT_TRUE(b_destroyed);  // Compacted after the outermost Emit.
  EXPECT_EQ(sig.slot_count(), 2u);
}

TEST(SignalTest, SlotConnectedDuringAnEmitRunsInALaterNestedEmit) {
  Signal<int> sig;
  std::vector<std::string> calls;
  sig.Connect([&](int n) {
    calls.push_back("a" + std::to_string(n));
    if (n == 1) {
      sig.Connect([&](int m) { calls.push_back("new" + std::to_string(m)); });
      sig.Emit(2);
    }
  });
  sig.Emit(1);
  EXPECT_THAT(calls, ElementsAre("a1", "a2", "new2"));
}

TEST(SignalTest, DisconnectAllDuringEmitStopsTheRemainingSlots) {
  Signal<> sig;
  std::vector<std::string> calls;
  Connection a = sig.Connect([&] {
    calls.push_back("a");
    sig.DisconnectAll();
  });
  Connection b = sig.Connect([&] { calls.push_back("b"); });
  sig.Emit();
  sig.Emit();
  EXPECT_THAT(calls, ElementsAre("a"));
  EXPECT_FALSE(a.connected());
  EXPECT_FALSE(b.connected());
  EXPECT_EQ(sig.slot_count(), 0u);
  // The Signal stays usable.
  sig.Connect([&] { calls.push_back("c"); });
  sig.Emit();
  EXPECT_THAT(calls, ElementsAre("a", "c"));
}

TEST(SignalTest, DisconnectAllReleasesCallablesAtOnceWhenNotEmitting) {
  Signal<> sig;
  bool destroyed = false;
  auto probe = std::make_shared<LifeProbe>(&destroyed);
  Connection c = sig.Connect([probe] {});
  probe.reset();
  sig.DisconnectAll();
  EXPECT_TRUE(destroyed);
  EXPECT_FALSE(c.connected());
  c.Disconnect();
}

// A callable whose destruction disconnects another connection of the same Signal: the list
// must be consistent when the callable is released.
class DisconnectOnDestruction {
 public:
  explicit DisconnectOnDestruction(Connection* other) : other_(other) {}
  DisconnectOnDestruction(const DisconnectOnDestruction&) = delete;
  DisconnectOnDestruction& operator=(const DisconnectOnDestruction&) = delete;
  ~DisconnectOnDestruction() { other_->Disconnect(); }

 private:
  Connection* other_;
};

TEST(SignalTest, ReleasingACallableMayDisconnectAnotherSlot) {
  Signal<> sig;
  std::vector<std::string> calls;
  Connection victim;
  auto guard = std::make_shared<DisconnectOnDestruction>(&victim);
  Connection holder = sig.Connect([guard] {});
  guard.reset();
  victim = sig.Connect([&] { calls.push_back("victim"); });
  sig.Connect([&] { calls.push_back("other"); });
  holder.Disconnect();  // Releases the callable, which disconnects `victim`.
  EXPECT_FALSE(victim.connected());
  EXPECT_EQ(sig.slot_count(), 1u);
  sig.Emit();
  EXPECT_THAT(calls, ElementsAre("other"));
}

TEST(SignalTest, ReleasingACallableDuringCompactionMayDisconnectAnotherSlot) {
  Signal<> sig;
  std::vector<std::string> calls;
  Connection victim;
  Connection holder;
  auto guard = std::make_shared<DisconnectOnDestruction>(&victim);
  holder = sig.Connect([&, guard] {
    calls.push_back("holder");
    holder.Disconnect();
  });
  guard.reset();
  victim = sig.Connect([&] { calls.push_back("victim"); });
  sig.Emit();  // victim runs; compaction then releases holder, which disconnects victim.
  EXPECT_FALSE(victim.connected());
  EXPECT_EQ(sig.slot_count(), 0u);
  sig.Emit();
  EXPECT_THAT(calls, ElementsAre("holder", "victim"));
}

TEST(SignalTest, DestroyingTheSignalReleasesEveryCallable) {
  bool first_destroyed = false;
  bool second_destroyed = false;
  {
    Signal<> sig;
    auto first = std::make_shared<LifeProbe>(&first_destroyed);
    auto second = std::make_shared<LifeProbe>(&second_destroyed);
    sig.Connect([first] {});
    sig.Connect([second] {});
  }
  EXPECT_TRUE(first_destroyed);
  EXPECT_TRUE(second_destroyed);
}

TEST(SignalTest, SlotCountIgnoresDisconnectedSlotsDuringEmit) {
  Signal<> sig;
  std::vector<size_t> counts;
  Connection a;
  a = sig.Connect([&] {
    a.Disconnect();
    counts.push_back(sig.slot_count());
  });
  sig.Connect([&] { counts.push_back(sig.slot_count()); });
  sig.Emit();
  EXPECT_THAT(counts, ElementsAre(1u, 1u));
  EXPECT_EQ(sig.slot_count(), 1u);
}

TEST(SignalTest, ManySlotsAndDisconnectsKeepOrder) {
  Signal<int> sig;
  std::vector<int> calls;
  std::vector<Connection> connections;
  for (int i = 0; i < 10; ++i) {
    connections.push_back(sig.Connect([&calls, i](int) { calls.push_back(i); }));
  }
  for (int i = 0; i < 10; i += 3) connections[i].Disconnect();
  sig.Emit(0);
  EXPECT_THAT(calls, ElementsAre(1, 2, 4, 5, 7, 8));
  calls.clear();
  for (auto& c : connections) c.Disconnect();
  sig.Emit(0);
  EXPECT_THAT(calls, IsEmpty());
}

// ---------------------------------------------------------------------------------------------
// Threads (see the file comment of signal.h). Wrong-thread calls are made while the bound
// thread is alive (a joined thread's id may be reused).

// Runs `f` on a new thread and joins it.
void OnNewThread(const std::function<void()>& f) { std::thread(f).join(); }

// An owner whose Signals follow its thread binding, wired as LocalSocket and LocalServer wire
// theirs.
class BoundOwner {
 public:
  BoundOwner() { LOCALSOCKET_SIGNALS_FOLLOW_THREAD_BINDING(thread_binding_, changed, closed); }
  // Binds the owner, and so its Signals, to the calling thread, as a blocking wait does.
  void Wait() { LOCALSOCKET_BIND_TO_CURRENT_THREAD(thread_binding_, "BoundOwner::Wait"); }

  Signal<int> changed;
  Signal<> closed;

 private:
  LOCALSOCKET_THREAD_BINDING(thread_binding_, "BoundOwner");
};

TEST(SignalThreadTest, AFreeStandingSignalBindsAtItsFirstEmitNotBefore) {
  Signal<int> sig;
  std::vector<int> seen;
  Connection c;
  OnNewThread([&] {
    c = sig.Connect([&](int v) { seen.push_back(v); });
    EXPECT_EQ(sig.slot_count(), 1u);
  });
  sig.Emit(1);  // Binds here.
  sig.Connect([&](int v) { seen.push_back(v * 10); });
  sig.Emit(2);
  c.Disconnect();
  EXPECT_THAT(seen, ElementsAre(1, 2, 20));
}

TEST(SignalThreadTest, SignalsFollowingAnUnboundOwnerNeverBindThemselves) {
  BoundOwner owner;
  int calls = 0;
  owner.closed.Connect([&] { ++calls; });
  OnNewThread([&] { owner.closed.Emit(); });
  owner.closed.Emit();  // Passes: the first Emit did not bind the Signal.
  owner.Wait();
  owner.closed.Emit();
  owner.changed.Emit(1);
  EXPECT_EQ(calls, 3);
}

TEST(SignalThreadTest, DestructionAndConnectionsOfADestroyedSignalPassOnEveryThread) {
  auto sig = std::make_unique<Signal<>>();
  Connection c = sig->Connect([] {});
  sig->Emit();  // Bound to this thread.
  OnNewThread([&] { sig.reset(); });
  OnNewThread([&] {
    EXPECT_FALSE(c.connected());
    c.Disconnect();
  });
}

#if LOCALSOCKET_DCHECK_IS_ON

// The message of `caller` called on the wrong thread of a Signal bound through `owner` by
// `bound_by`.
std::string WrongThreadMessage(const std::string& caller, const std::string& owner,
                               const std::string& bound_by) {
  return "localsocket: " + caller + " called on thread [0-9]+, but the object is bound to " +
         "thread [0-9]+ \\(the " + owner + "'s thread since " + bound_by + "\\)";
}

class SignalThreadDeathTest : public ::testing::Test {
 protected:
  void SetUp() override { GTEST_FLAG_SET(death_test_style, "threadsafe"); }
};

TEST_F(SignalThreadDeathTest, EmittedOnOneThreadThenOnAnotherAborts) {
  Signal<int> sig;
  sig.Emit(1);
  EXPECT_DEATH(OnNewThread([&] { sig.Emit(2); }),
               WrongThreadMessage("Signal::Emit", "Signal", "Signal::Emit"));
}

TEST_F(SignalThreadDeathTest, EveryCallAbortsOnAnotherThreadOnceBound) {
  Signal<> sig;
  Connection c = sig.Connect([] {});
  sig.Emit();
  const std::vector<std::pair<std::string, std::function<void()>>> calls = {
      {"Signal::Connect", [&] { sig.Connect([] {}); }},
      {"Signal::Emit", [&] { sig.Emit(); }},
      {"Signal::DisconnectAll", [&] { sig.DisconnectAll(); }},
      {"Signal::slot_count", [&] { sig.slot_count(); }},
      {"Connection::Disconnect", [&] { c.Disconnect(); }},
      {"Connection::connected", [&] { c.connected(); }},
  };
  for (const auto& [caller, call] : calls) {
    EXPECT_DEATH(OnNewThread(call), WrongThreadMessage(caller, "Signal", "Signal::Emit")) << caller;
  }
}

TEST_F(SignalThreadDeathTest, ASignalFollowingItsOwnerChecksTheOwnersThread) {
  BoundOwner owner;
  owner.Wait();
  EXPECT_DEATH(OnNewThread([&] { owner.changed.Emit(1); }),
               WrongThreadMessage("Signal::Emit", "BoundOwner", "BoundOwner::Wait"));
  EXPECT_DEATH(OnNewThread([&] { owner.closed.Connect([] {}); }),
               WrongThreadMessage("Signal::Connect", "BoundOwner", "BoundOwner::Wait"));
}

TEST_F(SignalThreadDeathTest, ASignalFollowsItsOwnerBoundOnAnotherThread) {
  BoundOwner owner;
  OnNewThread([&] {
    owner.Wait();
    owner.closed.Emit();
  });
  EXPECT_DEATH(owner.closed.Emit(),
               WrongThreadMessage("Signal::Emit", "BoundOwner", "BoundOwner::Wait"));
}

#endif  // LOCALSOCKET_DCHECK_IS_ON

}  // namespace
}  // namespace ipc
