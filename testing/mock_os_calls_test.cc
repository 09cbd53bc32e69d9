#include "testing/mock_os_calls.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest-spi.h"
#include "gtest/gtest.h"
#include "ipc/os_calls.h"

namespace ipc {
namespace {

using ::testing::_;
using ::testing::ElementsAre;
using ::testing::InSequence;
using ::testing::IsEmpty;
using ::testing::NiceMock;
using ::testing::StrictMock;

constexpr SysResult kOk{0, 0};

// Every OsCalls method reaches its MOCK_METHOD through the interface, with its arguments.
TEST(MockOsCallsTest, EveryMethodIsMockedThroughTheInterface) {
  StrictMock<MockOsCalls> mock;
  OsCalls& os = mock;
  sockaddr_un addr{};
  auto* sa = reinterpret_cast<sockaddr*>(&addr);
  socklen_t len = sizeof(addr);
  char buf[4];
  msghdr msg{};
  pollfd pfd{};
  int value = 0;
  struct stat st {};
  char templ[] = "/tmp/xXXXXXX";
  int pair[2];
  {
    InSequence seq;
    EXPECT_CALL(mock, Socket(AF_UNIX, SOCK_STREAM, 0)).WillOnce(ReturnSys(3));
    EXPECT_CALL(mock, Connect(3, sa, len)).WillOnce(FailWith(EAGAIN));
    EXPECT_CALL(mock, Bind(3, sa, len)).WillOnce(ReturnSys(0));
    EXPECT_CALL(mock, Listen(3, 50)).WillOnce(ReturnSys(0));
    EXPECT_CALL(mock, Accept4(3, sa, &len, SOCK_CLOEXEC)).WillOnce(ReturnSys(4));
    EXPECT_CALL(mock, Recv(4, buf, sizeof(buf), 0)).WillOnce(ReturnSys(1));
    EXPECT_CALL(mock, RecvMsg(4, &msg, MSG_CMSG_CLOEXEC)).WillOnce(ReturnSys(2));
    EXPECT_CALL(mock, SendMsg(4, &msg, 0)).WillOnce(ReturnSys(3));
    EXPECT_CALL(mock, Close(4)).WillOnce(ReturnSys(0));
    EXPECT_CALL(mock, Shutdown(3, SHUT_WR)).WillOnce(ReturnSys(0));
    EXPECT_CALL(mock, Poll(&pfd, 1u, 250)).WillOnce(ReturnSys(1));
    EXPECT_CALL(mock, Fcntl(3, F_SETFL, O_NONBLOCK)).WillOnce(ReturnSys(0));
    EXPECT_CALL(mock, GetSockOpt(3, SOL_SOCKET, SO_ERROR, &value, &len)).WillOnce(ReturnSys(0));
    EXPECT_CALL(mock, SetSockOpt(3, SOL_SOCKET, SO_SNDBUF, &value, len)).WillOnce(ReturnSys(0));
    EXPECT_CALL(mock, GetSockName(3, sa, &len)).WillOnce(ReturnSys(0));
    EXPECT_CALL(mock, GetPeerName(3, sa, &len)).WillOnce(FailWith(ENOTCONN));
    EXPECT_CALL(mock, Fstat(3, &st)).WillOnce(ReturnSys(0));
    EXPECT_CALL(mock, Lstat(::testing::StrEq("/a"), &st)).WillOnce(FailWith(ENOENT));
    EXPECT_CALL(mock, Chmod(::testing::StrEq("/a"), 0600u)).WillOnce(ReturnSys(0));
    EXPECT_CALL(mock, Link(::testing::StrEq("/a"), ::testing::StrEq("/b")))
        .WillOnce(FailWith(EEXIST));
    EXPECT_CALL(mock, Unlink(::testing::StrEq("/a"))).WillOnce(ReturnSys(0));
    EXPECT_CALL(mock, Mkdtemp(templ)).WillOnce(ReturnSys(0));
    EXPECT_CALL(mock, Rmdir(::testing::StrEq("/d"))).WillOnce(ReturnSys(0));
    EXPECT_CALL(mock, Open(::testing::StrEq("/d"), O_PATH | O_DIRECTORY, 0u))
        .WillOnce(ReturnSys(5));
    EXPECT_CALL(mock, SocketPair(AF_UNIX, SOCK_STREAM, 0, pair)).WillOnce(ReturnSys(0));
  }
  EXPECT_EQ(os.Socket(AF_UNIX, SOCK_STREAM, 0), (SysResult{3, 0}));
  EXPECT_EQ(os.Connect(3, sa, len), (SysResult{-1, EAGAIN}));
  EXPECT_EQ(os.Bind(3, sa, len), kOk);
  EXPECT_EQ(os.Listen(3, 50), kOk);
  EXPECT_EQ(os.Accept4(3, sa, &len, SOCK_CLOEXEC), (SysResult{4, 0}));
  EXPECT_EQ(os.Recv(4, buf, sizeof(buf), 0), (SysResult{1, 0}));
  EXPECT_EQ(os.RecvMsg(4, &msg, MSG_CMSG_CLOEXEC), (SysResult{2, 0}));
  EXPECT_EQ(os.SendMsg(4, &msg, 0), (SysResult{3, 0}));
  EXPECT_EQ(os.Close(4), kOk);
  EXPECT_EQ(os.Shutdown(3, SHUT_WR), kOk);
  EXPECT_EQ(os.Poll(&pfd, 1, 250), (SysResult{1, 0}));
  EXPECT_EQ(os.Fcntl(3, F_SETFL, O_NONBLOCK), kOk);
  EXPECT_EQ(os.GetSockOpt(3, SOL_SOCKET, SO_ERROR, &value, &len), kOk);
  EXPECT_EQ(os.SetSockOpt(3, SOL_SOCKET, SO_SNDBUF, &value, len), kOk);
  EXPECT_EQ(os.GetSockName(3, sa, &len), kOk);
  EXPECT_EQ(os.GetPeerName(3, sa, &len), (SysResult{-1, ENOTCONN}));
  EXPECT_EQ(os.Fstat(3, &st), kOk);
  EXPECT_EQ(os.Lstat("/a", &st), (SysResult{-1, ENOENT}));
  EXPECT_EQ(os.Chmod("/a", 0600), kOk);
  EXPECT_EQ(os.Link("/a", "/b"), (SysResult{-1, EEXIST}));
  EXPECT_EQ(os.Unlink("/a"), kOk);
  EXPECT_EQ(os.Mkdtemp(templ), kOk);
  EXPECT_EQ(os.Rmdir("/d"), kOk);
  EXPECT_EQ(os.Open("/d", O_PATH | O_DIRECTORY, 0), (SysResult{5, 0}));
  EXPECT_EQ(os.SocketPair(AF_UNIX, SOCK_STREAM, 0, pair), kOk);
}

TEST(MockOsCallsTest, UnconfiguredCallsFailWithEnosys) {
  NiceMock<MockOsCalls> mock;
  OsCalls& os = mock;
  char buf[4];
  const SysResult enosys{-1, ENOSYS};
  EXPECT_EQ(os.Socket(AF_UNIX, SOCK_STREAM, 0), enosys);
  EXPECT_EQ(os.Recv(3, buf, sizeof(buf), 0), enosys);
  EXPECT_EQ(os.Close(3), enosys);
  EXPECT_EQ(os.Unlink("/a"), enosys);
}

TEST(MockOsCallsTest, ReturnSysAndFailWithRejectMisuse) {
  EXPECT_NONFATAL_FAILURE(ReturnSys(-1), "use FailWith");
  EXPECT_NONFATAL_FAILURE(FailWith(0), "errno values are positive");
}

TEST(MockOsCallsTest, DeliverBytesFillsTheRecvBuffer) {
  StrictMock<MockOsCalls> mock;
  EXPECT_CALL(mock, Recv(7, _, _, 0))
      .WillOnce(DeliverBytes("hello"))
      .WillOnce(DeliverBytes("truncated"))
      .WillOnce(DeliverEof());
  char buf[16] = {};
  EXPECT_EQ(mock.Recv(7, buf, sizeof(buf), 0), (SysResult{5, 0}));
  EXPECT_EQ(std::string(buf, 5), "hello");
  char small[4] = {'x', 'x', 'x', 'x'};
  EXPECT_EQ(mock.Recv(7, small, 3, 0), (SysResult{3, 0}));
  EXPECT_EQ(std::string(small, 4), "trux");  // Only `len` bytes written.
  EXPECT_EQ(mock.Recv(7, buf, sizeof(buf), 0), (SysResult{0, 0}));
}

TEST(MockOsCallsTest, DeliverMessageScattersBytesAndAttachesFds) {
  StrictMock<MockOsCalls> mock;
  EXPECT_CALL(mock, RecvMsg(7, _, MSG_CMSG_CLOEXEC)).WillOnce(DeliverMessage("abcdefgh", {40, 41}));
  char first[3];
  char second[10];
  iovec iov[2] = {{first, sizeof(first)}, {second, sizeof(second)}};
  alignas(cmsghdr) char control[CMSG_SPACE(4 * sizeof(int))];
  std::memset(control, 0xff, sizeof(control));
  msghdr msg{};
  msg.msg_iov = iov;
  msg.msg_iovlen = 2;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  msg.msg_flags = MSG_TRUNC;  // Overwritten.
  EXPECT_EQ(mock.RecvMsg(7, &msg, MSG_CMSG_CLOEXEC), (SysResult{8, 0}));
  EXPECT_EQ(std::string(first, 3), "abc");
  EXPECT_EQ(std::string(second, 5), "defgh");
  EXPECT_EQ(msg.msg_flags, 0);
  EXPECT_EQ(msg.msg_controllen, CMSG_SPACE(2 * sizeof(int)));
  cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
  ASSERT_NE(cmsg, nullptr);
  EXPECT_EQ(cmsg->cmsg_level, SOL_SOCKET);
  EXPECT_EQ(cmsg->cmsg_type, SCM_RIGHTS);
  ASSERT_EQ(cmsg->cmsg_len, CMSG_LEN(2 * sizeof(int)));
  int fds[2];
  std::memcpy(fds, CMSG_DATA(cmsg), sizeof(fds));
  EXPECT_THAT(fds, ElementsAre(40, 41));
  EXPECT_EQ(CMSG_NXTHDR(&msg, cmsg), nullptr);
}

TEST(MockOsCallsTest, DeliverMessageTruncatesFdsThatDoNotFit) {
  StrictMock<MockOsCalls> mock;
  EXPECT_CALL(mock, RecvMsg(7, _, 0))
      .WillOnce(DeliverMessage("x", {40, 41, 42}))
      .WillOnce(DeliverMessage("y", {50}));
  char byte;
  iovec iov{&byte, 1};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  EXPECT_EQ(mock.RecvMsg(7, &msg, 0), (SysResult{1, 0}));
  EXPECT_EQ(msg.msg_flags, MSG_CTRUNC);
  EXPECT_EQ(msg.msg_controllen, CMSG_SPACE(sizeof(int)));
  int fd = -1;
  std::memcpy(&fd, CMSG_DATA(CMSG_FIRSTHDR(&msg)), sizeof(fd));
  EXPECT_EQ(fd, 40);

  // No control buffer at all: every fd is cut.
  msg.msg_control = nullptr;
  msg.msg_controllen = 0;
  EXPECT_EQ(mock.RecvMsg(7, &msg, 0), (SysResult{1, 0}));
  EXPECT_EQ(byte, 'y');
  EXPECT_EQ(msg.msg_flags, MSG_CTRUNC);
  EXPECT_EQ(msg.msg_controllen, 0u);
}

TEST(MockOsCallsTest, DeliverMessageWithoutFdsLeavesNoControlMessage) {
  StrictMock<MockOsCalls> mock;
  EXPECT_CALL(mock, RecvMsg(7, _, 0)).WillOnce(DeliverMessage("0123456789"));
  char buf[4];
  iovec iov{buf, sizeof(buf)};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  EXPECT_EQ(mock.RecvMsg(7, &msg, 0), (SysResult{4, 0}));  // What fits in the iovecs.
  EXPECT_EQ(std::string(buf, 4), "0123");
  EXPECT_EQ(msg.msg_controllen, 0u);
  EXPECT_EQ(msg.msg_flags, 0);
}

TEST(MockOsCallsTest, CollectSentGathersIovecsUpToTheLimitAndRecordsFds) {
  StrictMock<MockOsCalls> mock;
  std::string sent;
  std::vector<int> sent_fds;
  EXPECT_CALL(mock, SendMsg(9, _, 0))
      .WillOnce(CollectSent(&sent, 4, &sent_fds))
      .WillOnce(CollectSent(&sent, SIZE_MAX, &sent_fds));
  std::string a = "abc";
  std::string b = "defg";
  iovec iov[2] = {{a.data(), a.size()}, {b.data(), b.size()}};
  msghdr msg{};
  msg.msg_iov = iov;
  msg.msg_iovlen = 2;
  alignas(cmsghdr) char control[CMSG_SPACE(2 * sizeof(int))] = {};
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = CMSG_LEN(2 * sizeof(int));
  const int fds[2] = {11, 12};
  std::memcpy(CMSG_DATA(cmsg), fds, sizeof(fds));

  EXPECT_EQ(mock.SendMsg(9, &msg, 0), (SysResult{4, 0}));  // Partial write.
  EXPECT_EQ(sent, "abcd");
  EXPECT_THAT(sent_fds, ElementsAre(11, 12));
  msg.msg_control = nullptr;
  msg.msg_controllen = 0;
  EXPECT_EQ(mock.SendMsg(9, &msg, 0), (SysResult{7, 0}));
  EXPECT_EQ(sent, "abcdabcdefg");
  EXPECT_THAT(sent_fds, ElementsAre(11, 12));
}

TEST(MockOsCallsTest, CollectSentRejectsAZeroLimit) {
  std::string sink;
  EXPECT_NONFATAL_FAILURE(CollectSent(&sink, 0), "FailWith(EAGAIN)");
}

TEST(MockOsCallsTest, PollReadyReportsOnlyTheRequestedEvents) {
  StrictMock<MockOsCalls> mock;
  EXPECT_CALL(mock, Poll(_, 3u, -1))
      .WillOnce(PollReady(5, POLLIN | POLLOUT | POLLHUP))
      .WillOnce(PollTimesOut());
  pollfd fds[3] = {{4, POLLIN, POLLIN}, {5, POLLIN, 0}, {-1, POLLIN, 0}};
  EXPECT_EQ(mock.Poll(fds, 3, -1), (SysResult{1, 0}));
  EXPECT_EQ(fds[0].revents, 0);                 // Another fd: cleared.
  EXPECT_EQ(fds[1].revents, POLLIN | POLLHUP);  // POLLOUT was not asked for.
  EXPECT_EQ(fds[2].revents, 0);
  EXPECT_EQ(mock.Poll(fds, 3, -1), (SysResult{0, 0}));
  EXPECT_EQ(fds[1].revents, 0);
}

TEST(FdLedgerTest, CountsOpensAndClosesThroughTheMock) {
  StrictMock<MockOsCalls> mock;
  FdLedger ledger(100);
  EXPECT_CALL(mock, Socket(AF_UNIX, _, 0)).WillRepeatedly(ledger.Open());
  EXPECT_CALL(mock, Accept4(_, nullptr, nullptr, _)).WillOnce(ledger.Open());
  EXPECT_CALL(mock, SocketPair(AF_UNIX, SOCK_STREAM, 0, _)).WillOnce(ledger.OpenPair());
  EXPECT_CALL(mock, Close(_)).WillRepeatedly(ledger.Close());

  EXPECT_EQ(mock.Socket(AF_UNIX, SOCK_STREAM, 0), (SysResult{100, 0}));
  EXPECT_EQ(mock.Socket(AF_UNIX, SOCK_STREAM, 0), (SysResult{101, 0}));
  EXPECT_EQ(mock.Accept4(100, nullptr, nullptr, SOCK_CLOEXEC), (SysResult{102, 0}));
  int pair[2] = {-1, -1};
  EXPECT_EQ(mock.SocketPair(AF_UNIX, SOCK_STREAM, 0, pair), kOk);
  EXPECT_THAT(pair, ElementsAre(103, 104));
  EXPECT_EQ(ledger.opened_count(), 5);
  EXPECT_THAT(ledger.open_fds(), ElementsAre(100, 101, 102, 103, 104));
  EXPECT_TRUE(ledger.IsOpen(102));

  EXPECT_EQ(mock.Close(102), kOk);
  EXPECT_EQ(mock.Close(100), kOk);
  EXPECT_FALSE(ledger.IsOpen(102));
  EXPECT_THAT(ledger.open_fds(), ElementsAre(101, 103, 104));  // A leak, if the test ended here.
  EXPECT_EQ(mock.Close(102), (SysResult{-1, EBADF}));          // Double close.
  EXPECT_EQ(mock.Close(7), (SysResult{-1, EBADF}));            // Never opened.
  EXPECT_THAT(ledger.bad_closes(), ElementsAre(102, 7));
  EXPECT_EQ(mock.Close(101), kOk);
  EXPECT_EQ(mock.Close(103), kOk);
  EXPECT_EQ(mock.Close(104), kOk);
  EXPECT_THAT(ledger.open_fds(), IsEmpty());
  EXPECT_EQ(ledger.closed_count(), 5);
  EXPECT_EQ(mock.Socket(AF_UNIX, SOCK_STREAM, 0), (SysResult{105, 0}));  // Never reused.
}

TEST(FdLedgerTest, MintAndTrackAccountForDescriptorsFromElsewhere) {
  FdLedger ledger(10);
  EXPECT_TRUE(ledger.Track(11));
  EXPECT_FALSE(ledger.Track(11));  // Already open.
  EXPECT_EQ(ledger.Mint(), 10);
  EXPECT_EQ(ledger.Mint(), 12);  // 11 was chosen by the test: skipped.
  EXPECT_EQ(ledger.opened_count(), 3);
  const FdLedger::CloseAction close = ledger.Close();
  EXPECT_EQ(close(11), kOk);
  EXPECT_EQ(ledger.Mint(), 13);  // Still skipped after its close.
  EXPECT_THAT(ledger.open_fds(), ElementsAre(10, 12, 13));
}

TEST(FdLedgerTest, CopiesAndActionsShareTheLedgerAndOutliveIt) {
  FdLedger::OpenAction open = FdLedger().Open();     // The FdLedger object is gone at once.
  FdLedger::CloseAction close = FdLedger().Close();  // A different ledger.
  EXPECT_EQ(open(1, 2, 3), (SysResult{100, 0}));
  EXPECT_EQ(close(100), (SysResult{-1, EBADF}));

  FdLedger ledger;
  FdLedger copy = ledger;
  EXPECT_EQ(copy.Mint(), 100);
  EXPECT_TRUE(ledger.IsOpen(100));
  EXPECT_EQ(ledger.Close()(100), kOk);
  EXPECT_FALSE(copy.IsOpen(100));
}

TEST(MockOsCallsTest, FailureMessagesPrintSysResults) {
  EXPECT_EQ(::testing::PrintToString(SysResult{-1, ECONNREFUSED}), "{rc: -1, err: ECONNREFUSED}");
}

}  // namespace
}  // namespace ipc
