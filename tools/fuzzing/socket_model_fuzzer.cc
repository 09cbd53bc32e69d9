// Fuzzes LocalSocket and LocalServer together on a FakeKernel: clients and the server's
// accepted sockets under API calls from both sides, slots that re-enter, kernel faults and
// fake time, against a model of every connection's byte streams (socket_model.h).
//
// Input: a sequence of at most 64 operations, each an opcode byte (modulo kOpCount) followed
// by its arguments (fuzz_input.h reads them; a truncated operation reads zeros). E is a byte
// choosing one of the live sockets (at most 4: clients and accepted sockets; modulo their
// count):
//   kNewClient        a new unconnected LocalSocket (if fewer than 4 live)
//   kConnect          E, name, timeout: ConnectToServer of the server (the name the last
//                     server listened on: abstract, or a path every second restart), or
//                     "/tmp/none" when the name byte is odd (kServerNotFound), with
//                     SetConnectTimeout 0/5/50/30000
//   kWrite            E, n = 1..2,048: up to 1,984 bytes of its stream with Write; above,
//                     16 KiB + 64 * (n - 1,984) bytes with WriteShared, whose buffer the socket
//                     holds only while it is borrowed and releases when it is destroyed
//   kWriteWithFds     E, 0..255 bytes (0: refused) with count % 5 fds, each byte picking one
//                     of 3 files (opened at the first such operation)
//   kRead kReadAll kReadLine kPeek kSkip kPeekBuffered   E, a size 0..4,095 (PeekBuffered:
//                     verifies the view, then Skips up to the size)
//   kTakeFds kFlush kDisconnect kClose kAbort kShutdownWrite kDestroy   E
//   kReadLimit kWriteLimit   E, SetReadBufferSize / SetWriteBufferLimit 0..4,095
//   kWait             E, which (WaitForConnected, ReadyRead, BytesWritten, Disconnected),
//                     0..63 ms (the kernel's poll advances fake time)
//   kArm              E, signal, action, argument: a one-shot slot on the socket's next
//                     ready_read, bytes_written, disconnected, state_changed, error_occurred,
//                     connected, read_channel_finished or about_to_close that aborts, closes,
//                     disconnects, destroys the socket, connects again, shuts down writing,
//                     reads everything, writes 1..256 bytes or flushes
//   kSendFault        E, the next sendmsg on its fd fails EAGAIN, EINTR, EPIPE, ECONNRESET or
//                     ENOBUFS
//   kRecvFault        E, the next recvmsg on its fd fails EAGAIN, EINTR, ECONNRESET or EPIPE
//   kCapSends         E, its next 1..4 sends take at most 1..64 bytes each
//   kSendBuffer       E, its SO_SNDBUF set to exactly 16 n + 1 bytes (n 0..255)
//   kReset            E, ResetConnection on its fd (the peer resets)
//   kRun              the loop runs until idle (flushes, reads, accepts, emissions)
//   kAdvance          FastForwardBy 0..255 ms (backoff retries, connect timeouts)
//   kConnectFault     the next connect fails ECONNREFUSED, EAGAIN, ENOENT, EACCES or EINTR,
//                     or the next socket() EMFILE
//   kBacklogFull      the server's backlog full (connects get EAGAIN) or not
//   kFdLimit          0: the descriptor limit back to 1,024; else room for 0..6 more fds
//   kServer           destroys the server (its pending sockets with it), or creates and
//                     listens again: on its abstract name, on the path /tmp/socket-model every
//                     second restart (its socket and lock files must exist exactly while it
//                     listens)
//   kAccept           takes a connection the server holds (NextPendingConnection)
// Accepted connections are taken in the new_connection slot while fewer than 4 sockets live.
//
// Invariants, checked as each signal comes and after every operation (socket_model.h):
// - state_changed follows the connection table's edges (kUnconnected -> kConnecting ->
//   kConnected -> kClosing -> kUnconnected, kConnecting/kConnected -> kUnconnected), state()
//   is the last state emitted, and a socket not connected holds nothing to write;
// - every byte read (Read, ReadAll, ReadLine, Peek, PeekBuffered, Skip) is the next byte of
//   the stream the peer's Write/WriteWithFds accepted, and a socket never holds more than the
//   peer's bytes_written reported;
// - BytesToWrite() + sum(bytes_written) + dropped == accepted, per connection and direction,
//   where bytes may be dropped only after Abort, destruction or error_occurred;
// - one `disconnected` after each kUnconnected that ends a connection, none otherwise, unless
//   a slot started a new operation or destroyed the socket;
// - ready_read only when bytes arrived since the last one; a wait that returns true did
//   what it waited for;
// - accepted sockets come in connect order (their SO_PEERCRED pid, set per connect);
// - the FakeKernel sees no double close.
// At the end the faults are cleared, limits lifted, pending connections accepted and the loop
// run until every write is out and read; then every connecting end disconnects, and the loop
// runs until every socket is kUnconnected. Per direction: accepted == sent + dropped; a reader
// that kept reading (no Abort, Close, DisconnectFromServer, destruction, receive fault or
// failure that skips the queue) read everything sent; and when in addition the writer was not
// aborted or destroyed and no fault hit the connection, everything accepted, also before a
// DisconnectFromServer or ShutdownWrite: nothing is lost in a graceful close. With every socket
// and the server destroyed, only the fixture's files (if opened) are open and nothing is in
// flight.
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <vector>

#include "tools/fuzzing/fuzz_input.h"
#include "tools/fuzzing/socket_model.h"
#include "tools/fuzzing/socket_model_session.h"

namespace {

using fuzz::Armed;
using fuzz::Endpoint;
using fuzz::Reentry;
using fuzz::SocketModelSession;
using fuzz::Tracing;

enum Op : uint8_t {
  kNewClient,
  kConnect,
  kWrite,
  kWriteWithFds,
  kRead,
  kReadAll,
  kReadLine,
  kPeek,
  kSkip,
  kPeekBuffered,
  kTakeFds,
  kFlush,
  kDisconnect,
  kClose,
  kAbort,
  kShutdownWrite,
  kDestroy,
  kReadLimit,
  kWriteLimit,
  kWait,
  kArm,
  kSendFault,
  kRecvFault,
  kCapSends,
  kSendBuffer,
  kReset,
  kRun,
  kAdvance,
  kConnectFault,
  kBacklogFull,
  kFdLimit,
  kServer,
  kAccept,
  kOpCount,
};

constexpr size_t kMaxOps = 64;

void FaultStep(Op op, SocketModelSession& session, Endpoint& endpoint, fuzz::FuzzInput& input) {
  const uint8_t arg = input.Byte();
  const uint8_t times = op == kCapSends ? input.Byte() : 0;
  switch (op) {
    case kSendFault: {
      static constexpr int kErrors[] = {EAGAIN, EINTR, EPIPE, ECONNRESET, ENOBUFS};
      session.FailSend(endpoint, kErrors[arg % 5]);
      break;
    }
    case kRecvFault: {
      static constexpr int kErrors[] = {EAGAIN, EINTR, ECONNRESET, EPIPE};
      session.FailReceive(endpoint, kErrors[arg % 4]);
      break;
    }
    case kCapSends:
      session.CapSends(endpoint, arg % 64 + 1, times % 4 + 1);
      break;
    case kSendBuffer:
      session.SetSendBuffer(endpoint, static_cast<int>(arg) * 16 + 1);
      break;
    case kReset:
      session.Reset(endpoint);
      break;
    default:
      break;
  }
}

void SocketStep(Op op, SocketModelSession& session, Endpoint& endpoint, fuzz::FuzzInput& input) {
  switch (op) {
    case kConnect: {
      static constexpr int kTimeouts[] = {0, 5, 50, 30000};
      const uint8_t name = input.Byte();
      session.Connect(endpoint, name, kTimeouts[input.Byte() % 4]);
      break;
    }
    case kWrite:
      endpoint.Write(input.InRange(1, 2048));
      break;
    case kWriteWithFds: {
      const size_t size = input.InRange(0, 255);
      std::vector<int> fds;
      for (int i = input.Byte() % 5; i > 0; --i)
        fds.push_back(session.File(input.Byte() % fuzz::kFiles));
      endpoint.WriteWithFds(size, fds);
      break;
    }
    case kRead:
      endpoint.Read(input.InRange(0, 4095));
      break;
    case kReadAll:
      endpoint.ReadAll();
      break;
    case kReadLine:
      endpoint.ReadLine(input.InRange(0, 4095));
      break;
    case kPeek:
      endpoint.Peek(input.InRange(0, 4095));
      break;
    case kSkip:
      endpoint.Skip(input.InRange(0, 4095));
      break;
    case kPeekBuffered:
      endpoint.PeekBufferedAndSkip(input.InRange(0, 4095));
      break;
    case kTakeFds:
      endpoint.TakeFds();
      break;
    case kFlush:
      endpoint.Flush();
      break;
    case kDisconnect:
      endpoint.Disconnect();
      break;
    case kClose:
      endpoint.Close();
      break;
    case kAbort:
      endpoint.Abort();
      break;
    case kShutdownWrite:
      endpoint.ShutdownWrite();
      break;
    case kDestroy:
      endpoint.Destroy();
      break;
    case kReadLimit:
      endpoint.socket().SetReadBufferSize(static_cast<int64_t>(input.InRange(0, 4095)));
      break;
    case kWriteLimit:
      endpoint.socket().SetWriteBufferLimit(static_cast<int64_t>(input.InRange(0, 4095)));
      break;
    case kWait: {
      const uint8_t which = input.Byte();
      endpoint.Wait(which, static_cast<int>(input.Byte() % 64));
      break;
    }
    case kArm: {
      const auto signal = static_cast<Armed>(input.Byte() % static_cast<int>(Armed::kCount));
      const auto action = static_cast<Reentry>(input.Byte() % static_cast<int>(Reentry::kCount));
      endpoint.Arm(signal, action, input.Byte());
      if (Tracing()) {
        std::fprintf(stderr, "  armed signal %d action %d\n", static_cast<int>(signal),
                     static_cast<int>(action));
      }
      break;
    }
    default:
      FaultStep(op, session, endpoint, input);
      break;
  }
}

void Step(SocketModelSession& session, fuzz::FuzzInput& input) {
  const auto op = static_cast<Op>(input.Byte() % kOpCount);
  if (Tracing()) std::fprintf(stderr, "op %d at input offset -%zu\n", op, input.remaining());
  if (op >= kConnect && op <= kReset) {
    Endpoint* endpoint = session.Pick(input.Byte());
    if (endpoint != nullptr) SocketStep(op, session, *endpoint, input);
    return;
  }
  switch (op) {
    case kNewClient:
      session.NewClient();
      break;
    case kRun:
      session.loop().RunUntilIdle();
      break;
    case kAdvance:
      session.loop().FastForwardBy(std::chrono::milliseconds(input.Byte()));
      break;
    case kConnectFault: {
      static constexpr int kErrors[] = {ECONNREFUSED, EAGAIN, ENOENT, EACCES, EINTR, EMFILE};
      session.FailConnect(kErrors[input.Byte() % 6]);
      break;
    }
    case kBacklogFull:
      session.SetBacklogFull(input.Bool());
      break;
    case kFdLimit:
      session.LimitFds(input.Byte() % 8);
      break;
    case kServer:
      session.ToggleServer();
      break;
    case kAccept:
      session.TakeHeld();
      break;
    default:
      break;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::FuzzInput input(data, size);
  SocketModelSession session;
  for (size_t ops = 0; ops < kMaxOps && !input.empty(); ++ops) {
    Step(session, input);
    session.CheckBetweenSteps();
  }
  session.Finish();
  return 0;
}
