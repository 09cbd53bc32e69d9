#include "tools/fuzzing/socket_model.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <string>
#include <utility>

#include "ipc/unique_fd.h"
#include "tools/fuzzing/fuzz_check.h"

namespace fuzz {
namespace {

using State = ipc::LocalSocket::State;
using Error = ipc::LocalSocket::Error;

// The edges of the connection table (ipc/local_socket.h): connect, its outcome, a graceful
// disconnect through kClosing, and the immediate ends (Abort, a failure) from any state.
bool AllowedEdge(State from, State to) {
  switch (from) {
    case State::kUnconnected:
      return to == State::kConnecting;
    case State::kConnecting:
      return to == State::kConnected || to == State::kUnconnected;
    case State::kConnected:
      return to == State::kClosing || to == State::kUnconnected;
    case State::kClosing:
      return to == State::kUnconnected;
  }
  return false;
}

uint64_t Available(const ipc::LocalSocket& socket) {
  return static_cast<uint64_t>(socket.BytesAvailable());
}

int next_id = 0;  // Socket ids for traces, per process.

}  // namespace

bool Tracing() {
  static const bool tracing = std::getenv("SOCKET_MODEL_TRACE") != nullptr;
  return tracing;
}

void Endpoint::Trace(const std::string& what) const {
  if (Tracing()) std::fprintf(stderr, "  socket %d: %s\n", id_, what.c_str());
}

namespace {

// The streams are windows of one table of pseudo-random bytes, so that writing and checking
// them are copies and compares. Its length is a prime larger than what one input can write
// to a stream (64 writes of at most 2,048 bytes), so no loss or repetition within a stream
// maps a byte onto an equal one by the table's period.
constexpr size_t kTableSize = 131071;

const std::string& Table() {
  static const std::string table = [] {
    std::string bytes(kTableSize, '\0');
    for (size_t i = 0; i < kTableSize; ++i) {
      uint64_t x = (i + 1) * 0x9E3779B97F4A7C15ULL;
      x ^= x >> 29;
      x *= 0xBF58476D1CE4E5B9ULL;
      x ^= x >> 32;
      bytes[i] = (x & 31) == 0 ? '\n' : static_cast<char>('a' + ((x >> 5) % 26));
    }
    return bytes;
  }();
  return table;
}

size_t TableIndex(uint64_t seed, uint64_t offset) {
  return static_cast<size_t>((seed * 7919 + offset) % kTableSize);
}

}  // namespace

void FillStream(uint64_t seed, uint64_t offset, char* out, size_t size) {
  const std::string& table = Table();
  size_t at = TableIndex(seed, offset);
  while (size > 0) {
    const size_t n = std::min(size, kTableSize - at);
    std::memcpy(out, table.data() + at, n);
    out += n;
    size -= n;
    at = 0;
  }
}

bool MatchesStream(uint64_t seed, uint64_t offset, std::string_view data) {
  const std::string& table = Table();
  size_t at = TableIndex(seed, offset);
  while (!data.empty()) {
    const size_t n = std::min(data.size(), kTableSize - at);
    if (std::memcmp(data.data(), table.data() + at, n) != 0) return false;
    data.remove_prefix(n);
    at = 0;
  }
  return true;
}

Endpoint::Endpoint(EndpointHost& host, ipc::FakeKernel& kernel, eventloop::EventLoop& loop)
    : host_(host),
      kernel_(kernel),
      id_(next_id++),
      socket_(std::make_unique<LocalSocket>(loop, kernel)) {
  Trace("new client");
  ConnectSignals();
}

Endpoint::Endpoint(EndpointHost& host, ipc::FakeKernel& kernel,
                   std::unique_ptr<LocalSocket> accepted, std::shared_ptr<Pipe> pipe)
    : host_(host), kernel_(kernel), id_(next_id++), socket_(std::move(accepted)) {
  Trace("accepted");
  // kConnected, or kUnconnected when it saw its peer's EOF while the server held it.
  last_state_ = socket_->state();
  FUZZ_CHECK(last_state_ == State::kConnected || last_state_ == State::kUnconnected);
  Attach(std::move(pipe), 1);
  NoteFailure(socket_->error());  // How it ended while held, unobserved.
  ConnectSignals();
}

Endpoint::~Endpoint() {
  if (socket_) Destroy();
}

void Endpoint::Attach(std::shared_ptr<Pipe> pipe, int end) {
  pipe_ = std::move(pipe);
  end_ = end;
  pipe_->attached[end] = true;
  arrived_mark_ = 0;
}

void Endpoint::Detach() {
  if (!pipe_) return;
  if (Available(*socket_) > 0) in()->reader_gone = true;
  Direction& d = *out();
  const uint64_t missing = d.accepted - d.sent - d.dropped;
  if (missing > 0) {
    FUZZ_CHECK(d.writer_may_drop);
    d.dropped += missing;
  }
  pipe_->attached[end_] = false;
  pipe_.reset();
}

void Endpoint::ConnectSignals() {
  LocalSocket& s = *socket_;
  s.state_changed.Connect([this](State state) { OnStateChanged(state); });
  s.ready_read.Connect([this] { OnReadyRead(); });
  s.bytes_written.Connect([this](int64_t n) { OnBytesWritten(n); });
  s.error_occurred.Connect([this](Error error) { OnError(error); });
  s.disconnected.Connect([this] { OnDisconnected(); });
  s.connected.Connect([this] { Fire(Armed::kConnected); });
  s.read_channel_finished.Connect([this] { Fire(Armed::kReadChannelFinished); });
  s.about_to_close.Connect([this] { Fire(Armed::kAboutToClose); });
}

void Endpoint::Fire(Armed signal) {
  if (!armed_ || armed_signal_ != signal) return;
  armed_ = false;
  host_.RunReentry(*this, armed_action_, armed_arg_);
}

void Endpoint::Arm(Armed signal, Reentry action, uint8_t arg) {
  armed_ = true;
  armed_signal_ = signal;
  armed_action_ = action;
  armed_arg_ = arg;
}

// ---------------------------------------------------------------------------------------------
// Signals.

void Endpoint::OnStateChanged(State state) {
  if (Tracing()) {
    std::ostringstream text;
    text << "state " << state << ", to write " << socket_->BytesToWrite();
    Trace(text.str());
  }
  FUZZ_CHECK(AllowedEdge(last_state_, state));
  FUZZ_CHECK_EQ(socket_->state(), state);
  const State before = last_state_;
  last_state_ = state;
  if (state == State::kConnected && before == State::kConnecting) host_.OnConnected(*this);
  if (state == State::kUnconnected && before != State::kConnecting) {
    FUZZ_CHECK(!disconnect_owed_ || reentered_);  // The previous one is still due.
    disconnect_owed_ = true;
  }
  Fire(Armed::kStateChanged);
}

void Endpoint::OnReadyRead() {
  Trace("ready_read");
  FUZZ_CHECK(socket_->IsOpen());
  FUZZ_CHECK(pipe_ != nullptr);
  const uint64_t arrived = in()->consumed + Available(*socket_);
  FUZZ_CHECK(arrived > arrived_mark_);  // New data since the last ready_read.
  arrived_mark_ = arrived;
  ++ready_reads_;
  Fire(Armed::kReadyRead);
}

void Endpoint::OnBytesWritten(int64_t n) {
  Trace("bytes_written " + std::to_string(n));
  FUZZ_CHECK(n > 0);
  FUZZ_CHECK(pipe_ != nullptr);
  Direction& d = *out();
  d.sent += static_cast<uint64_t>(n);
  FUZZ_CHECK(d.sent + d.dropped <= d.accepted);
  Fire(Armed::kBytesWritten);
}

void Endpoint::OnError(Error error) {
  if (Tracing()) {
    std::ostringstream text;
    text << "error " << error << " (" << socket_->error_string() << ")";
    Trace(text.str());
  }
  FUZZ_CHECK_EQ(socket_->error(), error);
  NoteFailure(error);
  Fire(Armed::kErrorOccurred);
}

void Endpoint::NoteFailure(Error error) {
  if (error == Error::kNone || error == Error::kOperation || !pipe_) return;
  out()->writer_may_drop = true;
  // A lost peer is read to its end first; any other failure leaves the queue unread.
  if (error != Error::kPeerClosed) in()->reader_gone = true;
  // The fd limit or too many fds in flight: both directions may lose bytes.
  if (error == Error::kSocketResource) pipe_->from[0].faulted = pipe_->from[1].faulted = true;
}

void Endpoint::OnDisconnected() {
  Trace("disconnected");
  FUZZ_CHECK(disconnect_owed_);  // At most one per connection, after kUnconnected.
  disconnect_owed_ = false;
  FUZZ_CHECK_EQ(socket_->state(), State::kUnconnected);
  Fire(Armed::kDisconnected);
}

// ---------------------------------------------------------------------------------------------
// API calls.

void Endpoint::Connect(const char* name, bool abstract, int timeout_ms) {
  if (!socket_) return;
  if (socket_->state() == State::kUnconnected) Detach();
  socket_->SetSocketOptions(abstract ? LocalSocket::kAbstractNamespace : LocalSocket::kNoOptions);
  socket_->SetConnectTimeout(timeout_ms);
  socket_->ConnectToServer(name);
}

void Endpoint::Write(size_t size) {
  if (!socket_) return;
  Direction* d = out();
  // The largest sizes become WriteShared of 16 KiB and more: large enough to be borrowed.
  const bool shared = size > kLargestCopiedWrite;
  if (shared) size = kSharedWriteBase + kSharedWriteStep * (size - kLargestCopiedWrite);
  auto data = std::make_shared<std::string>(size, 'x');
  if (d != nullptr) FillStream(d->seed, d->accepted, data->data(), size);
  const int64_t limit = socket_->write_buffer_limit();
  const int64_t buffered = socket_->BytesToWrite();
  const int64_t taken = shared ? socket_->WriteShared(*data, data) : socket_->Write(*data);
  if (shared) {
    // Borrowed exactly when what was accepted is not copied; only the socket holds it then.
    FUZZ_CHECK_EQ(data.use_count(), taken >= static_cast<int64_t>(kSharedWriteBase) ? 2 : 1);
    lent_.push_back(data);
  }
  if (taken < 0) {
    FUZZ_CHECK_EQ(socket_->error(), Error::kOperation);
    return;
  }
  FUZZ_CHECK(d != nullptr);
  const int64_t room =
      limit == 0 ? static_cast<int64_t>(size) : std::max<int64_t>(0, limit - buffered);
  FUZZ_CHECK_EQ(taken, std::min(static_cast<int64_t>(size), room));
  d->accepted += static_cast<uint64_t>(taken);
}

void Endpoint::WriteWithFds(size_t size, const std::vector<int>& fds) {
  if (!socket_) return;
  Direction* d = out();
  std::string data(size, 'x');
  if (d != nullptr) FillStream(d->seed, d->accepted, data.data(), size);
  const int64_t taken = socket_->WriteWithFds(data, fds);
  if (taken < 0) {
    FUZZ_CHECK_EQ(socket_->error(), Error::kOperation);
    return;
  }
  FUZZ_CHECK(d != nullptr && size > 0 && static_cast<size_t>(taken) <= size);
  d->accepted += static_cast<uint64_t>(taken);
}

void Endpoint::Consumed(std::string_view data) {
  if (data.empty()) return;
  FUZZ_CHECK(pipe_ != nullptr);
  Direction& d = *in();
  FUZZ_CHECK(d.consumed + data.size() <= d.accepted);
  if (!MatchesStream(d.seed, d.consumed, data)) {
    CheckFailed(__FILE__, __LINE__, "bytes read are the peer's stream",
                "at offset " + std::to_string(d.consumed) + ": " + Describe(data));
  }
  d.consumed += data.size();
}

void Endpoint::Read(size_t max) {
  if (!socket_) return;
  const uint64_t available = Available(*socket_);
  const std::string got = socket_->Read(static_cast<int64_t>(max));
  FUZZ_CHECK_EQ(got.size(), std::min<uint64_t>(max, available));
  Consumed(got);
}

void Endpoint::ReadAll() {
  if (!socket_) return;
  const uint64_t available = Available(*socket_);
  const std::string got = socket_->ReadAll();
  FUZZ_CHECK_EQ(got.size(), available);
  Consumed(got);
}

void Endpoint::ReadLine(size_t max) {
  if (!socket_) return;
  const uint64_t available = Available(*socket_);
  const std::string line = socket_->ReadLine(static_cast<int64_t>(max));
  const uint64_t limit = max == 0 ? available : std::min<uint64_t>(max, available);
  const size_t newline = line.find('\n');
  if (newline == std::string::npos) {
    FUZZ_CHECK_EQ(line.size(), limit);
  } else {
    FUZZ_CHECK_EQ(newline + 1, line.size());
  }
  Consumed(line);
}

void Endpoint::Peek(size_t max) {
  if (!socket_) return;
  const std::string got = socket_->Peek(static_cast<int64_t>(max));
  FUZZ_CHECK_EQ(got.size(), std::min<uint64_t>(max, Available(*socket_)));
  if (got.empty()) return;
  FUZZ_CHECK(pipe_ != nullptr && MatchesStream(in()->seed, in()->consumed, got));
}

void Endpoint::Skip(size_t max) {
  if (!socket_) return;
  const uint64_t available = Available(*socket_);
  const int64_t n = socket_->Skip(static_cast<int64_t>(max));
  if (n <= 0) {
    FUZZ_CHECK(available == 0 || max == 0);
    return;
  }
  FUZZ_CHECK_EQ(static_cast<uint64_t>(n), std::min<uint64_t>(max, available));
  FUZZ_CHECK(pipe_ != nullptr && in()->consumed + static_cast<uint64_t>(n) <= in()->accepted);
  in()->consumed += static_cast<uint64_t>(n);
}

void Endpoint::PeekBufferedAndSkip(size_t part) {
  if (!socket_) return;
  const uint64_t available = Available(*socket_);
  const std::string_view view = socket_->PeekBuffered();
  FUZZ_CHECK_EQ(view.empty(), available == 0);
  FUZZ_CHECK(view.size() <= available);
  if (view.empty()) return;
  FUZZ_CHECK(pipe_ != nullptr && MatchesStream(in()->seed, in()->consumed, view));
  const size_t used = std::min(part, view.size());
  FUZZ_CHECK_EQ(socket_->Skip(static_cast<int64_t>(used)), static_cast<int64_t>(used));
  in()->consumed += used;
}

void Endpoint::TakeFds() {
  if (!socket_) return;
  for (ipc::UniqueFd& fd : socket_->TakeReceivedFds()) {
    const int number = fd.release();  // A FakeKernel descriptor: closed through the kernel.
    FUZZ_CHECK(kernel_.IsOpen(number));
    FUZZ_CHECK_EQ(kernel_.Close(number).rc, 0);
  }
}

void Endpoint::Flush() {
  if (socket_) socket_->Flush();
}

void Endpoint::Disconnect() {
  if (!socket_) return;
  if (pipe_) in()->reader_gone = true;  // It stops reading once its writes are out.
  socket_->DisconnectFromServer();
}

void Endpoint::Close() {
  if (!socket_) return;
  if (pipe_) in()->reader_gone = true;  // Unread data is dropped.
  socket_->Close();
}

void Endpoint::Abort() {
  if (!socket_) return;
  if (pipe_) {
    out()->writer_may_drop = out()->writer_aborted = true;
    in()->reader_gone = true;
  }
  socket_->Abort();
}

void Endpoint::ShutdownWrite() {
  if (socket_) socket_->ShutdownWrite();
}

void Endpoint::Destroy() {
  if (!socket_) return;
  if (pipe_) {
    Direction& d = *out();
    d.writer_may_drop = d.writer_aborted = true;
    d.dropped += static_cast<uint64_t>(socket_->BytesToWrite());
    in()->reader_gone = true;
    Detach();
  }
  socket_.reset();  // Emits nothing.
  // Whatever it still borrowed for WriteShared is released with it.
  for (const std::weak_ptr<const std::string>& lent : lent_) FUZZ_CHECK(lent.expired());
  lent_.clear();
}

void Endpoint::Wait(uint8_t which, int msecs) {
  if (!socket_) return;
  const std::shared_ptr<Pipe> pipe = pipe_;
  const int end = end_;
  const int64_t ready_reads = ready_reads_;
  const uint64_t sent = pipe ? pipe->from[end].sent : 0;
  switch (which % 4) {
    case 0:
      socket_->WaitForConnected(msecs);
      break;
    case 1:
      // True only once ready_read was emitted for new data.
      if (socket_->WaitForReadyRead(msecs)) FUZZ_CHECK(ready_reads_ > ready_reads);
      break;
    case 2:
      // True only once bytes_written reported a chunk of the connection it started with.
      if (socket_->WaitForBytesWritten(msecs)) FUZZ_CHECK(pipe && pipe->from[end].sent > sent);
      break;
    default:
      if (socket_->WaitForDisconnected(msecs)) {
        FUZZ_CHECK(!socket_ || pipe_ != pipe || last_state_ == State::kUnconnected);
      }
      break;
  }
}

// ---------------------------------------------------------------------------------------------
// Between steps.

void Endpoint::CheckBetweenSteps() {
  if (!socket_) return;
  FUZZ_CHECK_EQ(socket_->state(), last_state_);
  FUZZ_CHECK(!disconnect_owed_ || reentered_);  // Exactly one disconnected per connection.
  disconnect_owed_ = false;
  reentered_ = false;
  const auto pending = static_cast<uint64_t>(socket_->BytesToWrite());
  if (last_state_ == State::kUnconnected || last_state_ == State::kConnecting) {
    FUZZ_CHECK_EQ(pending, 0U);
  }
  if (!pipe_) return;
  Direction& d = *out();
  FUZZ_CHECK(d.sent + d.dropped + pending <= d.accepted);
  const uint64_t missing = d.accepted - d.sent - d.dropped - pending;
  if (missing > 0) {
    FUZZ_CHECK(d.writer_may_drop);  // Dropped only by Abort, a failure or destruction.
    d.dropped += missing;
  }
  const Direction& i = *in();
  FUZZ_CHECK(i.consumed + Available(*socket_) <= i.sent);  // Nothing read that was not sent.
}

}  // namespace fuzz
