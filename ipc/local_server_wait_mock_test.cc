// LocalServer::WaitForNewConnection without the loop running: it polls the listening fd on the
// loop's clock (here fake: the mocked poll advances it by the time it was given), accepts one
// connection even when the queue is full, keeps waiting when a client went away, and reports
// poll and accept failures. On StrictMock<MockOsCalls> and a FakeEventLoop
// (testing/local_server_mock_fixture.h).
#include <poll.h>

#include <cerrno>
#include <chrono>
#include <memory>
#include <vector>

#include "eventloop/event_loop.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ipc/local_server.h"
#include "ipc/local_socket.h"
#include "testing/local_server_mock_fixture.h"
#include "testing/mock_os_calls.h"

namespace ipc {
namespace test {
namespace {

using ::testing::_;
using ::testing::ElementsAre;
using ::testing::InSequence;
using Error = LocalSocket::Error;
using std::chrono::milliseconds;

TEST_F(LocalServerMockTest, WaitWhenNotListeningReturnsAtOnce) {
  LocalServer server(loop_, os_);
  bool timed_out = true;
  EXPECT_FALSE(server.WaitForNewConnection(100, &timed_out));
  EXPECT_FALSE(timed_out);
  EXPECT_EQ(server.server_error(), Error::kNone);
}

TEST_F(LocalServerMockTest, WaitTimesOutOnTheLoopsClock) {
  LocalServer server(loop_, os_);
  ListenAtPath(server);
  const eventloop::TimePoint start = loop_.Now();
  {
    InSequence seq;
    // The first poll returns early after 100.5 ms; the second gets the rest, rounded up.
    EXPECT_CALL(os_, Poll(_, 1, 250)).WillOnce([&](pollfd* fds, nfds_t n, int timeout) {
      EXPECT_EQ(fds[0].fd, 100);
      EXPECT_EQ(fds[0].events, POLLIN);
      loop_.fake_clock().Advance(milliseconds(100) + std::chrono::microseconds(500));
      return PollTimesOut()(fds, n, timeout);
    });
    EXPECT_CALL(os_, Poll(_, 1, 150)).WillOnce([&](pollfd* fds, nfds_t n, int timeout) {
      loop_.fake_clock().Advance(milliseconds(timeout));
      return PollTimesOut()(fds, n, timeout);
    });
  }
  bool timed_out = false;
  EXPECT_FALSE(server.WaitForNewConnection(250, &timed_out));
  EXPECT_TRUE(timed_out);
  EXPECT_GE(loop_.Now() - start, milliseconds(250));
  EXPECT_EQ(server.server_error(), Error::kNone);  // A timeout is not an error.
  EXPECT_TRUE(server.IsListening());
  ExpectCloseAndUnlink();
}

TEST_F(LocalServerMockTest, WaitZeroPollsOnce) {
  LocalServer server(loop_, os_);
  ListenAtPath(server);
  EXPECT_CALL(os_, Poll(_, 1, 0)).Times(2).WillRepeatedly(PollTimesOut());
  bool timed_out = false;
  EXPECT_FALSE(server.WaitForNewConnection(0, &timed_out));
  EXPECT_TRUE(timed_out);
  EXPECT_FALSE(server.WaitForNewConnection());  // Defaults: 0 ms, no timed_out.
  ExpectCloseAndUnlink();
}

TEST_F(LocalServerMockTest, WaitForeverPassesMinusOne) {
  LocalServer server(loop_, os_);
  ListenAtPath(server);
  int emitted = 0;
  server.new_connection.Connect([&] { ++emitted; });
  InSequence seq;
  ExpectPollThenAccept(-1, AcceptFd());
  bool timed_out = true;
  EXPECT_TRUE(server.WaitForNewConnection(-1, &timed_out));
  EXPECT_FALSE(timed_out);
  EXPECT_EQ(emitted, 1);
  EXPECT_TRUE(server.HasPendingConnections());
  ExpectCloseAndUnlink();
}

TEST_F(LocalServerMockTest, WaitAcceptsOneEvenWhenTheQueueIsFull) {
  LocalServer server(loop_, os_);
  server.SetMaxPendingConnections(0);
  ListenAtPath(server);
  int emitted = 0;
  server.new_connection.Connect([&] { ++emitted; });
  InSequence seq;
  ExpectPollThenAccept(1000, AcceptFd());
  EXPECT_TRUE(server.WaitForNewConnection(1000));
  EXPECT_EQ(emitted, 1);
  EXPECT_EQ(loop_.WatchedEvents(100), eventloop::kNoEvents);  // The loop still does not accept.
  std::unique_ptr<LocalSocket> socket = server.NextPendingConnection();
  ASSERT_NE(socket, nullptr);
  EXPECT_EQ(socket->socket_descriptor(), 101);
  ExpectCloseAndUnlink();
}

TEST_F(LocalServerMockTest, WaitKeepsWaitingWhenTheClientWentAway) {
  LocalServer server(loop_, os_);
  ListenAtPath(server);
  InSequence seq;
  ExpectPollThenAccept(500, FailWith(ECONNABORTED));
  ExpectPollThenAccept(500, AcceptFd());
  EXPECT_TRUE(server.WaitForNewConnection(500));
  ExpectCloseAndUnlink();
}

TEST_F(LocalServerMockTest, WaitPollErrorSetsTheErrorAndKeepsListening) {
  LocalServer server(loop_, os_);
  ListenAtPath(server);
  int errors = 0;
  server.error_occurred.Connect([&](Error) { ++errors; });
  EXPECT_CALL(os_, Poll(_, 1, 100)).WillOnce(FailWith(ENOMEM));
  bool timed_out = true;
  EXPECT_FALSE(server.WaitForNewConnection(100, &timed_out));
  EXPECT_FALSE(timed_out);
  EXPECT_EQ(server.server_error(), Error::kSocketResource);
  EXPECT_EQ(server.error_string(),
            "LocalServer::WaitForNewConnection: out of resources: Cannot allocate memory");
  EXPECT_EQ(errors, 0);  // A failed wait reports through its return value.
  EXPECT_TRUE(server.IsListening());
  ExpectCloseAndUnlink();
}

TEST_F(LocalServerMockTest, WaitPollErrnosOtherThanResourcesAreUnknown) {
  LocalServer server(loop_, os_);
  ListenAtPath(server);
  EXPECT_CALL(os_, Poll(_, 1, 100)).WillOnce(FailWith(EINVAL));
  EXPECT_FALSE(server.WaitForNewConnection(100));
  EXPECT_EQ(server.server_error(), Error::kUnknown);
  EXPECT_EQ(server.error_string(),
            "LocalServer::WaitForNewConnection: unknown error: Invalid argument");
  EXPECT_TRUE(server.IsListening());
  ExpectCloseAndUnlink();
}

TEST_F(LocalServerMockTest, WaitAcceptFailureEmitsAndPauses) {
  LocalServer server(loop_, os_);
  ListenAtPath(server);
  std::vector<Error> errors;
  server.error_occurred.Connect([&](Error e) { errors.push_back(e); });
  InSequence seq;
  ExpectPollThenAccept(100, FailWith(EMFILE));
  ExpectWaitingClientCheck(/*client_waits=*/true);
  bool timed_out = true;
  EXPECT_FALSE(server.WaitForNewConnection(100, &timed_out));
  EXPECT_FALSE(timed_out);
  EXPECT_THAT(errors, ElementsAre(Error::kSocketResource));
  EXPECT_EQ(server.error_string(),
            "LocalServer::WaitForNewConnection: out of resources: Too many open files");
  EXPECT_EQ(loop_.WatchedEvents(100), eventloop::kNoEvents);
  EXPECT_TRUE(server.IsListening());
  ExpectCloseAndUnlink();
}

TEST_F(LocalServerMockTest, WaitSurvivesASlotDestroyingTheServer) {
  auto server = std::make_unique<LocalServer>(loop_, os_);
  ListenAtPath(*server);
  server->new_connection.Connect([&] { server.reset(); });
  InSequence seq;
  ExpectPollThenAccept(100, AcceptFd());
  ExpectCloseAndUnlink();
  bool timed_out = true;
  EXPECT_TRUE(server->WaitForNewConnection(100, &timed_out));
  EXPECT_FALSE(timed_out);
  EXPECT_EQ(server, nullptr);
}

}  // namespace
}  // namespace test
}  // namespace ipc
