// FakeKernel beyond the Linux contract (fake_kernel_contract_test.cc): exact buffer limits,
// the loop's readiness, poll in fake time, blocking descriptors and the block hook, faults,
// descriptor numbering and accounting. The filesystem is in fake_kernel_fs_test.cc.
#include "testing/fake_kernel.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <cerrno>
#include <chrono>
#include <string>
#include <vector>

#include "eventloop/event_loop.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/fake_event_loop.h"
#include "testing/os_calls_socket.h"

namespace ipc {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using Call = FakeKernel::Call;
using eventloop::kNoEvents;
using eventloop::kReadable;
using eventloop::kWritable;
using std::chrono::milliseconds;
using test::ConnectTo;
using test::ListenOn;
using test::ReceiveAvailable;
using test::ReceiveString;
using test::SendString;

constexpr SysResult kOk{0, 0};
SysResult Err(int err) { return SysResult{-1, err}; }
SysResult Rc(int64_t rc) { return SysResult{rc, 0}; }

class FakeKernelTest : public ::testing::Test {
 protected:
  int Fd(SysResult result) {
    EXPECT_GE(result.rc, 0) << result;
    return static_cast<int>(result.rc);
  }
  int Listener(const std::string& path = "/tmp/srv", int backlog = 16) {
    return Fd(ListenOn(kernel_, path, false, backlog));
  }
  int Client(const std::string& path = "/tmp/srv") { return Fd(ConnectTo(kernel_, path)); }
  int Accept(int listener) {
    return Fd(kernel_.Accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
  }
  // A connected pair: {client, server}.
  std::pair<int, int> Pair() {
    const int listener = Listener("/tmp/pair");
    const int client = Client("/tmp/pair");
    const int server = Accept(listener);
    kernel_.Close(listener);
    return {client, server};
  }
  std::string Drain(int fd) { return ReceiveAvailable(kernel_, fd); }
  int PollEvents(int fd, int events = POLLIN | POLLOUT) {
    pollfd entry{fd, static_cast<int16_t>(events), 0};
    EXPECT_GE(kernel_.Poll(&entry, 1, 0).rc, 0);
    return entry.revents;
  }
  eventloop::Duration Elapsed() const { return loop_.Now() - start_; }

  eventloop::FakeEventLoop loop_;
  FakeKernel kernel_{loop_};
  const eventloop::TimePoint start_ = loop_.Now();
};

// ---------------------------------------------------------------------------------------------
// Descriptors: numbering and accounting.

TEST_F(FakeKernelTest, DescriptorsAreTheLowestFreeNumberFromThree) {
  EXPECT_EQ(kernel_.Socket(AF_UNIX, SOCK_STREAM, 0), Rc(3));
  EXPECT_EQ(kernel_.Socket(AF_UNIX, SOCK_STREAM, 0), Rc(4));
  EXPECT_EQ(kernel_.Socket(AF_UNIX, SOCK_STREAM, 0), Rc(5));
  EXPECT_EQ(kernel_.Close(4), kOk);
  EXPECT_EQ(kernel_.Socket(AF_UNIX, SOCK_STREAM, 0), Rc(4));
  EXPECT_EQ(kernel_.Fcntl(3, F_DUPFD, 10), Rc(10));
  EXPECT_EQ(kernel_.Fcntl(3, F_DUPFD, 0), Rc(6));
  EXPECT_THAT(kernel_.open_fds(), ElementsAre(3, 4, 5, 6, 10));
  EXPECT_EQ(kernel_.opened_count(), 6);
  EXPECT_EQ(kernel_.closed_count(), 1);
  EXPECT_EQ(kernel_.socket_count(), 3u) << "duplicates share a socket";
}

TEST(FakeKernelOptionsTest, FirstFdZeroAndNumbersNeverReused) {
  eventloop::FakeEventLoop loop;
  FakeKernelOptions options;
  options.first_fd = 0;
  options.reuse_fds = false;
  FakeKernel kernel(loop, options);
  EXPECT_EQ(kernel.Socket(AF_UNIX, SOCK_STREAM, 0), Rc(0));
  EXPECT_EQ(kernel.Close(0), kOk);
  EXPECT_EQ(kernel.Socket(AF_UNIX, SOCK_STREAM, 0), Rc(1)) << "0 is not reused";
  EXPECT_EQ(kernel.Close(0), Err(EBADF)) << "so a double close is caught";
  EXPECT_THAT(kernel.bad_closes(), ElementsAre(0));
  EXPECT_THAT(kernel.open_fds(), ElementsAre(1));
}

TEST(FakeKernelOptionsTest, TheSendBufferOptionAppliesToEverySocketTheKernelMakes) {
  eventloop::FakeEventLoop loop;
  FakeKernelOptions options;
  options.send_buffer = 1000;
  FakeKernel kernel(loop, options);
  const SysResult listener = ListenOn(kernel, "/tmp/srv");
  const SysResult client = kernel.Socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
  ASSERT_TRUE(kernel.SetSendBufferSize(static_cast<int>(client.rc), 50));
  socklen_t length = 0;
  const sockaddr_un address = test::UnixSocketAddress("/tmp/srv", false, &length);
  ASSERT_EQ(kernel.Connect(static_cast<int>(client.rc), reinterpret_cast<const sockaddr*>(&address),
                           length),
            kOk);
  const SysResult server = kernel.Accept4(static_cast<int>(listener.rc), nullptr, nullptr, 0);
  const auto sndbuf = [&](const SysResult& fd) {
    int value = 0;
    socklen_t size = sizeof(value);
    EXPECT_EQ(kernel.GetSockOpt(static_cast<int>(fd.rc), SOL_SOCKET, SO_SNDBUF, &value, &size),
              kOk);
    return value;
  };
  EXPECT_EQ(sndbuf(listener), 1000);
  EXPECT_EQ(sndbuf(client), 50);
  EXPECT_EQ(sndbuf(server), 1000) << "the server's end does not inherit the client's";
  for (const SysResult& fd : {listener, client, server}) kernel.Close(static_cast<int>(fd.rc));
}

TEST_F(FakeKernelTest, DoubleClosesAreRecordedAndFailEbadf) {
  const int fd = Fd(kernel_.Socket(AF_UNIX, SOCK_STREAM, 0));
  EXPECT_EQ(kernel_.Close(fd), kOk);
  EXPECT_EQ(kernel_.Close(fd), Err(EBADF));
  EXPECT_EQ(kernel_.Close(-1), Err(EBADF));
  EXPECT_EQ(kernel_.Close(77), Err(EBADF));
  EXPECT_THAT(kernel_.bad_closes(), ElementsAre(fd, -1, 77));
  EXPECT_THAT(kernel_.open_fds(), IsEmpty());
  EXPECT_EQ(kernel_.socket_count(), 0u);
}

TEST_F(FakeKernelTest, TheDescriptorLimitGivesEmfileEverywhereAndAcceptKeepsTheConnection) {
  const int listener = Listener();
  const int client = Client();
  kernel_.SetFdLimit(5);  // 3 and 4 are taken: no room.
  EXPECT_EQ(kernel_.Socket(AF_UNIX, SOCK_STREAM, 0), Err(EMFILE));
  int pair[2];
  EXPECT_EQ(kernel_.SocketPair(AF_UNIX, SOCK_STREAM, 0, pair), Err(EMFILE));
  EXPECT_EQ(kernel_.Accept4(listener, nullptr, nullptr, 0), Err(EMFILE));
  EXPECT_EQ(kernel_.Open("/tmp", O_RDONLY, 0), Err(EMFILE));
  EXPECT_EQ(kernel_.Fcntl(listener, F_DUPFD, 0), Err(EMFILE));
  EXPECT_EQ(kernel_.PendingConnections(listener), 1u) << "still queued";
  kernel_.SetFdLimit(6);
  EXPECT_EQ(kernel_.SocketPair(AF_UNIX, SOCK_STREAM, 0, pair), Err(EMFILE)) << "needs two";
  const int server = Accept(listener);
  EXPECT_EQ(server, 5);
  EXPECT_EQ(kernel_.PendingConnections(listener), 0u);
  EXPECT_EQ(kernel_.Fcntl(listener, F_DUPFD, 6), Err(EINVAL)) << "at the limit";
  for (int fd : {listener, client, server}) kernel_.Close(fd);
}

TEST_F(FakeKernelTest, DescribeOpenFdsNamesEachDescriptor) {
  const int listener = Listener();
  const int client = Client();
  const int server = Accept(listener);
  kernel_.Close(server);
  const int file = Fd(kernel_.Open("/tmp", O_PATH | O_DIRECTORY, 0));
  const std::string description = kernel_.DescribeOpenFds();
  EXPECT_THAT(description, HasSubstr("3: socket listening, bound to /tmp/srv\n"));
  EXPECT_THAT(description, HasSubstr("4: socket connected to /tmp/srv (peer closed)\n"));
  EXPECT_THAT(description, HasSubstr("5: O_PATH, inode "));
  for (int fd : {listener, client, file}) kernel_.Close(fd);
  EXPECT_EQ(kernel_.DescribeOpenFds(), "");
}

// ---------------------------------------------------------------------------------------------
// Buffer limits.

TEST_F(FakeKernelTest, SendsTakeWhatFitsInTheSendersBufferThenEagain) {
  const auto [client, server] = Pair();
  ASSERT_TRUE(kernel_.SetSendBufferSize(client, 100));
  EXPECT_EQ(SendString(kernel_, client, std::string(150, 'a')), Rc(100));
  EXPECT_EQ(SendString(kernel_, client, "b"), Err(EAGAIN));
  EXPECT_EQ(kernel_.BytesUnreadByPeer(client), 100u);
  EXPECT_EQ(kernel_.BytesQueued(server), 100u);
  EXPECT_EQ(kernel_.BytesQueued(client), 0u);
  // Writable again only once at most a quarter is in flight (Linux's unix_writable).
  std::string got;
  EXPECT_EQ(ReceiveString(kernel_, server, 74, &got), Rc(74));
  EXPECT_EQ(PollEvents(client), 0);
  EXPECT_EQ(SendString(kernel_, client, "0123456789"), Rc(10)) << "a send still takes room";
  EXPECT_EQ(ReceiveString(kernel_, server, 11, &got), Rc(11));
  EXPECT_EQ(kernel_.BytesUnreadByPeer(client), 25u);
  EXPECT_EQ(PollEvents(client), POLLOUT);
  EXPECT_EQ(Drain(server).size(), 25u);
  // The other direction has its own limit (the server's send buffer, the default).
  EXPECT_EQ(SendString(kernel_, server, std::string(300000, 'z')),
            Rc(fake_kernel::kDefaultSendBuffer));
  kernel_.Close(client);
  kernel_.Close(server);
}

TEST_F(FakeKernelTest, SetSockOptSndbufDoublesAndClampsAsLinux) {
  const int fd = Fd(kernel_.Socket(AF_UNIX, SOCK_STREAM, 0));
  const auto set = [&](int name, int value) {
    return kernel_.SetSockOpt(fd, SOL_SOCKET, name, &value, sizeof(value));
  };
  const auto get = [&](int name) {
    int value = 0;
    socklen_t length = sizeof(value);
    EXPECT_EQ(kernel_.GetSockOpt(fd, SOL_SOCKET, name, &value, &length), kOk);
    return value;
  };
  // The doubling and the floors are in the contract test; the cap is the default
  // net.core.wmem_max (212992), where real machines differ.
  EXPECT_EQ(get(SO_SNDBUF), 212992);
  EXPECT_EQ(set(SO_SNDBUF, 1 << 30), kOk);
  EXPECT_EQ(get(SO_SNDBUF), 425984);
  EXPECT_EQ(set(SO_SNDBUFFORCE, 1 << 20), kOk);
  EXPECT_EQ(get(SO_SNDBUF), 2 << 20);
  EXPECT_EQ(set(SO_RCVBUF, 1 << 30), kOk);
  EXPECT_EQ(get(SO_RCVBUF), 425984);
  EXPECT_EQ(set(SO_KEEPALIVE, 1), Err(ENOPROTOOPT));
  EXPECT_EQ(kernel_.SetSockOpt(fd, SOL_SOCKET, SO_SNDBUF, "ab", 2), Err(EINVAL));
  int value = 1;
  EXPECT_EQ(kernel_.SetSockOpt(fd, IPPROTO_TCP, 1, &value, sizeof(value)), Err(EOPNOTSUPP));
  ucred credentials{};
  socklen_t length = sizeof(credentials);
  EXPECT_EQ(kernel_.GetSockOpt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &length), kOk);
  EXPECT_EQ(credentials.pid, 0);  // Unconnected: none.
  EXPECT_EQ(credentials.uid, static_cast<uid_t>(-1));
  kernel_.Close(fd);
}

TEST_F(FakeKernelTest, ReceivesReadAcrossSendsAndPeekLeavesTheQueue) {
  const auto [client, server] = Pair();
  ASSERT_EQ(SendString(kernel_, client, "ab"), Rc(2));
  ASSERT_EQ(SendString(kernel_, client, "cde"), Rc(3));
  char buffer[8] = {};
  EXPECT_EQ(kernel_.Recv(server, buffer, 4, MSG_PEEK), Rc(4));
  EXPECT_EQ(std::string(buffer, 4), "abcd");
  EXPECT_EQ(kernel_.BytesQueued(server), 5u);
  EXPECT_EQ(kernel_.Recv(server, buffer, 3, 0), Rc(3));
  EXPECT_EQ(std::string(buffer, 3), "abc");
  EXPECT_EQ(Drain(server), "de");
  // A malformed control message (a zero cmsg_len) is refused, as Linux does.
  char control[64] = {};
  iovec iov{buffer, 1};
  msghdr message{};
  message.msg_iov = &iov;
  message.msg_iovlen = 1;
  message.msg_control = control;
  message.msg_controllen = sizeof(control);
  EXPECT_EQ(kernel_.SendMsg(client, &message, MSG_NOSIGNAL), Err(EINVAL));
  message.msg_control = nullptr;
  message.msg_controllen = 0;
  EXPECT_EQ(kernel_.SendMsg(client, &message, MSG_OOB), Err(EOPNOTSUPP));
  EXPECT_EQ(kernel_.Recv(server, buffer, 1, MSG_OOB), Err(EOPNOTSUPP));
  kernel_.Close(client);
  kernel_.Close(server);
}

// ---------------------------------------------------------------------------------------------
// The loop's readiness.

TEST_F(FakeKernelTest, TheLoopSeesTheReadinessEpollWouldReport) {
  const int fresh = Fd(kernel_.Socket(AF_UNIX, SOCK_STREAM, 0));
  EXPECT_EQ(loop_.FdReadiness(fresh), kReadable | kWritable) << "POLLHUP wakes both";
  const int listener = Listener();
  EXPECT_EQ(loop_.FdReadiness(listener), kNoEvents);
  const int client = Client();
  EXPECT_EQ(loop_.FdReadiness(listener), kReadable);
  EXPECT_EQ(loop_.FdReadiness(client), kWritable);
  const int server = Accept(listener);
  EXPECT_EQ(loop_.FdReadiness(listener), kNoEvents);
  EXPECT_EQ(loop_.FdReadiness(server), kWritable);
  ASSERT_EQ(SendString(kernel_, client, "x"), Rc(1));
  EXPECT_EQ(loop_.FdReadiness(server), kReadable | kWritable);
  EXPECT_EQ(Drain(server), "x");
  EXPECT_EQ(loop_.FdReadiness(server), kWritable);
  ASSERT_TRUE(kernel_.SetSendBufferSize(client, 8));
  ASSERT_EQ(SendString(kernel_, client, "12345678"), Rc(8));
  EXPECT_EQ(loop_.FdReadiness(client), kNoEvents) << "full";
  EXPECT_EQ(Drain(server), "12345678");
  EXPECT_EQ(loop_.FdReadiness(client), kWritable);
  kernel_.Close(server);
  EXPECT_EQ(loop_.FdReadiness(server), kNoEvents) << "closed: cleared";
  EXPECT_EQ(loop_.FdReadiness(client), kReadable | kWritable) << "EOF and hang-up";
  for (int fd : {fresh, listener, client}) kernel_.Close(fd);
  EXPECT_EQ(loop_.FdReadiness(client), kNoEvents);
}

TEST_F(FakeKernelTest, AWatcherOnTheLoopIsCalledByTheKernelsReadiness) {
  const auto [client, server] = Pair();
  std::string received;
  auto watcher = loop_.WatchFd(server, kReadable, [&](uint32_t) { received += Drain(server); });
  loop_.RunUntilIdle();
  EXPECT_EQ(received, "");
  ASSERT_EQ(SendString(kernel_, client, "ping"), Rc(4));
  loop_.RunUntilIdle();
  EXPECT_EQ(received, "ping");
  watcher.reset();
  kernel_.Close(client);
  kernel_.Close(server);
}

TEST_F(FakeKernelTest, TheKernelSettlesTheLoopWhileItExists) {
  eventloop::FakeEventLoop loop;
  EXPECT_FALSE(loop.settles_fd_readiness());
  {
    FakeKernel kernel(loop);
    EXPECT_TRUE(loop.settles_fd_readiness());
  }
  EXPECT_FALSE(loop.settles_fd_readiness());
}

// ---------------------------------------------------------------------------------------------
// poll in fake time.

TEST_F(FakeKernelTest, PollWithNothingReadyAdvancesTheClockToItsDeadline) {
  const auto [client, server] = Pair();
  pollfd entry{server, POLLIN, 0};
  EXPECT_EQ(kernel_.Poll(&entry, 1, 50), Rc(0));
  EXPECT_EQ(Elapsed(), milliseconds(50));
  EXPECT_EQ(entry.revents, 0);
  EXPECT_EQ(kernel_.Poll(&entry, 1, 0), Rc(0));
  EXPECT_EQ(Elapsed(), milliseconds(50)) << "a zero timeout takes no time";
  EXPECT_EQ(kernel_.Poll(nullptr, 0, 20), Rc(0)) << "a plain sleep";
  EXPECT_EQ(Elapsed(), milliseconds(70));
  ASSERT_EQ(SendString(kernel_, client, "x"), Rc(1));
  EXPECT_EQ(kernel_.Poll(&entry, 1, 1000), Rc(1));
  EXPECT_EQ(entry.revents, POLLIN);
  EXPECT_EQ(Elapsed(), milliseconds(70)) << "ready: no time passes";
  EXPECT_EQ(kernel_.stalls(), 0);
  kernel_.Close(client);
  kernel_.Close(server);
}

TEST_F(FakeKernelTest, PollForeverWithNothingReadyFailsEdeadlkInsteadOfHanging) {
  const auto [client, server] = Pair();
  pollfd entry{server, POLLIN, 0};
  EXPECT_EQ(kernel_.Poll(&entry, 1, -1), Err(EDEADLK));
  EXPECT_EQ(kernel_.Poll(nullptr, 0, -1), Err(EDEADLK));
  EXPECT_EQ(kernel_.stalls(), 2);
  EXPECT_EQ(Elapsed(), milliseconds(0));
  EXPECT_EQ(kernel_.Poll(nullptr, 1, 0), Err(EFAULT));
  kernel_.Close(client);
  kernel_.Close(server);
}

TEST_F(FakeKernelTest, TheBlockHookActsWhileAPollWaits) {
  const auto [client, server] = Pair();
  // Another "process" that answers 5 ms after the wait starts.
  kernel_.SetBlockHook([&] {
    if (kernel_.BytesQueued(server) > 0) return false;
    kernel_.clock().Advance(milliseconds(5));
    return SendString(kernel_, client, "late").rc == 4;
  });
  pollfd entry{server, POLLIN, 0};
  EXPECT_EQ(kernel_.Poll(&entry, 1, 100), Rc(1));
  EXPECT_EQ(Elapsed(), milliseconds(5));
  EXPECT_EQ(Drain(server), "late");
  // A hook that makes no progress: the deadline (or EDEADLK) as without one.
  int calls = 0;
  kernel_.SetBlockHook([&] {
    ++calls;
    return false;
  });
  EXPECT_EQ(kernel_.Poll(&entry, 1, 10), Rc(0));
  EXPECT_EQ(Elapsed(), milliseconds(15));
  EXPECT_EQ(kernel_.Poll(&entry, 1, -1), Err(EDEADLK));
  EXPECT_EQ(calls, 2);
  // A hook that passes the deadline ends the poll there.
  kernel_.SetBlockHook([&] {
    kernel_.clock().Advance(milliseconds(30));
    return true;
  });
  EXPECT_EQ(kernel_.Poll(&entry, 1, 20), Rc(0));
  EXPECT_EQ(Elapsed(), milliseconds(45));
  kernel_.SetBlockHook(nullptr);
  kernel_.Close(client);
  kernel_.Close(server);
}

// ---------------------------------------------------------------------------------------------
// Blocking descriptors.

TEST_F(FakeKernelTest, BlockingCallsThatCannotProceedFailEdeadlk) {
  int fds[2];
  ASSERT_EQ(kernel_.SocketPair(AF_UNIX, SOCK_STREAM, 0, fds), kOk);  // Blocking.
  char byte;
  EXPECT_EQ(kernel_.Recv(fds[0], &byte, 1, 0), Err(EDEADLK));
  EXPECT_EQ(kernel_.Recv(fds[0], &byte, 1, MSG_DONTWAIT), Err(EAGAIN));
  ASSERT_TRUE(kernel_.SetSendBufferSize(fds[0], 4));
  EXPECT_EQ(SendString(kernel_, fds[0], "123456"), Rc(4)) << "what it sent before blocking";
  EXPECT_EQ(SendString(kernel_, fds[0], "7"), Err(EDEADLK));
  const int listener = Fd(kernel_.Socket(AF_UNIX, SOCK_STREAM, 0));
  socklen_t length = 0;
  const sockaddr_un address = test::UnixSocketAddress("/tmp/blocking", false, &length);
  ASSERT_EQ(kernel_.Bind(listener, reinterpret_cast<const sockaddr*>(&address), length), kOk);
  ASSERT_EQ(kernel_.Listen(listener, 0), kOk);
  EXPECT_EQ(kernel_.Accept4(listener, nullptr, nullptr, 0), Err(EDEADLK));
  const int first = Fd(kernel_.Socket(AF_UNIX, SOCK_STREAM, 0));
  const int second = Fd(kernel_.Socket(AF_UNIX, SOCK_STREAM, 0));
  EXPECT_EQ(kernel_.Connect(first, reinterpret_cast<const sockaddr*>(&address), length), kOk);
  EXPECT_EQ(kernel_.Connect(second, reinterpret_cast<const sockaddr*>(&address), length),
            Err(EDEADLK))
      << "a full backlog blocks";
  const int a = Fd(kernel_.Open("/tmp/lock", O_RDWR | O_CREAT, 0600));
  const int b = Fd(kernel_.Open("/tmp/lock", O_RDWR, 0));
  ASSERT_EQ(kernel_.Flock(a, LOCK_EX), kOk);
  EXPECT_EQ(kernel_.Flock(b, LOCK_EX), Err(EDEADLK));
  EXPECT_EQ(kernel_.stalls(), 6);
  for (int fd : {fds[0], fds[1], listener, first, second, a, b}) kernel_.Close(fd);
}

TEST_F(FakeKernelTest, TheBlockHookLetsBlockingCallsComplete) {
  int fds[2];
  ASSERT_EQ(kernel_.SocketPair(AF_UNIX, SOCK_STREAM, 0, fds), kOk);
  ASSERT_TRUE(kernel_.SetSendBufferSize(fds[0], 4));
  std::string peer_read;
  kernel_.SetBlockHook([&] {  // The peer reads two bytes at a time.
    char buffer[2];
    const SysResult r = kernel_.Recv(fds[1], buffer, sizeof(buffer), MSG_DONTWAIT);
    if (r.rc <= 0) return false;
    peer_read.append(buffer, static_cast<size_t>(r.rc));
    return true;
  });
  EXPECT_EQ(SendString(kernel_, fds[0], "0123456789"), Rc(10)) << "a blocking send sends all";
  char rest[16];
  const SysResult last = kernel_.Recv(fds[1], rest, sizeof(rest), MSG_DONTWAIT);
  ASSERT_GT(last.rc, 0);
  EXPECT_EQ(peer_read + std::string(rest, static_cast<size_t>(last.rc)), "0123456789");
  const int a = Fd(kernel_.Open("/tmp/lock", O_RDWR | O_CREAT, 0600));
  const int b = Fd(kernel_.Open("/tmp/lock", O_RDWR, 0));
  ASSERT_EQ(kernel_.Flock(a, LOCK_EX), kOk);
  kernel_.SetBlockHook([&] { return kernel_.Flock(a, LOCK_UN) == kOk; });
  EXPECT_EQ(kernel_.Flock(b, LOCK_EX), kOk);
  kernel_.SetBlockHook(nullptr);
  EXPECT_EQ(kernel_.stalls(), 0);
  for (int fd : {fds[0], fds[1], a, b}) kernel_.Close(fd);
}

// ---------------------------------------------------------------------------------------------
// Faults.

TEST_F(FakeKernelTest, FailNextFailsTheNextCallsOfThatKindOnThatFdWithNoEffect) {
  const auto [client, server] = Pair();
  kernel_.FailNext(Call::kSendMsg, EPIPE, client);
  kernel_.FailNext(Call::kSendMsg, EINTR, server, /*times=*/2);
  EXPECT_EQ(kernel_.pending_faults(), 2u);
  EXPECT_EQ(SendString(kernel_, client, "lost"), Err(EPIPE));
  EXPECT_EQ(kernel_.BytesQueued(server), 0u) << "no effect";
  EXPECT_EQ(SendString(kernel_, client, "kept"), Rc(4));
  EXPECT_EQ(SendString(kernel_, server, "a"), Err(EINTR));
  EXPECT_EQ(SendString(kernel_, server, "a"), Err(EINTR));
  EXPECT_EQ(SendString(kernel_, server, "a"), Rc(1));
  EXPECT_EQ(kernel_.pending_faults(), 0u);
  EXPECT_EQ(kernel_.call_count(Call::kSendMsg), 5);
  // kAlways, on any fd, until ClearFaults().
  kernel_.FailNext(Call::kRecv, ECONNRESET, FakeKernel::kAnyFd, FakeKernel::kAlways);
  std::string got;
  for (int i = 0; i < 3; ++i) EXPECT_EQ(ReceiveString(kernel_, server, 10, &got), Err(ECONNRESET));
  EXPECT_EQ(ReceiveString(kernel_, client, 10, &got), Err(ECONNRESET));
  kernel_.ClearFaults();
  EXPECT_EQ(ReceiveString(kernel_, server, 10, &got), Rc(4));
  EXPECT_EQ(got, "kept");
  // Faults for another call or fd do not match.
  kernel_.FailNext(Call::kRecvMsg, EIO, client);
  EXPECT_EQ(ReceiveString(kernel_, client, 10, &got), Rc(1)) << "Recv is not RecvMsg";
  EXPECT_EQ(kernel_.pending_faults(), 1u);
  kernel_.ClearFaults();
  kernel_.Close(client);
  kernel_.Close(server);
}

TEST_F(FakeKernelTest, AFailedCloseStillReleasesTheDescriptor) {
  const auto [client, server] = Pair();
  kernel_.FailNext(Call::kClose, EIO, server);
  EXPECT_EQ(kernel_.Close(server), Err(EIO));
  EXPECT_FALSE(kernel_.IsOpen(server));
  std::string got;
  EXPECT_EQ(ReceiveString(kernel_, client, 10, &got), kOk) << "the peer sees the close";
  EXPECT_THAT(kernel_.bad_closes(), IsEmpty());
  kernel_.Close(client);
}

TEST_F(FakeKernelTest, FaultsForPathsAndForCallsWithoutDescriptors) {
  kernel_.FailNextOnPath(Call::kOpen, "/tmp/x.lock", EACCES);
  EXPECT_EQ(kernel_.Open("/tmp/other", O_RDWR | O_CREAT, 0600), Rc(3));
  EXPECT_EQ(kernel_.Open("/tmp/x.lock", O_RDWR | O_CREAT, 0600), Err(EACCES));
  struct stat st {};
  EXPECT_EQ(kernel_.Lstat("/tmp/x.lock", &st), Err(ENOENT)) << "not created";
  EXPECT_EQ(kernel_.Open("/tmp/x.lock", O_RDWR | O_CREAT, 0600), Rc(4));
  kernel_.FailNext(Call::kSocket, EMFILE);
  EXPECT_EQ(kernel_.Socket(AF_UNIX, SOCK_STREAM, 0), Err(EMFILE));
  kernel_.FailNext(Call::kPoll, ENOMEM, 4);
  pollfd entries[2] = {{3, POLLIN, 0}, {4, POLLIN, 0}};
  EXPECT_EQ(kernel_.Poll(entries, 2, 0), Err(ENOMEM)) << "matches any of its fds";
  EXPECT_EQ(kernel_.Poll(entries, 2, 0), Rc(2));
  kernel_.FailNextOnPath(Call::kLink, "/tmp/other", EEXIST);
  EXPECT_EQ(kernel_.Link("/tmp/other", "/tmp/third"), Err(EEXIST));
  EXPECT_EQ(kernel_.call_count(Call::kLink), 1);
  kernel_.Close(3);
  kernel_.Close(4);
}

TEST_F(FakeKernelTest, CapSendsMakesSendsShort) {
  const auto [client, server] = Pair();
  kernel_.CapSends(client, 3, /*times=*/2);
  EXPECT_EQ(SendString(kernel_, client, "abcdefgh"), Rc(3));
  EXPECT_EQ(SendString(kernel_, client, "defgh"), Rc(3));
  EXPECT_EQ(SendString(kernel_, client, "gh"), Rc(2));
  kernel_.CapSends(FakeKernel::kAnyFd, 1);
  EXPECT_EQ(SendString(kernel_, server, "xyz"), Rc(1));
  EXPECT_EQ(SendString(kernel_, client, "xyz"), Rc(1));
  kernel_.CapSends(FakeKernel::kAnyFd, 0);
  EXPECT_EQ(SendString(kernel_, client, "xyz"), Rc(3));
  EXPECT_EQ(Drain(server), "abcdefghxxyz");
  EXPECT_EQ(kernel_.pending_faults(), 0u);
  kernel_.Close(client);
  kernel_.Close(server);
}

TEST_F(FakeKernelTest, SetBacklogFullMakesConnectsFailEagain) {
  const int listener = Listener();
  ASSERT_TRUE(kernel_.SetBacklogFull(listener, true));
  EXPECT_EQ(ConnectTo(kernel_, "/tmp/srv"), Err(EAGAIN));
  EXPECT_EQ(kernel_.PendingConnections(listener), 0u);
  ASSERT_TRUE(kernel_.SetBacklogFull(listener, false));
  const int client = Client();
  EXPECT_EQ(kernel_.PendingConnections(listener), 1u);
  EXPECT_FALSE(kernel_.SetBacklogFull(99, true));
  kernel_.Close(listener);
  kernel_.Close(client);
}

TEST_F(FakeKernelTest, ResetConnectionResetsBothEnds) {
  const auto [client, server] = Pair();
  ASSERT_EQ(SendString(kernel_, server, "queued"), Rc(6));
  ASSERT_TRUE(kernel_.ResetConnection(client));
  EXPECT_EQ(PollEvents(client), POLLIN | POLLOUT | POLLERR | POLLHUP);
  EXPECT_EQ(loop_.FdReadiness(server), kReadable | kWritable);
  std::string got;
  EXPECT_EQ(ReceiveString(kernel_, client, 100, &got), Rc(6)) << "what was queued first";
  EXPECT_EQ(ReceiveString(kernel_, client, 100, &got), Err(ECONNRESET));
  EXPECT_EQ(ReceiveString(kernel_, client, 100, &got), kOk);
  EXPECT_EQ(SendString(kernel_, client, "x"), Err(EPIPE));
  EXPECT_EQ(ReceiveString(kernel_, server, 100, &got), Err(ECONNRESET));
  EXPECT_EQ(ReceiveString(kernel_, server, 100, &got), kOk);
  EXPECT_EQ(SendString(kernel_, server, "x"), Err(EPIPE));
  EXPECT_FALSE(kernel_.ResetConnection(client)) << "no longer connected to a peer";
  const int fresh = Fd(kernel_.Socket(AF_UNIX, SOCK_STREAM, 0));
  EXPECT_FALSE(kernel_.ResetConnection(fresh));
  for (int fd : {client, server, fresh}) kernel_.Close(fd);
}

TEST_F(FakeKernelTest, RunBeforeNextActsRightBeforeTheCallWhichSeesTheChange) {
  const int listener = Listener();
  std::vector<std::string> log;
  kernel_.RunBeforeNext(Call::kConnect, [&] {
    log.push_back("before connect");
    EXPECT_EQ(kernel_.Shutdown(listener, SHUT_RDWR), kOk);  // A nested call.
  });
  EXPECT_EQ(ConnectTo(kernel_, "/tmp/srv"), Err(ECONNREFUSED)) << "the listener shut down first";
  EXPECT_EQ(ConnectTo(kernel_, "/tmp/srv"), Err(ECONNREFUSED));
  EXPECT_THAT(log, ElementsAre("before connect")) << "once";
  kernel_.RunBeforeNextOnPath(
      Call::kLstat, "/tmp/srv", [&] { log.push_back("before lstat"); }, /*times=*/2);
  kernel_.FailNextOnPath(Call::kLstat, "/tmp/srv", EIO);
  struct stat st {};
  EXPECT_EQ(kernel_.Lstat("/tmp", &st), kOk);
  EXPECT_EQ(kernel_.Lstat("/tmp/srv", &st), Err(EIO)) << "a fault applies after the action";
  EXPECT_EQ(kernel_.Lstat("/tmp/srv", &st), kOk);
  EXPECT_THAT(log, ElementsAre("before connect", "before lstat", "before lstat"));
  kernel_.RunBeforeNext(
      Call::kClose, [&] { log.push_back("never"); }, 12345);
  EXPECT_EQ(kernel_.pending_faults(), 1u);
  kernel_.ClearFaults();
  EXPECT_EQ(kernel_.pending_faults(), 0u);
  kernel_.Close(listener);
  EXPECT_EQ(log.size(), 3u);
}

// ---------------------------------------------------------------------------------------------
// Sockets the fake does not model.

TEST_F(FakeKernelTest, OtherSocketsAreInert) {
  const int udp = Fd(kernel_.Socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  struct stat st {};
  ASSERT_EQ(kernel_.Fstat(udp, &st), kOk);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  int value = 0;
  socklen_t length = sizeof(value);
  ASSERT_EQ(kernel_.GetSockOpt(udp, SOL_SOCKET, SO_DOMAIN, &value, &length), kOk);
  EXPECT_EQ(value, AF_INET);
  ASSERT_EQ(kernel_.GetSockOpt(udp, SOL_SOCKET, SO_PROTOCOL, &value, &length), kOk);
  EXPECT_EQ(value, IPPROTO_UDP);
  EXPECT_EQ(kernel_.Listen(udp, 1), Err(EOPNOTSUPP));
  EXPECT_EQ(SendString(kernel_, udp, "x"), Err(EOPNOTSUPP));
  EXPECT_EQ(PollEvents(udp), 0);
  EXPECT_EQ(kernel_.Socket(AF_PACKET, SOCK_RAW, 0), Err(EAFNOSUPPORT));
  EXPECT_EQ(kernel_.Socket(AF_UNIX, 9, 0), Err(ESOCKTNOSUPPORT));
  kernel_.Close(udp);
}

}  // namespace
}  // namespace ipc
