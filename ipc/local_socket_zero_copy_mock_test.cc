// LocalSocket's zero-copy reading, Skip() and PeekBuffered(), driven by MockOsCalls on
// FakeEventLoop: return values, errors, views across buffer blocks, and the read-buffer limit.
#include <cerrno>
#include <memory>
#include <string>
#include <string_view>

#include "testing/local_socket_mock_fixture.h"

namespace ipc {
namespace test {
namespace {

using ::testing::_;
using ::testing::ElementsAre;
using ::testing::Invoke;

// Receives `bytes` on the connected socket in one loop iteration, in as many recvmsg calls
// as the socket's buffer space needs, until the kernel queue is empty (EAGAIN).
class ZeroCopyTest : public LocalSocketMockTest {
 protected:
  void Receive(std::string bytes) {
    auto queue = std::make_shared<std::string>(std::move(bytes));
    EXPECT_CALL(os_, RecvMsg(kFd, _, _))
        .WillRepeatedly(Invoke([this, queue](int fd, msghdr* msg, int flags) {
          if (queue->empty()) {
            loop_.ClearFdReady(kFd, eventloop::kReadable);
            return SysResult{-1, EAGAIN};
          }
          const SysResult result = DeliverMessage(*queue)(fd, msg, flags);
          queue->erase(0, static_cast<size_t>(result.rc));
          return result;
        }));
    loop_.SetFdReady(kFd, eventloop::kReadable);
    loop_.RunUntilIdle();
    EXPECT_TRUE(queue->empty());
  }
};

TEST_F(ZeroCopyTest, PeekBufferedShowsUnreadBytesAndSkipConsumesThem) {
  LocalSocket& s = ConnectedSocket();
  EXPECT_EQ(s.PeekBuffered(), "");
  Receive("hello world");
  EXPECT_THAT(events_, ElementsAre("ready_read"));
  EXPECT_EQ(s.PeekBuffered(), "hello world");
  EXPECT_EQ(s.BytesAvailable(), 11);  // Peeking consumes nothing.
  EXPECT_EQ(s.Skip(6), 6);
  EXPECT_EQ(s.PeekBuffered(), "world");  // Starts at the next unread byte.
  EXPECT_EQ(s.BytesAvailable(), 5);
  EXPECT_EQ(s.Skip(0), 0);
  EXPECT_EQ(s.Skip(100), 5);  // At most what is buffered.
  EXPECT_EQ(s.PeekBuffered(), "");
  EXPECT_EQ(s.Skip(100), 0);  // Connected and empty: 0, as Read.
  EXPECT_EQ(s.error(), Error::kNone);
}

TEST_F(ZeroCopyTest, ViewsWalkEveryBlockInOrder) {
  LocalSocket& s = ConnectedSocket();
  // Several receives, one of them larger than a buffer block: the input spans blocks.
  const std::string big(100 * 1024, 'x');
  Receive("first ");
  Receive(big);
  Receive(" last");
  const std::string expected = "first " + big + " last";
  ASSERT_EQ(s.BytesAvailable(), static_cast<int64_t>(expected.size()));
  std::string seen;
  while (s.BytesAvailable() > 0) {
    const std::string_view view = s.PeekBuffered();
    ASSERT_FALSE(view.empty());
    ASSERT_LE(view.size(), static_cast<size_t>(s.BytesAvailable()));
    // Consume in two steps so that a partial Skip is covered on every block.
    const size_t half = (view.size() + 1) / 2;
    const std::string first_half(view.substr(0, half));
    seen += first_half;
    EXPECT_EQ(s.Skip(static_cast<int64_t>(half)), static_cast<int64_t>(half));
    const std::string_view rest = s.PeekBuffered();
    if (half < view.size()) {
      ASSERT_EQ(rest.size(), view.size() - half);
      seen += rest;
      EXPECT_EQ(s.Skip(static_cast<int64_t>(rest.size())), static_cast<int64_t>(rest.size()));
    }
  }
  EXPECT_EQ(seen, expected);
}

TEST_F(ZeroCopyTest, SkipConsumesAcrossBlocks) {
  LocalSocket& s = ConnectedSocket();
  const std::string big(70 * 1024, 'y');
  Receive("ab");
  Receive(big);
  EXPECT_EQ(s.Skip(1 + 64 * 1024), 1 + 64 * 1024);
  EXPECT_EQ(s.Peek(2), "yy");
  EXPECT_EQ(s.BytesAvailable(), static_cast<int64_t>(2 + big.size() - 1 - 64 * 1024));
}

TEST_F(ZeroCopyTest, SkipResumesReadingPausedByTheReadBufferLimit) {
  LocalSocket& s = ConnectedSocket();
  s.SetReadBufferSize(4);
  Receive("abcd");
  EXPECT_EQ(loop_.WatchedEvents(kFd), eventloop::kNoEvents);  // Full: reading paused.
  EXPECT_EQ(s.Skip(3), 3);
  EXPECT_EQ(loop_.WatchedEvents(kFd), eventloop::kReadable);
  EXPECT_CALL(os_, RecvMsg(kFd, _, _)).WillOnce(Invoke([this](int, msghdr* msg, int) {
    EXPECT_EQ(msg->msg_iov[0].iov_len, 3u);  // The room Skip made.
    loop_.ClearFdReady(kFd, eventloop::kReadable);
    return DeliverMessage("efg")(kFd, msg, 0);
  }));
  loop_.SetFdReady(kFd, eventloop::kReadable);
  loop_.RunUntilIdle();
  EXPECT_EQ(s.ReadAll(), "defg");
}

TEST_F(ZeroCopyTest, AfterThePeerClosedBufferedBytesStayAndThenSkipReturnsMinusOne) {
  LocalSocket& s = ConnectedSocket();
  EXPECT_CALL(os_, RecvMsg(kFd, _, _)).WillOnce(DeliverMessage("tail")).WillOnce(DeliverEof());
  loop_.SetFdReady(kFd, eventloop::kReadable);
  loop_.RunUntilIdle();
  loop_.RunUntilIdle();
  loop_.ClearFdReady(kFd, eventloop::kReadable);
  ASSERT_EQ(s.state(), State::kUnconnected);
  EXPECT_EQ(s.PeekBuffered(), "tail");
  EXPECT_EQ(s.Skip(10), 4);
  EXPECT_EQ(s.Skip(10), -1);  // End of data on a closed connection, no error set.
  EXPECT_EQ(s.error(), Error::kPeerClosed);
  EXPECT_EQ(s.PeekBuffered(), "");
}

TEST_F(ZeroCopyTest, MisuseIsAnOperationError) {
  LocalSocket& s = NewSocket();
  EXPECT_EQ(s.PeekBuffered(), "");
  EXPECT_EQ(s.Skip(1), -1);  // Not open.
  EXPECT_EQ(s.error(), Error::kOperation);
  EXPECT_EQ(s.error_string(), "LocalSocket::Skip: socket is not open");

  ExpectSocketAndConnect(SysResult{0, 0});
  s.ConnectToServer("/srv");
  Receive("data");
  EXPECT_EQ(s.Skip(-1), -1);
  EXPECT_EQ(s.error(), Error::kOperation);
  EXPECT_EQ(s.error_string(), "LocalSocket::Skip: negative size");
  EXPECT_EQ(s.BytesAvailable(), 4);  // Nothing consumed.
  s.Close();
  EXPECT_EQ(s.PeekBuffered(), "");  // Closed: no view, as Peek.
}

TEST_F(ZeroCopyTest, AWriteOnlySocketHasNothingToPeekOrSkip) {
  LocalSocket& s = NewSocket();
  ExpectSocketAndConnect(SysResult{0, 0});
  s.ConnectToServer("/srv", LocalSocket::kWriteOnly);
  EXPECT_EQ(s.PeekBuffered(), "");
  EXPECT_EQ(s.Skip(1), -1);
  EXPECT_EQ(s.error(), Error::kOperation);
  EXPECT_EQ(s.error_string(), "LocalSocket::Skip: socket is write-only");
}

}  // namespace
}  // namespace test
}  // namespace ipc
