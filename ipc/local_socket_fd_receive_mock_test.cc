// TakeReceivedFds on StrictMock<MockOsCalls> and a FakeEventLoop: received fds are there with
// the bytes they came with, in arrival order; untaken ones live as long as those bytes may be
// read (also after `disconnected`) and no longer than Close(), Abort(), a new connection, the
// destructor or the arrival of more fds after their bytes were read; a truncated control
// message ends the connection after its bytes. FdLedger proves that no fd leaks.
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <string>
#include <utility>
#include <vector>

#include "testing/local_socket_mock_fixture.h"

namespace ipc {
namespace test {
namespace {

using ::testing::_;
using ::testing::ElementsAre;
using ::testing::Invoke;
using ::testing::IsEmpty;
using ::testing::Return;

constexpr char kTruncated[] =
    "LocalSocket::Read: out of resources: received file descriptors were lost (control message "
    "truncated)";

class FdReceiveTest : public LocalSocketMockTest {
 protected:
  // Takes the socket's received fds and closes them through the ledger (they are not real
  // fds); returns their numbers, in the order taken.
  std::vector<int> Taken(LocalSocket& s) {
    std::vector<int> numbers;
    for (UniqueFd& fd : s.TakeReceivedFds()) {
      numbers.push_back(fd.release());
      ledger_.Close()(numbers.back());
    }
    return numbers;
  }

  // RecvMsg action: the kernel's queue is empty (EAGAIN); clears the fd's scripted
  // readability. A read that brought fds is followed by another: the kernel ends a read at the
  // message that carried fds, so a short count does not mean that the queue is empty.
  auto Drained() {
    return Invoke([this](int, msghdr*, int) {
      loop_.ClearFdReady(kFd, eventloop::kReadable);
      return SysResult{-1, EAGAIN};
    });
  }

  // RecvMsg action: as the kernel when it could not pass every fd (the fd limit): `bytes` with
  // `fds`, and MSG_CTRUNC.
  auto DeliverTruncated(std::string bytes, std::vector<int> fds) {
    return Invoke([this, bytes, fds](int fd, msghdr* msg, int flags) {
      loop_.ClearFdReady(kFd, eventloop::kReadable);
      const SysResult result = DeliverMessage(bytes, fds)(fd, msg, flags);
      msg->msg_flags |= MSG_CTRUNC;
      return result;
    });
  }

  // One readable event.
  void Readable() {
    loop_.SetFdReady(kFd, eventloop::kReadable);
    loop_.RunUntilIdle();
  }
};

TEST_F(FdReceiveTest, FdsAreThereWithTheirBytesInArrivalOrder) {
  LocalSocket& s = ConnectedSocket();
  const int a = ledger_.Mint();
  const int b = ledger_.Mint();
  const int c = ledger_.Mint();
  std::vector<std::string> data;
  std::vector<std::vector<int>> fds;
  s.ready_read.Connect([&] {
    data.push_back(s.ReadAll());
    fds.push_back(Taken(s));
  });
  EXPECT_CALL(os_, RecvMsg(kFd, _, MSG_CMSG_CLOEXEC))
      .WillOnce(DeliverMessage("one", {a}))
      .WillOnce(Drained())
      .WillOnce(DeliverMessage("two", {b, c}))
      .WillOnce(Drained());
  Readable();
  Readable();
  EXPECT_THAT(data, ElementsAre("one", "two"));
  EXPECT_THAT(fds, ElementsAre(ElementsAre(a), ElementsAre(b, c)));
  EXPECT_THAT(Taken(s), IsEmpty());
  EXPECT_EQ(s.error(), Error::kNone);
}

TEST_F(FdReceiveTest, EveryReadOffersRoomForAFullMessageOf253Fds) {
  LocalSocket& s = ConnectedSocket();
  std::vector<int> sent;
  for (int i = 0; i < 253; ++i) sent.push_back(ledger_.Mint());
  EXPECT_CALL(os_, RecvMsg(kFd, _, MSG_CMSG_CLOEXEC))
      .WillOnce(Invoke([&](int fd, msghdr* msg, int flags) {
        EXPECT_GE(msg->msg_controllen, CMSG_SPACE(253 * sizeof(int)));
        return DeliverMessage("x", sent)(fd, msg, flags);
      }))
      .WillOnce(Drained());
  Readable();
  EXPECT_EQ(Taken(s), sent);
  EXPECT_EQ(s.state(), State::kConnected);
}

TEST_F(FdReceiveTest, AReadThatFdsCutShortDoesNotEndTheRound) {
  LocalSocket& s = ConnectedSocket();
  const int a = ledger_.Mint();
  // The kernel ends a read at the message that carried fds: more may be queued.
  EXPECT_CALL(os_, RecvMsg(kFd, _, _))
      .WillOnce(DeliverMessage("a", {a}))
      .WillOnce(DeliverOnce("bc"));
  Readable();
  EXPECT_THAT(events_, ElementsAre("ready_read"));
  EXPECT_EQ(s.ReadAll(), "abc");
  EXPECT_THAT(Taken(s), ElementsAre(a));
}

TEST_F(FdReceiveTest, UntakenFdsCanBeTakenAfterDisconnected) {
  LocalSocket& s = ConnectedSocket();
  const int a = ledger_.Mint();
  std::vector<int> in_disconnected;
  s.disconnected.Connect([&] { in_disconnected = Taken(s); });
  EXPECT_CALL(os_, RecvMsg(kFd, _, _)).WillOnce(DeliverMessage("data", {a})).WillOnce(DeliverEof());
  Readable();
  Readable();
  loop_.ClearFdReady(kFd, eventloop::kReadable);
  EXPECT_THAT(events_, ElementsAre("ready_read", "error:kPeerClosed", "state:kClosing",
                                   "state:kUnconnected", "read_channel_finished", "disconnected"));
  EXPECT_THAT(in_disconnected, ElementsAre(a));
  EXPECT_EQ(s.ReadAll(), "data");
}

enum class Ending { kClose, kAbort, kNewConnection, kDestruction };

class UntakenFdsTest : public FdReceiveTest, public ::testing::WithParamInterface<Ending> {};

TEST_P(UntakenFdsTest, LiveWithTheirBytesAfterTheDisconnectUntilTheDeviceGoes) {
  LocalSocket& s = ConnectedSocket();
  const int a = ledger_.Mint();
  EXPECT_CALL(os_, RecvMsg(kFd, _, _)).WillOnce(DeliverMessage("data", {a})).WillOnce(DeliverEof());
  Readable();
  Readable();
  loop_.ClearFdReady(kFd, eventloop::kReadable);
  ASSERT_EQ(s.state(), State::kUnconnected);
  EXPECT_FALSE(ledger_.IsOpen(kFd));
  EXPECT_TRUE(ledger_.IsOpen(a));  // Its bytes may still be read.
  EXPECT_EQ(s.BytesAvailable(), 4);
  switch (GetParam()) {
    case Ending::kClose:
      s.Close();
      break;
    case Ending::kAbort:
      s.Abort();
      break;
    case Ending::kNewConnection:
      EXPECT_CALL(os_, Socket(_, _, _)).WillOnce(ledger_.Open());
      EXPECT_CALL(os_, Connect(_, _, _)).WillOnce(Return(SysResult{0, 0}));
      s.ConnectToServer("/srv");
      EXPECT_EQ(s.state(), State::kConnected);
      break;
    case Ending::kDestruction:
      socket_.reset();
      EXPECT_FALSE(ledger_.IsOpen(a));
      return;
  }
  EXPECT_FALSE(ledger_.IsOpen(a));
  EXPECT_THAT(Taken(s), IsEmpty());
}

INSTANTIATE_TEST_SUITE_P(Endings, UntakenFdsTest,
                         ::testing::Values(Ending::kClose, Ending::kAbort, Ending::kNewConnection,
                                           Ending::kDestruction));

TEST_F(FdReceiveTest, UntakenFdsWhoseBytesWereReadGoWhenMoreFdsArrive) {
  LocalSocket& s = ConnectedSocket();
  const int x = ledger_.Mint();
  const int y = ledger_.Mint();
  const int z = ledger_.Mint();
  EXPECT_CALL(os_, RecvMsg(kFd, _, _))
      .WillOnce(DeliverMessage("a", {x}))
      .WillOnce(Drained())
      .WillOnce(DeliverMessage("bc", {y}))
      .WillOnce(Drained())
      .WillOnce(DeliverMessage("d", {z}))
      .WillOnce(Drained());
  Readable();
  EXPECT_EQ(s.ReadAll(), "a");
  EXPECT_TRUE(ledger_.IsOpen(x));  // Still takeable: nothing new arrived.
  Readable();
  EXPECT_FALSE(ledger_.IsOpen(x));  // Its bytes were read before y arrived.
  EXPECT_EQ(s.Read(1), "b");
  Readable();
  EXPECT_TRUE(ledger_.IsOpen(y));  // "c", which may be its byte, is unread.
  EXPECT_THAT(Taken(s), ElementsAre(y, z));
  EXPECT_EQ(s.ReadAll(), "cd");
}

TEST_F(FdReceiveTest, AWriteOnlySocketClosesReceivedFdsAtOnce) {
  LocalSocket& s = NewSocket();
  ExpectSocketAndConnect(SysResult{0, 0});
  s.ConnectToServer("/srv", LocalSocket::kWriteOnly);
  const int a = ledger_.Mint();
  EXPECT_CALL(os_, RecvMsg(kFd, _, _)).WillOnce(DeliverMessage("ignored", {a})).WillOnce(Drained());
  Readable();
  EXPECT_FALSE(ledger_.IsOpen(a));
  EXPECT_THAT(Taken(s), IsEmpty());
  EXPECT_EQ(s.state(), State::kConnected);
}

TEST_F(FdReceiveTest, ATruncatedControlMessageEndsTheConnectionAfterItsBytes) {
  LocalSocket& s = ConnectedSocket();
  const int a = ledger_.Mint();
  const int b = ledger_.Mint();
  State state_at_error = State::kUnconnected;
  s.error_occurred.Connect([&](Error) { state_at_error = s.state(); });
  EXPECT_CALL(os_, RecvMsg(kFd, _, _)).WillOnce(DeliverTruncated("abc", {a, b}));
  Readable();
  EXPECT_THAT(events_, ElementsAre("ready_read", "error:kSocketResource", "state:kClosing",
                                   "state:kUnconnected", "read_channel_finished", "disconnected"));
  EXPECT_EQ(state_at_error, State::kConnected);
  EXPECT_EQ(s.error(), Error::kSocketResource);
  EXPECT_EQ(s.error_string(), kTruncated);
  EXPECT_FALSE(ledger_.IsOpen(kFd));
  EXPECT_EQ(s.ReadAll(), "abc");
  EXPECT_THAT(Taken(s), ElementsAre(a, b));  // The fds that did arrive.
}

TEST_F(FdReceiveTest, ATruncatedControlMessageWithNoFdsLeftIsReportedToo) {
  LocalSocket& s = ConnectedSocket();
  EXPECT_CALL(os_, RecvMsg(kFd, _, _)).WillOnce(DeliverTruncated("abc", {}));
  Readable();
  EXPECT_THAT(events_, ElementsAre("ready_read", "error:kSocketResource", "state:kClosing",
                                   "state:kUnconnected", "read_channel_finished", "disconnected"));
  EXPECT_EQ(s.error_string(), kTruncated);
}

TEST_F(FdReceiveTest, APeerResetDeliversTheFdsThatArrivedFirst) {
  LocalSocket& s = ConnectedSocket();
  const int a = ledger_.Mint();
  s.Write("x");
  EXPECT_CALL(os_, SendMsg(kFd, _, _)).WillOnce(Return(SysResult{-1, ECONNRESET}));
  EXPECT_CALL(os_, RecvMsg(kFd, _, _)).WillOnce(DeliverMessage("bye", {a})).WillOnce(Drained());
  loop_.RunUntilIdle();
  EXPECT_THAT(events_, ElementsAre("ready_read", "error:kPeerClosed", "state:kClosing",
                                   "state:kUnconnected", "read_channel_finished", "disconnected"));
  EXPECT_EQ(s.ReadAll(), "bye");
  EXPECT_THAT(Taken(s), ElementsAre(a));
}

TEST_F(FdReceiveTest, ATruncatedControlMessageWhileDrainingAfterAPeerResetIsTheError) {
  LocalSocket& s = ConnectedSocket();
  const int a = ledger_.Mint();
  s.Write("x");
  EXPECT_CALL(os_, SendMsg(kFd, _, _)).WillOnce(Return(SysResult{-1, EPIPE}));
  EXPECT_CALL(os_, RecvMsg(kFd, _, _)).WillOnce(DeliverTruncated("last", {a}));
  loop_.RunUntilIdle();
  EXPECT_THAT(events_, ElementsAre("ready_read", "error:kSocketResource", "state:kClosing",
                                   "state:kUnconnected", "read_channel_finished", "disconnected"));
  EXPECT_EQ(s.error_string(), kTruncated);
  EXPECT_EQ(s.ReadAll(), "last");
  EXPECT_THAT(Taken(s), ElementsAre(a));
}

TEST_F(FdReceiveTest, DestroyingTheSocketInReadyReadClosesTheUntakenFds) {
  LocalSocket& s = ConnectedSocket();
  const int a = ledger_.Mint();
  s.ready_read.Connect([this] { socket_.reset(); });
  EXPECT_CALL(os_, RecvMsg(kFd, _, _)).WillOnce(DeliverMessage("x", {a})).WillOnce(Drained());
  Readable();
  EXPECT_FALSE(ledger_.IsOpen(a));
  EXPECT_FALSE(ledger_.IsOpen(kFd));
}

TEST_F(FdReceiveTest, AFullReadBufferStillHasTheFdsOfWhatItHolds) {
  LocalSocket& s = ConnectedSocket();
  s.SetReadBufferSize(2);
  const int a = ledger_.Mint();
  EXPECT_CALL(os_, RecvMsg(kFd, _, _)).WillOnce(DeliverMessage("ab", {a}));
  Readable();  // Full after "ab": reading pauses, the kernel keeps the rest (and its fds).
  loop_.ClearFdReady(kFd, eventloop::kReadable);
  EXPECT_EQ(loop_.WatchedEvents(kFd), eventloop::kNoEvents);
  EXPECT_THAT(Taken(s), ElementsAre(a));
}

// Poll entry matcher: one pollfd for kFd with exactly these events.
MATCHER_P(PollsFdFor, events, "") {
  return arg != nullptr && arg->fd == kFd && arg->events == events;
}

TEST_F(FdReceiveTest, WaitForReadyReadMakesTheFdsAvailable) {
  LocalSocket& s = ConnectedSocket();
  const int a = ledger_.Mint();
  EXPECT_CALL(os_, Poll(PollsFdFor(POLLIN), 1, 1000)).WillOnce(PollReady(kFd, POLLIN));
  EXPECT_CALL(os_, RecvMsg(kFd, _, MSG_CMSG_CLOEXEC))
      .WillOnce(DeliverMessage("m", {a}))
      .WillOnce(Return(SysResult{-1, EAGAIN}));
  EXPECT_TRUE(s.WaitForReadyRead(1000));
  EXPECT_THAT(events_, ElementsAre("ready_read"));
  EXPECT_THAT(Taken(s), ElementsAre(a));
  EXPECT_EQ(s.ReadAll(), "m");
}

}  // namespace
}  // namespace test
}  // namespace ipc
