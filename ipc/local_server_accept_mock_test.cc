// LocalServer accepting from the loop: one wake-up accepts until EAGAIN (at most 256), emits
// new_connection once per connection, never queues more than max_pending_connections (reading
// pauses while the queue is full), and survives new_connection slots that take connections,
// close the server or destroy it. On StrictMock<MockOsCalls> and a FakeEventLoop
// (testing/local_server_mock_fixture.h).
#include <sys/stat.h>

#include <cerrno>
#include <chrono>
#include <cstddef>
#include <memory>
#include <utility>
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
using ::testing::InSequence;

// ---------------------------------------------------------------------------------------------
// Accepting and the pending queue.

TEST_F(LocalServerMockTest, AcceptsUntilEagainAndEmitsOncePerConnection) {
  LocalServer server(loop_, os_);
  ListenAtPath(server);
  std::vector<size_t> queue_sizes;  // HasPendingConnections at each emit
  server.new_connection.Connect([&] {
    EXPECT_TRUE(server.HasPendingConnections());
    queue_sizes.push_back(queue_sizes.size() + 1);
  });
  {
    InSequence seq;
    EXPECT_CALL(os_, Accept4(100, nullptr, nullptr, kAcceptFlags))
        .Times(3)
        .WillRepeatedly(AcceptFd());
    EXPECT_CALL(os_, Accept4(100, nullptr, nullptr, kAcceptFlags)).WillRepeatedly(FailWith(EAGAIN));
  }
  WakeListener();
  EXPECT_EQ(queue_sizes.size(), 3u);
  loop_.ClearFdReady(100, eventloop::kReadable);

  std::vector<std::unique_ptr<LocalSocket>> taken;
  while (auto socket = server.NextPendingConnection()) taken.push_back(std::move(socket));
  ASSERT_EQ(taken.size(), 3u);
  EXPECT_EQ(taken[0]->socket_descriptor(), 101);
  EXPECT_EQ(taken[1]->socket_descriptor(), 102);
  EXPECT_EQ(taken[2]->socket_descriptor(), 103);
  for (const auto& socket : taken) {
    EXPECT_EQ(socket->state(), LocalSocket::State::kConnected);
    EXPECT_EQ(socket->server_name(), kPath);
    EXPECT_EQ(socket->full_server_name(), kPath);
    EXPECT_EQ(socket->socket_options(), LocalSocket::kNoOptions);
  }
  // Taken sockets outlive the server.
  ExpectCloseAndUnlink();
}

TEST_F(LocalServerMockTest, NothingIsAcceptedInsideListen) {
  LocalServer server(loop_, os_);
  int emitted = 0;
  server.new_connection.Connect([&] { ++emitted; });
  loop_.SetFdReady(100, eventloop::kReadable);  // A client is already waiting.
  ListenAtPath(server);
  EXPECT_EQ(emitted, 0);
  EXPECT_CALL(os_, Accept4(100, _, _, kAcceptFlags))
      .WillOnce(AcceptFd())
      .WillRepeatedly(FailWith(EAGAIN));
  loop_.RunUntilIdle();
  EXPECT_EQ(emitted, 1);
  ExpectCloseAndUnlink();  // The pending socket is destroyed with the server.
}

TEST_F(LocalServerMockTest, AcceptedSocketsOfAnAbstractServerAreAbstract) {
  LocalServer server(loop_, os_);
  ListenAbstract(server);
  EXPECT_CALL(os_, Accept4(100, _, _, kAcceptFlags))
      .WillOnce(AcceptFd())
      .WillRepeatedly(FailWith(EAGAIN));
  WakeListener();
  std::unique_ptr<LocalSocket> socket = server.NextPendingConnection();
  ASSERT_NE(socket, nullptr);
  EXPECT_EQ(socket->server_name(), "app");
  EXPECT_EQ(socket->full_server_name(), "app");
  EXPECT_EQ(socket->socket_options(), LocalSocket::kAbstractNamespace);
  // Adopted without a system call (the mock is strict), ready for use.
  EXPECT_EQ(socket->state(), LocalSocket::State::kConnected);
  EXPECT_EQ(socket->open_mode(), LocalSocket::kReadWrite);
  EXPECT_EQ(socket->socket_descriptor(), 101);
  EXPECT_EQ(socket->error(), LocalSocket::Error::kNone);
  EXPECT_EQ(loop_.WatchedEvents(101), eventloop::kReadable);
  ExpectClose(100);
}

TEST_F(LocalServerMockTest, EagainStopsAcceptingUntilTheNextWakeUp) {
  LocalServer server(loop_, os_);
  ListenAtPath(server);
  ExpectAccept(FailWith(EAGAIN));
  WakeListener();  // One wake-up, one accept4.
  loop_.ClearFdReady(100, eventloop::kReadable);
  loop_.RunUntilIdle();  // Not ready: no accept4.
  EXPECT_EQ(loop_.WatchedEvents(100), eventloop::kReadable);
  ExpectCloseAndUnlink();
}

TEST_F(LocalServerMockTest, QueueHoldsExactlyMaxAndPausesReading) {
  LocalServer server(loop_, os_);
  server.SetMaxPendingConnections(2);
  ListenAtPath(server);
  int emitted = 0;
  server.new_connection.Connect([&] { ++emitted; });
  // Exactly two accepts: the queue is then full and accept4 is not called again.
  EXPECT_CALL(os_, Accept4(100, _, _, kAcceptFlags)).Times(2).WillRepeatedly(AcceptFd());
  WakeListener();
  EXPECT_EQ(emitted, 2);
  EXPECT_EQ(loop_.WatchedEvents(100), eventloop::kNoEvents);
  loop_.RunUntilIdle();  // Still ready, but paused: no accept4 (a third would fail).

  std::unique_ptr<LocalSocket> first = server.NextPendingConnection();
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(loop_.WatchedEvents(100), eventloop::kReadable);  // Resumed below max.
  ExpectAccept(AcceptFd());
  loop_.RunUntilIdle();
  EXPECT_EQ(emitted, 3);
  EXPECT_EQ(loop_.WatchedEvents(100), eventloop::kNoEvents);

  // Raising the maximum resumes at once; lowering it pauses.
  server.SetMaxPendingConnections(3);
  EXPECT_EQ(loop_.WatchedEvents(100), eventloop::kReadable);
  server.SetMaxPendingConnections(1);
  EXPECT_EQ(loop_.WatchedEvents(100), eventloop::kNoEvents);
  ExpectCloseAndUnlink();
}

TEST_F(LocalServerMockTest, MaxZeroNeverAcceptsFromTheLoop) {
  LocalServer server(loop_, os_);
  server.SetMaxPendingConnections(0);
  ListenAtPath(server);
  EXPECT_EQ(loop_.WatchedEvents(100), eventloop::kNoEvents);
  WakeListener();  // StrictMock: any accept4 would fail the test.
  loop_.FastForwardBy(std::chrono::seconds(5));
  ExpectCloseAndUnlink();
}

TEST_F(LocalServerMockTest, OneWakeUpAcceptsAtMost256) {
  LocalServer server(loop_, os_);
  server.SetMaxPendingConnections(1000);
  ListenAtPath(server);
  int emitted = 0;
  server.new_connection.Connect([&] { ++emitted; });
  EXPECT_CALL(os_, Accept4(100, _, _, kAcceptFlags)).WillRepeatedly(AcceptFd());
  WakeListener();  // One iteration: the cap, then the loop moves on.
  EXPECT_EQ(emitted, 256);
  EXPECT_EQ(loop_.WatchedEvents(100), eventloop::kReadable);  // Level-triggered: more later.
  loop_.RunUntilIdle();
  EXPECT_EQ(emitted, 512);
  loop_.ClearFdReady(100, eventloop::kReadable);
  ExpectCloseAndUnlink();
}

// ---------------------------------------------------------------------------------------------
// Re-entrancy from new_connection.

TEST_F(LocalServerMockTest, SlotTakesTheConnection) {
  LocalServer server(loop_, os_);
  server.SetMaxPendingConnections(1);
  ListenAtPath(server);
  std::vector<std::unique_ptr<LocalSocket>> taken;
  server.new_connection.Connect([&] { taken.push_back(server.NextPendingConnection()); });
  // With max 1, each take frees the slot: all three are accepted in one wake-up.
  ExpectAccepts(3);
  WakeListener();
  ASSERT_EQ(taken.size(), 3u);
  for (const auto& socket : taken) ASSERT_NE(socket, nullptr);
  EXPECT_FALSE(server.HasPendingConnections());
  loop_.ClearFdReady(100, eventloop::kReadable);
  ExpectCloseAndUnlink();
}

TEST_F(LocalServerMockTest, SlotDestroysTheServer) {
  auto server = std::make_unique<LocalServer>(loop_, os_);
  ListenAtPath(*server);
  int emitted = 0;
  server->new_connection.Connect([&] {
    ++emitted;
    server.reset();
  });
  InSequence seq;
  ExpectAccept(AcceptFd());  // Only one.
  ExpectCloseAndUnlink();
  WakeListener();
  EXPECT_EQ(emitted, 1);
  EXPECT_EQ(server, nullptr);
  EXPECT_FALSE(fds_.IsOpen(101));  // The pending socket went with the server.
}

TEST_F(LocalServerMockTest, SlotClosesTheServer) {
  LocalServer server(loop_, os_);
  ListenAtPath(server);
  int emitted = 0;
  server.new_connection.Connect([&] {
    ++emitted;
    server.Close();
  });
  InSequence seq;
  ExpectAccept(AcceptFd());
  ExpectCloseAndUnlink();
  WakeListener();
  EXPECT_EQ(emitted, 1);
  EXPECT_FALSE(server.IsListening());
  EXPECT_FALSE(server.HasPendingConnections());
}

TEST_F(LocalServerMockTest, CloseDestroysPendingButNotTakenSockets) {
  LocalServer server(loop_, os_);
  ListenAtPath(server);
  EXPECT_CALL(os_, Accept4(100, _, _, kAcceptFlags))
      .WillOnce(AcceptFd())
      .WillOnce(AcceptFd())
      .WillRepeatedly(FailWith(EAGAIN));
  WakeListener();
  std::unique_ptr<LocalSocket> taken = server.NextPendingConnection();
  ASSERT_NE(taken, nullptr);
  ExpectCloseAndUnlink();
  server.Close();
  EXPECT_FALSE(fds_.IsOpen(102));  // Pending: destroyed.
  EXPECT_TRUE(fds_.IsOpen(101));   // Taken: unaffected.
  EXPECT_EQ(taken->state(), LocalSocket::State::kConnected);
  EXPECT_FALSE(server.HasPendingConnections());
}

}  // namespace
}  // namespace test
}  // namespace ipc
