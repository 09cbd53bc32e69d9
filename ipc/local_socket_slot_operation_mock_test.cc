// What Flush(), WaitForBytesWritten() and WaitForDisconnected() return when the bytes_written
// slot of their own flush starts a new operation (Abort, Close, DisconnectFromServer,
// ShutdownWrite) without destroying the socket: bytes went out, so the flush counts, and the
// socket goes on as the slot left it. On StrictMock<MockOsCalls> and a FakeEventLoop.
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <string>
#include <utility>

#include "testing/local_socket_mock_fixture.h"

namespace ipc {
namespace test {
namespace {

using ::testing::_;
using ::testing::ElementsAre;
using ::testing::InSequence;
using ::testing::Return;

class SlotOperationTest : public LocalSocketMockTest {
 protected:
  // A connected socket with "abcdef" buffered, whose first bytes_written runs `operation`.
  template <typename Operation>
  LocalSocket& SocketWhoseBytesWrittenSlot(Operation operation) {
    LocalSocket& s = ConnectedSocket();
    s.bytes_written.Connect([&s, operation, first = true](int64_t) mutable {
      if (std::exchange(first, false)) operation(s);
    });
    EXPECT_EQ(s.Write("abcdef"), 6);
    return s;
  }

  // The next send takes 3 bytes ("abc") and the kernel is full after them.
  void ExpectShortSend() {
    EXPECT_CALL(os_, SendMsg(kFd, _, _)).WillOnce(CollectSent(&sent_, 3)).RetiresOnSaturation();
  }

  // The loop flushes what is left once the kernel takes it.
  void FlushTheRestOnTheLoop() {
    EXPECT_CALL(os_, SendMsg(kFd, _, _)).WillOnce(CollectSent(&sent_));
    loop_.SetFdReady(kFd, eventloop::kWritable);
    loop_.RunUntilIdle();
  }

  std::string sent_;
};

TEST_F(SlotOperationTest, FlushIsTrueWhenItsSlotAborts) {
  LocalSocket& s = SocketWhoseBytesWrittenSlot([](LocalSocket& socket) { socket.Abort(); });
  ExpectShortSend();
  EXPECT_TRUE(s.Flush());
  EXPECT_EQ(sent_, "abc");
  EXPECT_EQ(s.state(), State::kUnconnected);
  EXPECT_EQ(s.BytesToWrite(), 0);  // Abort drops the rest.
  EXPECT_THAT(events_, ElementsAre("bytes_written:3", "state:kUnconnected", "read_channel_finished",
                                   "disconnected", "about_to_close"));
}

TEST_F(SlotOperationTest, FlushIsTrueWhenItsSlotDisconnectsAndTheRestIsStillSent) {
  LocalSocket& s =
      SocketWhoseBytesWrittenSlot([](LocalSocket& socket) { socket.DisconnectFromServer(); });
  ExpectShortSend();
  EXPECT_TRUE(s.Flush());
  EXPECT_EQ(s.state(), State::kClosing);
  EXPECT_EQ(s.BytesToWrite(), 3);
  FlushTheRestOnTheLoop();
  EXPECT_EQ(sent_, "abcdef");
  EXPECT_EQ(s.state(), State::kUnconnected);
  EXPECT_THAT(events_, ElementsAre("bytes_written:3", "state:kClosing", "bytes_written:3",
                                   "state:kUnconnected", "read_channel_finished", "disconnected"));
}

TEST_F(SlotOperationTest, WaitForBytesWrittenIsTrueWhenItsSlotCloses) {
  LocalSocket& s = SocketWhoseBytesWrittenSlot([](LocalSocket& socket) { socket.Close(); });
  EXPECT_CALL(os_, Poll(_, 1, 100)).WillOnce(PollReady(kFd, POLLOUT));
  ExpectShortSend();
  EXPECT_TRUE(s.WaitForBytesWritten(100));
  EXPECT_EQ(s.state(), State::kClosing);
  EXPECT_FALSE(s.IsOpen());  // Close() closed the device; the rest is still delivered.
  EXPECT_EQ(s.BytesToWrite(), 3);
  FlushTheRestOnTheLoop();
  EXPECT_EQ(sent_, "abcdef");
  EXPECT_THAT(events_,
              ElementsAre("bytes_written:3", "about_to_close", "state:kClosing", "bytes_written:3",
                          "state:kUnconnected", "read_channel_finished", "disconnected"));
}

TEST_F(SlotOperationTest, WaitForBytesWrittenIsTrueWhenItsSlotAborts) {
  LocalSocket& s = SocketWhoseBytesWrittenSlot([](LocalSocket& socket) { socket.Abort(); });
  EXPECT_CALL(os_, Poll(_, 1, 100)).WillOnce(PollReady(kFd, POLLOUT));
  ExpectShortSend();
  EXPECT_TRUE(s.WaitForBytesWritten(100));
  EXPECT_EQ(s.state(), State::kUnconnected);
  EXPECT_EQ(sent_, "abc");
}

TEST_F(SlotOperationTest, WaitForDisconnectedIsTrueWhenABytesWrittenSlotAborts) {
  LocalSocket& s = SocketWhoseBytesWrittenSlot([](LocalSocket& socket) { socket.Abort(); });
  EXPECT_CALL(os_, Poll(_, 1, 100)).WillOnce(PollReady(kFd, POLLOUT));
  ExpectShortSend();
  EXPECT_TRUE(s.WaitForDisconnected(100));
  EXPECT_EQ(s.state(), State::kUnconnected);
  EXPECT_EQ(sent_, "abc");
  EXPECT_THAT(events_, ElementsAre("bytes_written:3", "state:kUnconnected", "read_channel_finished",
                                   "disconnected", "about_to_close"));
}

TEST_F(SlotOperationTest, WaitForDisconnectedFollowsADisconnectStartedInItsSlotToTheEnd) {
  LocalSocket& s =
      SocketWhoseBytesWrittenSlot([](LocalSocket& socket) { socket.DisconnectFromServer(); });
  {
    InSequence order;
    EXPECT_CALL(os_, Poll(_, 1, 100)).WillOnce(PollReady(kFd, POLLOUT));
    EXPECT_CALL(os_, SendMsg(kFd, _, _)).WillOnce(CollectSent(&sent_, 3));
    EXPECT_CALL(os_, Poll(_, 1, 100)).WillOnce(PollReady(kFd, POLLOUT));
    EXPECT_CALL(os_, SendMsg(kFd, _, _)).WillOnce(CollectSent(&sent_));
  }
  EXPECT_TRUE(s.WaitForDisconnected(100));
  EXPECT_EQ(sent_, "abcdef");
  EXPECT_EQ(s.state(), State::kUnconnected);
  EXPECT_THAT(events_, ElementsAre("bytes_written:3", "state:kClosing", "bytes_written:3",
                                   "state:kUnconnected", "read_channel_finished", "disconnected"));
}

TEST_F(SlotOperationTest, ShutdownWriteInEveryBytesWrittenSlotShutsDownOnceAfterTheLastByte) {
  LocalSocket& s = ConnectedSocket();
  int calls = 0;
  s.bytes_written.Connect([&](int64_t) {
    ++calls;
    s.ShutdownWrite();
  });
  EXPECT_EQ(s.Write("abcdef"), 6);
  {
    InSequence order;
    EXPECT_CALL(os_, SendMsg(kFd, _, _)).WillOnce(CollectSent(&sent_, 3));
    EXPECT_CALL(os_, SendMsg(kFd, _, _)).WillOnce(CollectSent(&sent_));
    EXPECT_CALL(os_, Shutdown(kFd, SHUT_WR)).WillOnce(Return(SysResult{0, 0}));
  }
  EXPECT_TRUE(s.Flush());
  EXPECT_EQ(s.Write("late"), -1);  // Shut for writing since the first slot.
  loop_.SetFdReady(kFd, eventloop::kWritable);
  loop_.RunUntilIdle();
  EXPECT_EQ(sent_, "abcdef");
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(s.state(), State::kConnected);  // Still reading.
  s.ShutdownWrite();                        // Once more: no second shutdown(2).
  loop_.RunUntilIdle();
}

}  // namespace
}  // namespace test
}  // namespace ipc
