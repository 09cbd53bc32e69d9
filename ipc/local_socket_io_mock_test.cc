// LocalSocket in kConnected and kClosing, driven by MockOsCalls on FakeEventLoop: reading,
// writing, back-pressure, the send/recv errno tables and every way a connection ends.
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

constexpr int kNoSignal = MSG_NOSIGNAL;

TEST_F(LocalSocketMockTest, ReadableDeliversDataAndReadyRead) {
  LocalSocket& s = ConnectedSocket();
  EXPECT_CALL(os_, RecvMsg(kFd, _, MSG_CMSG_CLOEXEC)).WillOnce(DeliverOnce("hello\nworld"));
  loop_.SetFdReady(kFd, eventloop::kReadable);
  loop_.RunUntilIdle();
  EXPECT_THAT(events_, ElementsAre("ready_read"));
  EXPECT_EQ(s.BytesAvailable(), 11);
  EXPECT_TRUE(s.CanReadLine());
  EXPECT_EQ(s.Peek(3), "hel");
  EXPECT_EQ(s.ReadLine(3), "hel");  // At most 3 bytes, newline or not.
  EXPECT_EQ(s.ReadLine(), "lo\n");
  EXPECT_FALSE(s.CanReadLine());
  EXPECT_FALSE(s.AtEnd());
  char buffer[16];
  EXPECT_EQ(s.Read(buffer, sizeof(buffer)), 5);
  EXPECT_EQ(std::string(buffer, 5), "world");
  EXPECT_TRUE(s.AtEnd());
  EXPECT_EQ(s.Read(buffer, sizeof(buffer)), 0);  // Connected and empty: 0, not -1.
  EXPECT_EQ(s.Read(buffer, -1), -1);
  EXPECT_EQ(s.error(), Error::kOperation);
}

TEST_F(LocalSocketMockTest, NegativeSizesAndNullBuffersAreRefusedAndConsumeNothing) {
  LocalSocket& s = ConnectedSocket();
  EXPECT_CALL(os_, RecvMsg(kFd, _, _)).WillOnce(DeliverOnce("hello"));
  loop_.SetFdReady(kFd, eventloop::kReadable);
  loop_.RunUntilIdle();
  char buffer[8];
  EXPECT_EQ(s.Read(buffer, -1), -1);
  EXPECT_EQ(s.error(), Error::kOperation);
  EXPECT_EQ(s.error_string(), "LocalSocket::Read: negative size");
  EXPECT_EQ(s.Read(nullptr, 1), -1);
  EXPECT_EQ(s.error_string(), "LocalSocket::Read: invalid buffer");
  EXPECT_EQ(s.Read(nullptr, 0), 0);
  EXPECT_EQ(s.Read(-1), "");
  EXPECT_EQ(s.error_string(), "LocalSocket::Read: negative size");
  EXPECT_EQ(s.ReadLine(-1), "");
  EXPECT_EQ(s.error_string(), "LocalSocket::ReadLine: negative size");
  EXPECT_EQ(s.Peek(-1), "");
  EXPECT_EQ(s.Read(0), "");
  EXPECT_EQ(s.Peek(0), "");
  EXPECT_EQ(s.BytesAvailable(), 5);
  EXPECT_EQ(s.ReadAll(), "hello");
  EXPECT_THAT(events_, ElementsAre("ready_read"));
}

TEST_F(LocalSocketMockTest, AFullReadBufferPausesReadingUntilDrained) {
  LocalSocket& s = ConnectedSocket();
  s.SetReadBufferSize(4);
  EXPECT_CALL(os_, RecvMsg(kFd, _, _)).WillOnce(Invoke([](int, msghdr* msg, int) {
    EXPECT_EQ(msg->msg_iov[0].iov_len, 4u);  // Never more than the room left.
    return DeliverMessage("abcd")(kFd, msg, 0);
  }));
  loop_.SetFdReady(kFd, eventloop::kReadable);
  loop_.RunUntilIdle();
  EXPECT_THAT(events_, ElementsAre("ready_read"));
  EXPECT_EQ(loop_.WatchedEvents(kFd), eventloop::kNoEvents);  // kReadBufferFull.
  loop_.RunUntilIdle();        // Still readable, but paused: no recv.
  EXPECT_EQ(s.Read(2), "ab");  // kReadBufferDrained.
  EXPECT_EQ(loop_.WatchedEvents(kFd), eventloop::kReadable);
  EXPECT_CALL(os_, RecvMsg(kFd, _, _)).WillOnce(Invoke([this](int, msghdr* msg, int) {
    EXPECT_EQ(msg->msg_iov[0].iov_len, 2u);
    loop_.ClearFdReady(kFd, eventloop::kReadable);
    return DeliverMessage("e")(kFd, msg, 0);
  }));
  loop_.RunUntilIdle();
  EXPECT_EQ(s.ReadAll(), "cde");
  s.SetReadBufferSize(0);
  EXPECT_EQ(s.read_buffer_size(), 0);
}

// A stream of `size` bytes whose every byte tells its position.
std::string PatternOf(size_t size) {
  std::string data(size, '\0');
  for (size_t i = 0; i < size; ++i) data[i] = static_cast<char>(i * 31 + i / 251);
  return data;
}

// RecvMsg action: checks the iovecs offered (`count` of them, each a large block but the
// last, `capacity` bytes in all), then delivers `bytes`.
auto OfferedThenDeliver(size_t count, size_t capacity, std::string bytes) {
  return Invoke([=](int, msghdr* msg, int) {
    EXPECT_EQ(msg->msg_iovlen, count);
    size_t offered = 0;
    for (size_t i = 0; i < msg->msg_iovlen; ++i) offered += msg->msg_iov[i].iov_len;
    EXPECT_EQ(offered, capacity);
    return DeliverMessage(bytes)(kFd, msg, 0);
  });
}

TEST_F(LocalSocketMockTest, OnceAReadFillsABlockReadsTakeTheThreadsSpareBlocksToo) {
  LocalSocket& s = ConnectedSocket();
  // Give this thread's (emptied) cache every spare large block it keeps.
  AddSpareLargeBlocks(internal::kSpareLargeBlocks);
  constexpr size_t kBlock = internal::kLargeBlockSize;
  const std::string stream = PatternOf(kBlock + 100000);
  EXPECT_CALL(os_, RecvMsg(kFd, _, _))
      // One block, filled: a fast stream, maybe. The next read in the same call takes the
      // buffer's spare and the two spares left (the first block holds one).
      .WillOnce(OfferedThenDeliver(1, kBlock, stream.substr(0, kBlock)))
      .WillOnce(OfferedThenDeliver(3, 3 * kBlock, stream.substr(kBlock)));  // Short: drained.
  loop_.SetFdReady(kFd, eventloop::kReadable);
  loop_.RunUntilIdle();
  EXPECT_THAT(events_, ElementsAre("ready_read"));
  EXPECT_EQ(s.ReadAll(), stream);  // The blocks go back to the cache.

  // Still streaming (the last read took more than a block): all four blocks at once.
  EXPECT_CALL(os_, RecvMsg(kFd, _, _)).WillOnce(OfferedThenDeliver(4, 4 * kBlock, "tiny"));
  loop_.RunUntilIdle();
  EXPECT_EQ(s.ReadAll(), "tiny");
  // A short message ended the stream: one block again.
  EXPECT_CALL(os_, RecvMsg(kFd, _, _)).WillOnce(Invoke([this](int, msghdr* msg, int) {
    loop_.ClearFdReady(kFd, eventloop::kReadable);
    return OfferedThenDeliver(1, kBlock, "x")(kFd, msg, 0);
  }));
  loop_.RunUntilIdle();
  EXPECT_EQ(s.ReadAll(), "x");
  EXPECT_THAT(events_, ElementsAre("ready_read", "ready_read", "ready_read"));
}

TEST_F(LocalSocketMockTest, WithoutSpareBlocksALongReadTakesOneBlockPerCall) {
  LocalSocket& s = ConnectedSocket();  // The fixture took this thread's spare blocks.
  const std::string stream = PatternOf(internal::kLargeBlockSize + 7);
  auto one_block_of = [](std::string bytes) {
    return Invoke([bytes](int, msghdr* msg, int) {
      EXPECT_EQ(msg->msg_iovlen, 1u);
      EXPECT_EQ(msg->msg_iov[0].iov_len, internal::kLargeBlockSize);
      return DeliverMessage(bytes)(kFd, msg, 0);
    });
  };
  EXPECT_CALL(os_, RecvMsg(kFd, _, _))
      .WillOnce(one_block_of(stream.substr(0, internal::kLargeBlockSize)))  // Full: read on.
      .WillOnce(one_block_of(stream.substr(internal::kLargeBlockSize)));
  loop_.SetFdReady(kFd, eventloop::kReadable);
  loop_.RunUntilIdle();
  EXPECT_THAT(events_, ElementsAre("ready_read"));
  EXPECT_EQ(s.ReadAll(), stream);
}

TEST_F(LocalSocketMockTest, SmallWritesCoalesceIntoOneSendBeforeTheLoopBlocks) {
  LocalSocket& s = ConnectedSocket();
  std::string sent;
  EXPECT_EQ(s.Write("abc"), 3);
  EXPECT_EQ(s.Write("def"), 3);
  EXPECT_EQ(s.Write(""), 0);
  EXPECT_EQ(s.BytesToWrite(), 6);
  EXPECT_THAT(events_, IsEmpty());  // Write never sends or emits by itself.
  EXPECT_CALL(os_, SendMsg(kFd, _, kNoSignal)).WillOnce(CollectSent(&sent));
  loop_.RunUntilIdle();
  EXPECT_EQ(sent, "abcdef");
  EXPECT_THAT(events_, ElementsAre("bytes_written:6"));
  EXPECT_EQ(s.BytesToWrite(), 0);
}

TEST_F(LocalSocketMockTest, PartialWritesWaitForWritabilityWithoutSpinning) {
  LocalSocket& s = ConnectedSocket();
  std::string sent;
  s.Write("hello");
  EXPECT_CALL(os_, SendMsg(kFd, _, kNoSignal)).WillOnce(CollectSent(&sent, 1));
  loop_.RunUntilIdle();
  EXPECT_EQ(sent, "h");
  EXPECT_THAT(events_, ElementsAre("bytes_written:1"));
  EXPECT_EQ(loop_.WatchedEvents(kFd), eventloop::kReadable | eventloop::kWritable);
  s.Write("!");  // Blocked: no flush attempt until writable.
  loop_.RunUntilIdle();
  EXPECT_CALL(os_, SendMsg(kFd, _, kNoSignal))
      .WillOnce(Return(SysResult{-1, EAGAIN}))
      .WillOnce(CollectSent(&sent));
  loop_.SetFdReady(kFd, eventloop::kWritable);
  loop_.RunUntilIdle();  // EAGAIN: still waiting.
  EXPECT_EQ(loop_.WatchedEvents(kFd), eventloop::kReadable | eventloop::kWritable);
  loop_.RunUntilIdle();
  loop_.ClearFdReady(kFd, eventloop::kWritable);
  EXPECT_EQ(sent, "hello!");
  EXPECT_THAT(events_, ElementsAre("bytes_written:1", "bytes_written:5"));
  EXPECT_EQ(loop_.WatchedEvents(kFd), eventloop::kReadable);  // kWriteBufferDrained.
}

TEST_F(LocalSocketMockTest, InterruptedSendsAndReceivesAreRetried) {
  LocalSocket& s = ConnectedSocket();
  std::string sent;
  s.Write("x");
  EXPECT_CALL(os_, SendMsg(kFd, _, _))
      .WillOnce(Return(SysResult{-1, EINTR}))
      .WillOnce(CollectSent(&sent));
  EXPECT_TRUE(s.Flush());
  EXPECT_EQ(sent, "x");
  EXPECT_CALL(os_, RecvMsg(kFd, _, _))
      .WillOnce(Return(SysResult{-1, EINTR}))
      .WillOnce(DeliverOnce("y"));
  loop_.SetFdReady(kFd, eventloop::kReadable);
  loop_.RunUntilIdle();
  EXPECT_EQ(s.ReadAll(), "y");
  EXPECT_THAT(events_, ElementsAre("bytes_written:1", "ready_read"));
}

TEST_F(LocalSocketMockTest, RecvEagainIsNotAnError) {
  LocalSocket& s = ConnectedSocket();
  EXPECT_CALL(os_, RecvMsg(kFd, _, _)).WillOnce(Invoke([this](int, msghdr*, int) {
    loop_.ClearFdReady(kFd, eventloop::kReadable);
    return SysResult{-1, EAGAIN};
  }));
  loop_.SetFdReady(kFd, eventloop::kReadable);
  loop_.RunUntilIdle();
  EXPECT_THAT(events_, IsEmpty());
  EXPECT_EQ(s.state(), State::kConnected);
}

TEST_F(LocalSocketMockTest, FlushWritesNowAndReportsWhetherAnythingWent) {
  LocalSocket& s = ConnectedSocket();
  EXPECT_FALSE(s.Flush());  // Nothing pending.
  std::string sent;
  s.Write("now");
  EXPECT_CALL(os_, SendMsg(kFd, _, _)).WillOnce(CollectSent(&sent));
  EXPECT_TRUE(s.Flush());
  EXPECT_EQ(sent, "now");
  EXPECT_THAT(events_, ElementsAre("bytes_written:3"));
  loop_.RunUntilIdle();  // The scheduled flush finds nothing left.
}

// kPeerEof in kConnected: everything received stays readable.
TEST_F(LocalSocketMockTest, PeerCloseKeepsDataReadableAndRunsTheCloseSequence) {
  LocalSocket& s = ConnectedSocket();
  bool fd_open_at_unconnected = true;
  State state_at_error = State::kUnconnected;
  std::string readable_in_disconnected;
  s.error_occurred.Connect([&](Error) { state_at_error = s.state(); });
  s.state_changed.Connect([&](State st) {
    if (st == State::kUnconnected) fd_open_at_unconnected = ledger_.IsOpen(kFd);
  });
  s.disconnected.Connect([&] { readable_in_disconnected = s.Peek(100); });
  EXPECT_CALL(os_, RecvMsg(kFd, _, _))
      .WillOnce(DeliverMessage("last words"))
      .WillOnce(DeliverEof());
  loop_.SetFdReady(kFd, eventloop::kReadable);
  loop_.RunUntilIdle();  // A short read: the kernel queue is drained for now.
  EXPECT_THAT(events_, ElementsAre("ready_read"));
  loop_.RunUntilIdle();  // Still readable: EOF.
  loop_.ClearFdReady(kFd, eventloop::kReadable);
  EXPECT_THAT(events_, ElementsAre("ready_read", "error:kPeerClosed", "state:kClosing",
                                   "state:kUnconnected", "read_channel_finished", "disconnected"));
  EXPECT_EQ(state_at_error, State::kConnected);
  EXPECT_FALSE(fd_open_at_unconnected);
  EXPECT_EQ(readable_in_disconnected, "last words");
  EXPECT_EQ(s.error_string(), "LocalSocket::Read: remote closed");
  EXPECT_TRUE(s.IsOpen());
  EXPECT_FALSE(s.IsValid());
  EXPECT_EQ(s.socket_descriptor(), -1);
  EXPECT_EQ(s.ReadAll(), "last words");
  char c;
  EXPECT_EQ(s.Read(&c, 1), -1);  // End of data on a closed connection.
  EXPECT_EQ(s.Write("late"), -1);
  EXPECT_EQ(s.error(), Error::kOperation);
}

struct IoErrnoCase {
  int err;
  Error error;
};

class RecvErrnoTest : public LocalSocketMockTest,
                      public ::testing::WithParamInterface<IoErrnoCase> {};

TEST_P(RecvErrnoTest, RecvFailureEndsTheConnection) {
  const IoErrnoCase c = GetParam();
  LocalSocket& s = ConnectedSocket();
  EXPECT_CALL(os_, RecvMsg(kFd, _, _)).WillOnce(Return(SysResult{-1, c.err}));
  loop_.SetFdReady(kFd, eventloop::kReadable);
  loop_.RunUntilIdle();
  loop_.ClearFdReady(kFd, eventloop::kReadable);
  EXPECT_THAT(events_, ElementsAre("error:" + Str(c.error), "state:kClosing", "state:kUnconnected",
                                   "read_channel_finished", "disconnected"));
  EXPECT_EQ(s.error(), c.error);
  EXPECT_FALSE(ledger_.IsOpen(kFd));
}

INSTANTIATE_TEST_SUITE_P(Errnos, RecvErrnoTest,
                         ::testing::Values(IoErrnoCase{ECONNRESET, Error::kPeerClosed},
                                           IoErrnoCase{EPIPE, Error::kPeerClosed},
                                           IoErrnoCase{ETIMEDOUT, Error::kSocketTimeout},
                                           IoErrnoCase{ENOBUFS, Error::kSocketResource},
                                           IoErrnoCase{ENOMEM, Error::kSocketResource},
                                           IoErrnoCase{ETOOMANYREFS, Error::kSocketResource},
                                           IoErrnoCase{EMSGSIZE, Error::kDatagramTooLarge},
                                           IoErrnoCase{EIO, Error::kConnection}));

class SendErrnoTest : public LocalSocketMockTest,
                      public ::testing::WithParamInterface<IoErrnoCase> {};

TEST_P(SendErrnoTest, SendFailureEndsTheConnectionAndDropsTheBuffer) {
  const IoErrnoCase c = GetParam();
  LocalSocket& s = ConnectedSocket();
  s.Write("data");
  EXPECT_CALL(os_, SendMsg(kFd, _, _)).WillOnce(Return(SysResult{-1, c.err}));
  // Only a peer that is gone makes the socket read what it sent before the failure.
  if (c.error == Error::kPeerClosed) ExpectEmptyReceiveQueue();
  loop_.RunUntilIdle();
  EXPECT_THAT(events_, ElementsAre("error:" + Str(c.error), "state:kClosing", "state:kUnconnected",
                                   "read_channel_finished", "disconnected"));
  EXPECT_EQ(s.BytesToWrite(), 0);
  EXPECT_FALSE(ledger_.IsOpen(kFd));
}

INSTANTIATE_TEST_SUITE_P(Errnos, SendErrnoTest,
                         ::testing::Values(IoErrnoCase{EPIPE, Error::kPeerClosed},
                                           IoErrnoCase{ECONNRESET, Error::kPeerClosed},
                                           IoErrnoCase{ENOBUFS, Error::kSocketResource},
                                           IoErrnoCase{ETOOMANYREFS, Error::kSocketResource},
                                           IoErrnoCase{EMSGSIZE, Error::kDatagramTooLarge},
                                           IoErrnoCase{EIO, Error::kConnection}));

TEST_F(LocalSocketMockTest, SendEpipeErrorStringNamesTheCause) {
  LocalSocket& s = ConnectedSocket();
  s.Write("data");
  EXPECT_CALL(os_, SendMsg(kFd, _, _)).WillOnce(Return(SysResult{-1, EPIPE}));
  ExpectEmptyReceiveQueue();
  loop_.RunUntilIdle();
  EXPECT_EQ(s.error_string(), "LocalSocket::Write: remote closed: Broken pipe");
}

TEST_F(LocalSocketMockTest, BytesSentBeforeAFailureAreReportedFirst) {
  LocalSocket& s = ConnectedSocket();
  std::string sent;
  s.Write("abcdef");
  EXPECT_CALL(os_, SendMsg(kFd, _, _)).WillOnce(CollectSent(&sent, 2));
  loop_.RunUntilIdle();
  EXPECT_CALL(os_, SendMsg(kFd, _, _)).WillOnce(Return(SysResult{-1, ECONNRESET}));
  ExpectEmptyReceiveQueue();
  loop_.SetFdReady(kFd, eventloop::kWritable);
  loop_.RunUntilIdle();
  loop_.ClearFdReady(kFd, eventloop::kWritable);
  EXPECT_THAT(events_, ElementsAre("bytes_written:2", "error:kPeerClosed", "state:kClosing",
                                   "state:kUnconnected", "read_channel_finished", "disconnected"));
}

TEST_F(LocalSocketMockTest, DisconnectWithNothingPendingIsSynchronous) {
  LocalSocket& s = ConnectedSocket();
  s.DisconnectFromServer();
  EXPECT_THAT(events_, ElementsAre("state:kClosing", "state:kUnconnected", "read_channel_finished",
                                   "disconnected"));
  EXPECT_FALSE(ledger_.IsOpen(kFd));
  EXPECT_TRUE(s.IsOpen());  // Only Close/Abort close the device.
  EXPECT_FALSE(s.IsValid());
  EXPECT_EQ(s.server_name(), "");
  EXPECT_EQ(s.full_server_name(), "");
  EXPECT_EQ(s.error(), Error::kNone);
  events_.clear();
  s.DisconnectFromServer();  // Unconnected: a no-op.
  s.Close();                 // Open but unconnected: about_to_close only.
  EXPECT_THAT(events_, ElementsAre("about_to_close"));
  EXPECT_FALSE(s.IsOpen());
}

TEST_F(LocalSocketMockTest, DisconnectWithPendingWritesFlushesInClosing) {
  LocalSocket& s = ConnectedSocket();
  std::string sent;
  s.Write("bye");
  s.DisconnectFromServer();
  EXPECT_THAT(events_, ElementsAre("state:kClosing"));
  EXPECT_TRUE(s.IsValid());
  s.DisconnectFromServer();    // kDisconnectRequested in kClosing: nothing.
  EXPECT_EQ(s.Write("!"), 1);  // Writes are still accepted while closing, as Qt.
  EXPECT_CALL(os_, SendMsg(kFd, _, _)).WillOnce(CollectSent(&sent));
  loop_.RunUntilIdle();
  EXPECT_EQ(sent, "bye!");
  EXPECT_THAT(events_, ElementsAre("state:kClosing", "bytes_written:4", "state:kUnconnected",
                                   "read_channel_finished", "disconnected"));
}

TEST_F(LocalSocketMockTest, CloseEmitsAboutToCloseFirstAndStillDeliversWrites) {
  LocalSocket& s = ConnectedSocket();
  std::string sent;
  EXPECT_CALL(os_, RecvMsg(kFd, _, _)).WillOnce(DeliverOnce("unread"));
  loop_.SetFdReady(kFd, eventloop::kReadable);
  loop_.RunUntilIdle();
  events_.clear();
  s.Write("flushed");
  bool open_at_about_to_close = false;
  s.about_to_close.Connect([&] { open_at_about_to_close = s.IsOpen(); });
  s.Close();
  EXPECT_THAT(events_, ElementsAre("about_to_close", "state:kClosing"));
  EXPECT_TRUE(open_at_about_to_close);
  EXPECT_FALSE(s.IsOpen());
  EXPECT_EQ(s.BytesAvailable(), 0);  // Unread data is dropped with the device.
  EXPECT_EQ(s.Write("more"), -1);    // The device is closed.
  EXPECT_CALL(os_, SendMsg(kFd, _, _)).WillOnce(CollectSent(&sent));
  loop_.RunUntilIdle();
  EXPECT_EQ(sent, "flushed");
  EXPECT_THAT(events_, ElementsAre("about_to_close", "state:kClosing", "bytes_written:7",
                                   "state:kUnconnected", "read_channel_finished", "disconnected"));
}

TEST_F(LocalSocketMockTest, AbortDropsTheWriteBufferAndClosesTheDeviceLast) {
  LocalSocket& s = ConnectedSocket();
  s.Write("never sent");
  bool fd_open_at_unconnected = true;
  s.state_changed.Connect([&](State) { fd_open_at_unconnected = ledger_.IsOpen(kFd); });
  s.Abort();
  EXPECT_THAT(events_, ElementsAre("state:kUnconnected", "read_channel_finished", "disconnected",
                                   "about_to_close"));
  EXPECT_FALSE(fd_open_at_unconnected);
  EXPECT_FALSE(s.IsOpen());
  EXPECT_EQ(s.BytesToWrite(), 0);
  loop_.RunUntilIdle();  // No SendMsg: the strict mock would fail.
}

TEST_F(LocalSocketMockTest, ConnectRequestedWhileConnectedIsRefused) {
  LocalSocket& s = ConnectedSocket();
  s.ConnectToServer("/elsewhere");
  EXPECT_THAT(events_, ElementsAre("error:kOperation"));
  EXPECT_EQ(s.state(), State::kConnected);
  EXPECT_EQ(s.server_name(), "/srv");
}

TEST_F(LocalSocketMockTest, ShutdownWriteFlushesThenHalfClosesAndKeepsReading) {
  LocalSocket& s = ConnectedSocket();
  std::string sent;
  s.Write("request");
  s.ShutdownWrite();
  EXPECT_EQ(s.Write("more"), -1);
  EXPECT_EQ(s.error(), Error::kOperation);
  {
    ::testing::InSequence order;
    EXPECT_CALL(os_, SendMsg(kFd, _, _)).WillOnce(CollectSent(&sent));
    EXPECT_CALL(os_, Shutdown(kFd, SHUT_WR)).WillOnce(Return(SysResult{0, 0}));
  }
  loop_.RunUntilIdle();
  EXPECT_EQ(sent, "request");
  EXPECT_EQ(s.state(), State::kConnected);
  EXPECT_CALL(os_, RecvMsg(kFd, _, _)).WillOnce(DeliverOnce("reply"));
  loop_.SetFdReady(kFd, eventloop::kReadable);
  loop_.RunUntilIdle();
  EXPECT_EQ(s.ReadAll(), "reply");
}

// The kClosing row (pending writes blocked by the kernel).
class ClosingTest : public LocalSocketMockTest {
 protected:
  LocalSocket& ClosingSocket() {
    LocalSocket& s = ConnectedSocket();
    s.Write("pending");
    EXPECT_CALL(os_, SendMsg(kFd, _, _)).WillOnce(Return(SysResult{-1, EAGAIN}));
    s.DisconnectFromServer();
    loop_.RunUntilIdle();
    EXPECT_EQ(s.state(), State::kClosing);
    EXPECT_EQ(loop_.WatchedEvents(kFd), eventloop::kReadable | eventloop::kWritable);
    events_.clear();
    return s;
  }
};

// A half-close (peer EOF) in kClosing: the pending writes are still delivered, and the
// connection ends without a second kClosing once they are out.
TEST_F(ClosingTest, PeerEofKeepsDeliveringThePendingWrites) {
  LocalSocket& s = ClosingSocket();
  EXPECT_CALL(os_, RecvMsg(kFd, _, _)).WillOnce(DeliverEof());
  loop_.SetFdReady(kFd, eventloop::kReadable);
  loop_.RunUntilIdle();
  EXPECT_THAT(events_, ElementsAre("error:kPeerClosed"));
  EXPECT_EQ(s.state(), State::kClosing);
  EXPECT_EQ(s.BytesToWrite(), 7);
  EXPECT_EQ(loop_.WatchedEvents(kFd), eventloop::kWritable);  // Reading stopped.
  loop_.RunUntilIdle();  // Still readable, but nobody reads any more.
  std::string sent;
  EXPECT_CALL(os_, SendMsg(kFd, _, _)).WillOnce(CollectSent(&sent));
  loop_.SetFdReady(kFd, eventloop::kWritable);
  loop_.RunUntilIdle();
  loop_.ClearFdReady(kFd, eventloop::kReadable | eventloop::kWritable);
  EXPECT_EQ(sent, "pending");
  EXPECT_THAT(events_, ElementsAre("error:kPeerClosed", "bytes_written:7", "state:kUnconnected",
                                   "read_channel_finished", "disconnected"));
  EXPECT_FALSE(ledger_.IsOpen(kFd));
}

TEST_F(ClosingTest, PeerEofThenAFullCloseDropsTheRestWithoutASecondError) {
  LocalSocket& s = ClosingSocket();
  EXPECT_CALL(os_, RecvMsg(kFd, _, _)).WillOnce(DeliverEof());
  loop_.SetFdReady(kFd, eventloop::kReadable);
  loop_.RunUntilIdle();
  loop_.ClearFdReady(kFd, eventloop::kReadable);
  EXPECT_CALL(os_, SendMsg(kFd, _, _)).WillOnce(Return(SysResult{-1, EPIPE}));
  loop_.SetFdReady(kFd, eventloop::kWritable);
  loop_.RunUntilIdle();
  loop_.ClearFdReady(kFd, eventloop::kWritable);
  EXPECT_THAT(events_, ElementsAre("error:kPeerClosed", "state:kUnconnected",
                                   "read_channel_finished", "disconnected"));
  EXPECT_EQ(s.BytesToWrite(), 0);
  EXPECT_EQ(s.error_string(), "LocalSocket::Read: remote closed");
}

TEST_F(ClosingTest, SendFailureEnds) {
  LocalSocket& s = ClosingSocket();
  EXPECT_CALL(os_, SendMsg(kFd, _, _)).WillOnce(Return(SysResult{-1, EPIPE}));
  ExpectEmptyReceiveQueue();
  loop_.SetFdReady(kFd, eventloop::kWritable);
  loop_.RunUntilIdle();
  loop_.ClearFdReady(kFd, eventloop::kWritable);
  EXPECT_THAT(events_, ElementsAre("error:kPeerClosed", "state:kUnconnected",
                                   "read_channel_finished", "disconnected"));
  EXPECT_EQ(s.state(), State::kUnconnected);
}

TEST_F(ClosingTest, ReadableDataIsStillBuffered) {
  LocalSocket& s = ClosingSocket();
  EXPECT_CALL(os_, RecvMsg(kFd, _, _)).WillOnce(DeliverOnce("late reply"));
  loop_.SetFdReady(kFd, eventloop::kReadable);
  loop_.RunUntilIdle();
  EXPECT_THAT(events_, ElementsAre("ready_read"));
  EXPECT_EQ(s.ReadAll(), "late reply");
  s.Abort();
}

TEST_F(ClosingTest, AbortEndsAtOnce) {
  LocalSocket& s = ClosingSocket();
  s.Abort();
  EXPECT_THAT(events_, ElementsAre("state:kUnconnected", "read_channel_finished", "disconnected",
                                   "about_to_close"));
  EXPECT_FALSE(ledger_.IsOpen(kFd));
}

TEST_F(ClosingTest, ConnectRequestedIsRefusedAndNothingIsDropped) {
  LocalSocket& s = ClosingSocket();
  s.ConnectToServer("/srv");
  EXPECT_THAT(events_, ElementsAre("error:kOperation"));
  EXPECT_EQ(s.BytesToWrite(), 7);  // ConnectToServer in kClosing drops nothing.
  EXPECT_EQ(s.state(), State::kClosing);
  std::string sent;
  EXPECT_CALL(os_, SendMsg(kFd, _, _)).WillOnce(CollectSent(&sent));
  loop_.SetFdReady(kFd, eventloop::kWritable);
  loop_.RunUntilIdle();
  loop_.ClearFdReady(kFd, eventloop::kWritable);
  EXPECT_EQ(sent, "pending");
  EXPECT_THAT(events_, ElementsAre("error:kOperation", "bytes_written:7", "state:kUnconnected",
                                   "read_channel_finished", "disconnected"));
}

TEST_F(ClosingTest, CloseClosesTheDeviceButKeepsFlushing) {
  LocalSocket& s = ClosingSocket();
  s.Close();
  EXPECT_THAT(events_, ElementsAre("about_to_close"));
  EXPECT_FALSE(s.IsOpen());
  EXPECT_EQ(s.state(), State::kClosing);
  s.Abort();
}

TEST_F(LocalSocketMockTest, ReconnectStartsClean) {
  LocalSocket& s = ConnectedSocket();
  EXPECT_CALL(os_, RecvMsg(kFd, _, _)).WillOnce(DeliverMessage("old")).WillOnce(DeliverEof());
  loop_.SetFdReady(kFd, eventloop::kReadable);
  loop_.RunUntilIdle();
  loop_.RunUntilIdle();
  loop_.ClearFdReady(kFd, eventloop::kReadable);
  ASSERT_EQ(s.state(), State::kUnconnected);
  EXPECT_EQ(s.BytesAvailable(), 3);
  EXPECT_CALL(os_, Socket(_, _, _)).WillOnce(ledger_.Open());
  EXPECT_CALL(os_, Connect(kFd + 1, _, _)).WillOnce(Return(SysResult{0, 0}));
  s.ConnectToServer("/srv");
  EXPECT_EQ(s.state(), State::kConnected);
  EXPECT_EQ(s.BytesAvailable(), 0);  // A new connection starts clean.
  EXPECT_EQ(s.error(), Error::kNone);
}

TEST_F(LocalSocketMockTest, WriteOnlySocketDiscardsIncomingDataButSeesTheClose) {
  LocalSocket& s = NewSocket();
  ExpectSocketAndConnect(SysResult{0, 0});
  s.ConnectToServer("/srv", LocalSocket::kWriteOnly);
  events_.clear();
  EXPECT_CALL(os_, RecvMsg(kFd, _, _)).WillOnce(DeliverMessage("ignored")).WillOnce(DeliverEof());
  loop_.SetFdReady(kFd, eventloop::kReadable);
  loop_.RunUntilIdle();
  EXPECT_THAT(events_, IsEmpty());  // No ready_read.
  EXPECT_EQ(s.BytesAvailable(), 0);
  EXPECT_EQ(s.ReadAll(), "");
  EXPECT_EQ(s.error(), Error::kOperation);
  EXPECT_EQ(s.error_string(), "LocalSocket::ReadAll: socket is write-only");
  loop_.RunUntilIdle();
  loop_.ClearFdReady(kFd, eventloop::kReadable);
  EXPECT_THAT(events_, ElementsAre("error:kPeerClosed", "state:kClosing", "state:kUnconnected",
                                   "read_channel_finished", "disconnected"));
}

TEST_F(LocalSocketMockTest, DestructionAbortsSilentlyAndDropsUnflushedWrites) {
  LocalSocket& s = ConnectedSocket();
  s.Write("lost");
  socket_.reset();
  loop_.RunUntilIdle();  // The flush task died with the socket: no SendMsg.
  EXPECT_THAT(events_, IsEmpty());
  EXPECT_FALSE(ledger_.IsOpen(kFd));
}

}  // namespace
}  // namespace test
}  // namespace ipc

namespace ipc {
namespace test {
namespace {

TEST_F(LocalSocketMockTest, ClosingTheDeviceInsideReadChannelFinishedStillLetsDisconnectedCome) {
  LocalSocket& s = ConnectedSocket();
  s.read_channel_finished.Connect([&] { s.Abort(); });
  s.DisconnectFromServer();
  EXPECT_THAT(events_, ElementsAre("state:kClosing", "state:kUnconnected", "read_channel_finished",
                                   "about_to_close", "disconnected"));
  EXPECT_FALSE(s.IsOpen());
}

TEST_F(LocalSocketMockTest, AbortInsideErrorOccurredGivesExactlyOneDisconnected) {
  LocalSocket& s = ConnectedSocket();
  s.error_occurred.Connect([&](Error) { s.Abort(); });
  EXPECT_CALL(os_, RecvMsg(kFd, _, _)).WillOnce(DeliverEof());
  loop_.SetFdReady(kFd, eventloop::kReadable);
  loop_.RunUntilIdle();
  loop_.ClearFdReady(kFd, eventloop::kReadable);
  EXPECT_THAT(events_, ElementsAre("error:kPeerClosed", "state:kUnconnected",
                                   "read_channel_finished", "disconnected", "about_to_close"));
}

// A socket that outlives its loop becomes inert: its methods do nothing (no syscall: the
// strict mock would fail), and its destructor still closes the fd.
TEST(LocalSocketInertTest, MethodsDoNothingOnceTheLoopIsGone) {
  ::testing::StrictMock<MockOsCalls> os;
  FdLedger ledger;
  EXPECT_CALL(os, Close(_)).WillRepeatedly(ledger.Close());
  EXPECT_CALL(os, Socket(_, _, _)).WillOnce(ledger.Open());
  EXPECT_CALL(os, Connect(kFd, _, _)).WillOnce(Return(SysResult{0, 0}));
  auto loop = std::make_unique<eventloop::FakeEventLoop>();
  auto socket = std::make_unique<LocalSocket>(*loop, os);
  socket->ConnectToServer("/srv");
  ASSERT_EQ(socket->state(), State::kConnected);
  socket->Write("pending");
  int signals = 0;
  socket->state_changed.Connect([&](State) { ++signals; });
  socket->disconnected.Connect([&] { ++signals; });
  loop.reset();
  EXPECT_EQ(socket->Write("x"), -1);
  EXPECT_FALSE(socket->Flush());
  EXPECT_FALSE(socket->WaitForReadyRead(-1));
  EXPECT_FALSE(socket->WaitForBytesWritten(-1));
  EXPECT_FALSE(socket->WaitForDisconnected(-1));
  EXPECT_FALSE(socket->WaitForConnected(-1));
  socket->ConnectToServer("/other");
  socket->DisconnectFromServer();
  socket->ShutdownWrite();
  socket->Close();
  socket->Abort();
  EXPECT_FALSE(socket->SetSocketDescriptor(3));
  socket->SetReadBufferSize(1);
  EXPECT_EQ(socket->ReadAll(), "");
  EXPECT_EQ(signals, 0);
  EXPECT_EQ(socket->state(), State::kConnected);
  socket.reset();
  EXPECT_FALSE(ledger.IsOpen(kFd));
  EXPECT_THAT(ledger.bad_closes(), IsEmpty());
}

}  // namespace
}  // namespace test
}  // namespace ipc

namespace ipc {
namespace test {
namespace {

TEST_F(LocalSocketMockTest, FlushInsideBytesWrittenKeepsBytesWrittenBeforeTheDisconnect) {
  LocalSocket& s = ConnectedSocket();
  std::string sent;
  bool once = false;
  s.bytes_written.Connect([&](int64_t) {
    if (once) return;
    once = true;
    s.Write("b");
    s.Flush();
  });
  EXPECT_CALL(os_, SendMsg(kFd, _, _)).Times(2).WillRepeatedly(CollectSent(&sent));
  s.Write("a");
  s.DisconnectFromServer();
  loop_.RunUntilIdle();
  EXPECT_EQ(sent, "ab");
  EXPECT_THAT(events_, ElementsAre("state:kClosing", "bytes_written:1", "bytes_written:1",
                                   "state:kUnconnected", "read_channel_finished", "disconnected"));
}

TEST_F(LocalSocketMockTest, AbortOrCloseInsideAboutToCloseDoNotRecurse) {
  LocalSocket& s = ConnectedSocket();
  int about_to_close = 0;
  s.about_to_close.Connect([&] {
    ++about_to_close;
    s.Abort();
    s.Close();
  });
  s.Abort();
  EXPECT_EQ(about_to_close, 1);
  EXPECT_THAT(events_, ElementsAre("state:kUnconnected", "read_channel_finished", "disconnected",
                                   "about_to_close"));
  EXPECT_FALSE(s.IsOpen());
}

TEST_F(LocalSocketMockTest, CloseOnANeverOpenedSocketClearsTheNameAsQt) {
  LocalSocket& s = NewSocket();
  s.SetServerName("foo");
  s.Close();
  EXPECT_EQ(s.server_name(), "");
  s.SetServerName("bar");
  s.Abort();
  EXPECT_EQ(s.server_name(), "");
  EXPECT_THAT(events_, IsEmpty());
}

}  // namespace
}  // namespace test
}  // namespace ipc
