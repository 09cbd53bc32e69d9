// Fuzzes LocalSocket and LocalServer together on a FakeKernel: clients and the server's
// accepted sockets under API calls from both sides, slots that re-enter, kernel faults and
// fake time, against a model of every connection's byte streams (socket_model.h).
//
// Input: a sequence of at most 64 operations, each an opcode byte (modulo kOpCount) followed
// by its arguments (fuzz_input.h reads them; a truncated operation reads zeros). E is a byte
// choosing one of the live sockets (at most 4: clients and accepted sockets; modulo their
// count):
//   kNewClient        a new unconnected LocalSocket (if fewer than 4 live)
//   kConnect          E, name, timeout: ConnectToServer of the server (an abstract name), or
//                     "/tmp/none" when the name byte is odd (kServerNotFound), with
//                     SetConnectTimeout 0/5/50/30000
//   kWrite            E, 1..2,048 bytes of its stream
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
//                     listens again
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
#include <fcntl.h>

#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "ipc/local_server.h"
#include "ipc/local_socket.h"
#include "testing/fake_event_loop.h"
#include "testing/fake_kernel.h"
#include "tools/fuzzing/fuzz_check.h"
#include "tools/fuzzing/fuzz_input.h"
#include "tools/fuzzing/socket_model.h"

namespace {

using fuzz::Armed;
using fuzz::Endpoint;
using fuzz::Pipe;
using fuzz::Reentry;
using fuzz::Tracing;
using ipc::FakeKernel;
using ipc::LocalSocket;
using Call = FakeKernel::Call;
using State = LocalSocket::State;

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

// The server listens in the abstract namespace (no lock or socket file: cheaper per input);
// the missing name is a path (ENOENT: kServerNotFound).
constexpr char kServerName[] = "socket-model";
constexpr char kMissingName[] = "/tmp/none";
constexpr int kFiles = 3;
constexpr size_t kMaxOps = 64;
constexpr size_t kMaxSockets = 4;
constexpr int kMaxFds = 1024;
constexpr int kDefaultSendBuffer = 212992;
// Loop runs the final drain allows per phase (each lets the kernel take a little more).
constexpr int kMaxDrainRounds = 10000;

ipc::FakeKernelOptions KernelOptions() {
  ipc::FakeKernelOptions options;
  options.reuse_fds = false;  // A fault or a close aimed at a gone fd hits nothing else.
  options.max_fds = kMaxFds;
  return options;
}

class Session final : public fuzz::EndpointHost {
 public:
  Session() {
    StampConnects();
    StartServer();
    FUZZ_CHECK(server_ != nullptr);
    endpoints_.push_back(std::make_unique<Endpoint>(*this, kernel_, loop_));
  }

  void Run(fuzz::FuzzInput& input) {
    for (size_t ops = 0; ops < kMaxOps && !input.empty(); ++ops) {
      Step(input);
      CheckBetweenSteps();
    }
    Finish();
  }

  // EndpointHost.
  void OnConnected(Endpoint& endpoint) override {
    auto pipe = std::make_shared<Pipe>();
    if (Tracing())
      std::fprintf(stderr, "  connected: pipe %zu fd %d\n", pipes_.size(), endpoint.fd());
    pipe->id = pipes_.size();
    pipe->pid = pid_;
    pipe->from[0].seed = 2 * pipe->id + 1;
    pipe->from[1].seed = 2 * pipe->id + 2;
    pipe->from[0].faulted = pipe->from[1].faulted = fd_limited_;
    endpoint.Attach(pipe, 0);
    pipes_.push_back(pipe);
    unaccepted_.push_back(pipe);
  }

  void RunReentry(Endpoint& endpoint, Reentry action, uint8_t arg) override {
    if (Tracing()) std::fprintf(stderr, "  slot action %d\n", static_cast<int>(action));
    switch (action) {
      case Reentry::kAbort:
        endpoint.NoteReentry();
        endpoint.Abort();
        break;
      case Reentry::kClose:
        endpoint.NoteReentry();
        endpoint.Close();
        break;
      case Reentry::kDisconnect:
        endpoint.NoteReentry();
        endpoint.Disconnect();
        break;
      case Reentry::kDestroy:
        endpoint.NoteReentry();
        endpoint.Destroy();
        break;
      case Reentry::kConnect:
        endpoint.NoteReentry();
        Connect(endpoint, arg, 30000);
        break;
      case Reentry::kShutdownWrite:
        endpoint.ShutdownWrite();
        break;
      case Reentry::kReadAll:
        endpoint.ReadAll();
        break;
      case Reentry::kWrite:
        endpoint.Write(size_t{arg} + 1);
        break;
      case Reentry::kFlush:
      case Reentry::kCount:
        endpoint.Flush();
        break;
    }
  }

 private:
  // Connects to the server, or to the missing name when `name` is odd.
  static void Connect(Endpoint& endpoint, uint8_t name, int timeout_ms) {
    const bool missing = (name & 1) != 0;
    endpoint.Connect(missing ? kMissingName : kServerName, !missing, timeout_ms);
  }

  // Before every connect, a new SO_PEERCRED pid: the accepted socket tells which connect it is.
  void StampConnects() {
    kernel_.RunBeforeNext(
        Call::kConnect, [this] { kernel_.SetCredentials(++pid_, 0, 0); }, FakeKernel::kAnyFd,
        FakeKernel::kAlways);
  }

  void StartServer() {
    server_ = std::make_unique<ipc::LocalServer>(loop_, kernel_);
    server_->SetSocketOptions(ipc::LocalServer::kAbstractNamespace);
    server_->new_connection.Connect([this] {
      if (Tracing()) std::fprintf(stderr, "  new_connection\n");
      FUZZ_CHECK(!unaccepted_.empty());
      held_.push_back(unaccepted_.front());
      unaccepted_.pop_front();
      TakeHeld();
    });
    if (!server_->Listen(kServerName)) {
      // Only a lowered fd limit or an injected socket() EMFILE stops it.
      if (!fd_limited_ && !socket_faulted_) {
        fuzz::CheckFailed(__FILE__, __LINE__, "Listen succeeds", server_->error_string());
      }
      server_.reset();
    }
  }

  void StopServer() {
    server_.reset();  // Destroys the held sockets; the kernel resets the unaccepted ones.
    for (auto* queue : {&held_, &unaccepted_}) {
      for (const std::shared_ptr<Pipe>& pipe : *queue) pipe->from[0].reader_gone = true;
      queue->clear();
    }
  }

  // Takes the connections the server holds while there is room.
  void TakeHeld() {
    while (server_ && !held_.empty() && (draining_ || LiveCount() < kMaxSockets)) {
      std::unique_ptr<LocalSocket> socket = server_->NextPendingConnection();
      FUZZ_CHECK(socket != nullptr);
      // A held socket lives on the loop: it may have seen its peer's EOF and ended already.
      if (socket->state() == State::kConnected) {
        const std::optional<ipc::PeerCredentials> peer = socket->peer_credentials();
        FUZZ_CHECK(peer.has_value());
        FUZZ_CHECK_EQ(peer->pid, held_.front()->pid);  // Accepted in connect order.
      }
      endpoints_.push_back(
          std::make_unique<Endpoint>(*this, kernel_, std::move(socket), held_.front()));
      held_.pop_front();
    }
  }

  size_t LiveCount() const {
    size_t live = 0;
    for (const auto& endpoint : endpoints_) live += endpoint->alive() ? 1 : 0;
    return live;
  }

  // The live socket chosen by the next input byte, or nullptr.
  Endpoint* Pick(fuzz::FuzzInput& input) {
    const uint8_t byte = input.Byte();
    std::vector<Endpoint*> live;
    for (const auto& endpoint : endpoints_) {
      if (endpoint->alive()) live.push_back(endpoint.get());
    }
    return live.empty() ? nullptr : live[byte % live.size()];
  }

  void Step(fuzz::FuzzInput& input) {
    const auto op = static_cast<Op>(input.Byte() % kOpCount);
    if (Tracing()) std::fprintf(stderr, "op %d at input offset -%zu\n", op, input.remaining());
    if (op >= kConnect && op <= kReset) {
      Endpoint* endpoint = Pick(input);
      if (endpoint != nullptr) SocketStep(op, *endpoint, input);
      return;
    }
    switch (op) {
      case kNewClient:
        if (LiveCount() < kMaxSockets) {
          endpoints_.push_back(std::make_unique<Endpoint>(*this, kernel_, loop_));
        }
        break;
      case kRun:
        loop_.RunUntilIdle();
        break;
      case kAdvance:
        loop_.FastForwardBy(std::chrono::milliseconds(input.Byte()));
        break;
      case kConnectFault: {
        static constexpr int kErrors[] = {ECONNREFUSED, EAGAIN, ENOENT, EACCES, EINTR};
        const uint8_t pick = input.Byte() % 6;
        if (pick == 5) {
          kernel_.FailNext(Call::kSocket, EMFILE);
          socket_faulted_ = true;
        } else {
          kernel_.FailNext(Call::kConnect, kErrors[pick]);
        }
        break;
      }
      case kBacklogFull:
        if (server_) kernel_.SetBacklogFull(server_->socket_descriptor(), input.Bool());
        break;
      case kFdLimit: {
        const uint8_t extra = input.Byte() % 8;
        if (extra == 0) {
          kernel_.SetFdLimit(kMaxFds);
          fd_limited_ = false;
          break;
        }
        kernel_.SetFdLimit(3 + static_cast<int>(kernel_.open_fds().size()) + extra - 1);
        fd_limited_ = true;
        for (const std::shared_ptr<Pipe>& pipe : pipes_) {
          pipe->from[0].faulted = pipe->from[1].faulted = true;
        }
        break;
      }
      case kServer:
        if (server_) {
          StopServer();
        } else {
          StartServer();
        }
        break;
      case kAccept:
        TakeHeld();
        break;
      default:
        break;
    }
  }

  void SocketStep(Op op, Endpoint& endpoint, fuzz::FuzzInput& input) {
    switch (op) {
      case kConnect: {
        static constexpr int kTimeouts[] = {0, 5, 50, 30000};
        const uint8_t name = input.Byte();
        Connect(endpoint, name, kTimeouts[input.Byte() % 4]);
        break;
      }
      case kWrite:
        endpoint.Write(input.InRange(1, 2048));
        break;
      case kWriteWithFds: {
        const size_t size = input.InRange(0, 255);
        std::vector<int> fds;
        for (int i = input.Byte() % 5; i > 0; --i) fds.push_back(File(input.Byte() % kFiles));
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
        FaultStep(op, endpoint, input);
        break;
    }
  }

  // The kernel faults aimed at one socket's descriptor.
  void FaultStep(Op op, Endpoint& endpoint, fuzz::FuzzInput& input) {
    const int fd = endpoint.fd();
    const uint8_t arg = input.Byte();
    const uint8_t times = op == kCapSends ? input.Byte() : 0;
    if (fd < 0) return;
    switch (op) {
      case kSendFault: {
        static constexpr int kErrors[] = {EAGAIN, EINTR, EPIPE, ECONNRESET, ENOBUFS};
        const int err = kErrors[arg % 5];
        kernel_.FailNext(Call::kSendMsg, err, fd);
        if (err != EAGAIN && err != EINTR) Fault(endpoint);
        break;
      }
      case kRecvFault: {
        static constexpr int kErrors[] = {EAGAIN, EINTR, ECONNRESET, EPIPE};
        const int err = kErrors[arg % 4];
        kernel_.FailNext(Call::kRecvMsg, err, fd);
        // A hard error ends the connection with the queue unread. An EAGAIN while bytes are
        // queued (which Linux never returns) ends the read that delivers the queue before a
        // failure, so those bytes may be lost too. EINTR is retried.
        if (err != EINTR && endpoint.in() != nullptr) endpoint.in()->reader_gone = true;
        if (err != EAGAIN && err != EINTR) Fault(endpoint);
        break;
      }
      case kCapSends:
        kernel_.CapSends(fd, arg % 64 + 1, times % 4 + 1);
        break;
      case kSendBuffer:
        kernel_.SetSendBufferSize(fd, static_cast<int>(arg) * 16 + 1);
        break;
      case kReset:
        if (kernel_.ResetConnection(fd)) Fault(endpoint);
        break;
      default:
        break;
    }
  }

  // The descriptor of the fixture's file `index`, opened (with the others) on first use.
  // While the fd limit is lowered, before the files exist: -1 (WriteWithFds refuses it).
  int File(int index) {
    if (files_.empty() && fd_limited_) return -1;
    if (files_.empty()) {
      for (int i = 0; i < kFiles; ++i) {
        const std::string path = "/tmp/file" + std::to_string(i);
        FUZZ_CHECK_EQ(kernel_.CreateFile(path), 0);
        const ipc::SysResult opened = kernel_.Open(path.c_str(), O_RDONLY | O_CLOEXEC, 0);
        FUZZ_CHECK(opened.rc >= 0);
        files_.push_back(static_cast<int>(opened.rc));
      }
    }
    return files_[index];
  }

  static void Fault(Endpoint& endpoint) {
    if (endpoint.pipe()) endpoint.pipe()->from[0].faulted = endpoint.pipe()->from[1].faulted = true;
  }

  void CheckBetweenSteps() {
    for (const auto& endpoint : endpoints_) endpoint->CheckBetweenSteps();
    // Gone sockets leave the list (their streams stay in pipes_).
    size_t kept = 0;
    for (auto& endpoint : endpoints_) {
      if (endpoint->alive()) endpoints_[kept++] = std::move(endpoint);
    }
    endpoints_.resize(kept);
    FUZZ_CHECK(kernel_.bad_closes().empty());
  }

  // Runs the loop and reads everything on every socket, until `done` or the round limit.
  template <typename Done>
  void Drain(Done done) {
    for (int round = 0; round < kMaxDrainRounds; ++round) {
      loop_.RunUntilIdle();
      TakeHeld();
      bool connecting = false;
      for (const auto& endpoint : endpoints_) {
        endpoint->ReadAll();
        endpoint->TakeFds();
        if (endpoint->alive() && endpoint->socket().state() == State::kConnecting) {
          connecting = true;
        }
      }
      CheckBetweenSteps();
      if (done()) return;
      // Connect retries and timeouts, and the server's accept backoff, need time.
      if (connecting || !unaccepted_.empty()) loop_.FastForwardBy(std::chrono::milliseconds(100));
    }
    if (!done()) fuzz::CheckFailed(__FILE__, __LINE__, "the drain settles", Describe());
  }

  // What the drain waits for, for a failure message.
  std::string Describe() const {
    std::string out = std::to_string(unaccepted_.size()) + " unaccepted, " +
                      std::to_string(held_.size()) + " held; sockets:";
    for (const auto& endpoint : endpoints_) {
      const LocalSocket& socket = endpoint->socket();
      std::ostringstream line;
      line << " [" << socket.state() << ", fd " << endpoint->fd() << ", to write "
           << socket.BytesToWrite() << ", queued "
           << (endpoint->fd() >= 0 ? kernel_.BytesQueued(endpoint->fd()) : 0) << "]";
      out += line.str();
    }
    return out;
  }

  void Finish() {
    draining_ = true;
    kernel_.ClearFaults();
    StampConnects();
    kernel_.SetFdLimit(kMaxFds);
    fd_limited_ = false;
    if (server_) kernel_.SetBacklogFull(server_->socket_descriptor(), false);
    for (const auto& endpoint : endpoints_) {
      endpoint->Disarm();
      endpoint->socket().SetReadBufferSize(0);
      endpoint->socket().SetWriteBufferLimit(0);
      if (endpoint->fd() >= 0) kernel_.SetSendBufferSize(endpoint->fd(), kDefaultSendBuffer);
    }
    // Every write out and read, every connect settled, every connection accepted.
    Drain([this] {
      if (!unaccepted_.empty() && server_) return false;
      for (const auto& endpoint : endpoints_) {
        const LocalSocket& socket = endpoint->socket();
        if (socket.BytesToWrite() > 0 || socket.state() == State::kConnecting) return false;
        if (endpoint->fd() >= 0 && kernel_.BytesQueued(endpoint->fd()) > 0) return false;
      }
      return true;
    });
    // Then the connecting ends hang up (an accepted end whose peer is gone too), and every
    // connection ends.
    for (const auto& endpoint : endpoints_) {
      const std::shared_ptr<Pipe>& pipe = endpoint->pipe();
      if (pipe && endpoint->end() == 1 && pipe->attached[0]) continue;  // Awaits its EOF.
      endpoint->socket().DisconnectFromServer();
    }
    Drain([this] {
      for (const auto& endpoint : endpoints_) {
        if (endpoint->socket().state() != State::kUnconnected) return false;
      }
      return true;
    });
    for (const std::shared_ptr<Pipe>& pipe : pipes_) {
      for (const fuzz::Direction& d : pipe->from) {
        if (Tracing()) {
          std::fprintf(stderr, "pipe %d: accepted %d sent %d dropped %d consumed %d%s%s%s%s\n",
                       static_cast<int>(pipe->id), static_cast<int>(d.accepted),
                       static_cast<int>(d.sent), static_cast<int>(d.dropped),
                       static_cast<int>(d.consumed), d.writer_may_drop ? " may-drop" : "",
                       d.writer_aborted ? " aborted" : "", d.reader_gone ? " reader-gone" : "",
                       d.faulted ? " faulted" : "");
        }
        FUZZ_CHECK(d.sent + d.dropped <= d.accepted);
        if (!d.reader_gone) FUZZ_CHECK_EQ(d.consumed, d.sent);  // A reader that kept reading.
        if (!d.reader_gone && !d.faulted && !d.writer_aborted) {
          FUZZ_CHECK_EQ(d.consumed, d.accepted);  // Nothing lost in a graceful close.
        }
      }
    }
    endpoints_.clear();
    StopServer();
    FUZZ_CHECK(kernel_.open_fds() == files_);
    FUZZ_CHECK_EQ(kernel_.in_flight_count(), 0);
    FUZZ_CHECK(kernel_.bad_closes().empty());
    FUZZ_CHECK(!testing::UnitTest::GetInstance()->Failed());  // FakeEventLoop's own checks.
  }

  eventloop::FakeEventLoop loop_;
  FakeKernel kernel_{loop_, KernelOptions()};
  std::vector<int> files_;
  std::unique_ptr<ipc::LocalServer> server_;
  std::vector<std::unique_ptr<Endpoint>> endpoints_;
  std::vector<std::shared_ptr<Pipe>> pipes_;
  std::deque<std::shared_ptr<Pipe>> unaccepted_;  // Connected; the server has not accepted.
  std::deque<std::shared_ptr<Pipe>> held_;        // Accepted; the server holds the socket.
  pid_t pid_ = 1000;
  bool fd_limited_ = false;
  bool socket_faulted_ = false;  // A socket() EMFILE was injected (it may hit Listen).
  bool draining_ = false;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::FuzzInput input(data, size);
  Session session;
  session.Run(input);
  return 0;
}
