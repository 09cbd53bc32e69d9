// LocalServer's accept errors: transient ones (ECONNABORTED, EPROTO, EINTR) are skipped; any
// other (EMFILE, ENFILE, ENOMEM, unexpected errnos) is reported through error_occurred, and
// accepting pauses and retries on a doubling backoff (10 ms up to 1 s) while the server keeps
// listening. A resource error while no client waits (Linux reports it before it looks at the
// backlog) is not a failure. On StrictMock<MockOsCalls> and a FakeEventLoop
// (testing/local_server_mock_fixture.h).
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "eventloop/event_loop.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ipc/local_server.h"
#include "ipc/local_socket.h"
#include "ipc/os_calls.h"
#include "testing/local_server_mock_fixture.h"
#include "testing/mock_os_calls.h"

namespace ipc {
namespace test {
namespace {

using ::testing::_;
using ::testing::ElementsAre;
using ::testing::InSequence;
using ::testing::MockFunction;
using Error = LocalSocket::Error;
using std::chrono::milliseconds;

TEST_F(LocalServerMockTest, TransientAcceptErrorsAreSkipped) {
  LocalServer server(loop_, os_);
  ListenAtPath(server);
  int emitted = 0;
  int errors = 0;
  server.new_connection.Connect([&] { ++emitted; });
  server.error_occurred.Connect([&](Error) { ++errors; });
  {
    InSequence seq;
    ExpectAccept(FailWith(ECONNABORTED));
    ExpectAccept(AcceptFd());
    ExpectAccept(FailWith(EPROTO));
    ExpectAccept(FailWith(EINTR));
    ExpectAccept(AcceptFd());
    ExpectAcceptDrained();
  }
  WakeListener();
  EXPECT_EQ(emitted, 2);
  EXPECT_EQ(errors, 0);
  EXPECT_EQ(server.server_error(), Error::kNone);
  EXPECT_EQ(loop_.WatchedEvents(100), eventloop::kReadable);
  ExpectCloseAndUnlink();
}

TEST_F(LocalServerMockTest, ResourceErrorPausesBacksOffAndKeepsListening) {
  LocalServer server(loop_, os_);
  ListenAtPath(server);
  std::vector<std::string> log;
  server.new_connection.Connect([&] { log.push_back("new_connection"); });
  server.error_occurred.Connect([&](Error e) {
    EXPECT_EQ(server.server_error(), e);  // Set before the emit.
    log.push_back("error " + server.error_string());
  });
  MockFunction<void(const char*)> check;
  {
    InSequence seq;
    ExpectAcceptResourceError(EMFILE);
    EXPECT_CALL(check, Call("9ms"));
    ExpectAcceptResourceError(ENFILE);  // at 10 ms
    EXPECT_CALL(check, Call("29ms"));
    ExpectAccept(AcceptFd());  // at 30 ms
    ExpectAcceptDrained();
  }
  WakeListener();
  EXPECT_TRUE(server.IsListening());
  EXPECT_EQ(server.server_error(), Error::kSocketResource);
  EXPECT_EQ(loop_.WatchedEvents(100), eventloop::kNoEvents);  // Paused: no busy loop.
  loop_.FastForwardBy(milliseconds(9));
  check.Call("9ms");
  loop_.FastForwardBy(milliseconds(1));  // Retry at 10 ms: ENFILE, next retry 20 ms later.
  EXPECT_EQ(loop_.WatchedEvents(100), eventloop::kNoEvents);
  loop_.FastForwardBy(milliseconds(19));
  check.Call("29ms");
  loop_.FastForwardBy(milliseconds(1));
  EXPECT_EQ(loop_.WatchedEvents(100), eventloop::kReadable);  // Resumed.
  EXPECT_THAT(log,
              ElementsAre("error LocalServer::Accept: out of resources: Too many open files",
                          "error LocalServer::Accept: out of resources: Too many open files in "
                          "system",
                          "new_connection"));
  EXPECT_TRUE(server.HasPendingConnections());
  EXPECT_TRUE(server.IsListening());
  ExpectCloseAndUnlink();
}

TEST_F(LocalServerMockTest, ResourceErrorWithNoClientWaitingIsNotAFailure) {
  LocalServer server(loop_, os_);
  ListenAtPath(server);
  int emitted = 0;
  std::vector<Error> errors;
  server.new_connection.Connect([&] { ++emitted; });
  server.error_occurred.Connect([&](Error e) { errors.push_back(e); });
  {
    InSequence seq;
    // The accepted connection took the last fd: the next accept4 fails before it would have
    // found the backlog empty.
    ExpectAccept(AcceptFd());
    ExpectAcceptResourceError(EMFILE, /*client_waits=*/false);
  }
  WakeListener();
  EXPECT_EQ(emitted, 1);
  EXPECT_THAT(errors, ElementsAre());
  EXPECT_EQ(server.server_error(), Error::kNone);
  EXPECT_EQ(loop_.WatchedEvents(100), eventloop::kReadable);  // Not paused.
  loop_.ClearFdReady(100, eventloop::kReadable);
  loop_.FastForwardBy(std::chrono::seconds(2));  // No retry: the strict mock sees no accept4.
  ExpectCloseAndUnlink();
}

TEST_F(LocalServerMockTest, ResourceErrorStandsWhenTheCheckPollFails) {
  LocalServer server(loop_, os_);
  ListenAtPath(server);
  std::vector<Error> errors;
  server.error_occurred.Connect([&](Error e) { errors.push_back(e); });
  {
    InSequence seq;
    ExpectAccept(FailWith(ENOBUFS));
    EXPECT_CALL(os_, Poll(_, 1, 0)).WillOnce(FailWith(ENOMEM));
  }
  WakeListener();
  EXPECT_THAT(errors, ElementsAre(Error::kSocketResource));
  EXPECT_EQ(server.error_string(),
            "LocalServer::Accept: out of resources: No buffer space available");
  EXPECT_EQ(loop_.WatchedEvents(100), eventloop::kNoEvents);  // Paused.
  ExpectCloseAndUnlink();
}

TEST_F(LocalServerMockTest, BackoffDoublesUpToOneSecond) {
  LocalServer server(loop_, os_);
  ListenAtPath(server);
  const eventloop::TimePoint start = loop_.Now();
  std::vector<int64_t> at_ms;
  EXPECT_CALL(os_, Accept4(100, _, _, kAcceptFlags))
      .WillRepeatedly([&](int, sockaddr*, socklen_t*, int) {
        at_ms.push_back(std::chrono::duration_cast<milliseconds>(loop_.Now() - start).count());
        return SysResult{-1, ENOMEM};
      });
  EXPECT_CALL(os_, Poll(_, 1, 0)).WillRepeatedly(PollReady(100, POLLIN));  // A client waits.
  std::vector<Error> errors;
  server.error_occurred.Connect([&](Error e) { errors.push_back(e); });
  WakeListener();
  loop_.FastForwardBy(milliseconds(4270));
  // 0, +10, +20, +40, +80, +160, +320, +640, +1000, +1000, +1000.
  EXPECT_THAT(at_ms, ElementsAre(0, 10, 30, 70, 150, 310, 630, 1270, 2270, 3270, 4270));
  EXPECT_EQ(errors.size(), at_ms.size());
  EXPECT_EQ(errors.back(), Error::kSocketResource);
  EXPECT_TRUE(server.IsListening());
  ExpectCloseAndUnlink();
}

TEST_F(LocalServerMockTest, UnexpectedAcceptErrorIsUnknownWithTheSameHandling) {
  LocalServer server(loop_, os_);
  ListenAtPath(server);
  std::vector<Error> errors;
  server.error_occurred.Connect([&](Error e) { errors.push_back(e); });
  {
    InSequence seq;
    ExpectAccept(FailWith(EINVAL));
    ExpectAcceptDrained();
  }
  WakeListener();
  EXPECT_THAT(errors, ElementsAre(Error::kUnknown));
  EXPECT_EQ(server.error_string(), "LocalServer::Accept: unknown error: Invalid argument");
  EXPECT_EQ(loop_.WatchedEvents(100), eventloop::kNoEvents);
  loop_.FastForwardBy(milliseconds(10));
  EXPECT_EQ(loop_.WatchedEvents(100), eventloop::kReadable);
  EXPECT_TRUE(server.IsListening());
  ExpectCloseAndUnlink();
}

TEST_F(LocalServerMockTest, CloseInsideErrorSlotStopsTheRetry) {
  LocalServer server(loop_, os_);
  ListenAtPath(server);
  server.error_occurred.Connect([&](Error) { server.Close(); });
  InSequence seq;
  ExpectAcceptResourceError(EMFILE);
  ExpectCloseAndUnlink();
  WakeListener();
  EXPECT_FALSE(server.IsListening());
  EXPECT_EQ(server.server_error(), Error::kNone);  // Close() clears it, as Qt.
  loop_.FastForwardBy(std::chrono::seconds(2));    // No retry after Close.
}

TEST_F(LocalServerMockTest, WaitAcceptingAfterAFailureEndsThePause) {
  LocalServer server(loop_, os_);
  ListenAtPath(server);
  {
    InSequence seq;
    ExpectAcceptResourceError(EMFILE);
    ExpectPollThenAccept(100, AcceptFd());
  }
  WakeListener();
  loop_.ClearFdReady(100, eventloop::kReadable);
  EXPECT_EQ(loop_.WatchedEvents(100), eventloop::kNoEvents);  // Paused.
  EXPECT_TRUE(server.WaitForNewConnection(100));
  EXPECT_EQ(loop_.WatchedEvents(100), eventloop::kReadable);  // Accepting works: resumed.
  loop_.FastForwardBy(std::chrono::seconds(2));  // The retry timer was cancelled: no accept4.
  ExpectCloseAndUnlink();
}

}  // namespace
}  // namespace test
}  // namespace ipc
