// When a connection ends, LocalSocket delivers everything first, on MockOsCalls and
// FakeEventLoop:
//   - a peer EOF (possibly a half-close) with writes pending keeps sending them from kClosing;
//   - a send that fails because the peer is gone first reads what the peer sent before it
//     went, and reports it with ready_read before the failure sequence, whichever call
//     flushed.
#include <poll.h>

#include <cerrno>
#include <functional>
#include <string>
#include <vector>

#include "ipc/byte_buffer.h"
#include "testing/local_socket_mock_fixture.h"

namespace ipc {
namespace test {
namespace {

using ::testing::_;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::IsEmpty;
using ::testing::Return;

MATCHER_P(PollsFdFor, events, "") {
  return arg != nullptr && arg->fd == kFd && arg->events == events;
}

// ---------------------------------------------------------------------------------------------
// Peer EOF while writes are pending.

class PeerEofWithPendingWritesTest : public LocalSocketMockTest {
 protected:
  // A connected socket whose write of "reply" is blocked in the kernel, which then reads the
  // peer's EOF. events_ cleared.
  LocalSocket& HalfClosedSocket() {
    LocalSocket& s = ConnectedSocket();
    s.Write("reply");
    EXPECT_CALL(os_, SendMsg(kFd, _, _)).WillOnce(Return(SysResult{-1, EAGAIN}));
    loop_.RunUntilIdle();
    EXPECT_CALL(os_, RecvMsg(kFd, _, _)).WillOnce(DeliverEof());
    loop_.SetFdReady(kFd, eventloop::kReadable);
    loop_.RunUntilIdle();
    EXPECT_THAT(events_, ElementsAre("error:kPeerClosed", "state:kClosing"));
    events_.clear();
    return s;
  }
};

TEST_F(PeerEofWithPendingWritesTest, EntersClosingStopsReadingAndDeliversTheReply) {
  State state_at_error = State::kUnconnected;
  LocalSocket& s = ConnectedSocket();
  s.error_occurred.Connect([&](Error) { state_at_error = s.state(); });
  s.Write("reply");
  EXPECT_CALL(os_, SendMsg(kFd, _, _)).WillOnce(Return(SysResult{-1, EAGAIN}));
  loop_.RunUntilIdle();
  EXPECT_CALL(os_, RecvMsg(kFd, _, _)).WillOnce(DeliverEof());
  loop_.SetFdReady(kFd, eventloop::kReadable);
  loop_.RunUntilIdle();
  EXPECT_THAT(events_, ElementsAre("error:kPeerClosed", "state:kClosing"));
  EXPECT_EQ(state_at_error, State::kConnected);
  EXPECT_EQ(s.error(), Error::kPeerClosed);
  EXPECT_EQ(s.error_string(), "LocalSocket::Read: remote closed");
  EXPECT_EQ(s.BytesToWrite(), 5);
  EXPECT_EQ(loop_.WatchedEvents(kFd), eventloop::kWritable);  // Read interest is off.
  loop_.RunUntilIdle();  // Still readable: nothing reads (the StrictMock sees no recvmsg).

  std::string sent;
  EXPECT_CALL(os_, SendMsg(kFd, _, _)).WillOnce(CollectSent(&sent));
  loop_.SetFdReady(kFd, eventloop::kWritable);
  loop_.RunUntilIdle();
  loop_.ClearFdReady(kFd, eventloop::kReadable | eventloop::kWritable);
  EXPECT_EQ(sent, "reply");
  EXPECT_THAT(events_, ElementsAre("error:kPeerClosed", "state:kClosing", "bytes_written:5",
                                   "state:kUnconnected", "read_channel_finished", "disconnected"));
  EXPECT_EQ(s.error(), Error::kPeerClosed);
  EXPECT_FALSE(ledger_.IsOpen(kFd));
}

TEST_F(PeerEofWithPendingWritesTest, TheSocketBehavesAsInClosingMeanwhile) {
  LocalSocket& s = HalfClosedSocket();
  EXPECT_FALSE(s.WaitForReadyRead(1000));  // At once: no poll (StrictMock), nothing emitted.
  EXPECT_EQ(s.error(), Error::kPeerClosed);
  char c;
  EXPECT_EQ(s.Read(&c, 1), 0);
  EXPECT_EQ(s.Write("+more"), 5);
  EXPECT_EQ(s.BytesToWrite(), 10);
  s.DisconnectFromServer();  // Already closing: nothing changes.
  EXPECT_THAT(events_, IsEmpty());

  // WaitForDisconnected polls for output only, and ends once everything went out.
  std::string sent;
  EXPECT_CALL(os_, Poll(PollsFdFor(POLLOUT), 1, 1000)).WillOnce(PollReady(kFd, POLLOUT));
  EXPECT_CALL(os_, SendMsg(kFd, _, _)).WillOnce(CollectSent(&sent));
  EXPECT_TRUE(s.WaitForDisconnected(1000));
  EXPECT_EQ(sent, "reply+more");
  EXPECT_THAT(events_, ElementsAre("bytes_written:10", "state:kUnconnected",
                                   "read_channel_finished", "disconnected"));
}

TEST_F(PeerEofWithPendingWritesTest, WaitForBytesWrittenWorksAsUsual) {
  LocalSocket& s = HalfClosedSocket();
  std::string sent;
  EXPECT_CALL(os_, Poll(PollsFdFor(POLLOUT), 1, 1000)).WillOnce(PollReady(kFd, POLLOUT));
  EXPECT_CALL(os_, SendMsg(kFd, _, _)).WillOnce(CollectSent(&sent, 2));
  EXPECT_TRUE(s.WaitForBytesWritten(1000));
  EXPECT_EQ(sent, "re");
  EXPECT_THAT(events_, ElementsAre("bytes_written:2"));
  EXPECT_EQ(s.state(), State::kClosing);
  s.Abort();
}

class PeerGoneWhileDrainingTest : public PeerEofWithPendingWritesTest,
                                  public ::testing::WithParamInterface<int> {};

TEST_P(PeerGoneWhileDrainingTest, DropsTheRestWithoutASecondError) {
  LocalSocket& s = HalfClosedSocket();
  EXPECT_CALL(os_, SendMsg(kFd, _, _)).WillOnce(Return(SysResult{-1, GetParam()}));
  loop_.SetFdReady(kFd, eventloop::kWritable);
  loop_.RunUntilIdle();  // No drain of the receive queue either: the EOF was read.
  loop_.ClearFdReady(kFd, eventloop::kReadable | eventloop::kWritable);
  EXPECT_THAT(events_, ElementsAre("state:kUnconnected", "read_channel_finished", "disconnected"));
  EXPECT_EQ(s.BytesToWrite(), 0);
  EXPECT_EQ(s.error(), Error::kPeerClosed);
  EXPECT_EQ(s.error_string(), "LocalSocket::Read: remote closed");
  EXPECT_FALSE(ledger_.IsOpen(kFd));
}

INSTANTIATE_TEST_SUITE_P(Errnos, PeerGoneWhileDrainingTest, ::testing::Values(EPIPE, ECONNRESET));

TEST_F(PeerEofWithPendingWritesTest, AnotherSendFailureIsReported) {
  LocalSocket& s = HalfClosedSocket();
  EXPECT_CALL(os_, SendMsg(kFd, _, _)).WillOnce(Return(SysResult{-1, EIO}));
  loop_.SetFdReady(kFd, eventloop::kWritable);
  loop_.RunUntilIdle();
  loop_.ClearFdReady(kFd, eventloop::kReadable | eventloop::kWritable);
  EXPECT_THAT(events_, ElementsAre("error:kConnection", "state:kUnconnected",
                                   "read_channel_finished", "disconnected"));
  EXPECT_EQ(s.BytesToWrite(), 0);
}

TEST_F(PeerEofWithPendingWritesTest, AbortAndCloseActAsInClosing) {
  LocalSocket& s = HalfClosedSocket();
  s.Close();
  EXPECT_THAT(events_, ElementsAre("about_to_close"));
  EXPECT_EQ(s.state(), State::kClosing);
  EXPECT_EQ(s.BytesToWrite(), 5);
  s.Abort();
  EXPECT_THAT(events_, ElementsAre("about_to_close", "state:kUnconnected", "read_channel_finished",
                                   "disconnected"));
  EXPECT_EQ(s.BytesToWrite(), 0);
  EXPECT_FALSE(ledger_.IsOpen(kFd));
}

TEST_F(PeerEofWithPendingWritesTest, AWriteAfterDisconnectToAHalfClosedPeerIsDelivered) {
  // Write(reply), DisconnectFromServer(), and the peer's EOF is read while closing.
  LocalSocket& s = ConnectedSocket();
  s.Write("reply");
  EXPECT_CALL(os_, SendMsg(kFd, _, _)).WillOnce(Return(SysResult{-1, EAGAIN}));
  s.DisconnectFromServer();
  loop_.RunUntilIdle();
  EXPECT_CALL(os_, RecvMsg(kFd, _, _)).WillOnce(DeliverEof());
  loop_.SetFdReady(kFd, eventloop::kReadable);
  loop_.RunUntilIdle();
  std::string sent;
  EXPECT_CALL(os_, SendMsg(kFd, _, _)).WillOnce(CollectSent(&sent));
  loop_.SetFdReady(kFd, eventloop::kWritable);
  loop_.RunUntilIdle();
  loop_.ClearFdReady(kFd, eventloop::kReadable | eventloop::kWritable);
  EXPECT_EQ(sent, "reply");
  EXPECT_THAT(events_, ElementsAre("state:kClosing", "error:kPeerClosed", "bytes_written:5",
                                   "state:kUnconnected", "read_channel_finished", "disconnected"));
}

// ---------------------------------------------------------------------------------------------
// Bytes that arrived before a send failure are delivered first, whichever call flushed.

struct FailingFlush {
  const char* name;
  // The function named by error_string().
  const char* function;
  // Makes the socket flush "request" into a sendmsg that fails (the test scripts the rest).
  std::function<void(LocalSocketMockTest&, LocalSocket&)> flush;
  // Emitted before the delivery (a graceful disconnect's kClosing).
  std::vector<std::string> first_events;
};

class DeliveryBeforeFailureTest : public LocalSocketMockTest,
                                  public ::testing::WithParamInterface<FailingFlush> {
 public:
  eventloop::FakeEventLoop& loop() { return loop_; }
  ::testing::StrictMock<MockOsCalls>& os() { return os_; }
};

std::vector<FailingFlush> FailingFlushes() {
  using T = LocalSocketMockTest;
  auto as_test = [](T& t) -> DeliveryBeforeFailureTest& {
    return static_cast<DeliveryBeforeFailureTest&>(t);
  };
  return {
      {"BeforeBlockingFlush",
       "LocalSocket::Write",
       [as_test](T& t, LocalSocket&) { as_test(t).loop().RunUntilIdle(); },
       {}},
      {"Flush", "LocalSocket::Flush", [](T&, LocalSocket& s) { EXPECT_FALSE(s.Flush()); }, {}},
      {"DisconnectDrain",
       "LocalSocket::Write",
       [as_test](T& t, LocalSocket& s) {
         s.DisconnectFromServer();
         as_test(t).loop().RunUntilIdle();
       },
       {"state:kClosing"}},
      {"FdReadyWritable",
       "LocalSocket::Write",
       [as_test](T& t, LocalSocket&) {
         DeliveryBeforeFailureTest& test = as_test(t);
         EXPECT_CALL(test.os(), SendMsg(kFd, _, _))
             .WillOnce(Return(SysResult{-1, EAGAIN}))
             .RetiresOnSaturation();
         test.loop().RunUntilIdle();  // Blocked.
         test.loop().SetFdReady(kFd, eventloop::kWritable | eventloop::kReadable);
         test.loop().RunUntilIdle();
         test.loop().ClearFdReady(kFd, eventloop::kWritable | eventloop::kReadable);
       },
       {}},
      {"WaitForReadyRead",
       "LocalSocket::WaitForReadyRead",
       [as_test](T& t, LocalSocket& s) {
         EXPECT_CALL(as_test(t).os(), Poll(PollsFdFor(POLLIN | POLLOUT), 1, 1000))
             .WillOnce(PollReady(kFd, POLLOUT));
         EXPECT_TRUE(s.WaitForReadyRead(1000));  // The delivered bytes are new data.
       },
       {}},
      {"WaitForBytesWritten",
       "LocalSocket::WaitForBytesWritten",
       [as_test](T& t, LocalSocket& s) {
         EXPECT_CALL(as_test(t).os(), Poll(PollsFdFor(POLLOUT), 1, 1000))
             .WillOnce(PollReady(kFd, POLLOUT | POLLIN));
         EXPECT_FALSE(s.WaitForBytesWritten(1000));
       },
       {}},
      {"WaitForDisconnected",
       "LocalSocket::WaitForDisconnected",
       [as_test](T& t, LocalSocket& s) {
         EXPECT_CALL(as_test(t).os(), Poll(PollsFdFor(POLLIN | POLLOUT), 1, 1000))
             .WillOnce(PollReady(kFd, POLLOUT));
         EXPECT_TRUE(s.WaitForDisconnected(1000));
       },
       {}},
  };
}

TEST_P(DeliveryBeforeFailureTest, QueuedBytesAreReadAndAnnouncedBeforeTheFailure) {
  const FailingFlush& c = GetParam();
  LocalSocket& s = ConnectedSocket();
  std::string readable_in_disconnected;
  s.disconnected.Connect([&] { readable_in_disconnected = s.Peek(100); });
  s.Write("request");
  EXPECT_CALL(os_, SendMsg(kFd, _, _)).WillOnce(Return(SysResult{-1, EPIPE}));
  EXPECT_CALL(os_, RecvMsg(kFd, _, _)).WillOnce(DeliverMessage("last reply"));
  c.flush(*this, s);
  std::vector<std::string> expected = c.first_events;
  expected.push_back("ready_read");
  expected.push_back("error:kPeerClosed");
  if (c.first_events.empty()) expected.push_back("state:kClosing");
  for (const char* e : {"state:kUnconnected", "read_channel_finished", "disconnected"}) {
    expected.push_back(e);
  }
  EXPECT_THAT(events_, ElementsAreArray(expected));
  EXPECT_EQ(s.error_string(), std::string(c.function) + ": remote closed: Broken pipe");
  EXPECT_EQ(readable_in_disconnected, "last reply");
  EXPECT_EQ(s.ReadAll(), "last reply");
  EXPECT_EQ(s.BytesToWrite(), 0);
  EXPECT_FALSE(ledger_.IsOpen(kFd));
}

INSTANTIATE_TEST_SUITE_P(EachCaller, DeliveryBeforeFailureTest,
                         ::testing::ValuesIn(FailingFlushes()),
                         [](const ::testing::TestParamInfo<FailingFlush>& info) {
                           return std::string(info.param.name);
                         });

TEST_F(LocalSocketMockTest, TheDeliveryReadsUntilEofIgnoringTheReadBufferLimit) {
  LocalSocket& s = ConnectedSocket();
  s.SetReadBufferSize(4);
  EXPECT_CALL(os_, RecvMsg(kFd, _, _)).WillOnce(DeliverMessage("abcd"));
  loop_.SetFdReady(kFd, eventloop::kReadable);
  loop_.RunUntilIdle();
  loop_.ClearFdReady(kFd, eventloop::kReadable);
  ASSERT_EQ(loop_.WatchedEvents(kFd), eventloop::kNoEvents);  // Paused: the buffer is full.
  const std::string big(3 * internal::ByteBuffer::kBlockSize, 'x');
  s.Write("request");
  EXPECT_CALL(os_, SendMsg(kFd, _, _)).WillOnce(Return(SysResult{-1, ECONNRESET}));
  EXPECT_CALL(os_, RecvMsg(kFd, _, _))
      .WillOnce(DeliverMessage(big.substr(0, internal::ByteBuffer::kBlockSize)))
      .WillOnce(DeliverMessage(big.substr(0, internal::ByteBuffer::kBlockSize)))
      .WillOnce(DeliverMessage(big.substr(0, internal::ByteBuffer::kBlockSize)))
      .WillOnce(DeliverEof());
  loop_.RunUntilIdle();
  EXPECT_THAT(events_,
              ElementsAre("ready_read", "ready_read", "error:kPeerClosed", "state:kClosing",
                          "state:kUnconnected", "read_channel_finished", "disconnected"));
  EXPECT_EQ(s.BytesAvailable(), static_cast<int64_t>(4 + big.size()));
  EXPECT_EQ(s.error_string(), "LocalSocket::Write: remote closed: Connection reset by peer");
}

TEST_F(LocalSocketMockTest, InsideReadyReadTheDeliveredBytesGetNoExtraReadyRead) {
  LocalSocket& s = ConnectedSocket();
  s.Write("request");
  bool flushed = false;
  s.ready_read.Connect([&] {
    if (flushed) return;
    flushed = true;
    EXPECT_CALL(os_, SendMsg(kFd, _, _)).WillOnce(Return(SysResult{-1, EPIPE}));
    EXPECT_CALL(os_, RecvMsg(kFd, _, _)).WillOnce(DeliverMessage(" and bye"));
    EXPECT_FALSE(s.Flush());
  });
  EXPECT_CALL(os_, RecvMsg(kFd, _, _)).WillOnce(DeliverOnce("hello"));
  loop_.SetFdReady(kFd, eventloop::kReadable);
  loop_.RunUntilIdle();
  EXPECT_THAT(events_, ElementsAre("ready_read", "error:kPeerClosed", "state:kClosing",
                                   "state:kUnconnected", "read_channel_finished", "disconnected"));
  EXPECT_EQ(s.ReadAll(), "hello and bye");
}

TEST_F(LocalSocketMockTest, AWriteOnlySocketDiscardsTheDeliveredBytes) {
  LocalSocket& s = NewSocket();
  ExpectSocketAndConnect(SysResult{0, 0});
  s.ConnectToServer("/srv", LocalSocket::kWriteOnly);
  events_.clear();
  s.Write("request");
  EXPECT_CALL(os_, SendMsg(kFd, _, _)).WillOnce(Return(SysResult{-1, EPIPE}));
  EXPECT_CALL(os_, RecvMsg(kFd, _, _)).WillOnce(DeliverMessage("unwanted"));
  loop_.RunUntilIdle();
  EXPECT_THAT(events_, ElementsAre("error:kPeerClosed", "state:kClosing", "state:kUnconnected",
                                   "read_channel_finished", "disconnected"));
  EXPECT_EQ(s.BytesAvailable(), 0);
}

}  // namespace
}  // namespace test
}  // namespace ipc
