#include "ipc/connection_state_machine.h"

#include <ostream>

namespace ipc {
namespace internal {
namespace {

using State = LocalSocket::State;
using Kind = Transition::Kind;

constexpr Transition Move(State next) { return {Kind::kMove, next, false}; }
constexpr Transition MoveThroughClosing() { return {Kind::kMove, State::kUnconnected, true}; }
constexpr Transition Stay(State s) { return {Kind::kStay, s, false}; }
constexpr Transition Refuse(State s) { return {Kind::kRefuse, s, false}; }
constexpr Transition Ignore(State s) { return {Kind::kIgnore, s, false}; }

Transition FromUnconnected(SocketEvent event) {
  constexpr State kSelf = State::kUnconnected;
  switch (event) {
    case SocketEvent::kConnectRequested:
      return Move(State::kConnecting);
    case SocketEvent::kDescriptorAdopted:
      return Move(State::kConnected);
    case SocketEvent::kReadBufferDrained:
    case SocketEvent::kDisconnectRequested:
    case SocketEvent::kClose:
    case SocketEvent::kAbort:
      return Stay(kSelf);
    default:
      return Ignore(kSelf);
  }
}

Transition FromConnecting(SocketEvent event) {
  constexpr State kSelf = State::kConnecting;
  switch (event) {
    case SocketEvent::kConnectRequested:
    case SocketEvent::kDescriptorAdopted:
      return Refuse(kSelf);
    case SocketEvent::kConnectCompleted:
      return Move(State::kConnected);
    case SocketEvent::kConnectFailed:
    case SocketEvent::kConnectTimeout:
    case SocketEvent::kDisconnectRequested:
    case SocketEvent::kClose:
    case SocketEvent::kAbort:
      return Move(State::kUnconnected);
    case SocketEvent::kConnectRetry:
    case SocketEvent::kWritable:
    case SocketEvent::kReadBufferDrained:
      return Stay(kSelf);
    default:
      return Ignore(kSelf);
  }
}

Transition FromConnected(SocketEvent event) {
  constexpr State kSelf = State::kConnected;
  switch (event) {
    case SocketEvent::kConnectRequested:
    case SocketEvent::kDescriptorAdopted:
      return Refuse(kSelf);
    case SocketEvent::kReadable:
    case SocketEvent::kWritable:
    case SocketEvent::kReadBufferFull:
    case SocketEvent::kReadBufferDrained:
    case SocketEvent::kWriteBufferDrained:
      return Stay(kSelf);
    case SocketEvent::kPeerEof:
    case SocketEvent::kIoError:
      return MoveThroughClosing();
    case SocketEvent::kDisconnectRequested:
    case SocketEvent::kClose:
      return Move(State::kClosing);
    case SocketEvent::kAbort:
      return Move(State::kUnconnected);
    default:
      return Ignore(kSelf);
  }
}

Transition FromClosing(SocketEvent event) {
  constexpr State kSelf = State::kClosing;
  switch (event) {
    case SocketEvent::kConnectRequested:
    case SocketEvent::kDescriptorAdopted:
      return Refuse(kSelf);
    case SocketEvent::kReadable:
    case SocketEvent::kWritable:
    case SocketEvent::kReadBufferFull:
    case SocketEvent::kReadBufferDrained:
    case SocketEvent::kDisconnectRequested:
    case SocketEvent::kClose:
      return Stay(kSelf);
    case SocketEvent::kPeerEof:
    case SocketEvent::kIoError:
    case SocketEvent::kAbort:
    case SocketEvent::kWriteBufferDrained:
      return Move(State::kUnconnected);
    default:
      return Ignore(kSelf);
  }
}

}  // namespace

Transition NextTransition(LocalSocket::State state, SocketEvent event) {
  switch (state) {
    case State::kUnconnected:
      return FromUnconnected(event);
    case State::kConnecting:
      return FromConnecting(event);
    case State::kConnected:
      return FromConnected(event);
    case State::kClosing:
      return FromClosing(event);
  }
  return Ignore(state);
}

const char* SocketEventName(SocketEvent event) {
  switch (event) {
    case SocketEvent::kConnectRequested:
      return "kConnectRequested";
    case SocketEvent::kConnectCompleted:
      return "kConnectCompleted";
    case SocketEvent::kConnectFailed:
      return "kConnectFailed";
    case SocketEvent::kConnectRetry:
      return "kConnectRetry";
    case SocketEvent::kConnectTimeout:
      return "kConnectTimeout";
    case SocketEvent::kDescriptorAdopted:
      return "kDescriptorAdopted";
    case SocketEvent::kReadable:
      return "kReadable";
    case SocketEvent::kWritable:
      return "kWritable";
    case SocketEvent::kPeerEof:
      return "kPeerEof";
    case SocketEvent::kIoError:
      return "kIoError";
    case SocketEvent::kReadBufferFull:
      return "kReadBufferFull";
    case SocketEvent::kReadBufferDrained:
      return "kReadBufferDrained";
    case SocketEvent::kDisconnectRequested:
      return "kDisconnectRequested";
    case SocketEvent::kClose:
      return "kClose";
    case SocketEvent::kAbort:
      return "kAbort";
    case SocketEvent::kWriteBufferDrained:
      return "kWriteBufferDrained";
  }
  return "SocketEvent(?)";
}

std::ostream& operator<<(std::ostream& os, SocketEvent event) {
  return os << SocketEventName(event);
}

}  // namespace internal
}  // namespace ipc
