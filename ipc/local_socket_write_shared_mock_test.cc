// LocalSocket::WriteShared, driven by MockOsCalls on FakeEventLoop: the send gathers the
// caller's own memory, the keep-alive is held exactly until those bytes reach the kernel or
// are dropped, and everything else is Write's behaviour.
#include <sys/uio.h>

#include <cerrno>
#include <memory>
#include <string>

#include "testing/local_socket_mock_fixture.h"

namespace ipc {
namespace test {
namespace {

using ::testing::_;
using ::testing::ElementsAre;
using ::testing::Invoke;
using ::testing::IsEmpty;
using ::testing::Return;

constexpr size_t kLarge = 64 * 1024;  // Far above the size WriteShared copies.

// The keep-alive owns the buffer, so use_count() - 1 is how many copies the socket holds.
std::shared_ptr<const std::string> Lent(size_t size, char fill) {
  return std::make_shared<const std::string>(size, fill);
}

TEST_F(LocalSocketMockTest, WriteSharedSendsFromTheCallersBufferAndReleasesItOnceSent) {
  LocalSocket& s = ConnectedSocket();
  const auto lent = Lent(kLarge, 'L');
  EXPECT_EQ(s.Write("<"), 1);
  EXPECT_EQ(s.WriteShared(*lent, lent), static_cast<int64_t>(kLarge));
  EXPECT_EQ(s.Write(">"), 1);
  EXPECT_EQ(s.BytesToWrite(), static_cast<int64_t>(kLarge + 2));
  EXPECT_EQ(lent.use_count(), 2);
  EXPECT_THAT(events_, IsEmpty());  // As Write: nothing is sent or emitted yet.

  const void* middle_base = nullptr;
  EXPECT_CALL(os_, SendMsg(kFd, _, _)).WillOnce(Invoke([&](int, const msghdr* msg, int) {
    EXPECT_EQ(msg->msg_iovlen, 3u);
    middle_base = msg->msg_iov[1].iov_base;
    return SysResult{static_cast<int64_t>(kLarge + 2), 0};
  }));
  loop_.RunUntilIdle();
  EXPECT_EQ(middle_base, lent->data());  // The caller's memory, not a copy.
  EXPECT_THAT(events_, ElementsAre("bytes_written:" + std::to_string(kLarge + 2)));
  EXPECT_EQ(s.BytesToWrite(), 0);
  EXPECT_EQ(lent.use_count(), 1);
}

TEST_F(LocalSocketMockTest, WriteSharedHoldsTheBufferWhileAPartialSendWaits) {
  LocalSocket& s = ConnectedSocket();
  const auto lent = Lent(kLarge, 'p');
  ASSERT_EQ(s.WriteShared(*lent, lent), static_cast<int64_t>(kLarge));
  std::string sent;
  EXPECT_CALL(os_, SendMsg(kFd, _, _)).WillOnce(CollectSent(&sent, 1000));
  loop_.RunUntilIdle();
  EXPECT_EQ(lent.use_count(), 2);
  EXPECT_EQ(s.BytesToWrite(), static_cast<int64_t>(kLarge - 1000));

  EXPECT_CALL(os_, SendMsg(kFd, _, _)).WillOnce(CollectSent(&sent));
  loop_.SetFdReady(kFd, eventloop::kWritable);
  loop_.RunUntilIdle();
  loop_.ClearFdReady(kFd, eventloop::kWritable);
  EXPECT_EQ(sent, *lent);
  EXPECT_THAT(events_,
              ElementsAre("bytes_written:1000", "bytes_written:" + std::to_string(kLarge - 1000)));
  EXPECT_EQ(lent.use_count(), 1);
}

TEST_F(LocalSocketMockTest, AbortReleasesASharedBufferItNeverSent) {
  LocalSocket& s = ConnectedSocket();
  const auto lent = Lent(kLarge, 'a');
  ASSERT_EQ(s.WriteShared(*lent, lent), static_cast<int64_t>(kLarge));
  s.Abort();
  EXPECT_EQ(lent.use_count(), 1);
  EXPECT_EQ(s.BytesToWrite(), 0);
  loop_.RunUntilIdle();  // No SendMsg: the strict mock would fail.
}

TEST_F(LocalSocketMockTest, ASendFailureReleasesTheSharedBufferWithTheWriteBuffer) {
  LocalSocket& s = ConnectedSocket();
  const auto lent = Lent(kLarge, 'f');
  ASSERT_EQ(s.WriteShared(*lent, lent), static_cast<int64_t>(kLarge));
  EXPECT_CALL(os_, SendMsg(kFd, _, _)).WillOnce(Return(SysResult{-1, EPIPE}));
  ExpectEmptyReceiveQueue();
  loop_.RunUntilIdle();
  EXPECT_EQ(s.state(), State::kUnconnected);
  EXPECT_EQ(s.error(), Error::kPeerClosed);
  EXPECT_EQ(lent.use_count(), 1);
}

TEST_F(LocalSocketMockTest, DestroyingTheSocketReleasesTheSharedBuffer) {
  auto lent = Lent(kLarge, 'd');
  {
    LocalSocket& s = ConnectedSocket();
    ASSERT_EQ(s.WriteShared(*lent, lent), static_cast<int64_t>(kLarge));
    EXPECT_EQ(lent.use_count(), 2);
    socket_.reset();
  }
  EXPECT_EQ(lent.use_count(), 1);
}

TEST_F(LocalSocketMockTest, WriteSharedRefusesWhenNotWritableAndKeepsNothing) {
  const auto lent = Lent(kLarge, 'n');
  LocalSocket unconnected(loop_, os_);
  EXPECT_EQ(unconnected.WriteShared(*lent, lent), -1);
  EXPECT_EQ(unconnected.error(), Error::kOperation);
  EXPECT_EQ(unconnected.error_string(), "LocalSocket::WriteShared: socket is not writable");
  EXPECT_EQ(lent.use_count(), 1);
}

TEST_F(LocalSocketMockTest, WriteSharedTakesWhatTheWriteBufferLimitLetsIn) {
  LocalSocket& s = ConnectedSocket();
  s.SetWriteBufferLimit(kLarge / 2);
  s.write_buffer_available.Connect([this] { events_.push_back("write_buffer_available"); });
  const auto lent = Lent(kLarge, 'w');
  EXPECT_EQ(s.WriteShared(*lent, lent), static_cast<int64_t>(kLarge / 2));
  EXPECT_EQ(s.WriteShared(*lent, lent), 0);
  EXPECT_EQ(lent.use_count(), 2);  // Only the accepted half is held.
  std::string sent;
  EXPECT_CALL(os_, SendMsg(kFd, _, _)).WillOnce(CollectSent(&sent));
  loop_.RunUntilIdle();
  EXPECT_EQ(sent, lent->substr(0, kLarge / 2));
  EXPECT_THAT(events_,
              ElementsAre("bytes_written:" + std::to_string(kLarge / 2), "write_buffer_available"));
  EXPECT_EQ(lent.use_count(), 1);
}

TEST_F(LocalSocketMockTest, AShortWriteSharedIsCopiedAndKeepsNothing) {
  LocalSocket& s = ConnectedSocket();
  auto lent = std::make_shared<std::string>("short");
  EXPECT_EQ(s.WriteShared(*lent, lent), 5);
  EXPECT_EQ(lent.use_count(), 1);
  lent->assign("XXXXX");  // The socket sends its own copy.
  std::string sent;
  EXPECT_CALL(os_, SendMsg(kFd, _, _)).WillOnce(CollectSent(&sent));
  loop_.RunUntilIdle();
  EXPECT_EQ(sent, "short");
}

}  // namespace
}  // namespace test
}  // namespace ipc
