// ipc::MockOsCalls, a GoogleMock OsCalls, and small actions for scripting the kernel's answers.
//
//   StrictMock<MockOsCalls> os;
//   FdLedger fds;
//   EXPECT_CALL(os, Socket(AF_UNIX, _, 0)).WillOnce(fds.Open());
//   EXPECT_CALL(os, Connect(_, _, _)).WillOnce(FailWith(EAGAIN));
//   EXPECT_CALL(os, Recv(_, _, _, _)).WillOnce(DeliverBytes("hello")).WillOnce(DeliverEof());
//   EXPECT_CALL(os, Close(_)).WillRepeatedly(fds.Close());
//   ...
//   EXPECT_THAT(fds.open_fds(), IsEmpty());   // nothing leaked
//   EXPECT_THAT(fds.bad_closes(), IsEmpty()); // no double close
//
// The actions copy what they need when created; pointers passed to them (sinks) must outlive
// every call that runs the action. Like any GoogleMock mock, MockOsCalls may be called from
// any thread once its expectations are set. FdLedger is internally locked, so its actions may
// run on any thread; CollectSent writes its sinks without locking (read them once no call can
// run).
#ifndef LOCALSOCKET_TESTING_MOCK_OS_CALLS_H_
#define LOCALSOCKET_TESTING_MOCK_OS_CALLS_H_

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "ipc/os_calls.h"

namespace ipc {

// A GoogleMock OsCalls with one MOCK_METHOD per OsCalls method (same names and parameters).
// Calls nobody configured (ON_CALL/EXPECT_CALL) return FailWith(ENOSYS) rather than GoogleMock's
// value-initialised {0, 0}, so a forgotten expectation never looks like success or "fd 0".
// Use StrictMock<MockOsCalls> to assert every system call a state machine makes.
class MockOsCalls : public OsCalls {
 public:
  MockOsCalls();
  ~MockOsCalls() override;

  MOCK_METHOD(SysResult, Socket, (int domain, int type, int protocol), (override));
  MOCK_METHOD(SysResult, Connect, (int fd, const sockaddr* addr, socklen_t addr_len), (override));
  MOCK_METHOD(SysResult, Bind, (int fd, const sockaddr* addr, socklen_t addr_len), (override));
  MOCK_METHOD(SysResult, Listen, (int fd, int backlog), (override));
  MOCK_METHOD(SysResult, Accept4, (int fd, sockaddr* addr, socklen_t* addr_len, int flags),
              (override));
  MOCK_METHOD(SysResult, Recv, (int fd, void* buf, size_t len, int flags), (override));
  MOCK_METHOD(SysResult, RecvMsg, (int fd, msghdr* msg, int flags), (override));
  MOCK_METHOD(SysResult, SendMsg, (int fd, const msghdr* msg, int flags), (override));
  MOCK_METHOD(SysResult, Close, (int fd), (override));
  MOCK_METHOD(SysResult, Shutdown, (int fd, int how), (override));
  MOCK_METHOD(SysResult, Poll, (pollfd * fds, nfds_t nfds, int timeout_ms), (override));
  MOCK_METHOD(SysResult, Fcntl, (int fd, int cmd, int arg), (override));
  MOCK_METHOD(SysResult, GetSockOpt,
              (int fd, int level, int name, void* value, socklen_t* value_len), (override));
  MOCK_METHOD(SysResult, SetSockOpt,
              (int fd, int level, int name, const void* value, socklen_t value_len), (override));
  MOCK_METHOD(SysResult, GetSockName, (int fd, sockaddr* addr, socklen_t* addr_len), (override));
  MOCK_METHOD(SysResult, GetPeerName, (int fd, sockaddr* addr, socklen_t* addr_len), (override));
  MOCK_METHOD(SysResult, Fstat, (int fd, struct stat* st), (override));
  MOCK_METHOD(SysResult, Lstat, (const char* path, struct stat* st), (override));
  MOCK_METHOD(SysResult, Chmod, (const char* path, mode_t mode), (override));
  MOCK_METHOD(SysResult, Link, (const char* old_path, const char* new_path), (override));
  MOCK_METHOD(SysResult, Unlink, (const char* path), (override));
  MOCK_METHOD(SysResult, Mkdtemp, (char* path_template), (override));
  MOCK_METHOD(SysResult, Rmdir, (const char* path), (override));
  MOCK_METHOD(SysResult, Open, (const char* path, int flags, mode_t mode), (override));
  MOCK_METHOD(SysResult, Flock, (int fd, int operation), (override));
  MOCK_METHOD(SysResult, SocketPair, (int domain, int type, int protocol, int* fds), (override));
};

// ---------------------------------------------------------------------------------------------
// Result actions: usable with any OsCalls method.

// Returns one fixed SysResult, whatever the arguments.
class ResultAction {
 public:
  explicit ResultAction(SysResult result) : result_(result) {}
  template <typename... Args>
  SysResult operator()(Args&&... /*ignored*/) const {
    return result_;
  }

 private:
  SysResult result_;
};

// Succeeds with `rc` (>= 0): returns {rc, 0}. A negative rc is a test bug (reported as a
// failure when the action is created); use FailWith for failures.
ResultAction ReturnSys(int64_t rc);
// Fails with errno `err` (> 0): returns {-1, err}. A non-positive err is reported as a test
// failure when the action is created.
ResultAction FailWith(int err);

// ---------------------------------------------------------------------------------------------
// Data actions, for the methods named in each comment.

// Recv: copies the first min(len, bytes.size()) bytes of `bytes` into the buffer and returns
// that count. Bytes beyond `len` are not remembered: script one action per chunk. An empty
// `bytes` returns {0, 0}, an orderly peer close (see DeliverEof).
class DeliverBytesAction {
 public:
  explicit DeliverBytesAction(std::string bytes) : bytes_(std::move(bytes)) {}
  SysResult operator()(int fd, void* buf, size_t len, int flags) const;

 private:
  std::string bytes_;
};
DeliverBytesAction DeliverBytes(std::string bytes);

// Recv or RecvMsg: returns {0, 0}, an orderly close by the peer.
ResultAction DeliverEof();

// RecvMsg: scatters the first bytes of `bytes` over msg->msg_iov (as much as fits, in order)
// and returns the count copied. When `fds` is not empty, writes them as one SCM_RIGHTS
// control message into msg->msg_control: as many as fit in msg_controllen, setting MSG_CTRUNC
// in msg_flags when some did not fit (as the kernel does). msg_controllen is set to the
// length used (0 when no control message) and msg_flags to 0 or MSG_CTRUNC. The fds are plain
// numbers: account for them with FdLedger::Mint() if the code under test must close them.
class DeliverMessageAction {
 public:
  DeliverMessageAction(std::string bytes, std::vector<int> fds)
      : bytes_(std::move(bytes)), fds_(std::move(fds)) {}
  SysResult operator()(int fd, msghdr* msg, int flags) const;

 private:
  std::string bytes_;
  std::vector<int> fds_;
};
DeliverMessageAction DeliverMessage(std::string bytes, std::vector<int> fds = {});

// SendMsg: accepts up to `max_bytes` (> 0; a full buffer is FailWith(EAGAIN)) of the gathered
// msg->msg_iov bytes, appends them to `*data` and returns the count (a short count models a
// partial write). When `fds` is not
// null, the descriptors of any SCM_RIGHTS control messages are appended to `*fds`; they are
// recorded only when at least one byte is accepted (or the message carries no bytes), as with
// the kernel. `data` (and `fds`) must outlive every call that runs the action.
class CollectSentAction {
 public:
  CollectSentAction(std::string* data, size_t max_bytes, std::vector<int>* fds)
      : data_(data), max_bytes_(max_bytes), fds_(fds) {}
  SysResult operator()(int fd, const msghdr* msg, int flags) const;

 private:
  std::string* data_;
  size_t max_bytes_;
  std::vector<int>* fds_;
};
CollectSentAction CollectSent(std::string* data,
                              size_t max_bytes = std::numeric_limits<size_t>::max(),
                              std::vector<int>* fds = nullptr);

// Poll: sets revents of every entry whose fd is `fd` to `revents & (events | POLLERR |
// POLLHUP | POLLNVAL)` (what poll can report for that entry), clears the other entries'
// revents, and returns the number of entries with a non-zero revents (0 = timeout).
class PollReadyAction {
 public:
  PollReadyAction(int fd, int revents) : fd_(fd), revents_(revents) {}
  SysResult operator()(pollfd* fds, nfds_t nfds, int timeout_ms) const;

 private:
  int fd_;
  int revents_;
};
PollReadyAction PollReady(int fd, int revents);

// Poll: a timeout: clears every revents and returns {0, 0}. (Under a FakeClock, combine it
// with advancing the clock to make a wait time out.)
PollReadyAction PollTimesOut();

// ---------------------------------------------------------------------------------------------
// Descriptor accounting.

// Hands out fd numbers for the mock's Socket/Accept4/Open/SocketPair and checks them back in
// through Close, so a test can assert that the code under test leaked no descriptor and closed
// none twice. Minted fd numbers start at `first_fd`, count up, and are never reused by one
// ledger (numbers the test Track()s are skipped).
//
// Copies of an FdLedger share one ledger; its actions hold a share too, so they stay valid
// even if the FdLedger object is destroyed first. Thread-safe (internally locked).
class FdLedger {
 private:
  struct State;  // Declared first: the actions below hold it.

 public:
  explicit FdLedger(int first_fd = 100);

  // Action for any method that returns a new fd (Socket, Accept4, Open): returns {fd, 0} for a
  // fresh fd, now counted as open.
  class OpenAction {
   public:
    template <typename... Args>
    SysResult operator()(Args&&... /*ignored*/) const {
      return SysResult{MintIn(*state_), 0};
    }

   private:
    friend class FdLedger;
    explicit OpenAction(std::shared_ptr<State> state) : state_(std::move(state)) {}
    std::shared_ptr<State> state_;
  };
  OpenAction Open() const { return OpenAction(state_); }

  // Action for SocketPair: stores two fresh fds (both counted as open) and returns {0, 0}.
  class OpenPairAction {
   public:
    SysResult operator()(int domain, int type, int protocol, int* fds) const;

   private:
    friend class FdLedger;
    explicit OpenPairAction(std::shared_ptr<State> state) : state_(std::move(state)) {}
    std::shared_ptr<State> state_;
  };
  OpenPairAction OpenPair() const { return OpenPairAction(state_); }

  // Action for Close(fd): when fd is open in the ledger, closes it and returns {0, 0};
  // otherwise records fd in bad_closes() and returns {-1, EBADF}.
  class CloseAction {
   public:
    SysResult operator()(int fd) const;

   private:
    friend class FdLedger;
    explicit CloseAction(std::shared_ptr<State> state) : state_(std::move(state)) {}
    std::shared_ptr<State> state_;
  };
  CloseAction Close() const { return CloseAction(state_); }

  // The ledger is shared state behind a handle, so the accessors below are const even when
  // they record something.

  // A fresh fd counted as open, for descriptors that reach the code under test another way
  // (received with DeliverMessage, adopted with SetSocketDescriptor, ...).
  int Mint() const;
  // Counts `fd` (chosen by the test) as open. Returns false, changing nothing, when it already
  // is.
  bool Track(int fd) const;

  // Whether `fd` is currently open in the ledger.
  bool IsOpen(int fd) const;
  // The fds currently open, ascending. Empty at the end of a test = nothing leaked.
  std::vector<int> open_fds() const;
  // The number of fds opened (Open, OpenPair, Mint, Track) and closed (successful Close) so
  // far.
  int opened_count() const;
  int closed_count() const;
  // Every fd passed to Close while not open (double close, or never opened), in call order.
  std::vector<int> bad_closes() const;

 private:
  static int MintIn(State& state);

  std::shared_ptr<State> state_;
};

}  // namespace ipc

#endif  // LOCALSOCKET_TESTING_MOCK_OS_CALLS_H_
