// The models of socket_model_fuzzer: the byte streams of a connection (what each end's writes
// accepted, what bytes_written reported, what was dropped, what the other end read) and an
// Endpoint that owns one LocalSocket, performs the API calls on it while keeping the streams
// up to date, and checks every signal it emits as it comes (allowed state edges, one
// `disconnected` per connection, no `ready_read` without new data, bytes_written within what
// was accepted). Single-threaded; for the fuzzer's FakeKernel and FakeEventLoop.
#ifndef LOCALSOCKET_TOOLS_FUZZING_SOCKET_MODEL_H_
#define LOCALSOCKET_TOOLS_FUZZING_SOCKET_MODEL_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ipc/local_socket.h"
#include "testing/fake_kernel.h"

namespace fuzz {

// Whether SOCKET_MODEL_TRACE is set in the environment: then operations and signals are
// printed on stderr (for reading a finding).
bool Tracing();

// The stream with `seed`: pseudo-random printable bytes with a '\n' about every 32 bytes, so
// that a lost, repeated or reordered run shows and ReadLine finds lines.
// Writes `size` bytes of the stream `seed` from `offset` on to `out`.
void FillStream(uint64_t seed, uint64_t offset, char* out, size_t size);
// Whether `data` is the stream `seed` from `offset` on.
bool MatchesStream(uint64_t seed, uint64_t offset, std::string_view data);

// Write(size) copies sizes up to kLargestCopiedWrite; a larger size s writes
// kSharedWriteBase + kSharedWriteStep * (s - kLargestCopiedWrite) bytes with WriteShared, which
// borrows writes of 16 KiB and more.
inline constexpr size_t kLargestCopiedWrite = 1984;
inline constexpr size_t kSharedWriteBase = size_t{16} * 1024;
inline constexpr size_t kSharedWriteStep = 64;

// One direction of a connection, from its writer to its reader.
struct Direction {
  uint64_t seed = 0;
  uint64_t accepted = 0;  // Bytes the writer's Write and WriteWithFds accepted.
  uint64_t sent = 0;      // The sum of the writer's bytes_written.
  uint64_t dropped = 0;   // Bytes its write buffer lost (Abort, a failure, destruction).
  uint64_t consumed = 0;  // Bytes the reader read or skipped.
  // The writer aborted, failed (error_occurred) or was destroyed: its buffer may be dropped.
  bool writer_may_drop = false;
  // The writer itself dropped its buffer: Abort or destruction.
  bool writer_aborted = false;
  // The reader stopped reading (Abort, Close, DisconnectFromServer, destruction, a new
  // connection with data unread) or lost what the kernel held (a receive fault, a failure that
  // does not read the queue first): what was sent need not all be read.
  bool reader_gone = false;
  // A kernel fault hit the connection (a hard send or receive error, a reset, a lowered fd
  // limit): what was accepted need not all be delivered.
  bool faulted = false;
};

// A connection between a connecting end (0) and an accepted end (1).
struct Pipe {
  uint64_t id = 0;
  pid_t pid = 0;      // What SO_PEERCRED reports for the connecting end.
  Direction from[2];  // from[e]: the bytes end e writes.
  bool attached[2] = {false, false};
};

// What a slot does when the signal it was armed for comes (one shot).
enum class Reentry : uint8_t {
  kAbort,
  kClose,
  kDisconnect,
  kDestroy,
  kConnect,
  kShutdownWrite,
  kReadAll,
  kWrite,
  kFlush,
  kCount,
};
// The signals a slot can be armed for.
enum class Armed : uint8_t {
  kReadyRead,
  kBytesWritten,
  kDisconnected,
  kStateChanged,
  kErrorOccurred,
  kConnected,
  kReadChannelFinished,
  kAboutToClose,
  kCount,
};

class Endpoint;

// What an Endpoint needs from its owner.
class EndpointHost {
 public:
  // `endpoint` has just reached kConnected by connecting: attach it to a new Pipe (end 0).
  virtual void OnConnected(Endpoint& endpoint) = 0;
  // An armed slot fired on `endpoint`: run `action` (it may destroy the socket).
  virtual void RunReentry(Endpoint& endpoint, Reentry action, uint8_t arg) = 0;

 protected:
  ~EndpointHost() = default;
};

// One LocalSocket under test and its place in the model. The API wrappers check what each call
// returns against the model and record what it changes; the socket's signals are checked as
// they come. The socket may be destroyed at any time (Destroy, also from its own slot); the
// Endpoint itself stays until its owner drops it.
class Endpoint {
 public:
  using LocalSocket = ipc::LocalSocket;
  using State = LocalSocket::State;

  // A fresh socket, kUnconnected.
  Endpoint(EndpointHost& host, ipc::FakeKernel& kernel, eventloop::EventLoop& loop);
  // An accepted socket (no state_changed: kConnected, or already kUnconnected if its peer went
  // while the server held it), end 1 of `pipe`.
  Endpoint(EndpointHost& host, ipc::FakeKernel& kernel, std::unique_ptr<LocalSocket> accepted,
           std::shared_ptr<Pipe> pipe);
  ~Endpoint();
  Endpoint(const Endpoint&) = delete;
  Endpoint& operator=(const Endpoint&) = delete;

  bool alive() const { return socket_ != nullptr; }
  LocalSocket& socket() { return *socket_; }
  int fd() const { return socket_ ? socket_->socket_descriptor() : -1; }
  const std::shared_ptr<Pipe>& pipe() const { return pipe_; }
  // Which end of pipe() this socket is: 0 connected, 1 was accepted.
  int end() const { return end_; }
  // The directions of the attached pipe, or nullptr.
  Direction* out() { return pipe_ ? &pipe_->from[end_] : nullptr; }
  Direction* in() { return pipe_ ? &pipe_->from[1 - end_] : nullptr; }
  void Attach(std::shared_ptr<Pipe> pipe, int end);

  // API calls with their checks. `files` are descriptors WriteWithFds may pass.
  // ConnectToServer(name), in the abstract namespace or not, with SetConnectTimeout(timeout_ms).
  void Connect(const char* name, bool abstract, int timeout_ms);
  void Write(size_t size);
  void WriteWithFds(size_t size, const std::vector<int>& fds);
  void Read(size_t max);
  void ReadAll();
  void ReadLine(size_t max);
  void Peek(size_t max);
  void Skip(size_t max);
  void PeekBufferedAndSkip(size_t part);
  void TakeFds();
  void Flush();
  void Disconnect();
  void Close();
  void Abort();
  void ShutdownWrite();
  void Destroy();
  void Wait(uint8_t which, int msecs);
  // Arms a one-shot slot: at the next emission of `signal`, the host runs `action`.
  void Arm(Armed signal, Reentry action, uint8_t arg);
  void Disarm() { armed_ = false; }

  // The step is over: the invariants that hold between steps (state, write accounting,
  // disconnected owed). Attributes to `dropped` what a permitted drop lost.
  void CheckBetweenSteps();
  // Marks that a slot started a new operation on this socket (so a `disconnected` may be
  // missing).
  void NoteReentry() { reentered_ = true; }

 private:
  void ConnectSignals();
  // Runs the armed action if `signal` is the armed one.
  void Fire(Armed signal);
  void OnStateChanged(State state);
  void OnReadyRead();
  void OnBytesWritten(int64_t n);
  void OnError(LocalSocket::Error error);
  void OnDisconnected();
  // What a failure (error_occurred, or the error of a socket that ended while the server held
  // it) permits: the writer may drop, the reader may lose the queue (unless the peer closed).
  void NoteFailure(LocalSocket::Error error);
  // The reader leaves its pipe (a new connection starts): unread bytes are lost.
  void Detach();
  // Checks bytes just read at the reader's position and advances it.
  void Consumed(std::string_view data);

  // Prints "socket <id>: <what>" when Tracing().
  void Trace(const std::string& what) const;

  EndpointHost& host_;
  ipc::FakeKernel& kernel_;
  const int id_;  // For traces.
  std::unique_ptr<LocalSocket> socket_;
  std::shared_ptr<Pipe> pipe_;
  int end_ = 0;
  State last_state_ = State::kUnconnected;
  bool disconnect_owed_ = false;  // kUnconnected came after a connection; disconnected is due.
  bool reentered_ = false;        // A slot started a new operation during this step.
  uint64_t arrived_mark_ = 0;     // consumed + buffered at the last ready_read.
  int64_t ready_reads_ = 0;
  bool armed_ = false;
  Armed armed_signal_ = Armed::kReadyRead;
  Reentry armed_action_ = Reentry::kAbort;
  uint8_t armed_arg_ = 0;
  // The buffers of this socket's WriteShared calls: each expires once sent or dropped.
  std::vector<std::weak_ptr<const std::string>> lent_;
};

}  // namespace fuzz

#endif  // LOCALSOCKET_TOOLS_FUZZING_SOCKET_MODEL_H_
