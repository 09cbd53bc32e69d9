#include "tools/fuzzing/socket_model_session.h"

#include <sys/stat.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <optional>
#include <sstream>
#include <utility>

#include "gtest/gtest.h"
#include "ipc/local_socket.h"
#include "tools/fuzzing/fixture_files.h"
#include "tools/fuzzing/fuzz_check.h"

namespace fuzz {
namespace {

using ipc::FakeKernel;
using ipc::LocalSocket;
using Call = FakeKernel::Call;
using State = LocalSocket::State;

// The server first listens in the abstract namespace (no lock or socket file: cheaper per
// input), and every second restart on a path, with its lock file beside it; the missing name is
// a path (ENOENT: kServerNotFound).
constexpr char kServerName[] = "socket-model";
constexpr char kServerPath[] = "/tmp/socket-model";
constexpr char kServerLockPath[] = "/tmp/socket-model.lock";
constexpr char kMissingName[] = "/tmp/none";
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

}  // namespace

SocketModelSession::SocketModelSession() : kernel_(loop_, KernelOptions()) {
  StampConnects();
  StartServer();
  FUZZ_CHECK(server_ != nullptr);
  endpoints_.push_back(std::make_unique<Endpoint>(*this, kernel_, loop_));
}

SocketModelSession::~SocketModelSession() = default;

Endpoint* SocketModelSession::Pick(uint8_t byte) {
  const size_t live = LiveCount();
  if (live == 0) return nullptr;
  size_t index = byte % live;
  for (const auto& endpoint : endpoints_) {
    if (endpoint->alive() && index-- == 0) return endpoint.get();
  }
  return nullptr;
}

void SocketModelSession::NewClient() {
  if (LiveCount() < kMaxSockets) {
    endpoints_.push_back(std::make_unique<Endpoint>(*this, kernel_, loop_));
  }
}

void SocketModelSession::Connect(Endpoint& endpoint, uint8_t name, int timeout_ms) const {
  if ((name & 1) != 0) return endpoint.Connect(kMissingName, /*abstract=*/false, timeout_ms);
  endpoint.Connect(path_server_ ? kServerPath : kServerName, !path_server_, timeout_ms);
}

bool SocketModelSession::PathExists(const char* path) {
  struct stat st = {};
  const ipc::SysResult result = kernel_.Lstat(path, &st);
  if (result.rc == 0) return true;
  FUZZ_CHECK_EQ(result.err, ENOENT);
  return false;
}

void SocketModelSession::OnConnected(Endpoint& endpoint) {
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

void SocketModelSession::RunReentry(Endpoint& endpoint, Reentry action, uint8_t arg) {
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

void SocketModelSession::StampConnects() {
  kernel_.RunBeforeNext(
      Call::kConnect, [this] { kernel_.SetCredentials(++pid_, 0, 0); }, FakeKernel::kAnyFd,
      FakeKernel::kAlways);
}

void SocketModelSession::StartServer() {
  path_server_ = (listens_++ % 2) == 1;
  server_ = std::make_unique<ipc::LocalServer>(loop_, kernel_);
  if (!path_server_) server_->SetSocketOptions(ipc::LocalServer::kAbstractNamespace);
  server_->new_connection.Connect([this] {
    if (Tracing()) std::fprintf(stderr, "  new_connection\n");
    FUZZ_CHECK(!unaccepted_.empty());
    held_.push_back(unaccepted_.front());
    unaccepted_.pop_front();
    TakeHeld();
  });
  if (!server_->Listen(path_server_ ? kServerPath : kServerName)) {
    // Only a lowered fd limit or an injected socket() EMFILE stops it.
    if (!fd_limited_ && !socket_faulted_) {
      fuzz::CheckFailed(__FILE__, __LINE__, "Listen succeeds", server_->error_string());
    }
    server_.reset();
  }
  // A path server's socket and lock files exist exactly while it listens.
  FUZZ_CHECK_EQ(PathExists(kServerPath), path_server_ && server_ != nullptr);
  FUZZ_CHECK_EQ(PathExists(kServerLockPath), path_server_ && server_ != nullptr);
}

void SocketModelSession::StopServer() {
  server_.reset();  // Destroys the held sockets; the kernel resets the unaccepted ones.
  FUZZ_CHECK(!PathExists(kServerPath));  // The server removes what it made.
  FUZZ_CHECK(!PathExists(kServerLockPath));
  for (auto* queue : {&held_, &unaccepted_}) {
    for (const std::shared_ptr<Pipe>& pipe : *queue) pipe->from[0].reader_gone = true;
    queue->clear();
  }
}

void SocketModelSession::TakeHeld() {
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

size_t SocketModelSession::LiveCount() const {
  size_t live = 0;
  for (const auto& endpoint : endpoints_) live += endpoint->alive() ? 1 : 0;
  return live;
}

void SocketModelSession::FailSend(Endpoint& endpoint, int err) {
  if (endpoint.fd() < 0) return;
  kernel_.FailNext(Call::kSendMsg, err, endpoint.fd());
  if (err != EAGAIN && err != EINTR) Fault(endpoint);
}

void SocketModelSession::FailReceive(Endpoint& endpoint, int err) {
  if (endpoint.fd() < 0) return;
  kernel_.FailNext(Call::kRecvMsg, err, endpoint.fd());
  // A hard error ends the connection with the queue unread. An EAGAIN while bytes are queued
  // (which Linux never returns) ends the read that delivers the queue before a failure, so
  // those bytes may be lost too. EINTR is retried.
  if (err != EINTR && endpoint.in() != nullptr) endpoint.in()->reader_gone = true;
  if (err != EAGAIN && err != EINTR) Fault(endpoint);
}

void SocketModelSession::CapSends(Endpoint& endpoint, size_t max_bytes, int times) {
  if (endpoint.fd() >= 0) kernel_.CapSends(endpoint.fd(), max_bytes, times);
}

void SocketModelSession::SetSendBuffer(Endpoint& endpoint, int bytes) {
  if (endpoint.fd() >= 0) kernel_.SetSendBufferSize(endpoint.fd(), bytes);
}

void SocketModelSession::Reset(Endpoint& endpoint) {
  if (endpoint.fd() >= 0 && kernel_.ResetConnection(endpoint.fd())) Fault(endpoint);
}

void SocketModelSession::FailConnect(int err) {
  if (err == EMFILE) {
    kernel_.FailNext(Call::kSocket, EMFILE);
    socket_faulted_ = true;
  } else {
    kernel_.FailNext(Call::kConnect, err);
  }
}

void SocketModelSession::SetBacklogFull(bool full) {
  if (server_) kernel_.SetBacklogFull(server_->socket_descriptor(), full);
}

void SocketModelSession::LimitFds(int extra) {
  if (extra == 0) {
    kernel_.SetFdLimit(kMaxFds);
    fd_limited_ = false;
    return;
  }
  kernel_.SetFdLimit(3 + static_cast<int>(kernel_.open_fds().size()) + extra - 1);
  fd_limited_ = true;
  for (const std::shared_ptr<Pipe>& pipe : pipes_) {
    pipe->from[0].faulted = pipe->from[1].faulted = true;
  }
}

void SocketModelSession::ToggleServer() {
  if (server_) {
    StopServer();
  } else {
    StartServer();
  }
}

int SocketModelSession::File(int index) {
  if (files_.empty() && fd_limited_) return -1;
  if (files_.empty()) files_ = OpenFixtureFiles(kernel_, kFiles);
  return files_[index];
}

void SocketModelSession::Fault(Endpoint& endpoint) {
  if (endpoint.pipe()) endpoint.pipe()->from[0].faulted = endpoint.pipe()->from[1].faulted = true;
}

void SocketModelSession::CheckBetweenSteps() {
  for (const auto& endpoint : endpoints_) endpoint->CheckBetweenSteps();
  // Gone sockets leave the list (their streams stay in pipes_).
  size_t kept = 0;
  for (auto& endpoint : endpoints_) {
    if (endpoint->alive()) endpoints_[kept++] = std::move(endpoint);
  }
  endpoints_.resize(kept);
  FUZZ_CHECK(kernel_.bad_closes().empty());
}

template <typename Done>
void SocketModelSession::Drain(Done done) {
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

std::string SocketModelSession::Describe() const {
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

void SocketModelSession::Finish() {
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

}  // namespace fuzz
