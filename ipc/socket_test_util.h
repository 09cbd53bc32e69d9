// Test helpers for the real-socket LocalSocket suites (testonly): a private temporary directory,
// $TMPDIR scoping, raw listening sockets (the server side until LocalServer lands), an fd-limit
// raise, a position-dependent data pattern with a checksum, an event recorder that logs a
// socket's signals as strings, a loop runner with a deadline, a forked child process, and CPU
// time / open-fd measurements.
#ifndef LOCALSOCKET_IPC_SOCKET_TEST_UTIL_H_
#define LOCALSOCKET_IPC_SOCKET_TEST_UTIL_H_

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "eventloop/event_loop.h"
#include "eventloop/libevent_loop.h"
#include "gtest/gtest.h"
#include "ipc/local_socket.h"
#include "ipc/signal.h"

namespace ipc {
namespace test {

// A private directory made with mkdtemp, removed (with its contents) on destruction. It lives
// under $TEST_TMPDIR when that path is short enough to leave room for socket names in
// sun_path (Bazel's is often too long), else under /tmp.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // path() + "/" + name.
  std::string File(std::string_view name) const;

 private:
  std::string path_;
};

// Sets $TMPDIR for the scope (relative server names resolve there); restores it afterwards.
class ScopedTmpdir {
 public:
  explicit ScopedTmpdir(const std::string& dir);
  ~ScopedTmpdir();
  ScopedTmpdir(const ScopedTmpdir&) = delete;
  ScopedTmpdir& operator=(const ScopedTmpdir&) = delete;

 private:
  std::optional<std::string> old_;
};

// A listening AF_UNIX stream socket made with raw system calls: the server side of the tests.
// The listening fd is non-blocking and close-on-exec.
class RawListener {
 public:
  // Binds `path` (a filesystem path) and listens. nullptr on failure (errno is kept).
  static std::unique_ptr<RawListener> Listen(const std::string& path, int backlog = 16);
  // Binds the abstract name `name` (no trailing NUL in the address length) and listens.
  static std::unique_ptr<RawListener> ListenAbstract(std::string_view name, int backlog = 16);
  ~RawListener();  // Closes the fd and unlinks the path it bound (filesystem names only).
  RawListener(const RawListener&) = delete;
  RawListener& operator=(const RawListener&) = delete;

  int fd() const { return fd_; }
  // Accepts one connection, waiting up to `timeout_ms` for it. The accepted fd is blocking and
  // close-on-exec; -1 on timeout or failure.
  int Accept(int timeout_ms = 5000);
  // Accepts one connection if one is queued right now; -1 if none.
  int AcceptNow() { return Accept(0); }
  // Closes the listening fd now (it stays bound); the destructor still unlinks the path.
  void CloseFd();

 private:
  RawListener(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  int fd_;
  std::string path_;  // Empty for abstract names.
};

// A unique abstract socket name for this process and test ("ls-test-<pid>-<n>-<suffix>").
std::string UniqueAbstractName(std::string_view suffix = "");

// Fills a listener's backlog with raw non-blocking client connections until connect() says
// EAGAIN. Returns the client fds (the caller closes them); empty on an unexpected error.
std::vector<int> FillBacklog(const std::string& path);

// Raises the RLIMIT_NOFILE soft limit to the hard limit. True on success.
bool RaiseFdLimit();

// A position-dependent byte pattern: the byte at stream offset p depends on (seed, p) and is
// not periodic over small distances, so lost, duplicated or reordered bytes change the
// checksum below.
void FillPattern(uint64_t seed, uint64_t offset, char* out, size_t n);
std::string Pattern(uint64_t seed, uint64_t offset, size_t n);

// An order-dependent 64-bit checksum (FNV-1a) of a byte stream, with its length.
class Checksum {
 public:
  void Update(const void* data, size_t n);
  void Update(std::string_view data) { Update(data.data(), data.size()); }
  uint64_t value() const { return hash_; }
  uint64_t bytes() const { return bytes_; }
  bool operator==(const Checksum& other) const {
    return hash_ == other.hash_ && bytes_ == other.bytes_;
  }

 private:
  uint64_t hash_ = 14695981039346656037ull;
  uint64_t bytes_ = 0;
};
// The checksum of the first `size` bytes of Pattern(seed, 0, ...).
Checksum PatternChecksum(uint64_t seed, uint64_t size);

// Records a LocalSocket's signals as strings, in emission order:
//   "state:kConnecting", "error:kPeerClosed", "ready_read", "bytes_written:6", "connected",
//   "disconnected", "about_to_close", "read_channel_finished".
// Connect it before the test's own slots, so that an event is recorded before a later slot
// acts on it (e.g. destroys the socket). Its slots never touch the socket. Disconnects on
// destruction (also safe after the socket is gone).
class EventRecorder {
 public:
  explicit EventRecorder(LocalSocket& socket);
  ~EventRecorder();
  EventRecorder(const EventRecorder&) = delete;
  EventRecorder& operator=(const EventRecorder&) = delete;

  const std::vector<std::string>& events() const { return events_; }
  // Returns the events so far and forgets them.
  std::vector<std::string> Take();
  void Clear() { events_.clear(); }
  // Appends a marker (e.g. "returned") to tell synchronous from later events apart.
  void Mark(std::string marker) { events_.push_back(std::move(marker)); }
  int Count(std::string_view event) const;
  // The sum of all bytes_written arguments.
  int64_t BytesWritten() const { return bytes_written_; }
  // Called after each event is recorded.
  void SetHook(std::function<void(const std::string&)> hook) { hook_ = std::move(hook); }

 private:
  void Add(std::string event);

  std::vector<std::string> events_;
  int64_t bytes_written_ = 0;
  std::function<void(const std::string&)> hook_;
  std::vector<Connection> connections_;
};

// `events` with every "bytes_written:N" replaced by "bytes_written" and runs of equal
// "bytes_written"/"ready_read" entries collapsed into one, for transfers whose chunking is up
// to the kernel.
std::vector<std::string> Compact(const std::vector<std::string>& events);

// Runs `loop` until `done()` is true or `timeout` passes (checked every millisecond and after
// each iteration's work). Returns done(). Must not be called from inside a loop callback.
bool RunLoopUntil(eventloop::EventLoop& loop, const std::function<bool()>& done,
                  std::chrono::milliseconds timeout = std::chrono::seconds(20));
// Runs `loop` for `duration` of real time.
void RunLoopFor(eventloop::EventLoop& loop, std::chrono::milliseconds duration);

// A forked child process running `body`, which returns the exit status (the child then calls
// _exit). Keep the body to plain system calls. The destructor kills (SIGKILL) and reaps a
// child that is still running.
class ChildProcess {
 public:
  explicit ChildProcess(std::function<int()> body);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  // Waits for the child to exit (up to `timeout`) and returns its exit status, or -1 if it
  // was killed by a signal, did not exit in time, or fork failed.
  int Wait(std::chrono::milliseconds timeout = std::chrono::seconds(20));

 private:
  pid_t pid_ = -1;
};

// User + system CPU time of this process so far.
std::chrono::microseconds ProcessCpuTime();
// The fds open in this process (from /proc/self/fd).
std::set<int> OpenFds();

// Writes/reads all of `data` on a blocking fd; false on error or EOF.
bool WriteAll(int fd, std::string_view data);
// Reads until EOF (or error) from a blocking fd.
std::string ReadUntilEof(int fd);
// Reads exactly `n` bytes (less on EOF) from a blocking fd.
std::string ReadExactly(int fd, size_t n);

// What `fd` sent that its peer has not read yet (SIOCOUTQ: kernel memory, not a byte count;
// 0 once the peer has read everything), or -1.
int UnreadByPeer(int fd);
// Bytes waiting in `fd`'s receive queue (SIOCINQ), or -1.
int QueuedForReading(int fd);
// Whether `fd` is open, and whether it has O_NONBLOCK.
bool IsOpenFd(int fd);
bool IsNonBlocking(int fd);

using Events = std::vector<std::string>;

// The base fixture of the real-socket suites: a LibeventLoop on the system clock, a private
// directory that is also $TMPDIR (relative names resolve there), and an fd-leak check: the
// fds open after the test body are those open before it.
class SocketTest : public ::testing::Test {
 protected:
  SocketTest();
  void SetUp() override;
  void TearDown() override;

  // A raw listener on dir_.File(name).
  std::unique_ptr<RawListener> Listen(std::string_view name = "srv", int backlog = 16);
  // Connects `client` to `name` (synchronously) and adopts the connection `listener` accepts
  // into `server`.
  ::testing::AssertionResult ConnectPair(RawListener& listener, LocalSocket& client,
                                         LocalSocket& server, std::string_view name = "srv");

  eventloop::LibeventLoop loop_;
  TempDir dir_;
  ScopedTmpdir tmpdir_;
  std::set<int> fds_before_;
};

}  // namespace test
}  // namespace ipc

#endif  // LOCALSOCKET_IPC_SOCKET_TEST_UTIL_H_
