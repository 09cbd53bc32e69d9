#include "ipc/socket_state_machines.h"

#include <ostream>

namespace ipc {
namespace internal {

namespace {

using S = LocalSocketTypes::State;
constexpr Cell<S> To(S next) { return Move(next); }
constexpr Cell<S> kSame = Stay<S>();
constexpr Cell<S> kNo = Refuse<S>();
constexpr Cell<S> kX = Undefined<S>();

}  // namespace

// Rows: events; columns: kUnconnected, kConnecting, kConnected, kClosing.
const Cell<S> ConnectionTraits::kTable[kEventCount][kStateCount] = {
    /* kConnectRequested */ {To(S::kConnecting), kNo, kNo, kNo},
    /* kConnectCompleted */ {kX, To(S::kConnected), kX, kX},
    /* kConnectFailed */ {kX, To(S::kUnconnected), kX, kX},
    /* kConnectTimeout */ {kX, To(S::kUnconnected), kX, kX},
    /* kDescriptorAdopted */ {To(S::kConnected), kNo, kNo, kNo},
    /* kReadable */ {kX, kX, kSame, kSame},
    /* kWritable */ {kX, kX, kSame, kSame},
    /* kPeerEof */ {kX, kX, To(S::kClosing), To(S::kUnconnected)},
    /* kPeerEofWritesPending */ {kX, kX, To(S::kClosing), kSame},
    /* kIoError */ {kX, kX, To(S::kClosing), To(S::kUnconnected)},
    /* kTornDown */ {kX, kX, kX, To(S::kUnconnected)},
    /* kDisconnectRequested */ {Ignore<S>(), To(S::kUnconnected), To(S::kClosing), kSame},
    /* kClose */ {kSame, To(S::kUnconnected), To(S::kClosing), kSame},
    /* kAbort */ {kSame, To(S::kUnconnected), To(S::kUnconnected), To(S::kUnconnected)},
    /* kWriteBufferDrained */ {kX, kX, kSame, To(S::kUnconnected)},
};

// Rows: events; columns: kIdle, kInProgress, kBackoff.
const Cell<ConnectPhase> ConnectPhaseTraits::kTable[kEventCount][kStateCount] = {
    /* kAttemptInProgress */
    {Move(ConnectPhase::kInProgress), Stay<ConnectPhase>(), Move(ConnectPhase::kInProgress)},
    /* kAttemptBackoff */
    {Move(ConnectPhase::kBackoff), Move(ConnectPhase::kBackoff), Stay<ConnectPhase>()},
    /* kAttemptFinished */
    {Stay<ConnectPhase>(), Move(ConnectPhase::kIdle), Move(ConnectPhase::kIdle)},
    /* kCancelled */
    {Ignore<ConnectPhase>(), Move(ConnectPhase::kIdle), Move(ConnectPhase::kIdle)},
};

// Rows: events; columns: kReading, kPaused, kAtEof.
const Cell<ReadSide> ReadSideTraits::kTable[kEventCount][kStateCount] = {
    /* kBufferFull */ {Move(ReadSide::kPaused), Stay<ReadSide>(), Undefined<ReadSide>()},
    /* kBufferDrained */ {Stay<ReadSide>(), Move(ReadSide::kReading), Stay<ReadSide>()},
    /* kEof */ {Move(ReadSide::kAtEof), Move(ReadSide::kAtEof), Stay<ReadSide>()},
    /* kNewConnection */ {Stay<ReadSide>(), Move(ReadSide::kReading), Move(ReadSide::kReading)},
};

// Rows: events; columns: kIdle, kBlocked, kShutting, kShutBlocked, kShut.
const Cell<WriteSide> WriteSideTraits::kTable[kEventCount][kStateCount] = {
    /* kKernelFull */
    {Move(WriteSide::kBlocked), Stay<WriteSide>(), Move(WriteSide::kShutBlocked), Stay<WriteSide>(),
     Undefined<WriteSide>()},
    /* kKernelTookAll */
    {Stay<WriteSide>(), Move(WriteSide::kIdle), Stay<WriteSide>(), Move(WriteSide::kShutting),
     Stay<WriteSide>()},
    /* kShutdownRequested */
    {Move(WriteSide::kShutting), Move(WriteSide::kShutBlocked), Refuse<WriteSide>(),
     Refuse<WriteSide>(), Refuse<WriteSide>()},
    /* kShutdownDone */
    {Undefined<WriteSide>(), Undefined<WriteSide>(), Move(WriteSide::kShut), Undefined<WriteSide>(),
     Undefined<WriteSide>()},
    /* kNewConnection */
    {Stay<WriteSide>(), Move(WriteSide::kIdle), Move(WriteSide::kIdle), Move(WriteSide::kIdle),
     Move(WriteSide::kIdle)},
};

const char* ConnectionTraits::StateName(State state) {
  switch (state) {
    case S::kUnconnected:
      return "kUnconnected";
    case S::kConnecting:
      return "kConnecting";
    case S::kConnected:
      return "kConnected";
    case S::kClosing:
      return "kClosing";
  }
  return "?";
}

const char* ConnectionTraits::EventName(Event event) {
  switch (event) {
    case ConnectionEvent::kConnectRequested:
      return "kConnectRequested";
    case ConnectionEvent::kConnectCompleted:
      return "kConnectCompleted";
    case ConnectionEvent::kConnectFailed:
      return "kConnectFailed";
    case ConnectionEvent::kConnectTimeout:
      return "kConnectTimeout";
    case ConnectionEvent::kDescriptorAdopted:
      return "kDescriptorAdopted";
    case ConnectionEvent::kReadable:
      return "kReadable";
    case ConnectionEvent::kWritable:
      return "kWritable";
    case ConnectionEvent::kPeerEof:
      return "kPeerEof";
    case ConnectionEvent::kPeerEofWritesPending:
      return "kPeerEofWritesPending";
    case ConnectionEvent::kIoError:
      return "kIoError";
    case ConnectionEvent::kTornDown:
      return "kTornDown";
    case ConnectionEvent::kDisconnectRequested:
      return "kDisconnectRequested";
    case ConnectionEvent::kClose:
      return "kClose";
    case ConnectionEvent::kAbort:
      return "kAbort";
    case ConnectionEvent::kWriteBufferDrained:
      return "kWriteBufferDrained";
  }
  return "?";
}

const char* ConnectPhaseTraits::StateName(State state) {
  switch (state) {
    case ConnectPhase::kIdle:
      return "kIdle";
    case ConnectPhase::kInProgress:
      return "kInProgress";
    case ConnectPhase::kBackoff:
      return "kBackoff";
  }
  return "?";
}

const char* ConnectPhaseTraits::EventName(Event event) {
  switch (event) {
    case ConnectPhaseEvent::kAttemptInProgress:
      return "kAttemptInProgress";
    case ConnectPhaseEvent::kAttemptBackoff:
      return "kAttemptBackoff";
    case ConnectPhaseEvent::kAttemptFinished:
      return "kAttemptFinished";
    case ConnectPhaseEvent::kCancelled:
      return "kCancelled";
  }
  return "?";
}

const char* ReadSideTraits::StateName(State state) {
  switch (state) {
    case ReadSide::kReading:
      return "kReading";
    case ReadSide::kPaused:
      return "kPaused";
    case ReadSide::kAtEof:
      return "kAtEof";
  }
  return "?";
}

const char* ReadSideTraits::EventName(Event event) {
  switch (event) {
    case ReadSideEvent::kBufferFull:
      return "kBufferFull";
    case ReadSideEvent::kBufferDrained:
      return "kBufferDrained";
    case ReadSideEvent::kEof:
      return "kEof";
    case ReadSideEvent::kNewConnection:
      return "kNewConnection";
  }
  return "?";
}

const char* WriteSideTraits::StateName(State state) {
  switch (state) {
    case WriteSide::kIdle:
      return "kIdle";
    case WriteSide::kBlocked:
      return "kBlocked";
    case WriteSide::kShutting:
      return "kShutting";
    case WriteSide::kShutBlocked:
      return "kShutBlocked";
    case WriteSide::kShut:
      return "kShut";
  }
  return "?";
}

const char* WriteSideTraits::EventName(Event event) {
  switch (event) {
    case WriteSideEvent::kKernelFull:
      return "kKernelFull";
    case WriteSideEvent::kKernelTookAll:
      return "kKernelTookAll";
    case WriteSideEvent::kShutdownRequested:
      return "kShutdownRequested";
    case WriteSideEvent::kShutdownDone:
      return "kShutdownDone";
    case WriteSideEvent::kNewConnection:
      return "kNewConnection";
  }
  return "?";
}

std::ostream& operator<<(std::ostream& os, ConnectionEvent event) {
  return os << ConnectionTraits::EventName(event);
}
std::ostream& operator<<(std::ostream& os, ConnectPhase phase) {
  return os << ConnectPhaseTraits::StateName(phase);
}
std::ostream& operator<<(std::ostream& os, ConnectPhaseEvent event) {
  return os << ConnectPhaseTraits::EventName(event);
}
std::ostream& operator<<(std::ostream& os, ReadSide side) {
  return os << ReadSideTraits::StateName(side);
}
std::ostream& operator<<(std::ostream& os, ReadSideEvent event) {
  return os << ReadSideTraits::EventName(event);
}
std::ostream& operator<<(std::ostream& os, WriteSide side) {
  return os << WriteSideTraits::StateName(side);
}
std::ostream& operator<<(std::ostream& os, WriteSideEvent event) {
  return os << WriteSideTraits::EventName(event);
}

}  // namespace internal
}  // namespace ipc
