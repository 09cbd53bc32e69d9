// WriteWithFds on StrictMock<MockOsCalls> and a FakeEventLoop: the fds are duplicated, ride on
// the first byte of their data through coalescing and partial sends (every sendmsg starts at a
// fd-carrying byte or carries none, and stops before the next one), refusals send and keep
// nothing, the write-buffer limit takes the fds with the first byte or not at all, and every
// duplicate is closed (FdLedger) once sent, dropped or refused.
#include <fcntl.h>
#include <poll.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <initializer_list>
#include <limits>
#include <ostream>
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

// One sendmsg as the kernel took it: the bytes it accepted and the fds of its control message.
struct Send {
  std::string bytes;
  std::vector<int> fds;
};

bool operator==(const Send& a, const Send& b) { return a.bytes == b.bytes && a.fds == b.fds; }

void PrintTo(const Send& send, std::ostream* os) {
  *os << "{\"" << send.bytes << "\", fds:";
  for (const int fd : send.fds) *os << " " << fd;
  *os << "}";
}

class FdSendTest : public LocalSocketMockTest {
 protected:
  // Expects `fd` to be duplicated (F_DUPFD_CLOEXEC); returns the duplicate the ledger hands out.
  int ExpectDuplicate(int fd) {
    const int copy = next_copy_++;
    EXPECT_CALL(os_, Fcntl(fd, F_DUPFD_CLOEXEC, 0))
        .WillOnce(Return(SysResult{copy, 0}))
        .RetiresOnSaturation();
    EXPECT_TRUE(ledger_.Track(copy));
    return copy;
  }

  // SendMsg action: the kernel takes at most `max` bytes; the send is logged in sends_.
  auto Take(size_t max = std::numeric_limits<size_t>::max()) {
    return Invoke([this, max](int fd, const msghdr* msg, int flags) {
      Send send;
      const SysResult result = CollectSent(&send.bytes, max, &send.fds)(fd, msg, flags);
      sends_.push_back(send);
      return result;
    });
  }

  // One flush on writability (the socket waits for it): one sendmsg per entry of `takes`, the
  // kernel taking at most that many bytes.
  void FlushOnWritable(std::initializer_list<size_t> takes) {
    auto& expectation = EXPECT_CALL(os_, SendMsg(kFd, _, kNoSignal));
    for (const size_t max : takes) expectation.WillOnce(Take(max));
    expectation.RetiresOnSaturation();
    loop_.SetFdReady(kFd, eventloop::kWritable);
    loop_.RunUntilIdle();
    loop_.ClearFdReady(kFd, eventloop::kWritable);
  }

  static constexpr int kNoSignal = MSG_NOSIGNAL;
  int next_copy_ = 500;  // Duplicates: far from the ledger's own numbers.
  std::vector<Send> sends_;
};

TEST_F(FdSendTest, TheDuplicatesGoWithTheFirstByteAndAreClosedOnceSent) {
  LocalSocket& s = ConnectedSocket();
  const int copy7 = ExpectDuplicate(7);
  const int copy8 = ExpectDuplicate(8);
  EXPECT_EQ(s.WriteWithFds("hello", {7, 8}), 5);
  EXPECT_EQ(s.BytesToWrite(), 5);
  EXPECT_TRUE(ledger_.IsOpen(copy7));
  EXPECT_CALL(os_, SendMsg(kFd, _, kNoSignal)).WillOnce(Take());
  loop_.RunUntilIdle();
  EXPECT_THAT(sends_, ElementsAre(Send{"hello", {copy7, copy8}}));
  EXPECT_THAT(events_, ElementsAre("bytes_written:5"));
  EXPECT_FALSE(ledger_.IsOpen(copy7));  // The kernel holds its own references now.
  EXPECT_FALSE(ledger_.IsOpen(copy8));
  EXPECT_EQ(s.error(), Error::kNone);
}

TEST_F(FdSendTest, NoFdsIsAPlainWrite) {
  LocalSocket& s = ConnectedSocket();
  EXPECT_EQ(s.WriteWithFds("abc", {}), 3);
  EXPECT_CALL(os_, SendMsg(kFd, _, kNoSignal))
      .WillOnce(Invoke([this](int fd, const msghdr* msg, int flags) {
        EXPECT_EQ(msg->msg_control, nullptr);
        EXPECT_EQ(msg->msg_controllen, 0u);
        return Take()(fd, msg, flags);
      }));
  loop_.RunUntilIdle();
  EXPECT_THAT(sends_, ElementsAre(Send{"abc", {}}));
}

TEST_F(FdSendTest, CoalescedWritesAreSplitAtEveryFdCarryingByte) {
  LocalSocket& s = ConnectedSocket();
  EXPECT_EQ(s.Write("ab"), 2);
  const int copy7 = ExpectDuplicate(7);
  EXPECT_EQ(s.WriteWithFds("cd", {7}), 2);
  EXPECT_EQ(s.Write("ef"), 2);
  const int copy8 = ExpectDuplicate(8);
  EXPECT_EQ(s.WriteWithFds("g", {8}), 1);
  const int copy9 = ExpectDuplicate(9);
  EXPECT_EQ(s.WriteWithFds("hi", {9}), 2);
  EXPECT_EQ(s.Write("j"), 1);
  EXPECT_CALL(os_, SendMsg(kFd, _, kNoSignal)).Times(4).WillRepeatedly(Take());
  loop_.RunUntilIdle();
  EXPECT_THAT(sends_, ElementsAre(Send{"ab", {}}, Send{"cdef", {copy7}}, Send{"g", {copy8}},
                                  Send{"hij", {copy9}}));
  EXPECT_THAT(events_, ElementsAre("bytes_written:10"));  // One flush, one report.
}

TEST_F(FdSendTest, PartialSendsKeepTheFdsOnTheirByte) {
  LocalSocket& s = ConnectedSocket();
  EXPECT_EQ(s.Write("abc"), 3);
  const int copy = ExpectDuplicate(7);
  EXPECT_EQ(s.WriteWithFds("def", {7}), 3);
  EXPECT_EQ(s.Write("gh"), 2);
  // The kernel takes 2 bytes of the 3 before the fd byte: the socket waits for writability.
  EXPECT_CALL(os_, SendMsg(kFd, _, kNoSignal)).WillOnce(Take(2)).RetiresOnSaturation();
  loop_.RunUntilIdle();
  EXPECT_EQ(loop_.WatchedEvents(kFd) & eventloop::kWritable, eventloop::kWritable);
  // Then "c" alone, and from the fd byte on with the fds, of which the kernel takes one byte.
  FlushOnWritable({1, 1});
  EXPECT_FALSE(ledger_.IsOpen(copy));  // Sent with "d".
  // The rest carries nothing.
  FlushOnWritable({100});
  EXPECT_THAT(sends_,
              ElementsAre(Send{"ab", {}}, Send{"c", {}}, Send{"d", {copy}}, Send{"efgh", {}}));
  EXPECT_EQ(s.BytesToWrite(), 0);
}

TEST_F(FdSendTest, AFullKernelBeforeTheFdByteKeepsTheFdsForLater) {
  LocalSocket& s = ConnectedSocket();
  const int copy = ExpectDuplicate(7);
  EXPECT_EQ(s.WriteWithFds("xy", {7}), 2);
  EXPECT_CALL(os_, SendMsg(kFd, _, kNoSignal))
      .WillOnce(Return(SysResult{-1, EAGAIN}))
      .RetiresOnSaturation();
  loop_.RunUntilIdle();
  EXPECT_TRUE(ledger_.IsOpen(copy));
  EXPECT_THAT(events_, IsEmpty());
  FlushOnWritable({100});
  EXPECT_THAT(sends_, ElementsAre(Send{"xy", {copy}}));
  EXPECT_FALSE(ledger_.IsOpen(copy));
}

TEST_F(FdSendTest, EmptyDataIsRefusedWithoutDuplicating) {
  LocalSocket& s = ConnectedSocket();
  EXPECT_EQ(s.WriteWithFds("", {7}), -1);
  EXPECT_EQ(s.error(), Error::kOperation);
  EXPECT_EQ(s.error_string(), "LocalSocket::WriteWithFds: empty data (fds ride on its first byte)");
  EXPECT_EQ(s.WriteWithFds("", {}), -1);
  EXPECT_EQ(s.BytesToWrite(), 0);
  loop_.RunUntilIdle();  // Nothing to send: no SendMsg.
  EXPECT_THAT(events_, IsEmpty());
  EXPECT_EQ(s.state(), State::kConnected);
}

TEST_F(FdSendTest, MoreThan253FdsAreRefusedAnd253Pass) {
  LocalSocket& s = ConnectedSocket();
  EXPECT_EQ(s.WriteWithFds("x", std::vector<int>(254, 7)), -1);
  EXPECT_EQ(s.error(), Error::kOperation);
  EXPECT_EQ(s.error_string(),
            "LocalSocket::WriteWithFds: too many file descriptors (254, at most 253)");
  EXPECT_EQ(s.BytesToWrite(), 0);

  std::vector<int> copies;
  EXPECT_CALL(os_, Fcntl(7, F_DUPFD_CLOEXEC, 0))
      .Times(253)
      .WillRepeatedly(Invoke([&](int, int, int) {
        copies.push_back(next_copy_++);
        EXPECT_TRUE(ledger_.Track(copies.back()));
        return SysResult{copies.back(), 0};
      }));
  EXPECT_EQ(s.WriteWithFds("y", std::vector<int>(253, 7)), 1);
  EXPECT_CALL(os_, SendMsg(kFd, _, kNoSignal)).WillOnce(Take());
  loop_.RunUntilIdle();
  EXPECT_THAT(sends_, ElementsAre(Send{"y", copies}));
}

class DuplicateFailureTest : public FdSendTest, public ::testing::WithParamInterface<int> {};

TEST_P(DuplicateFailureTest, RefusesTheWholeWriteAndClosesTheCopiesMade) {
  const int err = GetParam();
  LocalSocket& s = ConnectedSocket();
  const int copy = ExpectDuplicate(7);
  EXPECT_CALL(os_, Fcntl(99, F_DUPFD_CLOEXEC, 0)).WillOnce(Return(SysResult{-1, err}));
  EXPECT_EQ(s.WriteWithFds("data", {7, 99, 8}), -1);  // 8 is never tried.
  EXPECT_EQ(s.error(), Error::kOperation);
  EXPECT_EQ(s.error_string(), "LocalSocket::WriteWithFds: cannot duplicate file descriptor 99: " +
                                  std::string(strerror(err)));
  EXPECT_FALSE(ledger_.IsOpen(copy));
  EXPECT_EQ(s.BytesToWrite(), 0);
  loop_.RunUntilIdle();  // Nothing to send: no SendMsg.
  EXPECT_THAT(events_, IsEmpty());
  EXPECT_EQ(s.state(), State::kConnected);
}

INSTANTIATE_TEST_SUITE_P(Errnos, DuplicateFailureTest, ::testing::Values(EBADF, EMFILE, EINVAL));

TEST_F(FdSendTest, ASocketThatCannotWriteRefusesBeforeDuplicating) {
  LocalSocket& s = NewSocket();
  EXPECT_EQ(s.WriteWithFds("x", {7}), -1);  // Unconnected.
  EXPECT_EQ(s.error(), Error::kOperation);
  EXPECT_EQ(s.error_string(), "LocalSocket::WriteWithFds: socket is not writable");
  ExpectSocketAndConnect(SysResult{0, 0});
  s.ConnectToServer("/srv");
  EXPECT_CALL(os_, Shutdown(kFd, SHUT_WR)).WillOnce(Return(SysResult{0, 0}));
  s.ShutdownWrite();  // Nothing buffered: shut down at once.
  EXPECT_EQ(s.WriteWithFds("x", {7}), -1);
  EXPECT_EQ(s.error_string(), "LocalSocket::WriteWithFds: socket is not writable");
}

TEST_F(FdSendTest, AWriteLimitTakesTheFdsWithTheFirstByteOrNotAtAll) {
  LocalSocket& s = ConnectedSocket();
  s.SetWriteBufferLimit(4);
  s.write_buffer_available.Connect([this] { events_.push_back("write_buffer_available"); });
  EXPECT_EQ(s.Write("abc"), 3);
  const int copy7 = ExpectDuplicate(7);
  EXPECT_EQ(s.WriteWithFds("def", {7}), 1);  // Only "d" fits: it carries the fd.
  const int copy8 = ExpectDuplicate(8);
  EXPECT_EQ(s.WriteWithFds("ghi", {8}), 0);  // Nothing fits: the copy goes at once.
  EXPECT_FALSE(ledger_.IsOpen(copy8));
  EXPECT_EQ(s.error(), Error::kNone);
  EXPECT_CALL(os_, SendMsg(kFd, _, kNoSignal)).Times(2).WillRepeatedly(Take());
  loop_.RunUntilIdle();
  EXPECT_THAT(sends_, ElementsAre(Send{"abc", {}}, Send{"d", {copy7}}));
  EXPECT_THAT(events_, ElementsAre("bytes_written:4", "write_buffer_available"));
}

TEST_F(FdSendTest, AbortClosesTheCopiesNotSentYet) {
  LocalSocket& s = ConnectedSocket();
  const int copy = ExpectDuplicate(7);
  EXPECT_EQ(s.WriteWithFds("x", {7}), 1);
  s.Abort();
  EXPECT_FALSE(ledger_.IsOpen(copy));
  loop_.RunUntilIdle();  // No SendMsg.
}

TEST_F(FdSendTest, DestructionClosesTheCopiesNotSentYet) {
  LocalSocket& s = ConnectedSocket();
  const int copy = ExpectDuplicate(7);
  EXPECT_EQ(s.WriteWithFds("x", {7}), 1);
  socket_.reset();
  EXPECT_FALSE(ledger_.IsOpen(copy));
}

TEST_F(FdSendTest, DisconnectSendsTheFdsBeforeClosing) {
  LocalSocket& s = ConnectedSocket();
  const int copy = ExpectDuplicate(7);
  EXPECT_EQ(s.WriteWithFds("bye", {7}), 3);
  s.DisconnectFromServer();
  EXPECT_CALL(os_, SendMsg(kFd, _, kNoSignal)).WillOnce(Take());
  loop_.RunUntilIdle();
  EXPECT_THAT(sends_, ElementsAre(Send{"bye", {copy}}));
  EXPECT_THAT(events_, ElementsAre("state:kClosing", "bytes_written:3", "state:kUnconnected",
                                   "read_channel_finished", "disconnected"));
}

struct SendFailureCase {
  int err;
  Error error;
  const char* error_string;
};

class FdSendFailureTest : public FdSendTest,
                          public ::testing::WithParamInterface<SendFailureCase> {};

TEST_P(FdSendFailureTest, EndsTheConnectionAfterTheBytesThatArrivedAndClosesTheCopies) {
  const SendFailureCase c = GetParam();
  LocalSocket& s = ConnectedSocket();
  EXPECT_CALL(os_, RecvMsg(kFd, _, _)).WillOnce(DeliverOnce("reply"));
  loop_.SetFdReady(kFd, eventloop::kReadable);
  loop_.RunUntilIdle();
  const int copy = ExpectDuplicate(7);
  EXPECT_EQ(s.WriteWithFds("abc", {7}), 3);
  EXPECT_CALL(os_, SendMsg(kFd, _, kNoSignal)).WillOnce(Return(SysResult{-1, c.err}));
  loop_.RunUntilIdle();
  EXPECT_THAT(events_, ElementsAre("ready_read", "error:" + Str(c.error), "state:kClosing",
                                   "state:kUnconnected", "read_channel_finished", "disconnected"));
  EXPECT_EQ(s.error_string(), c.error_string);
  EXPECT_FALSE(ledger_.IsOpen(copy));
  EXPECT_FALSE(ledger_.IsOpen(kFd));
  EXPECT_EQ(s.BytesToWrite(), 0);
  EXPECT_EQ(s.ReadAll(), "reply");  // What arrived first stays readable.
}

INSTANTIATE_TEST_SUITE_P(
    Errnos, FdSendFailureTest,
    ::testing::Values(
        SendFailureCase{ETOOMANYREFS, Error::kSocketResource,
                        "LocalSocket::Write: out of resources: Too many references: cannot splice"},
        SendFailureCase{EMSGSIZE, Error::kDatagramTooLarge,
                        "LocalSocket::Write: datagram too large: Message too long"}));

// Poll entry matcher: one pollfd for kFd with exactly these events.
MATCHER_P(PollsFdFor, events, "") {
  return arg != nullptr && arg->fd == kFd && arg->events == events;
}

TEST_F(FdSendTest, WaitForBytesWrittenSendsTheFds) {
  LocalSocket& s = ConnectedSocket();
  const int copy = ExpectDuplicate(7);
  EXPECT_EQ(s.WriteWithFds("wait", {7}), 4);
  EXPECT_CALL(os_, Poll(PollsFdFor(POLLOUT), 1, 1000)).WillOnce(PollReady(kFd, POLLOUT));
  EXPECT_CALL(os_, SendMsg(kFd, _, kNoSignal)).WillOnce(Take());
  EXPECT_TRUE(s.WaitForBytesWritten(1000));
  EXPECT_THAT(sends_, ElementsAre(Send{"wait", {copy}}));
  EXPECT_FALSE(ledger_.IsOpen(copy));
}

}  // namespace
}  // namespace test
}  // namespace ipc
