// Tests of PosixOsCalls against the real kernel: AF_UNIX sockets, fd passing, MSG_NOSIGNAL,
// EINTR handling (threads interrupted by a signal while provably blocked in the call) and the
// filesystem calls, in a private directory under $TEST_TMPDIR.
#include "ipc/posix_os_calls.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace ipc {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

constexpr SysResult kOk{0, 0};

// Upper bound for waiting on another thread. Only reached when the code under test is broken;
// it turns a hang into a test failure.
constexpr auto kGiveUp = std::chrono::seconds(20);

// Closes the given fds at scope exit.
class FdCloser {
 public:
  FdCloser() = default;
  FdCloser(const FdCloser&) = delete;
  FdCloser& operator=(const FdCloser&) = delete;
  ~FdCloser() {
    for (int fd : fds_) {
      if (fd >= 0) ::close(fd);
    }
  }
  int Add(int fd) {
    fds_.push_back(fd);
    return fd;
  }
  // Closes `fd` now (it is not closed again at scope exit).
  void Close(int fd) {
    for (int& owned : fds_) {
      if (owned == fd) owned = -1;
    }
    ::close(fd);
  }

 private:
  std::vector<int> fds_;
};

msghdr MessageOf(iovec* iov, size_t iov_len) {
  msghdr msg{};
  msg.msg_iov = iov;
  msg.msg_iovlen = iov_len;
  return msg;
}

// Sends `data` through `os.SendMsg` in one iovec.
SysResult SendString(OsCalls& os, int fd, const std::string& data, int flags = 0) {
  iovec iov{const_cast<char*>(data.data()), data.size()};
  msghdr msg = MessageOf(&iov, 1);
  return os.SendMsg(fd, &msg, flags);
}

// An abstract-namespace address unique to this process and `tag`.
struct UnixAddress {
  sockaddr_un addr{};
  socklen_t len = 0;
  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&addr); }
};

UnixAddress AbstractAddress(const std::string& tag) {
  UnixAddress a;
  a.addr.sun_family = AF_UNIX;
  const std::string name = "ipc_posix_os_calls_test." + std::to_string(::getpid()) + "." + tag;
  std::memcpy(a.addr.sun_path + 1, name.data(), name.size());
  a.len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size());
  return a;
}

UnixAddress PathAddress(const std::string& path) {
  UnixAddress a;
  a.addr.sun_family = AF_UNIX;
  EXPECT_LT(path.size(), sizeof(a.addr.sun_path));
  std::memcpy(a.addr.sun_path, path.data(), path.size());
  a.len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size() + 1);
  return a;
}

// ---------------------------------------------------------------------------------------------
// Interrupting a blocked call.

std::atomic<int> g_interrupts{0};

void CountInterrupt(int /*signo*/) { g_interrupts.fetch_add(1); }

// Installs a SIGUSR1 handler without SA_RESTART (so interrupted calls fail with EINTR instead
// of being restarted by the kernel) for the lifetime of the object.
class ScopedInterruptHandler {
 public:
  ScopedInterruptHandler() {
    struct sigaction action {};
    action.sa_handler = &CountInterrupt;
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0;  // No SA_RESTART.
    EXPECT_EQ(::sigaction(SIGUSR1, &action, &old_), 0);
  }
  ScopedInterruptHandler(const ScopedInterruptHandler&) = delete;
  ScopedInterruptHandler& operator=(const ScopedInterruptHandler&) = delete;
  ~ScopedInterruptHandler() { ::sigaction(SIGUSR1, &old_, nullptr); }

 private:
  struct sigaction old_ {};
};

// The scheduler state letter of thread `tid` of this process ('R', 'S', ...), or 0.
char ThreadState(pid_t tid) {
  std::ifstream in("/proc/self/task/" + std::to_string(tid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t paren = stat.rfind(')');  // The command name may contain spaces or ')'.
  if (paren == std::string::npos || paren + 2 >= stat.size()) return 0;
  return stat[paren + 2];
}

// Runs one call on its own thread, so the test can observe it blocking and interrupt it.
// "Blocked" is observed, not guessed: the thread is in interruptible sleep ('S' in
// /proc/self/task/<tid>/stat) and has not returned; the thread does nothing else that sleeps.
class BlockingCall {
 public:
  // Starts `call` on a new thread. `unblock` must make the call return; the destructor uses it
  // when a failed test left the call blocked.
  BlockingCall(std::function<SysResult()> call, std::function<void()> unblock)
      : unblock_(std::move(unblock)) {
    thread_ = std::thread([this, call = std::move(call)] {
      tid_.store(::gettid());
      const auto start = steady_clock::now();
      result_ = call();
      elapsed_ = steady_clock::now() - start;
      done_.store(true);
    });
  }
  BlockingCall(const BlockingCall&) = delete;
  BlockingCall& operator=(const BlockingCall&) = delete;
  ~BlockingCall() {
    if (thread_.joinable()) {
      if (!done_.load()) unblock_();
      thread_.join();
    }
  }

  // Waits until the call is blocked (true) or has returned (false).
  bool WaitUntilBlocked() {
    const auto give_up = steady_clock::now() + kGiveUp;
    while (steady_clock::now() < give_up) {
      if (done_.load()) return false;
      const pid_t tid = tid_.load();
      if (tid != 0 && ThreadState(tid) == 'S' && !done_.load()) return true;
      sched_yield();
    }
    ADD_FAILURE() << "the call neither blocked nor returned";
    return false;
  }

  // Sends SIGUSR1 to the thread and waits until its handler ran (or the call returned).
  void Interrupt() {
    const int before = g_interrupts.load();
    ASSERT_EQ(::pthread_kill(thread_.native_handle(), SIGUSR1), 0);
    const auto give_up = steady_clock::now() + kGiveUp;
    while (g_interrupts.load() == before && !done_.load()) {
      ASSERT_LT(steady_clock::now(), give_up) << "the signal handler never ran";
      sched_yield();
    }
  }

  bool done() const { return done_.load(); }

  // Waits for the call to return and gives its result.
  SysResult Join() {
    thread_.join();
    return result_;
  }
  // How long the call took (valid after Join).
  steady_clock::duration elapsed() const { return elapsed_; }

 private:
  std::function<void()> unblock_;
  std::atomic<pid_t> tid_{0};
  std::atomic<bool> done_{false};
  SysResult result_{-1, 0};
  steady_clock::duration elapsed_{};
  std::thread thread_;
};

// Interrupts `call` once while it is blocked, then checks that it blocked again (it retried
// instead of returning EINTR).
void InterruptOnceAndExpectRetry(BlockingCall& call) {
  ASSERT_TRUE(call.WaitUntilBlocked());
  const int before = g_interrupts.load();
  ASSERT_NO_FATAL_FAILURE(call.Interrupt());
  ASSERT_EQ(g_interrupts.load(), before + 1);
  // Blocked again after the handler ran: the call was retried.
  ASSERT_TRUE(call.WaitUntilBlocked()) << "the call returned after EINTR instead of retrying";
  // And once more, to cover repeated interruptions.
  ASSERT_NO_FATAL_FAILURE(call.Interrupt());
  ASSERT_TRUE(call.WaitUntilBlocked()) << "the call returned after EINTR instead of retrying";
}

class PosixOsCallsTest : public ::testing::Test {
 protected:
  // A connected blocking AF_UNIX stream pair, closed after the test.
  void MakePair(int type = SOCK_STREAM) {
    int fds[2] = {-1, -1};
    ASSERT_EQ(os_.SocketPair(AF_UNIX, type | SOCK_CLOEXEC, 0, fds), kOk);
    a_ = closer_.Add(fds[0]);
    b_ = closer_.Add(fds[1]);
  }

  PosixOsCalls os_;
  FdCloser closer_;
  int a_ = -1;
  int b_ = -1;
};

TEST_F(PosixOsCallsTest, RealOsCallsIsOneLongLivedInstance) {
  OsCalls& first = RealOsCalls();
  OsCalls& second = RealOsCalls();
  EXPECT_EQ(&first, &second);
  EXPECT_NE(dynamic_cast<PosixOsCalls*>(&first), nullptr);
}

TEST_F(PosixOsCallsTest, GatheredSendMsgAndScatteredRecvMsgRoundTrip) {
  MakePair();
  std::string part1 = "hello, ";
  std::string part2 = "world";
  iovec out[2] = {{part1.data(), part1.size()}, {part2.data(), part2.size()}};
  msghdr send_msg = MessageOf(out, 2);
  EXPECT_EQ(os_.SendMsg(a_, &send_msg, 0), (SysResult{12, 0}));

  char first[5];
  char second[16];
  iovec in[2] = {{first, sizeof(first)}, {second, sizeof(second)}};
  msghdr recv_msg = MessageOf(in, 2);
  EXPECT_EQ(os_.RecvMsg(b_, &recv_msg, 0), (SysResult{12, 0}));
  EXPECT_EQ(std::string(first, 5), "hello");
  EXPECT_EQ(std::string(second, 7), ", world");
  EXPECT_EQ(recv_msg.msg_flags, 0);
}

TEST_F(PosixOsCallsTest, RecvReadsWhatWasSentAndReportsEagainWhenEmpty) {
  MakePair();
  EXPECT_EQ(SendString(os_, b_, "abc"), (SysResult{3, 0}));
  char buf[8];
  EXPECT_EQ(os_.Recv(a_, buf, 2, 0), (SysResult{2, 0}));
  EXPECT_EQ(std::string(buf, 2), "ab");
  EXPECT_EQ(os_.Recv(a_, buf, sizeof(buf), MSG_PEEK), (SysResult{1, 0}));
  EXPECT_EQ(os_.Recv(a_, buf, sizeof(buf), 0), (SysResult{1, 0}));
  EXPECT_EQ(buf[0], 'c');
  EXPECT_EQ(os_.Recv(a_, buf, sizeof(buf), MSG_DONTWAIT), (SysResult{-1, EAGAIN}));
}

TEST_F(PosixOsCallsTest, ShutdownWriteGivesThePeerEndOfFile) {
  MakePair();
  EXPECT_EQ(SendString(os_, a_, "last"), (SysResult{4, 0}));
  EXPECT_EQ(os_.Shutdown(a_, SHUT_WR), kOk);
  char buf[8];
  EXPECT_EQ(os_.Recv(b_, buf, sizeof(buf), 0), (SysResult{4, 0}));
  EXPECT_EQ(os_.Recv(b_, buf, sizeof(buf), 0), (SysResult{0, 0}));
  // The other direction still works.
  EXPECT_EQ(SendString(os_, b_, "back"), (SysResult{4, 0}));
  EXPECT_EQ(os_.Recv(a_, buf, sizeof(buf), 0), (SysResult{4, 0}));
  EXPECT_EQ(SendString(os_, a_, "x"), (SysResult{-1, EPIPE}));
}

TEST_F(PosixOsCallsTest, PassesFdsWithScmRights) {
  MakePair();
  int pipe_fds[2];
  ASSERT_EQ(::pipe2(pipe_fds, O_CLOEXEC), 0);
  closer_.Add(pipe_fds[0]);
  closer_.Add(pipe_fds[1]);

  // Send the pipe's write end with one byte of data.
  char byte = 'F';
  iovec out{&byte, 1};
  msghdr send_msg = MessageOf(&out, 1);
  alignas(cmsghdr) char send_control[CMSG_SPACE(sizeof(int))] = {};
  send_msg.msg_control = send_control;
  send_msg.msg_controllen = sizeof(send_control);
  cmsghdr* cmsg = CMSG_FIRSTHDR(&send_msg);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(cmsg), &pipe_fds[1], sizeof(int));
  EXPECT_EQ(os_.SendMsg(a_, &send_msg, 0), (SysResult{1, 0}));

  char got = 0;
  iovec in{&got, 1};
  msghdr recv_msg = MessageOf(&in, 1);
  alignas(cmsghdr) char recv_control[CMSG_SPACE(sizeof(int))] = {};
  recv_msg.msg_control = recv_control;
  recv_msg.msg_controllen = sizeof(recv_control);
  EXPECT_EQ(os_.RecvMsg(b_, &recv_msg, MSG_CMSG_CLOEXEC), (SysResult{1, 0}));
  EXPECT_EQ(got, 'F');
  EXPECT_EQ(recv_msg.msg_flags & MSG_CTRUNC, 0);
  cmsghdr* rcmsg = CMSG_FIRSTHDR(&recv_msg);
  ASSERT_NE(rcmsg, nullptr);
  EXPECT_EQ(rcmsg->cmsg_level, SOL_SOCKET);
  EXPECT_EQ(rcmsg->cmsg_type, SCM_RIGHTS);
  ASSERT_EQ(rcmsg->cmsg_len, CMSG_LEN(sizeof(int)));
  int received = -1;
  std::memcpy(&received, CMSG_DATA(rcmsg), sizeof(int));
  closer_.Add(received);
  ASSERT_GE(received, 0);
  EXPECT_NE(received, pipe_fds[1]);  // A new descriptor for the same pipe.
  EXPECT_EQ(os_.Fcntl(received, F_GETFD, 0), (SysResult{FD_CLOEXEC, 0}));

  // Writing through the received descriptor reaches the pipe.
  ASSERT_EQ(::write(received, "via", 3), 3);
  char buf[4] = {};
  ASSERT_EQ(::read(pipe_fds[0], buf, sizeof(buf)), 3);
  EXPECT_EQ(std::string(buf, 3), "via");
}

// Restores the SIGPIPE disposition and the thread's signal mask at scope exit.
class ScopedSigpipeState {
 public:
  ScopedSigpipeState() {
    EXPECT_EQ(::sigaction(SIGPIPE, nullptr, &old_action_), 0);
    EXPECT_EQ(::pthread_sigmask(SIG_SETMASK, nullptr, &old_mask_), 0);
  }
  ScopedSigpipeState(const ScopedSigpipeState&) = delete;
  ScopedSigpipeState& operator=(const ScopedSigpipeState&) = delete;
  ~ScopedSigpipeState() {
    ::sigaction(SIGPIPE, &old_action_, nullptr);
    ::pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
  }

 private:
  struct sigaction old_action_ {};
  sigset_t old_mask_{};
};

bool SigpipePending() {
  sigset_t pending;
  sigemptyset(&pending);
  EXPECT_EQ(::sigpending(&pending), 0);
  return sigismember(&pending, SIGPIPE) == 1;
}

TEST_F(PosixOsCallsTest, SendMsgToAClosedPeerReportsEpipeAndRaisesNoSigpipe) {
  MakePair();
  ScopedSigpipeState restore;
  // The default action of SIGPIPE terminates the process: if SendMsg raised it, this test
  // would die.
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  ASSERT_EQ(::sigaction(SIGPIPE, &dfl, nullptr), 0);
  sigset_t pipe_only;
  sigemptyset(&pipe_only);
  sigaddset(&pipe_only, SIGPIPE);
  ASSERT_EQ(::pthread_sigmask(SIG_UNBLOCK, &pipe_only, nullptr), 0);

  closer_.Close(b_);
  EXPECT_EQ(SendString(os_, a_, "lost"), (SysResult{-1, EPIPE}));
  EXPECT_EQ(SendString(os_, a_, "lost"), (SysResult{-1, EPIPE}));
}

TEST_F(PosixOsCallsTest, SendMsgAddsMsgNosignal) {
  MakePair();
  ScopedSigpipeState restore;
  // Block SIGPIPE in this thread so a raised one stays pending where the test can see it.
  sigset_t pipe_only;
  sigemptyset(&pipe_only);
  sigaddset(&pipe_only, SIGPIPE);
  ASSERT_EQ(::pthread_sigmask(SIG_BLOCK, &pipe_only, nullptr), 0);
  ASSERT_FALSE(SigpipePending());
  closer_.Close(b_);

  // Control: the raw call without MSG_NOSIGNAL raises SIGPIPE here.
  char byte = 'x';
  iovec iov{&byte, 1};
  msghdr msg = MessageOf(&iov, 1);
  ASSERT_EQ(::sendmsg(a_, &msg, 0), -1);
  EXPECT_EQ(errno, EPIPE);
  ASSERT_TRUE(SigpipePending());
  const timespec no_wait{0, 0};
  ASSERT_EQ(::sigtimedwait(&pipe_only, nullptr, &no_wait), SIGPIPE);  // Consume it.
  ASSERT_FALSE(SigpipePending());

  // Through OsCalls, with flags 0: no SIGPIPE.
  EXPECT_EQ(os_.SendMsg(a_, &msg, 0), (SysResult{-1, EPIPE}));
  EXPECT_FALSE(SigpipePending());
  while (SigpipePending()) ::sigtimedwait(&pipe_only, nullptr, &no_wait);
}

TEST_F(PosixOsCallsTest, ErrnoIsCapturedForBadDescriptors) {
  char buf[4];
  iovec iov{buf, sizeof(buf)};
  msghdr msg = MessageOf(&iov, 1);
  struct stat st {};
  const SysResult ebadf{-1, EBADF};
  EXPECT_EQ(os_.Recv(-1, buf, sizeof(buf), 0), ebadf);
  EXPECT_EQ(os_.RecvMsg(-1, &msg, 0), ebadf);
  EXPECT_EQ(os_.SendMsg(-1, &msg, 0), ebadf);
  EXPECT_EQ(os_.Close(-1), ebadf);
  EXPECT_EQ(os_.Shutdown(-1, SHUT_RDWR), ebadf);
  EXPECT_EQ(os_.Fcntl(-1, F_GETFL, 0), ebadf);
  EXPECT_EQ(os_.Fstat(-1, &st), ebadf);
  EXPECT_EQ(os_.Listen(-1, 1), ebadf);
  EXPECT_EQ(os_.Accept4(-1, nullptr, nullptr, SOCK_CLOEXEC), ebadf);
  int value = 0;
  socklen_t len = sizeof(value);
  EXPECT_EQ(os_.GetSockOpt(-1, SOL_SOCKET, SO_ERROR, &value, &len), ebadf);
  EXPECT_EQ(os_.SetSockOpt(-1, SOL_SOCKET, SO_SNDBUF, &value, len), ebadf);

  // A descriptor that is open but not a socket.
  int pipe_fds[2];
  ASSERT_EQ(::pipe2(pipe_fds, O_CLOEXEC), 0);
  closer_.Add(pipe_fds[0]);
  closer_.Add(pipe_fds[1]);
  EXPECT_EQ(os_.Recv(pipe_fds[0], buf, sizeof(buf), 0), (SysResult{-1, ENOTSOCK}));
  sockaddr_un addr{};
  socklen_t addr_len = sizeof(addr);
  EXPECT_EQ(os_.GetPeerName(pipe_fds[0], reinterpret_cast<sockaddr*>(&addr), &addr_len),
            (SysResult{-1, ENOTSOCK}));

  // Bad arguments.
  EXPECT_EQ(os_.Socket(AF_UNIX, 12345, 0), (SysResult{-1, EINVAL}));
  int pair[2];
  EXPECT_EQ(os_.SocketPair(AF_INET, SOCK_STREAM, 0, pair), (SysResult{-1, EOPNOTSUPP}));
}

TEST_F(PosixOsCallsTest, CloseReleasesTheDescriptor) {
  int pipe_fds[2];
  ASSERT_EQ(::pipe2(pipe_fds, O_CLOEXEC), 0);
  closer_.Add(pipe_fds[1]);
  EXPECT_EQ(os_.Close(pipe_fds[0]), kOk);
  EXPECT_EQ(os_.Fcntl(pipe_fds[0], F_GETFD, 0), (SysResult{-1, EBADF}));
  EXPECT_EQ(os_.Close(pipe_fds[0]), (SysResult{-1, EBADF}));
}

TEST_F(PosixOsCallsTest, FcntlSetsAndGetsFlags) {
  MakePair();
  const SysResult flags = os_.Fcntl(a_, F_GETFL, 0);
  ASSERT_GE(flags.rc, 0);
  EXPECT_EQ(flags.err, 0);
  EXPECT_EQ(flags.rc & O_NONBLOCK, 0);
  EXPECT_EQ(os_.Fcntl(a_, F_SETFL, static_cast<int>(flags.rc) | O_NONBLOCK), kOk);
  EXPECT_EQ(os_.Fcntl(a_, F_GETFL, 0).rc & O_NONBLOCK, O_NONBLOCK);
  char buf[1];
  EXPECT_EQ(os_.Recv(a_, buf, 1, 0), (SysResult{-1, EAGAIN}));
}

TEST_F(PosixOsCallsTest, PollReportsReadinessAndTimesOut) {
  MakePair();
  pollfd pfd{a_, POLLIN, 0};
  EXPECT_EQ(os_.Poll(&pfd, 1, 0), (SysResult{0, 0}));
  const auto start = steady_clock::now();
  EXPECT_EQ(os_.Poll(&pfd, 1, 30), (SysResult{0, 0}));
  EXPECT_GE(steady_clock::now() - start, milliseconds(30));
  ASSERT_EQ(SendString(os_, b_, "x"), (SysResult{1, 0}));
  EXPECT_EQ(os_.Poll(&pfd, 1, -1), (SysResult{1, 0}));
  EXPECT_EQ(pfd.revents, POLLIN);
  pollfd bad{-1, POLLIN, 0};  // Negative fds are ignored by poll.
  EXPECT_EQ(os_.Poll(&bad, 1, 0), (SysResult{0, 0}));
}

// Creates a private directory under $TEST_TMPDIR and removes what is left at the end.
class PosixOsCallsFsTest : public PosixOsCallsTest {
 protected:
  void SetUp() override {
    const char* tmp = std::getenv("TEST_TMPDIR");
    std::string templ = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/ipcXXXXXX";
    std::vector<char> buf(templ.begin(), templ.end());
    buf.push_back('\0');
    ASSERT_EQ(os_.Mkdtemp(buf.data()), kOk);
    dir_ = buf.data();
    EXPECT_EQ(dir_.size(), templ.size());
    EXPECT_EQ(dir_.find("XXXXXX"), std::string::npos);
  }
  void TearDown() override {
    if (dir_.empty()) return;
    for (const char* name : {"/s", "/t", "/file"}) ::unlink((dir_ + name).c_str());
    ::rmdir(dir_.c_str());
  }

  std::string dir_;
};

TEST_F(PosixOsCallsFsTest, MkdtempCreatesAPrivateDirectory) {
  struct stat st {};
  ASSERT_EQ(os_.Lstat(dir_.c_str(), &st), kOk);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0700u);
  char no_placeholder[] = "/tmp/ipc_no_placeholder";
  EXPECT_EQ(os_.Mkdtemp(no_placeholder), (SysResult{-1, EINVAL}));
}

TEST_F(PosixOsCallsFsTest, SocketFileLifecycle) {
  // Open the directory and bind through /proc/self/fd/<dirfd>, so the bound path stays short
  // however long $TEST_TMPDIR is.
  const SysResult dir_fd = os_.Open(dir_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
  ASSERT_GE(dir_fd.rc, 0);
  EXPECT_EQ(dir_fd.err, 0);
  closer_.Add(static_cast<int>(dir_fd.rc));
  struct stat st {};
  ASSERT_EQ(os_.Fstat(static_cast<int>(dir_fd.rc), &st), kOk);
  EXPECT_TRUE(S_ISDIR(st.st_mode));

  const SysResult listener = os_.Socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  ASSERT_GE(listener.rc, 0);
  const int lfd = closer_.Add(static_cast<int>(listener.rc));
  const std::string bind_path = "/proc/self/fd/" + std::to_string(dir_fd.rc) + "/s";
  const UnixAddress addr = PathAddress(bind_path);
  ASSERT_EQ(os_.Bind(lfd, addr.get(), addr.len), kOk);

  const std::string s = dir_ + "/s";
  const std::string t = dir_ + "/t";
  ASSERT_EQ(os_.Lstat(s.c_str(), &st), kOk);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  const ino_t inode = st.st_ino;

  ASSERT_EQ(os_.Chmod(s.c_str(), 0600), kOk);
  ASSERT_EQ(os_.Lstat(s.c_str(), &st), kOk);
  EXPECT_EQ(st.st_mode & 07777, 0600u);

  ASSERT_EQ(os_.Link(s.c_str(), t.c_str()), kOk);
  ASSERT_EQ(os_.Lstat(t.c_str(), &st), kOk);
  EXPECT_EQ(st.st_ino, inode);
  EXPECT_EQ(st.st_nlink, 2u);
  EXPECT_EQ(os_.Link(s.c_str(), t.c_str()), (SysResult{-1, EEXIST}));

  EXPECT_EQ(os_.Rmdir(dir_.c_str()), (SysResult{-1, ENOTEMPTY}));
  EXPECT_EQ(os_.Unlink(s.c_str()), kOk);
  EXPECT_EQ(os_.Lstat(s.c_str(), &st), (SysResult{-1, ENOENT}));
  EXPECT_EQ(os_.Unlink(s.c_str()), (SysResult{-1, ENOENT}));
  EXPECT_EQ(os_.Unlink(t.c_str()), kOk);
  EXPECT_EQ(os_.Rmdir(dir_.c_str()), kOk);
  EXPECT_EQ(os_.Lstat(dir_.c_str(), &st), (SysResult{-1, ENOENT}));
  EXPECT_EQ(os_.Open(dir_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC, 0), (SysResult{-1, ENOENT}));
  dir_.clear();
}

TEST_F(PosixOsCallsFsTest, ChmodAndLinkReportErrors) {
  const std::string missing = dir_ + "/missing";
  const std::string file = dir_ + "/file";
  EXPECT_EQ(os_.Chmod(missing.c_str(), 0600), (SysResult{-1, ENOENT}));
  EXPECT_EQ(os_.Link(missing.c_str(), file.c_str()), (SysResult{-1, ENOENT}));
  const SysResult fd = os_.Open(file.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
  ASSERT_GE(fd.rc, 0);
  closer_.Add(static_cast<int>(fd.rc));
  EXPECT_EQ(os_.Rmdir(file.c_str()), (SysResult{-1, ENOTDIR}));
  EXPECT_EQ(os_.Open(file.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC, 0), (SysResult{-1, ENOTDIR}));
}

TEST_F(PosixOsCallsFsTest, FlockIsExclusiveBetweenOpenFileDescriptions) {
  const std::string file = dir_ + "/lock";
  const SysResult first = os_.Open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  const SysResult second = os_.Open(file.c_str(), O_RDWR | O_CLOEXEC, 0);
  ASSERT_GE(first.rc, 0);
  ASSERT_GE(second.rc, 0);
  closer_.Add(static_cast<int>(first.rc));
  closer_.Add(static_cast<int>(second.rc));
  const int a = static_cast<int>(first.rc), b = static_cast<int>(second.rc);
  EXPECT_EQ(os_.Flock(a, LOCK_EX | LOCK_NB), (SysResult{0, 0}));
  EXPECT_EQ(os_.Flock(b, LOCK_EX | LOCK_NB), (SysResult{-1, EWOULDBLOCK}));
  EXPECT_EQ(os_.Flock(a, LOCK_UN), (SysResult{0, 0}));
  EXPECT_EQ(os_.Flock(b, LOCK_EX | LOCK_NB), (SysResult{0, 0}));
  EXPECT_EQ(os_.Flock(-1, LOCK_EX), (SysResult{-1, EBADF}));
}

TEST_F(PosixOsCallsTest, ListenConnectAcceptAndSocketOptions) {
  const SysResult listener = os_.Socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  ASSERT_GE(listener.rc, 0);
  const int lfd = closer_.Add(static_cast<int>(listener.rc));
  const UnixAddress addr = AbstractAddress("listen");
  ASSERT_EQ(os_.Bind(lfd, addr.get(), addr.len), kOk);
  ASSERT_EQ(os_.Listen(lfd, 8), kOk);
  EXPECT_EQ(os_.Accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC), (SysResult{-1, EAGAIN}));

  const SysResult client = os_.Socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  ASSERT_GE(client.rc, 0);
  const int cfd = closer_.Add(static_cast<int>(client.rc));
  ASSERT_EQ(os_.Connect(cfd, addr.get(), addr.len), kOk);
  EXPECT_EQ(os_.Connect(cfd, addr.get(), addr.len), (SysResult{-1, EISCONN}));

  sockaddr_un peer{};
  socklen_t peer_len = sizeof(peer);
  const SysResult accepted =
      os_.Accept4(lfd, reinterpret_cast<sockaddr*>(&peer), &peer_len, SOCK_NONBLOCK | SOCK_CLOEXEC);
  ASSERT_GE(accepted.rc, 0);
  EXPECT_EQ(accepted.err, 0);
  const int afd = closer_.Add(static_cast<int>(accepted.rc));
  EXPECT_EQ(peer_len, offsetof(sockaddr_un, sun_path));  // The client is unnamed.
  EXPECT_EQ(os_.Fcntl(afd, F_GETFD, 0), (SysResult{FD_CLOEXEC, 0}));
  EXPECT_EQ(os_.Fcntl(afd, F_GETFL, 0).rc & O_NONBLOCK, O_NONBLOCK);

  sockaddr_un name{};
  socklen_t name_len = sizeof(name);
  ASSERT_EQ(os_.GetSockName(lfd, reinterpret_cast<sockaddr*>(&name), &name_len), kOk);
  EXPECT_EQ(name_len, addr.len);
  EXPECT_EQ(std::memcmp(&name, &addr.addr, addr.len), 0);
  name = {};
  name_len = sizeof(name);
  ASSERT_EQ(os_.GetPeerName(cfd, reinterpret_cast<sockaddr*>(&name), &name_len), kOk);
  EXPECT_EQ(name_len, addr.len);
  EXPECT_EQ(std::memcmp(&name, &addr.addr, addr.len), 0);

  int value = -1;
  socklen_t len = sizeof(value);
  ASSERT_EQ(os_.GetSockOpt(cfd, SOL_SOCKET, SO_ERROR, &value, &len), kOk);
  EXPECT_EQ(value, 0);
  ASSERT_EQ(os_.GetSockOpt(afd, SOL_SOCKET, SO_TYPE, &value, &len), kOk);
  EXPECT_EQ(value, SOCK_STREAM);
  const int sndbuf = 32768;
  ASSERT_EQ(os_.SetSockOpt(cfd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf)), kOk);
  ASSERT_EQ(os_.GetSockOpt(cfd, SOL_SOCKET, SO_SNDBUF, &value, &len), kOk);
  EXPECT_EQ(value, 2 * sndbuf);  // Linux doubles the requested size.

  EXPECT_EQ(SendString(os_, cfd, "ping"), (SysResult{4, 0}));
  char buf[8];
  EXPECT_EQ(os_.Recv(afd, buf, sizeof(buf), 0), (SysResult{4, 0}));

  const UnixAddress nobody = AbstractAddress("nobody-listens");
  const SysResult other = os_.Socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  ASSERT_GE(other.rc, 0);
  closer_.Add(static_cast<int>(other.rc));
  EXPECT_EQ(os_.Connect(static_cast<int>(other.rc), nobody.get(), nobody.len),
            (SysResult{-1, ECONNREFUSED}));
}

// ---------------------------------------------------------------------------------------------
// EINTR.

// Control for the tests below: the handler setup really makes a blocked recv fail with EINTR,
// so the retry tests cannot pass vacuously.
TEST_F(PosixOsCallsTest, ControlRawRecvFailsWithEintrWhenInterrupted) {
  MakePair();
  ScopedInterruptHandler handler;
  char buf[8];
  BlockingCall call(
      [&] {
        const ssize_t rc = ::recv(a_, buf, sizeof(buf), 0);
        return SysResult{rc, rc < 0 ? errno : 0};
      },
      [&] { ::shutdown(a_, SHUT_RDWR); });
  ASSERT_TRUE(call.WaitUntilBlocked());
  ASSERT_NO_FATAL_FAILURE(call.Interrupt());
  EXPECT_EQ(call.Join(), (SysResult{-1, EINTR}));
}

TEST_F(PosixOsCallsTest, RecvRetriesEintr) {
  MakePair();
  ScopedInterruptHandler handler;
  char buf[8];
  BlockingCall call([&] { return os_.Recv(a_, buf, sizeof(buf), 0); },
                    [&] { ::shutdown(a_, SHUT_RDWR); });
  ASSERT_NO_FATAL_FAILURE(InterruptOnceAndExpectRetry(call));
  ASSERT_EQ(SendString(os_, b_, "data"), (SysResult{4, 0}));
  EXPECT_EQ(call.Join(), (SysResult{4, 0}));
  EXPECT_EQ(std::string(buf, 4), "data");
}

TEST_F(PosixOsCallsTest, RecvMsgRetriesEintr) {
  MakePair();
  ScopedInterruptHandler handler;
  char buf[8];
  iovec iov{buf, sizeof(buf)};
  msghdr msg = MessageOf(&iov, 1);
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  BlockingCall call([&] { return os_.RecvMsg(a_, &msg, MSG_CMSG_CLOEXEC); },
                    [&] { ::shutdown(a_, SHUT_RDWR); });
  ASSERT_NO_FATAL_FAILURE(InterruptOnceAndExpectRetry(call));
  ASSERT_EQ(SendString(os_, b_, "msg"), (SysResult{3, 0}));
  EXPECT_EQ(call.Join(), (SysResult{3, 0}));
  EXPECT_EQ(std::string(buf, 3), "msg");
  EXPECT_EQ(msg.msg_controllen, 0u);  // No fds were attached.
}

TEST_F(PosixOsCallsTest, Accept4RetriesEintr) {
  ScopedInterruptHandler handler;
  const SysResult listener = os_.Socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);  // Blocking.
  ASSERT_GE(listener.rc, 0);
  const int lfd = closer_.Add(static_cast<int>(listener.rc));
  const UnixAddress addr = AbstractAddress("accept");
  ASSERT_EQ(os_.Bind(lfd, addr.get(), addr.len), kOk);
  ASSERT_EQ(os_.Listen(lfd, 4), kOk);
  // Unblocks a failed test by connecting a client.
  auto connect_one = [&] {
    const int c = closer_.Add(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    ::connect(c, addr.get(), addr.len);
  };
  BlockingCall call([&] { return os_.Accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC); }, connect_one);
  ASSERT_NO_FATAL_FAILURE(InterruptOnceAndExpectRetry(call));
  const SysResult client = os_.Socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(client.rc, 0);
  closer_.Add(static_cast<int>(client.rc));
  ASSERT_EQ(os_.Connect(static_cast<int>(client.rc), addr.get(), addr.len), kOk);
  const SysResult accepted = call.Join();
  ASSERT_GE(accepted.rc, 0);
  EXPECT_EQ(accepted.err, 0);
  closer_.Add(static_cast<int>(accepted.rc));
}

TEST_F(PosixOsCallsTest, SendMsgRetriesEintr) {
  MakePair();
  ScopedInterruptHandler handler;
  // Fill a_'s send buffer without blocking.
  const std::string chunk(65536, 'a');
  int64_t filled = 0;
  for (;;) {
    const SysResult r = SendString(os_, a_, chunk, MSG_DONTWAIT);
    if (r.rc < 0) {
      ASSERT_EQ(r.err, EAGAIN);
      break;
    }
    filled += r.rc;
  }
  ASSERT_GT(filled, 0);
  BlockingCall call([&] { return SendString(os_, a_, "!"); }, [&] { ::shutdown(a_, SHUT_RDWR); });
  ASSERT_NO_FATAL_FAILURE(InterruptOnceAndExpectRetry(call));
  // Drain the peer: the emptied buffer wakes the blocked send, which then completes.
  std::string received;
  std::vector<char> buf(65536);
  auto drain = [&] {
    for (;;) {
      const SysResult r = os_.Recv(b_, buf.data(), buf.size(), MSG_DONTWAIT);
      if (r.rc <= 0) {
        EXPECT_EQ(r, (SysResult{-1, EAGAIN}));
        return;
      }
      received.append(buf.data(), static_cast<size_t>(r.rc));
    }
  };
  drain();
  EXPECT_EQ(call.Join(), (SysResult{1, 0}));
  drain();
  ASSERT_EQ(received.size(), static_cast<size_t>(filled) + 1);
  EXPECT_EQ(received.back(), '!');
  EXPECT_EQ(received.find_first_not_of('a'), static_cast<size_t>(filled));
}

TEST_F(PosixOsCallsTest, PollWithoutTimeoutRetriesEintr) {
  MakePair();
  ScopedInterruptHandler handler;
  pollfd pfd{a_, POLLIN, 0};
  BlockingCall call([&] { return os_.Poll(&pfd, 1, -1); }, [&] { ::shutdown(a_, SHUT_RDWR); });
  ASSERT_NO_FATAL_FAILURE(InterruptOnceAndExpectRetry(call));
  ASSERT_EQ(SendString(os_, b_, "x"), (SysResult{1, 0}));
  EXPECT_EQ(call.Join(), (SysResult{1, 0}));
  EXPECT_EQ(pfd.revents, POLLIN);
}

TEST_F(PosixOsCallsTest, PollRetriesEintrWithTheRemainingTimeout) {
  MakePair();
  ScopedInterruptHandler handler;
  constexpr milliseconds kTimeout(500);
  // Interrupt the poll every time it blocks during the first 80% of its timeout, then leave it
  // alone. With the remaining timeout it returns at ~kTimeout; a retry that restarted the full
  // timeout would return no earlier than 1.8 * kTimeout.
  constexpr milliseconds kInterruptFor = kTimeout * 8 / 10;
  constexpr milliseconds kLimit = kTimeout * 16 / 10;
  pollfd pfd{a_, POLLIN, 0};
  const int interrupts_before = g_interrupts.load();
  const auto start = steady_clock::now();
  BlockingCall call([&] { return os_.Poll(&pfd, 1, static_cast<int>(kTimeout.count())); },
                    [&] { ::shutdown(a_, SHUT_RDWR); });
  while (!call.done() && steady_clock::now() - start < kInterruptFor) {
    if (call.WaitUntilBlocked()) {
      ASSERT_NO_FATAL_FAILURE(call.Interrupt());
    }
  }
  EXPECT_FALSE(call.done()) << "returned after EINTR instead of retrying";
  EXPECT_EQ(call.Join(), (SysResult{0, 0}));
  EXPECT_EQ(pfd.revents, 0);
  EXPECT_GT(g_interrupts.load(), interrupts_before);
  const int64_t elapsed_ms = std::chrono::duration_cast<milliseconds>(call.elapsed()).count();
  EXPECT_GE(elapsed_ms, kTimeout.count());  // Never returns early.
  EXPECT_LT(elapsed_ms, kLimit.count());
}

TEST_F(PosixOsCallsTest, ConnectIsNotRetriedOnEintr) {
  ScopedInterruptHandler handler;
  const SysResult listener = os_.Socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(listener.rc, 0);
  const int lfd = closer_.Add(static_cast<int>(listener.rc));
  const UnixAddress addr = AbstractAddress("connect");
  ASSERT_EQ(os_.Bind(lfd, addr.get(), addr.len), kOk);
  ASSERT_EQ(os_.Listen(lfd, 0), kOk);
  // Fill the backlog with non-blocking clients until connect reports EAGAIN.
  for (int i = 0;; ++i) {
    ASSERT_LT(i, 1000);
    const SysResult c = os_.Socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    ASSERT_GE(c.rc, 0);
    closer_.Add(static_cast<int>(c.rc));
    const SysResult r = os_.Connect(static_cast<int>(c.rc), addr.get(), addr.len);
    if (r.rc < 0) {
      ASSERT_EQ(r.err, EAGAIN);
      break;
    }
  }
  // A blocking connect now sleeps until the backlog has room; interrupt it.
  const SysResult blocking = os_.Socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(blocking.rc, 0);
  const int bfd = closer_.Add(static_cast<int>(blocking.rc));
  // Unblocks a failed test by accepting a pending client, which makes room in the backlog.
  auto accept_one = [&] { closer_.Add(::accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC)); };
  BlockingCall call([&] { return os_.Connect(bfd, addr.get(), addr.len); }, accept_one);
  ASSERT_TRUE(call.WaitUntilBlocked());
  ASSERT_NO_FATAL_FAILURE(call.Interrupt());
  EXPECT_EQ(call.Join(), (SysResult{-1, EINTR}));
}

TEST(SysResultTest, PrintsNameOrNumber) {
  EXPECT_EQ(::testing::PrintToString(SysResult{-1, EPIPE}), "{rc: -1, err: EPIPE}");
  EXPECT_EQ(::testing::PrintToString(SysResult{5, 0}), "{rc: 5, err: 0}");
  EXPECT_EQ(::testing::PrintToString(SysResult{-1, 99999}), "{rc: -1, err: 99999}");
  std::ostringstream out;
  out << SysResult{-1, EAGAIN};
  EXPECT_EQ(out.str(), "{rc: -1, err: EAGAIN}");
  EXPECT_TRUE((SysResult{1, 0} == SysResult{1, 0}));
  EXPECT_TRUE((SysResult{1, 0} != SysResult{-1, 0}));
  EXPECT_TRUE((SysResult{-1, EPIPE} != SysResult{-1, EAGAIN}));
}

}  // namespace
}  // namespace ipc
