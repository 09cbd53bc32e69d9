// Fuzzes ipc::Signal (ipc/signal.h): slots connected, disconnected (through any copy of their
// Connection, or all at once), emitted to, and the Signal destroyed and made anew, from the top
// level and from inside slots (nested Emits included), against a model of the re-entrancy
// contract in the header.
//
// Input: at most 64 operations, each an opcode byte (modulo kOpCount) followed by its
// arguments; a truncated operation reads zeros. C is a Connection slot byte (modulo 8):
//   kConnect C         connects a new slot, its Connection into slot C (replacing what was
//                      there, which does not disconnect anything)
//   kConnectEmpty C    connects an empty std::function: the Connection is not connected
//   kDisconnect C      Connection::Disconnect
//   kCopy C C'         copies Connection C into slot C'
//   kDrop C            destroys Connection C (its slot stays connected)
//   kDisconnectAll     Signal::DisconnectAll
//   kEmit n            Emit of a string of n (0..15) bytes from the input
//   kDestroy           destroys the Signal
//   kRecreate          destroys the Signal and makes a new one
// Every slot call then performs up to 3 further operations read from the input, while a
// budget of 256 such operations lasts, and up to 4 Emits deep.
//
// Invariants, checked at every slot call and after every operation:
// - an Emit calls the slots connected when it started, in connection order, each once, with
//   the emitted value, skipping those disconnected before their turn, and none connected after
//   it started; once it returns, none of its slots that is still connected was skipped;
// - once a slot destroys the Signal, neither the running Emit nor any enclosing one calls
//   anything else;
// - Connection::connected() and Signal::slot_count() match the model, also inside slots;
// - between operations, the callable of every slot that is not connected (disconnected, or its
//   Signal gone) has been destroyed, and that of every connected slot lives.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ipc/signal.h"
#include "tools/fuzzing/fuzz_check.h"
#include "tools/fuzzing/fuzz_input.h"

namespace {

constexpr size_t kMaxOps = 64;
constexpr size_t kConnections = 8;
constexpr size_t kMaxActionsPerSlot = 3;
constexpr size_t kSlotBudget = 256;
constexpr size_t kMaxEmitDepth = 4;

enum class Op : uint8_t {
  kConnect,
  kConnectEmpty,
  kDisconnect,
  kCopy,
  kDrop,
  kDisconnectAll,
  kEmit,
  kDestroy,
  kRecreate,
  kOpCount,
};

using TestSignal = ipc::Signal<std::string>;

// The Signal under test, Connections to it and the model, driven by one input.
class SignalWorld {
 public:
  explicit SignalWorld(fuzz::FuzzInput& input) : input_(input) {}

  // Runs one top-level operation, then checks the model and the callables' lives.
  void Step() {
    Perform();
    CheckConnections();
    for (const Slot& slot : slots_) {
      FUZZ_CHECK_EQ(slot.callable.expired(), !Connected(slot));
    }
  }

 private:
  // A slot ever connected, numbered in connection order across all Signals.
  struct Slot {
    uint64_t signal = 0;  // The Signal's number.
    bool connected = true;
    std::weak_ptr<const int> callable;  // Expires with the slot's callable.
  };
  // A running Emit: the slots connected when it started, and the next one due.
  struct Emission {
    uint64_t signal = 0;
    std::string value;
    std::vector<size_t> slots;
    size_t next = 0;
  };
  // A Connection and the slot it refers to (none for an empty one).
  struct Handle {
    ipc::Connection connection;
    bool has_slot = false;
    size_t slot = 0;
  };

  void Perform() {
    const auto op = static_cast<Op>(input_.Byte() % static_cast<uint8_t>(Op::kOpCount));
    switch (op) {
      case Op::kConnect:
      case Op::kConnectEmpty: {
        Handle& handle = handles_[input_.Byte() % kConnections];
        if (signal_ == nullptr) return;
        if (op == Op::kConnectEmpty) {
          handle = Handle{signal_->Connect(nullptr), false, 0};
          FUZZ_CHECK(!handle.connection.connected());
          return;
        }
        const size_t id = slots_.size();
        auto life = std::make_shared<const int>(0);
        slots_.push_back(Slot{signal_number_, true, life});
        handle = Handle{
            signal_->Connect([this, id, life](const std::string& value) { OnSlot(id, value); }),
            true, id};
        return;
      }
      case Op::kDisconnect: {
        Handle& handle = handles_[input_.Byte() % kConnections];
        handle.connection.Disconnect();
        if (handle.has_slot) slots_[handle.slot].connected = false;
        return;
      }
      case Op::kCopy: {
        const Handle copy = handles_[input_.Byte() % kConnections];
        handles_[input_.Byte() % kConnections] = copy;
        return;
      }
      case Op::kDrop:
        handles_[input_.Byte() % kConnections] = Handle{};
        return;
      case Op::kDisconnectAll:
        if (signal_ == nullptr) return;
        signal_->DisconnectAll();
        DisconnectModel(signal_number_);
        return;
      case Op::kEmit:
        return Emit(std::string(input_.Bytes(input_.InRange(0, 15))));
      case Op::kDestroy:
      case Op::kRecreate:
        signal_.reset();
        DisconnectModel(signal_number_);
        ++signal_number_;
        if (op == Op::kRecreate) signal_ = std::make_unique<TestSignal>();
        return;
      case Op::kOpCount:
        break;
    }
  }

  void Emit(const std::string& value) {
    if (signal_ == nullptr || emissions_.size() >= kMaxEmitDepth) return;
    Emission emission{signal_number_, value, {}, 0};
    for (size_t id = 0; id < slots_.size(); ++id) {
      if (slots_[id].signal == signal_number_ && slots_[id].connected) {
        emission.slots.push_back(id);
      }
    }
    const uint64_t signal = signal_number_;
    emissions_.push_back(std::move(emission));
    TestSignal* emitting = signal_.get();
    emitting->Emit(value);
    Emission done = std::move(emissions_.back());
    emissions_.pop_back();
    if (signal_number_ != signal) return;  // A slot destroyed the Signal: it stopped.
    // Every slot it did not call was disconnected before its turn.
    for (size_t i = done.next; i < done.slots.size(); ++i) {
      FUZZ_CHECK(!slots_[done.slots[i]].connected);
    }
  }

  // A slot call: checks it is the running Emit's next slot, then performs up to
  // kMaxActionsPerSlot operations while the budget lasts.
  void OnSlot(size_t id, const std::string& value) {
    FUZZ_CHECK(!emissions_.empty());
    Emission& emission = emissions_.back();
    // Once a slot destroyed the Signal, its Emit and every enclosing one stop: a slot runs only
    // for the innermost Emit, of the live Signal.
    FUZZ_CHECK_EQ(emission.signal, signal_number_);
    FUZZ_CHECK_EQ(slots_[id].signal, signal_number_);
    while (emission.next < emission.slots.size() &&
           !slots_[emission.slots[emission.next]].connected) {
      ++emission.next;  // Disconnected before its turn: skipped.
    }
    FUZZ_CHECK(emission.next < emission.slots.size());
    FUZZ_CHECK_EQ(emission.slots[emission.next], id);
    ++emission.next;
    FUZZ_CHECK_EQ(value, emission.value);
    CheckConnections();
    const size_t actions = input_.InRange(0, kMaxActionsPerSlot);
    for (size_t i = 0; i < actions && budget_ > 0; ++i) {
      --budget_;
      Perform();
    }
  }

  // The model's side of DisconnectAll and of the Signal's destruction.
  void DisconnectModel(uint64_t signal) {
    for (Slot& slot : slots_) {
      if (slot.signal == signal) slot.connected = false;
    }
  }

  bool Connected(const Slot& slot) const {
    return slot.connected && signal_ != nullptr && slot.signal == signal_number_;
  }

  void CheckConnections() const {
    size_t connected = 0;
    for (const Slot& slot : slots_) connected += Connected(slot) ? 1 : 0;
    if (signal_ != nullptr) FUZZ_CHECK_EQ(signal_->slot_count(), connected);
    for (const Handle& handle : handles_) {
      FUZZ_CHECK_EQ(handle.connection.connected(),
                    handle.has_slot && Connected(slots_[handle.slot]));
    }
  }

  fuzz::FuzzInput& input_;
  std::vector<Slot> slots_;
  std::vector<Emission> emissions_;  // Innermost last.
  Handle handles_[kConnections];
  // Declared after what its slots reach, so that it goes first.
  std::unique_ptr<TestSignal> signal_ = std::make_unique<TestSignal>();
  uint64_t signal_number_ = 0;
  size_t budget_ = kSlotBudget;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::FuzzInput input(data, size);
  SignalWorld world(input);
  for (size_t ops = 0; ops < kMaxOps && !input.empty(); ++ops) world.Step();
  return 0;
}
