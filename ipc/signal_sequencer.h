// Internal: the re-entrancy rules of LocalSocket's signal sequences, in one place.
//
// - A slot may destroy the socket: a Guard taken before an emission tells the emitter, after
//   it, whether the socket is still alive.
// - A slot may start a new operation (Abort, Close, DisconnectFromServer, ConnectToServer,
//   SetSocketDescriptor): BeginOperation() marks it, and Guard::Continues() then tells the
//   interrupted sequence to stop.
// - ready_read and bytes_written are never emitted re-entrantly: data read (bytes sent) during
//   such a slot are reported by one more emission right after the outermost slot returns.
// - about_to_close is emitted once per device close, and `disconnected` at most once per
//   connection.
//
// Threads and lifetime: loop-thread only; owned by the socket, whose signals it emits.
#ifndef LOCALSOCKET_IPC_SIGNAL_SEQUENCER_H_
#define LOCALSOCKET_IPC_SIGNAL_SEQUENCER_H_

#include <cstdint>
#include <memory>

#include "ipc/life_flag.h"
#include "ipc/signal.h"

namespace ipc {
namespace internal {

class SignalSequencer {
 public:
  // Whether a signal sequence may go on after an emission.
  class Guard {
   public:
    // The socket is still alive.
    bool Alive() const { return life_.alive(); }
    // The socket is alive and no slot started a new operation since the guard was taken.
    bool Continues() const { return life_.alive() && sequencer_->operation_ == operation_; }

   private:
    friend class SignalSequencer;
    explicit Guard(const SignalSequencer* sequencer)
        : sequencer_(sequencer), life_(sequencer->life_), operation_(sequencer->operation_) {}
    const SignalSequencer* sequencer_;
    LifeFlag::Watch life_;
    uint64_t operation_;
  };

  SignalSequencer() = default;
  SignalSequencer(const SignalSequencer&) = delete;
  SignalSequencer& operator=(const SignalSequencer&) = delete;

  // A local of the code that emits: neither copyable nor movable.
  Guard Take() const { return Guard(this); }

  // Marks the start of an operation that begins a new signal sequence. The interrupted
  // sequence's deferred ready_read/bytes_written are dropped with it; what arrives or is sent
  // afterwards belongs to the new sequence and is still reported.
  void BeginOperation() {
    ++operation_;
    ready_read_pending_ = false;
    bytes_written_pending_ = 0;
  }

  // Emits ready_read, or, inside a ready_read slot, asks for one more emission after it.
  void EmitReadyRead(Signal<>& ready_read);
  // True inside a ready_read slot.
  bool InsideReadyRead() const { return ready_read_depth_ > 0; }
  // Emits bytes_written(count), or, inside a bytes_written slot, adds `count` to one more
  // emission after it.
  void EmitBytesWritten(Signal<int64_t>& bytes_written, int64_t count);
  // True inside a bytes_written slot.
  bool InsideBytesWritten() const { return bytes_written_depth_ > 0; }
  // Emits about_to_close, once per device close: Abort()/Close() called from one of its slots
  // proceed without emitting it again. False if the caller's sequence must stop.
  bool AnnounceClose(Signal<>& about_to_close);

  // A connection was made: its `disconnected` is owed.
  void ConnectionMade() { disconnected_owed_ = true; }
  // A connection ended before it was announced (a new one replaces it): nothing is owed.
  void ConnectionForgotten() { disconnected_owed_ = false; }
  // Emits `disconnected` if this connection still owes it.
  void EmitDisconnectedOnce(Signal<>& disconnected);

 private:
  LifeFlag life_;  // The socket's: the sequencer lives and dies with it.
  uint64_t operation_ = 0;
  int64_t bytes_written_pending_ = 0;
  int ready_read_depth_ = 0;
  int bytes_written_depth_ = 0;
  bool ready_read_pending_ = false;
  bool announcing_close_ = false;
  bool disconnected_owed_ = false;
};

}  // namespace internal
}  // namespace ipc

#endif  // LOCALSOCKET_IPC_SIGNAL_SEQUENCER_H_
