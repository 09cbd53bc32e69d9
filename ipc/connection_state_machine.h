// Internal: LocalSocket's connection state machine — states, events, and the one transition
// function that every state change goes through.
//
// The table (rows: current state; columns: events). Cells:
//   -> S    the event moves the socket to state S
//   =       handled, the state stays (the socket does I/O or bookkeeping)
//   refuse  misuse in this state: the operation is refused with kOperation, the state stays
//   -       cannot happen in this state (no fd, no timer): ignored, the state stays
//   ->Unc*  to kUnconnected passing through kClosing (state_changed(kClosing) is emitted first)
//
// event \ state         | Unconnected  | Connecting    | Connected      | Closing
// ----------------------+--------------+---------------+----------------+---------------
// kConnectRequested     | -> Connecting| refuse        | refuse         | refuse
// kConnectCompleted     | -            | -> Connected  | -              | -
// kConnectFailed        | -            | -> Unconnected| -              | -
// kConnectRetry         | -            | =             | -              | -
// kConnectTimeout       | -            | -> Unconnected| -              | -
// kDescriptorAdopted    | -> Connected | refuse        | refuse         | refuse
// kReadable             | -            | -             | =              | =
// kWritable             | -            | =             | =              | =
// kPeerEof              | -            | -             | ->Unc*         | -> Unconnected
// kIoError              | -            | -             | ->Unc*         | -> Unconnected
// kReadBufferFull       | -            | -             | =              | =
// kReadBufferDrained    | =            | =             | =              | =
// kDisconnectRequested  | =            | -> Unconnected| -> Closing     | =
// kClose                | =            | -> Unconnected| -> Closing     | =
// kAbort                | =            | -> Unconnected| -> Unconnected | -> Unconnected
// kWriteBufferDrained   | -            | -             | =              | -> Unconnected
//
// Notes: kConnectRetry is a full backlog (EAGAIN): the connect is retried on a backoff timer.
// kWritable while connecting is an in-progress connect completing. kReadBufferDrained may
// come in any state (the user reads buffered data after the connection ended). A graceful
// disconnect with nothing to write is kDisconnectRequested followed at once by
// kWriteBufferDrained. kDisconnectRequested/kClose in kUnconnected are no-ops for the state
// (Close still closes an open device).
#ifndef LOCALSOCKET_IPC_CONNECTION_STATE_MACHINE_H_
#define LOCALSOCKET_IPC_CONNECTION_STATE_MACHINE_H_

#include <iosfwd>

#include "ipc/local_socket.h"

namespace ipc {
namespace internal {

enum class SocketEvent {
  kConnectRequested,
  kConnectCompleted,
  kConnectFailed,
  kConnectRetry,
  kConnectTimeout,
  kDescriptorAdopted,
  kReadable,
  kWritable,
  kPeerEof,
  kIoError,
  kReadBufferFull,
  kReadBufferDrained,
  kDisconnectRequested,
  kClose,
  kAbort,
  kWriteBufferDrained,
};
inline constexpr int kSocketEventCount = 16;

// What an event does in a state (one cell of the table above).
struct Transition {
  enum class Kind {
    kMove,    // To `next` (through kClosing first if `through_closing`).
    kStay,    // Handled; the state does not change.
    kRefuse,  // Misuse in this state (kOperation).
    kIgnore,  // Cannot happen in this state.
  };
  Kind kind;
  LocalSocket::State next;
  bool through_closing;
};

// The transition function: the cell of the table for (`state`, `event`).
Transition NextTransition(LocalSocket::State state, SocketEvent event);

const char* SocketEventName(SocketEvent event);
std::ostream& operator<<(std::ostream& os, SocketEvent event);

}  // namespace internal
}  // namespace ipc

#endif  // LOCALSOCKET_IPC_CONNECTION_STATE_MACHINE_H_
