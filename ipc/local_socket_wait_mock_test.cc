// LocalSocket's blocking waits on FakeEventLoop + MockOsCalls: a mocked poll() that advances
// the fake clock by the timeout it is given makes every timeout deterministic.
#include <poll.h>

#include <cerrno>
#include <string>
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

// Poll entry matcher: one pollfd for kFd with exactly these events.
MATCHER_P(PollsFdFor, events, "") {
  return arg != nullptr && arg->fd == kFd && arg->events == events;
}

TEST_F(LocalSocketMockTest, WaitForReadyReadTimesOutOnTheLoopClockAndEmitsNothing) {
  LocalSocket& s = ConnectedSocket();
  const eventloop::TimePoint start = loop_.Now();
  EXPECT_CALL(os_, Poll(PollsFdFor(POLLIN), 1, 50)).WillOnce(PollSleeps());
  EXPECT_FALSE(s.WaitForReadyRead(50));
  EXPECT_EQ(loop_.Now() - start, milliseconds(50));
  EXPECT_EQ(s.error(), Error::kSocketTimeout);
  EXPECT_EQ(s.error_string(), "LocalSocket::WaitForReadyRead: operation timed out");
  EXPECT_EQ(s.state(), State::kConnected);
  EXPECT_THAT(events_, IsEmpty());  // A timed-out wait emits nothing.
}

TEST_F(LocalSocketMockTest, WaitForReadyReadSplitsItsBudgetOverRepeatedPolls) {
  LocalSocket& s = ConnectedSocket();
  // A poll that wakes early (spuriously) after 30 ms: the next one gets the 20 ms left.
  EXPECT_CALL(os_, Poll(PollsFdFor(POLLIN), 1, 50)).WillOnce(Invoke([this](pollfd*, nfds_t, int) {
    loop_.fake_clock().Advance(milliseconds(30));
    return SysResult{0, 0};
  }));
  EXPECT_CALL(os_, Poll(PollsFdFor(POLLIN), 1, 20)).WillOnce(PollSleeps());
  EXPECT_FALSE(s.WaitForReadyRead(50));
  EXPECT_EQ(s.error(), Error::kSocketTimeout);
}

TEST_F(LocalSocketMockTest, WaitForReadyReadReturnsTrueForNewDataAfterEmittingReadyRead) {
  LocalSocket& s = ConnectedSocket();
  EXPECT_CALL(os_, RecvMsg(kFd, _, _)).WillOnce(DeliverMessage("old"));
  loop_.SetFdReady(kFd, eventloop::kReadable);
  loop_.RunUntilIdle();
  loop_.ClearFdReady(kFd, eventloop::kReadable);
  events_.clear();
  // Buffered data does not count: the wait polls for more.
  EXPECT_CALL(os_, Poll(PollsFdFor(POLLIN), 1, 1000)).WillOnce(PollReady(kFd, POLLIN));
  EXPECT_CALL(os_, RecvMsg(kFd, _, _)).WillOnce(DeliverMessage("new"));
  EXPECT_TRUE(s.WaitForReadyRead(1000));
  EXPECT_THAT(events_, ElementsAre("ready_read"));
  EXPECT_EQ(s.ReadAll(), "oldnew");
}

TEST_F(LocalSocketMockTest, WaitForReadyReadSeesThePeerCloseWithNoNewData) {
  LocalSocket& s = ConnectedSocket();
  EXPECT_CALL(os_, Poll(PollsFdFor(POLLIN), 1, -1)).WillOnce(PollReady(kFd, POLLIN | POLLHUP));
  EXPECT_CALL(os_, RecvMsg(kFd, _, _)).WillOnce(DeliverEof());
  EXPECT_FALSE(s.WaitForReadyRead(-1));
  EXPECT_THAT(events_, ElementsAre("error:kPeerClosed", "state:kClosing", "state:kUnconnected",
                                   "read_channel_finished", "disconnected"));
}

TEST_F(LocalSocketMockTest, WaitForReadyReadFlushesPendingWritesWhileWaiting) {
  LocalSocket& s = ConnectedSocket();
  std::string sent;
  s.Write("ask");
  EXPECT_CALL(os_, Poll(PollsFdFor(POLLIN | POLLOUT), 1, 100)).WillOnce(PollReady(kFd, POLLOUT));
  EXPECT_CALL(os_, SendMsg(kFd, _, _)).WillOnce(CollectSent(&sent));
  EXPECT_CALL(os_, Poll(PollsFdFor(POLLIN), 1, 100)).WillOnce(PollReady(kFd, POLLIN));
  EXPECT_CALL(os_, RecvMsg(kFd, _, _)).WillOnce(DeliverMessage("answer"));
  EXPECT_TRUE(s.WaitForReadyRead(100));
  EXPECT_EQ(sent, "ask");
  EXPECT_THAT(events_, ElementsAre("bytes_written:3", "ready_read"));
}

TEST_F(LocalSocketMockTest, WaitsWithAFullReadBufferReturnAtOnce) {
  LocalSocket& s = ConnectedSocket();
  s.SetReadBufferSize(2);
  EXPECT_CALL(os_, RecvMsg(kFd, _, _)).WillOnce(DeliverOnce("ab"));
  loop_.SetFdReady(kFd, eventloop::kReadable);
  loop_.RunUntilIdle();
  EXPECT_FALSE(s.WaitForReadyRead(-1));  // Would hang: nothing can arrive.
  EXPECT_EQ(s.error(), Error::kOperation);
  EXPECT_FALSE(s.WaitForDisconnected(-1));
  EXPECT_EQ(s.error_string(), "LocalSocket::WaitForDisconnected: the read buffer is full");
}

TEST_F(LocalSocketMockTest, WaitForBytesWrittenIsFalseWithNothingPending) {
  LocalSocket& s = ConnectedSocket();
  EXPECT_FALSE(s.WaitForBytesWritten(100));
  EXPECT_EQ(s.error(), Error::kNone);
}

TEST_F(LocalSocketMockTest, WaitForBytesWrittenIsTrueAfterTheFirstChunk) {
  LocalSocket& s = ConnectedSocket();
  std::string sent;
  s.Write("abcdef");
  EXPECT_CALL(os_, Poll(PollsFdFor(POLLOUT), 1, 100)).WillOnce(PollReady(kFd, POLLOUT));
  EXPECT_CALL(os_, SendMsg(kFd, _, _)).WillOnce(CollectSent(&sent, 4));
  EXPECT_TRUE(s.WaitForBytesWritten(100));
  EXPECT_EQ(sent, "abcd");
  EXPECT_THAT(events_, ElementsAre("bytes_written:4"));
  EXPECT_EQ(s.BytesToWrite(), 2);
}

TEST_F(LocalSocketMockTest, WaitForBytesWrittenTimesOut) {
  LocalSocket& s = ConnectedSocket();
  s.Write("stuck");
  EXPECT_CALL(os_, Poll(PollsFdFor(POLLOUT), 1, 25)).WillOnce(PollSleeps());
  EXPECT_FALSE(s.WaitForBytesWritten(25));
  EXPECT_EQ(s.error(), Error::kSocketTimeout);
  EXPECT_EQ(s.BytesToWrite(), 5);
  EXPECT_THAT(events_, IsEmpty());
  s.Abort();
}

TEST_F(LocalSocketMockTest, WaitForBytesWrittenFailsOnAClosedPeer) {
  LocalSocket& s = ConnectedSocket();
  s.Write("x");
  EXPECT_CALL(os_, Poll(PollsFdFor(POLLOUT), 1, 100)).WillOnce(PollReady(kFd, POLLOUT | POLLHUP));
  EXPECT_CALL(os_, SendMsg(kFd, _, _)).WillOnce(Return(SysResult{-1, EPIPE}));
  ExpectEmptyReceiveQueue();
  EXPECT_FALSE(s.WaitForBytesWritten(100));
  EXPECT_THAT(events_, ElementsAre("error:kPeerClosed", "state:kClosing", "state:kUnconnected",
                                   "read_channel_finished", "disconnected"));
}

TEST_F(LocalSocketMockTest, WaitForDisconnectedCompletesAGracefulDisconnect) {
  LocalSocket& s = ConnectedSocket();
  std::string sent;
  s.Write("last");
  s.DisconnectFromServer();
  EXPECT_CALL(os_, Poll(PollsFdFor(POLLIN | POLLOUT), 1, 1000)).WillOnce(PollReady(kFd, POLLOUT));
  EXPECT_CALL(os_, SendMsg(kFd, _, _)).WillOnce(CollectSent(&sent));
  EXPECT_TRUE(s.WaitForDisconnected(1000));
  EXPECT_EQ(sent, "last");
  EXPECT_THAT(events_, ElementsAre("state:kClosing", "bytes_written:4", "state:kUnconnected",
                                   "read_channel_finished", "disconnected"));
}

TEST_F(LocalSocketMockTest, WaitForDisconnectedReadsToSeeThePeerClose) {
  LocalSocket& s = ConnectedSocket();
  EXPECT_CALL(os_, Poll(PollsFdFor(POLLIN), 1, 1000))
      .WillOnce(PollReady(kFd, POLLIN))
      .WillOnce(PollReady(kFd, POLLIN | POLLHUP));
  EXPECT_CALL(os_, RecvMsg(kFd, _, _)).WillOnce(DeliverMessage("tail")).WillOnce(DeliverEof());
  EXPECT_TRUE(s.WaitForDisconnected(1000));
  EXPECT_THAT(events_, ElementsAre("ready_read", "error:kPeerClosed", "state:kClosing",
                                   "state:kUnconnected", "read_channel_finished", "disconnected"));
  EXPECT_EQ(s.ReadAll(), "tail");
}

TEST_F(LocalSocketMockTest, WaitForDisconnectedTimesOut) {
  LocalSocket& s = ConnectedSocket();
  EXPECT_CALL(os_, Poll(PollsFdFor(POLLIN), 1, 10)).WillOnce(PollSleeps());
  EXPECT_FALSE(s.WaitForDisconnected(10));
  EXPECT_EQ(s.error(), Error::kSocketTimeout);
  EXPECT_EQ(s.state(), State::kConnected);
  EXPECT_THAT(events_, IsEmpty());
}

struct PollFailure {
  int err;
  Error error;
  const char* text;
};

class PollFailureTest : public LocalSocketMockTest,
                        public ::testing::WithParamInterface<PollFailure> {};

TEST_P(PollFailureTest, EndsTheWaitWithTheMappedErrorAndLeavesTheConnection) {
  const PollFailure c = GetParam();
  LocalSocket& s = ConnectedSocket();
  EXPECT_CALL(os_, Poll(PollsFdFor(POLLIN), 1, 10)).WillOnce(Return(SysResult{-1, c.err}));
  EXPECT_FALSE(s.WaitForReadyRead(10));
  EXPECT_EQ(s.error(), c.error);
  EXPECT_EQ(s.error_string(), std::string("LocalSocket::WaitForReadyRead: ") + c.text);
  EXPECT_EQ(s.state(), State::kConnected);
  EXPECT_THAT(events_, IsEmpty());
}

// In the backoff sleep of a full backlog, WaitForConnected polls no fd; a failure of that
// poll ends the wait, and the connect attempt goes on.
TEST_P(PollFailureTest, EndsWaitForConnectedInTheBackoffSleep) {
  const PollFailure c = GetParam();
  LocalSocket& s = NewSocket();
  EXPECT_CALL(os_, Socket(_, _, _)).WillOnce(ledger_.Open());
  EXPECT_CALL(os_, Connect(kFd, _, _)).WillOnce(Return(SysResult{-1, EAGAIN}));
  s.ConnectToServer("/srv");
  events_.clear();
  EXPECT_CALL(os_, Poll(nullptr, 0, 1)).WillOnce(Return(SysResult{-1, c.err}));
  EXPECT_FALSE(s.WaitForConnected(1000));
  EXPECT_EQ(s.error(), c.error);
  EXPECT_EQ(s.error_string(), std::string("LocalSocket::WaitForConnected: ") + c.text);
  EXPECT_EQ(s.state(), State::kConnecting);
  EXPECT_THAT(events_, IsEmpty());
  s.Abort();
}

INSTANTIATE_TEST_SUITE_P(
    Errnos, PollFailureTest,
    ::testing::Values(PollFailure{ENOMEM, Error::kSocketResource,
                                  "out of resources: Cannot allocate memory"},
                      PollFailure{EINVAL, Error::kUnknown, "unknown error: Invalid argument"},
                      PollFailure{EFAULT, Error::kUnknown, "unknown error: Bad address"}));

// WaitForConnected on a full backlog sleeps until the next backoff retry (never polls the
// connecting fd, which would spin).
TEST_F(LocalSocketMockTest, WaitForConnectedSleepsUntilEachRetry) {
  LocalSocket& s = NewSocket();
  int attempts = 0;
  EXPECT_CALL(os_, Socket(_, _, _)).WillOnce(ledger_.Open());
  EXPECT_CALL(os_, Connect(kFd, _, _)).WillRepeatedly(Invoke([&](int, const sockaddr*, socklen_t) {
    return ++attempts < 3 ? SysResult{-1, EAGAIN} : SysResult{0, 0};
  }));
  s.ConnectToServer("/srv");
  {
    ::testing::InSequence order;
    EXPECT_CALL(os_, Poll(nullptr, 0, 1)).WillOnce(PollSleeps());  // Until the 1 ms retry.
    EXPECT_CALL(os_, Poll(nullptr, 0, 2)).WillOnce(PollSleeps());  // Until the 3 ms retry.
  }
  EXPECT_TRUE(s.WaitForConnected(1000));
  EXPECT_EQ(attempts, 3);
  EXPECT_THAT(events_, ElementsAre("state:kConnecting", "state:kConnected", "connected"));
}

TEST_F(LocalSocketMockTest, WaitForConnectedTimesOutBeforeTheConnectTimeout) {
  LocalSocket& s = NewSocket();
  EXPECT_CALL(os_, Socket(_, _, _)).WillOnce(ledger_.Open());
  EXPECT_CALL(os_, Connect(kFd, _, _)).WillRepeatedly(Return(SysResult{-1, EAGAIN}));
  EXPECT_CALL(os_, Poll(nullptr, 0, _)).WillRepeatedly(PollSleeps());
  s.ConnectToServer("/srv");
  events_.clear();
  EXPECT_FALSE(s.WaitForConnected(10));
  EXPECT_EQ(s.error(), Error::kSocketTimeout);
  EXPECT_EQ(s.error_string(), "LocalSocket::WaitForConnected: operation timed out");
  EXPECT_EQ(s.state(), State::kConnecting);  // The attempt goes on.
  EXPECT_THAT(events_, IsEmpty());
  s.Abort();
}

TEST_F(LocalSocketMockTest, WaitForConnectedEmitsTheConnectTimeoutWhenItComesFirst) {
  LocalSocket& s = NewSocket();
  s.SetConnectTimeout(5);
  EXPECT_CALL(os_, Socket(_, _, _)).WillOnce(ledger_.Open());
  EXPECT_CALL(os_, Connect(kFd, _, _)).WillRepeatedly(Return(SysResult{-1, EAGAIN}));
  EXPECT_CALL(os_, Poll(nullptr, 0, _)).WillRepeatedly(PollSleeps());
  s.ConnectToServer("/srv");
  EXPECT_FALSE(s.WaitForConnected(1000));
  EXPECT_THAT(events_,
              ElementsAre("state:kConnecting", "error:kSocketTimeout", "state:kUnconnected"));
  EXPECT_EQ(s.error_string(),
            "LocalSocket::ConnectToServer: connect timed out (server backlog full)");
  EXPECT_EQ(loop_.Now() - eventloop::TimePoint(std::chrono::hours(1000000)), milliseconds(5));
}

TEST_F(LocalSocketMockTest, WaitForReadyReadWaitsForTheConnectFirstWithinOneBudget) {
  LocalSocket& s = NewSocket();
  int attempts = 0;
  EXPECT_CALL(os_, Socket(_, _, _)).WillOnce(ledger_.Open());
  EXPECT_CALL(os_, Connect(kFd, _, _)).WillRepeatedly(Invoke([&](int, const sockaddr*, socklen_t) {
    return ++attempts < 2 ? SysResult{-1, EAGAIN} : SysResult{0, 0};
  }));
  s.ConnectToServer("/srv");
  EXPECT_CALL(os_, Poll(nullptr, 0, 1)).WillOnce(PollSleeps());
  EXPECT_CALL(os_, Poll(PollsFdFor(POLLIN), 1, 9)).WillOnce(PollSleeps());  // 10 - 1 ms left.
  EXPECT_FALSE(s.WaitForReadyRead(10));
  EXPECT_EQ(s.state(), State::kConnected);
  EXPECT_EQ(s.error(), Error::kSocketTimeout);
}

TEST_F(LocalSocketMockTest, WaitsOnAnUnconnectedSocketReturnFalseAtOnce) {
  LocalSocket& s = ConnectedSocket();
  s.Abort();
  EXPECT_FALSE(s.WaitForConnected(-1));
  EXPECT_FALSE(s.WaitForReadyRead(-1));
  EXPECT_FALSE(s.WaitForBytesWritten(-1));
  EXPECT_FALSE(s.WaitForDisconnected(-1));
  EXPECT_EQ(s.error(), Error::kNone);
}

TEST_F(LocalSocketMockTest, AWaitReturnsFalseWhenASlotDestroysTheSocket) {
  LocalSocket& s = ConnectedSocket();
  s.ready_read.Connect([this] { socket_.reset(); });
  EXPECT_CALL(os_, Poll(PollsFdFor(POLLIN), 1, 100)).WillOnce(PollReady(kFd, POLLIN));
  EXPECT_CALL(os_, RecvMsg(kFd, _, _)).WillOnce(DeliverMessage("boom"));
  EXPECT_FALSE(s.WaitForReadyRead(100));
  EXPECT_EQ(socket_, nullptr);
  EXPECT_FALSE(ledger_.IsOpen(kFd));
}

TEST_F(LocalSocketMockTest, PollNvalEndsTheConnectionInsteadOfSpinning) {
  LocalSocket& s = ConnectedSocket();
  EXPECT_CALL(os_, Poll(_, 1, 500)).WillOnce(PollReady(kFd, POLLNVAL));
  EXPECT_FALSE(s.WaitForReadyRead(500));
  EXPECT_THAT(events_, ElementsAre("error:kConnection", "state:kClosing", "state:kUnconnected",
                                   "read_channel_finished", "disconnected"));
  EXPECT_EQ(s.error_string(),
            "LocalSocket::WaitForReadyRead: connection error: Bad file descriptor");
}

TEST_F(LocalSocketMockTest, APeerThatKeepsSendingCannotStretchWaitForDisconnected) {
  LocalSocket& s = ConnectedSocket();
  int polls = 0;
  EXPECT_CALL(os_, Poll(_, 1, _)).WillRepeatedly(Invoke([&](pollfd* fds, nfds_t, int) {
    ++polls;
    loop_.fake_clock().Advance(milliseconds(10));  // Data arrives 10 ms into each poll.
    fds[0].revents = POLLIN;
    return SysResult{1, 0};
  }));
  EXPECT_CALL(os_, RecvMsg(kFd, _, _)).WillRepeatedly(DeliverMessage("more"));
  EXPECT_FALSE(s.WaitForDisconnected(25));
  EXPECT_EQ(polls, 3);
  EXPECT_EQ(s.error(), Error::kSocketTimeout);
  EXPECT_EQ(s.state(), State::kConnected);
  EXPECT_EQ(s.BytesAvailable(), 12);
}

TEST_F(LocalSocketMockTest, WaitForDisconnectedIsTrueWhenASlotReconnects) {
  LocalSocket& s = ConnectedSocket();
  s.disconnected.Connect([&] { s.ConnectToServer("/srv"); });
  EXPECT_CALL(os_, Poll(_, 1, -1)).WillOnce(PollReady(kFd, POLLIN | POLLHUP));
  EXPECT_CALL(os_, RecvMsg(kFd, _, _)).WillOnce(DeliverEof());
  EXPECT_CALL(os_, Socket(_, _, _)).WillOnce(ledger_.Open());
  EXPECT_CALL(os_, Connect(kFd + 1, _, _)).WillOnce(Return(SysResult{0, 0}));
  EXPECT_TRUE(s.WaitForDisconnected(-1));  // No poll on the new connection.
  EXPECT_EQ(s.state(), State::kConnected);
  EXPECT_THAT(events_, ElementsAre("error:kPeerClosed", "state:kClosing", "state:kUnconnected",
                                   "read_channel_finished", "disconnected", "state:kConnecting",
                                   "state:kConnected", "connected"));
}

TEST_F(LocalSocketMockTest, WaitForReadyReadEndsWhenASlotReplacesTheConnection) {
  LocalSocket& s = ConnectedSocket();
  s.disconnected.Connect([&] { s.ConnectToServer("/srv"); });
  EXPECT_CALL(os_, Poll(_, 1, 1000)).WillOnce(PollReady(kFd, POLLIN | POLLHUP));
  EXPECT_CALL(os_, RecvMsg(kFd, _, _)).WillOnce(DeliverEof());
  EXPECT_CALL(os_, Socket(_, _, _)).WillOnce(ledger_.Open());
  EXPECT_CALL(os_, Connect(kFd + 1, _, _)).WillOnce(Return(SysResult{0, 0}));
  EXPECT_FALSE(s.WaitForReadyRead(1000));
  EXPECT_EQ(s.error(), Error::kNone);  // The new connection's clean error is kept.
}

TEST_F(LocalSocketMockTest, WaitedInProgressConnectHonoursTheConnectTimeout) {
  LocalSocket& s = NewSocket();
  s.SetConnectTimeout(5);
  ExpectSocketAndConnect(SysResult{-1, EINPROGRESS});
  s.ConnectToServer("/srv");
  EXPECT_CALL(os_, Poll(PollsFdFor(POLLOUT), 1, 5)).WillOnce(PollSleeps());
  EXPECT_FALSE(s.WaitForConnected(-1));
  EXPECT_THAT(events_,
              ElementsAre("state:kConnecting", "error:kSocketTimeout", "state:kUnconnected"));
}

TEST_F(LocalSocketMockTest, WaitForReadyReadIsFalseWhenThePendingConnectFails) {
  LocalSocket& s = NewSocket();
  ExpectSocketAndConnect(SysResult{-1, EINPROGRESS});
  s.ConnectToServer("/srv");
  EXPECT_CALL(os_, Poll(PollsFdFor(POLLOUT), 1, 1000)).WillOnce(PollReady(kFd, POLLOUT));
  // Writable: connect() again tells the outcome.
  EXPECT_CALL(os_, Connect(kFd, _, _)).WillOnce(Return(SysResult{-1, ECONNREFUSED}));
  EXPECT_FALSE(s.WaitForReadyRead(1000));
  EXPECT_EQ(s.error(), Error::kConnectionRefused);
  EXPECT_EQ(s.error_string(),
            "LocalSocket::ConnectToServer: connection refused: Connection refused");
  EXPECT_EQ(s.state(), State::kUnconnected);
  EXPECT_THAT(events_,
              ElementsAre("state:kConnecting", "error:kConnectionRefused", "state:kUnconnected"));
}

TEST_F(LocalSocketMockTest, WaitForReadyReadIsFalseWhenThePendingConnectTimesOut) {
  LocalSocket& s = NewSocket();
  s.SetConnectTimeout(5);
  EXPECT_CALL(os_, Socket(_, _, _)).WillOnce(ledger_.Open());
  EXPECT_CALL(os_, Connect(kFd, _, _)).WillRepeatedly(Return(SysResult{-1, EAGAIN}));
  EXPECT_CALL(os_, Poll(nullptr, 0, _)).WillRepeatedly(PollSleeps());
  s.ConnectToServer("/srv");
  EXPECT_FALSE(s.WaitForReadyRead(1000));
  EXPECT_EQ(s.error(), Error::kSocketTimeout);
  EXPECT_EQ(s.error_string(),
            "LocalSocket::ConnectToServer: connect timed out (server backlog full)");
  EXPECT_EQ(s.state(), State::kUnconnected);
  EXPECT_THAT(events_,
              ElementsAre("state:kConnecting", "error:kSocketTimeout", "state:kUnconnected"));
}

}  // namespace
}  // namespace test
}  // namespace ipc
