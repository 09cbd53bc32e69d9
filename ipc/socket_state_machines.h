// Internal: LocalSocket's state machines, written once as data. The connection machine holds
// the four public states; the connect phase, the read side and the write side each have a
// small machine of their own. LocalSocket changes every one of these states only through
// StateMachine::Feed (ipc/state_machine.h).
//
// Cells: "-> S" moves to S; "=" is handled without a state change; "refuse" is misuse in this
// state (kOperation); "ignore" does nothing; "X" cannot happen (debug builds abort). The tables
// below are checked against the code by socket_state_machines_test.
//
// The connection (columns: kUnconnected, kConnecting, kConnected, kClosing):
// TABLE Connection
// kConnectRequested     -> kConnecting  refuse          refuse          refuse
// kConnectCompleted     X               -> kConnected   X               X
// kConnectFailed        X               -> kUnconnected X               X
// kConnectTimeout       X               -> kUnconnected X               X
// kDescriptorAdopted    -> kConnected   refuse          refuse          refuse
// kReadable             X               X               =               =
// kWritable             X               X               =               =
// kPeerEof              X               X               -> kClosing     -> kUnconnected
// kPeerEofWritesPending X               X               -> kClosing     =
// kIoError              X               X               -> kClosing     -> kUnconnected
// kTornDown             X               X               X               -> kUnconnected
// kDisconnectRequested  ignore          -> kUnconnected -> kClosing     =
// kClose                =               -> kUnconnected -> kClosing     =
// kAbort                =               -> kUnconnected -> kUnconnected -> kUnconnected
// kWriteBufferDrained   X               X               =               -> kUnconnected
// END TABLE
//   While kConnecting, the connect phase machine below tracks the attempt (in progress,
//   backoff retry after a full backlog) and the outcome comes as kConnectCompleted,
//   kConnectFailed or kConnectTimeout. kPeerEof and kIoError
//   in kConnected pass through kClosing: kTornDown follows once error_occurred and
//   state_changed(kClosing) are out. kPeerEofWritesPending: the peer's EOF (maybe a
//   half-close) with bytes still to write, which are sent from kClosing. kClose and kAbort in
//   kUnconnected still close an open device.
//
// The connect phase (columns: kIdle, kInProgress, kBackoff):
// TABLE ConnectPhase
// kAttemptInProgress -> kInProgress =              -> kInProgress
// kAttemptBackoff    -> kBackoff    -> kBackoff    =
// kAttemptFinished   =              -> kIdle       -> kIdle
// kCancelled         ignore         -> kIdle       -> kIdle
// END TABLE
//   kInProgress: connect() said EINPROGRESS (or was interrupted): writable means done.
//   kBackoff: EAGAIN; connect() is tried again at the next retry time.
//
// The read side (columns: kReading, kPaused, kAtEof):
// TABLE ReadSide
// kBufferFull    -> kPaused  =           X
// kBufferDrained =           -> kReading =
// kEof           -> kAtEof   -> kAtEof   =
// kNewConnection =           -> kReading -> kReading
// END TABLE
//   kPaused: the read buffer holds read_buffer_size() bytes; the kernel holds the rest.
//   kAtEof: the peer shut down its side; nothing is read any more (the write side may still be
//   draining the write buffer from kClosing).
//
// The write side (columns: kIdle, kBlocked, kShutting, kShutBlocked, kShut):
// TABLE WriteSide
// kKernelFull        -> kBlocked     =               -> kShutBlocked =               X
// kKernelTookAll     =               -> kIdle        =               -> kShutting    =
// kShutdownRequested -> kShutting    -> kShutBlocked refuse          refuse          refuse
// kShutdownDone      X               X               -> kShut        X               X
// kNewConnection     =               -> kIdle        -> kIdle        -> kIdle        -> kIdle
// END TABLE
//   kIdle: writes are flushed before the loop blocks. kBlocked: the kernel took less than
//   offered; the socket waits for writability. kShutting/kShutBlocked: ShutdownWrite was
//   called; the rest is flushed (kShutBlocked: waiting for writability), then
//   shutdown(SHUT_WR) follows (kShutdownDone) and the side is kShut. Write is accepted in kIdle
//   and kBlocked only.
#ifndef LOCALSOCKET_IPC_SOCKET_STATE_MACHINES_H_
#define LOCALSOCKET_IPC_SOCKET_STATE_MACHINES_H_

#include <cstddef>
#include <cstdint>
#include <iosfwd>

#include "ipc/socket_types.h"
#include "ipc/state_machine.h"

namespace ipc {
namespace internal {

// ---------------------------------------------------------------------------------------------
// The connection.

enum class ConnectionEvent {
  kConnectRequested,
  kConnectCompleted,
  kConnectFailed,
  kConnectTimeout,
  kDescriptorAdopted,
  kReadable,
  kWritable,
  kPeerEof,
  kPeerEofWritesPending,
  kIoError,
  kTornDown,
  kDisconnectRequested,
  kClose,
  kAbort,
  kWriteBufferDrained,
};

struct ConnectionTraits {
  using State = LocalSocketTypes::State;
  using Event = ConnectionEvent;
  static constexpr size_t kStateCount = 4;
  static constexpr size_t kEventCount = 15;
  static constexpr State kInitial = State::kUnconnected;
  static constexpr const char* kName = "Connection";
  static const char* StateName(State state);
  static const char* EventName(Event event);
  static const Cell<State> kTable[kEventCount][kStateCount];
};
using ConnectionMachine = StateMachine<ConnectionTraits>;

// ---------------------------------------------------------------------------------------------
// The connect phase.

enum class ConnectPhase { kIdle, kInProgress, kBackoff };
enum class ConnectPhaseEvent { kAttemptInProgress, kAttemptBackoff, kAttemptFinished, kCancelled };

struct ConnectPhaseTraits {
  using State = ConnectPhase;
  using Event = ConnectPhaseEvent;
  static constexpr size_t kStateCount = 3;
  static constexpr size_t kEventCount = 4;
  static constexpr State kInitial = State::kIdle;
  static constexpr const char* kName = "ConnectPhase";
  static const char* StateName(State state);
  static const char* EventName(Event event);
  static const Cell<State> kTable[kEventCount][kStateCount];
};
using ConnectPhaseMachine = StateMachine<ConnectPhaseTraits>;

// ---------------------------------------------------------------------------------------------
// The read side.

enum class ReadSide : uint8_t { kReading, kPaused, kAtEof };
enum class ReadSideEvent { kBufferFull, kBufferDrained, kEof, kNewConnection };

struct ReadSideTraits {
  using State = ReadSide;
  using Event = ReadSideEvent;
  static constexpr size_t kStateCount = 3;
  static constexpr size_t kEventCount = 4;
  static constexpr State kInitial = State::kReading;
  static constexpr const char* kName = "ReadSide";
  static const char* StateName(State state);
  static const char* EventName(Event event);
  static const Cell<State> kTable[kEventCount][kStateCount];
};
using ReadSideMachine = StateMachine<ReadSideTraits>;

// ---------------------------------------------------------------------------------------------
// The write side.

enum class WriteSide : uint8_t { kIdle, kBlocked, kShutting, kShutBlocked, kShut };
enum class WriteSideEvent {
  kKernelFull,
  kKernelTookAll,
  kShutdownRequested,
  kShutdownDone,
  kNewConnection
};

struct WriteSideTraits {
  using State = WriteSide;
  using Event = WriteSideEvent;
  static constexpr size_t kStateCount = 5;
  static constexpr size_t kEventCount = 5;
  static constexpr State kInitial = State::kIdle;
  static constexpr const char* kName = "WriteSide";
  static const char* StateName(State state);
  static const char* EventName(Event event);
  static const Cell<State> kTable[kEventCount][kStateCount];
};
using WriteSideMachine = StateMachine<WriteSideTraits>;

// gtest printers for the events and sub-states.
std::ostream& operator<<(std::ostream& os, ConnectionEvent event);
std::ostream& operator<<(std::ostream& os, ConnectPhase phase);
std::ostream& operator<<(std::ostream& os, ConnectPhaseEvent event);
std::ostream& operator<<(std::ostream& os, ReadSide side);
std::ostream& operator<<(std::ostream& os, ReadSideEvent event);
std::ostream& operator<<(std::ostream& os, WriteSide side);
std::ostream& operator<<(std::ostream& os, WriteSideEvent event);

}  // namespace internal
}  // namespace ipc

#endif  // LOCALSOCKET_IPC_SOCKET_STATE_MACHINES_H_
