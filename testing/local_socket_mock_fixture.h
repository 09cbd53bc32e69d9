// Test fixture for LocalSocket driven by a StrictMock<MockOsCalls> on a FakeEventLoop: no
// kernel objects, every syscall asserted, every fd accounted for.
#ifndef LOCALSOCKET_TESTING_LOCAL_SOCKET_MOCK_FIXTURE_H_
#define LOCALSOCKET_TESTING_LOCAL_SOCKET_MOCK_FIXTURE_H_

#include <sys/socket.h>
#include <sys/un.h>

#include <chrono>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ipc/local_socket.h"
#include "testing/fake_event_loop.h"
#include "testing/mock_os_calls.h"
#include "testing/taken_spare_blocks.h"

namespace ipc {
namespace test {

using State = LocalSocket::State;
using Error = LocalSocket::Error;
using std::chrono::milliseconds;

// The first fd the ledger hands out: the connecting socket's fd in these tests.
inline constexpr int kFd = 100;

// The path in a sockaddr_un passed to connect/bind.
inline std::string PathOf(const sockaddr* address) {
  return reinterpret_cast<const sockaddr_un*>(address)->sun_path;
}

// The fixture: a FakeEventLoop, a StrictMock<MockOsCalls> whose Close() checks fds back into
// an FdLedger, the socket under test and the log of its signals. TearDown() asserts that no fd
// leaked and none was closed twice.
class LocalSocketMockTest : public ::testing::Test {
 protected:
  LocalSocketMockTest() { EXPECT_CALL(os_, Close(::testing::_)).WillRepeatedly(ledger_.Close()); }

  void TearDown() override {
    socket_.reset();
    EXPECT_THAT(ledger_.open_fds(), ::testing::IsEmpty()) << "leaked fds";
    EXPECT_THAT(ledger_.bad_closes(), ::testing::IsEmpty()) << "closed twice or never opened";
  }

  // A new socket whose signals are recorded into events_.
  LocalSocket& NewSocket() {
    socket_ = std::make_unique<LocalSocket>(loop_, os_);
    Record(*socket_);
    return *socket_;
  }

  // Logs every signal of `s` into events_ ("state:kConnected", "bytes_written:5", ...).
  void Record(LocalSocket& s) {
    s.connected.Connect([this] { events_.push_back("connected"); });
    s.disconnected.Connect([this] { events_.push_back("disconnected"); });
    s.error_occurred.Connect([this](Error e) { events_.push_back("error:" + Str(e)); });
    s.state_changed.Connect([this](State st) { events_.push_back("state:" + Str(st)); });
    s.ready_read.Connect([this] { events_.push_back("ready_read"); });
    s.bytes_written.Connect(
        [this](int64_t n) { events_.push_back("bytes_written:" + std::to_string(n)); });
    s.about_to_close.Connect([this] { events_.push_back("about_to_close"); });
    s.read_channel_finished.Connect([this] { events_.push_back("read_channel_finished"); });
  }

  // `value` as its operator<< prints it.
  template <typename T>
  static std::string Str(T value) {
    std::ostringstream out;
    out << value;
    return out.str();
  }

  // Expects socket() to succeed (fd kFd from the ledger) and connect() to return `result`.
  void ExpectSocketAndConnect(SysResult result) {
    EXPECT_CALL(os_, Socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0))
        .WillOnce(ledger_.Open());
    EXPECT_CALL(os_, Connect(kFd, ::testing::_, ::testing::_)).WillOnce(::testing::Return(result));
  }

  // A socket connected to "/srv" with fd kFd; events_ cleared.
  LocalSocket& ConnectedSocket() {
    LocalSocket& s = NewSocket();
    ExpectSocketAndConnect(SysResult{0, 0});
    s.ConnectToServer("/srv");
    EXPECT_EQ(s.state(), State::kConnected);
    events_.clear();
    return s;
  }

  // The drain that follows a send failing because the peer is gone finds the receive queue
  // empty.
  void ExpectEmptyReceiveQueue() {
    EXPECT_CALL(os_, RecvMsg(kFd, ::testing::_, ::testing::_))
        .WillOnce(::testing::Return(SysResult{-1, EAGAIN}));
  }

  // RecvMsg action: delivers `bytes` and clears the fd's scripted readability, so one
  // RunUntilIdle() delivers one batch.
  auto DeliverOnce(std::string bytes) {
    return ::testing::DoAll(
        ::testing::InvokeWithoutArgs([this] { loop_.ClearFdReady(kFd, eventloop::kReadable); }),
        DeliverMessage(std::move(bytes)));
  }

  // Poll action that models the time passing: advances the fake clock by the timeout it is
  // given (a plain sleep, or nothing ready) and reports a timeout.
  auto PollSleeps() {
    return ::testing::Invoke([this](pollfd* fds, nfds_t nfds, int timeout_ms) {
      for (nfds_t i = 0; i < nfds; ++i) fds[i].revents = 0;
      if (timeout_ms > 0) loop_.fake_clock().Advance(milliseconds(timeout_ms));
      return SysResult{0, 0};
    });
  }

  // First: the socket's blocks are freed before these go back. Reads start with no spare
  // blocks (one block per recvmsg) whatever earlier tests left in the cache.
  TakenSpareLargeBlocks spare_blocks_;
  eventloop::FakeEventLoop loop_;
  ::testing::StrictMock<MockOsCalls> os_;
  FdLedger ledger_;
  std::unique_ptr<LocalSocket> socket_;
  std::vector<std::string> events_;
};

}  // namespace test
}  // namespace ipc

#endif  // LOCALSOCKET_TESTING_LOCAL_SOCKET_MOCK_FIXTURE_H_
