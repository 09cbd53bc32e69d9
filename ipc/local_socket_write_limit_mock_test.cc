// The write-buffer limit: Write takes only what fits, write_buffer_available announces room
// again once (at half the limit, after that flush's bytes_written, also in kClosing), never
// after Abort() or a failure, and every accepted byte is delivered while no refused one is.
// On StrictMock<MockOsCalls> and a FakeEventLoop.
#include <cerrno>
#include <memory>
#include <string>
#include <utility>

#include "testing/local_socket_mock_fixture.h"

namespace ipc {
namespace test {
namespace {

using ::testing::_;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Return;

class WriteLimitTest : public LocalSocketMockTest {
 protected:
  // A connected socket with a write limit whose write_buffer_available is recorded too.
  LocalSocket& LimitedSocket(int64_t limit) {
    LocalSocket& s = ConnectedSocket();
    s.SetWriteBufferLimit(limit);
    s.write_buffer_available.Connect([this] { events_.push_back("write_buffer_available"); });
    return s;
  }

  // The loop flushes once with the kernel taking at most `max` bytes (then full): the flush
  // scheduled by a Write, or, while the socket waits for writability, the fd's readiness.
  void FlushTaking(size_t max, int fd = kFd) {
    EXPECT_CALL(os_, SendMsg(fd, _, _))
        .WillOnce(::testing::DoAll(::testing::InvokeWithoutArgs([this, fd] {
                                     loop_.ClearFdReady(fd, eventloop::kWritable);
                                   }),
                                   CollectSent(&sent_, max)))
        .RetiresOnSaturation();
    if (loop_.WatchedEvents(fd) & eventloop::kWritable) loop_.SetFdReady(fd, eventloop::kWritable);
    loop_.RunUntilIdle();
  }

  std::string sent_;
};

TEST_F(WriteLimitTest, UnlimitedByDefaultAndANegativeLimitIsIgnored) {
  LocalSocket& s = ConnectedSocket();
  EXPECT_EQ(s.write_buffer_limit(), 0);
  s.SetWriteBufferLimit(10);
  s.SetWriteBufferLimit(-1);
  EXPECT_EQ(s.write_buffer_limit(), 10);
  s.SetWriteBufferLimit(0);
  EXPECT_EQ(s.Write(std::string(100000, 'x')), 100000);
  s.Abort();
}

TEST_F(WriteLimitTest, WriteTakesWhatFitsAndRoomIsAnnouncedOnceAtHalfTheLimit) {
  LocalSocket& s = LimitedSocket(8);
  EXPECT_EQ(s.Write("abcdef"), 6);
  EXPECT_EQ(s.Write("ghijkl"), 2);  // Cut short: only "gh" fits.
  EXPECT_EQ(s.Write("x"), 0);       // Full: nothing fits, not an error.
  EXPECT_EQ(s.error(), Error::kNone);
  EXPECT_EQ(s.BytesToWrite(), 8);
  FlushTaking(3);  // 5 left: more than half the limit.
  FlushTaking(1);  // 4 left: half the limit.
  EXPECT_THAT(events_, ElementsAre("bytes_written:3", "bytes_written:1", "write_buffer_available"));
  EXPECT_EQ(s.Write("ijklm"), 4);  // Room for 4: cut short again.
  FlushTaking(100);
  EXPECT_EQ(sent_, "abcdefghijkl");  // Every accepted byte, no refused one.
  EXPECT_THAT(events_, ElementsAre("bytes_written:3", "bytes_written:1", "write_buffer_available",
                                   "bytes_written:8", "write_buffer_available"));
}

TEST_F(WriteLimitTest, WritesThatFitOweNoNotice) {
  LocalSocket& s = LimitedSocket(8);
  EXPECT_EQ(s.Write("abcdefgh"), 8);  // Exactly the limit: nothing cut.
  FlushTaking(100);
  EXPECT_THAT(events_, ElementsAre("bytes_written:8"));
}

TEST_F(WriteLimitTest, TheNoticeComesInClosingBeforeTheDisconnect) {
  LocalSocket& s = LimitedSocket(4);
  EXPECT_EQ(s.Write("abcdef"), 4);
  EXPECT_CALL(os_, SendMsg(kFd, _, _)).WillOnce(CollectSent(&sent_));
  s.DisconnectFromServer();
  loop_.RunUntilIdle();
  EXPECT_EQ(sent_, "abcd");
  EXPECT_THAT(events_, ElementsAre("state:kClosing", "bytes_written:4", "write_buffer_available",
                                   "state:kUnconnected", "read_channel_finished", "disconnected"));
}

TEST_F(WriteLimitTest, AbortOwesNoNoticeAndANewConnectionStartsClean) {
  LocalSocket& s = LimitedSocket(4);
  EXPECT_EQ(s.Write("abcdef"), 4);
  s.Abort();
  EXPECT_THAT(events_, ElementsAre("state:kUnconnected", "read_channel_finished", "disconnected",
                                   "about_to_close"));
  events_.clear();
  EXPECT_CALL(os_, Socket(_, _, _)).WillOnce(ledger_.Open());  // fd 101
  EXPECT_CALL(os_, Connect(101, _, _)).WillOnce(Return(SysResult{0, 0}));
  s.ConnectToServer("/srv");
  EXPECT_EQ(s.write_buffer_limit(), 4);  // A setting, kept across connections.
  EXPECT_EQ(s.Write("ab"), 2);
  FlushTaking(100, 101);
  EXPECT_EQ(sent_, "ab");
  EXPECT_THAT(events_,
              ElementsAre("state:kConnecting", "state:kConnected", "connected", "bytes_written:2"));
}

TEST_F(WriteLimitTest, AFailureOwesNoNotice) {
  LocalSocket& s = LimitedSocket(4);
  EXPECT_EQ(s.Write("abcdef"), 4);
  FlushTaking(1);  // 3 left: more than half the limit.
  EXPECT_CALL(os_, SendMsg(kFd, _, _)).WillOnce(Return(SysResult{-1, ECONNRESET}));
  ExpectEmptyReceiveQueue();
  loop_.SetFdReady(kFd, eventloop::kWritable);
  loop_.RunUntilIdle();
  EXPECT_EQ(s.BytesToWrite(), 0);  // Dropped by the failure: no notice for that.
  EXPECT_THAT(events_, ElementsAre("bytes_written:1", "error:kPeerClosed", "state:kClosing",
                                   "state:kUnconnected", "read_channel_finished", "disconnected"));
}

TEST_F(WriteLimitTest, InsideBytesWrittenTheNoticeFollowsTheOutermostReport) {
  LocalSocket& s = LimitedSocket(4);
  EXPECT_EQ(s.Write("abcdef"), 4);
  bool flushed_inside = false;
  s.bytes_written.Connect([&](int64_t) {
    if (std::exchange(flushed_inside, true)) return;
    s.Flush();  // Sends the rest inside the slot: reported after it, then the notice.
  });
  EXPECT_CALL(os_, SendMsg(kFd, _, _))
      .WillOnce(CollectSent(&sent_, 1))
      .WillOnce(CollectSent(&sent_));
  EXPECT_TRUE(s.Flush());
  EXPECT_EQ(sent_, "abcd");
  EXPECT_THAT(events_, ElementsAre("bytes_written:1", "bytes_written:3", "write_buffer_available"));
}

TEST_F(WriteLimitTest, TheNoticeSlotMayWriteMoreOrDestroyTheSocket) {
  LocalSocket& s = LimitedSocket(4);
  s.write_buffer_available.Connect([&] {
    if (sent_.size() < 8) {
      EXPECT_EQ(s.Write("efghij"), 4);  // Cut short once more.
    } else {
      socket_.reset();
    }
  });
  EXPECT_EQ(s.Write("abcdef"), 4);
  EXPECT_CALL(os_, SendMsg(kFd, _, _)).Times(2).WillRepeatedly(CollectSent(&sent_));
  loop_.RunUntilIdle();  // Both flushes: the second was scheduled by the first notice's Write.
  EXPECT_EQ(sent_, "abcdefgh");
  EXPECT_EQ(socket_, nullptr);
  EXPECT_FALSE(ledger_.IsOpen(kFd));
}

}  // namespace
}  // namespace test
}  // namespace ipc
