// LocalServer::SetPeerFilter: each accepted connection is decided on its peer's credentials
// before it is queued; a rejected one (or one whose credentials the kernel cannot tell) is
// closed at once, never announced and never counted against the pending queue. The filter may
// replace itself, close or destroy the server. On StrictMock<MockOsCalls> and a FakeEventLoop
// (testing/local_server_mock_fixture.h).
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

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

// GetSockOpt(SO_PEERCRED): a peer with the given credentials.
auto PeerIs(pid_t pid, uid_t uid, gid_t gid) {
  return [=](int, int, int, void* out, socklen_t* length) {
    const ucred credentials{pid, uid, gid};
    std::memcpy(out, &credentials, sizeof(credentials));
    *length = sizeof(credentials);
    return SysResult{0, 0};
  };
}

class PeerFilterTest : public LocalServerMockTest {
 protected:
  // The listening socket accepts fds 101, 102, ... whose peers have these uids (pid 1000 + fd,
  // gid 50), then says EAGAIN.
  void ExpectPeers(const std::vector<uid_t>& uids) {
    InSequence seq;
    for (size_t i = 0; i < uids.size(); ++i) {
      const int fd = 101 + static_cast<int>(i);
      EXPECT_CALL(os_, Accept4(100, nullptr, nullptr, kAcceptFlags)).WillOnce(AcceptFd());
      EXPECT_CALL(os_, GetSockOpt(fd, SOL_SOCKET, SO_PEERCRED, _, _))
          .WillOnce(PeerIs(1000 + fd, uids[i], 50));
    }
    EXPECT_CALL(os_, Accept4(100, nullptr, nullptr, kAcceptFlags)).WillRepeatedly(FailWith(EAGAIN));
  }

  std::vector<int> TakeAllFds(LocalServer& server) {
    std::vector<int> fds;
    while (auto socket = server.NextPendingConnection()) fds.push_back(socket->socket_descriptor());
    return fds;
  }
};

TEST_F(PeerFilterTest, RejectedPeersAreClosedAtOnceAndNeverAnnounced) {
  LocalServer server(loop_, os_);
  ListenAtPath(server);
  std::vector<PeerCredentials> seen;
  server.SetPeerFilter([&](const PeerCredentials& peer) {
    seen.push_back(peer);
    return peer.uid == 1000;
  });
  int announced = 0;
  server.new_connection.Connect([&] { ++announced; });
  ExpectPeers({1001, 1000, 0});
  WakeListener();
  EXPECT_EQ(announced, 1);
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0].pid, 1101);
  EXPECT_EQ(seen[0].uid, 1001u);
  EXPECT_EQ(seen[0].gid, 50u);
  EXPECT_FALSE(fds_.IsOpen(101));  // Rejected: closed before the next accept.
  EXPECT_FALSE(fds_.IsOpen(103));
  std::vector<int> taken;
  {
    std::unique_ptr<LocalSocket> socket = server.NextPendingConnection();
    ASSERT_NE(socket, nullptr);
    taken.push_back(socket->socket_descriptor());
  }
  EXPECT_THAT(taken, ElementsAre(102));
  EXPECT_EQ(server.NextPendingConnection(), nullptr);
  ExpectCloseAndUnlink();
}

TEST_F(PeerFilterTest, RejectedPeersTakeNoPlaceInThePendingQueue) {
  LocalServer server(loop_, os_);
  ListenAtPath(server);
  server.SetMaxPendingConnections(1);
  server.SetPeerFilter([](const PeerCredentials& peer) { return peer.uid == 7; });
  ExpectPeers({1, 2, 3, 7});  // Three rejected, then one admitted fills the queue.
  WakeListener();
  EXPECT_THAT(TakeAllFds(server), ElementsAre(104));
  ExpectCloseAndUnlink();
}

TEST_F(PeerFilterTest, APeerWhoseCredentialsAreUnknownIsRejected) {
  LocalServer server(loop_, os_);
  ListenAtPath(server);
  int calls = 0;
  server.SetPeerFilter([&](const PeerCredentials&) { return ++calls > 0; });
  {
    InSequence seq;
    EXPECT_CALL(os_, Accept4(100, nullptr, nullptr, kAcceptFlags)).WillOnce(AcceptFd());
    EXPECT_CALL(os_, GetSockOpt(101, SOL_SOCKET, SO_PEERCRED, _, _)).WillOnce(FailWith(ENOTCONN));
    EXPECT_CALL(os_, Accept4(100, nullptr, nullptr, kAcceptFlags)).WillRepeatedly(FailWith(EAGAIN));
  }
  WakeListener();
  EXPECT_EQ(calls, 0);
  EXPECT_FALSE(server.HasPendingConnections());
  EXPECT_FALSE(fds_.IsOpen(101));
  ExpectCloseAndUnlink();
}

TEST_F(PeerFilterTest, AnEmptyFilterAdmitsEveryoneWithoutAskingTheKernel) {
  LocalServer server(loop_, os_);
  ListenAtPath(server);
  server.SetPeerFilter([](const PeerCredentials&) { return false; });
  server.SetPeerFilter(nullptr);
  ExpectAccepts(2);  // No getsockopt: the strict mock would fail on one.
  WakeListener();
  EXPECT_THAT(TakeAllFds(server), ElementsAre(101, 102));
  ExpectCloseAndUnlink();
}

TEST_F(PeerFilterTest, AFilterMayReplaceItself) {
  LocalServer server(loop_, os_);
  ListenAtPath(server);
  int first_calls = 0;
  server.SetPeerFilter([&](const PeerCredentials&) {
    ++first_calls;
    server.SetPeerFilter([](const PeerCredentials& peer) { return peer.uid == 2; });
    return false;
  });
  ExpectPeers({1, 2});
  WakeListener();
  EXPECT_EQ(first_calls, 1);
  EXPECT_THAT(TakeAllFds(server), ElementsAre(102));
  ExpectCloseAndUnlink();
}

TEST_F(PeerFilterTest, AFilterThatClosesTheServerStopsAcceptingAndLeaksNothing) {
  LocalServer server(loop_, os_);
  ListenAtPath(server);
  server.SetPeerFilter([&](const PeerCredentials&) {
    ExpectCloseAndUnlink();
    server.Close();
    return true;
  });
  {
    InSequence seq;
    EXPECT_CALL(os_, Accept4(100, nullptr, nullptr, kAcceptFlags)).WillOnce(AcceptFd());
    EXPECT_CALL(os_, GetSockOpt(101, SOL_SOCKET, SO_PEERCRED, _, _)).WillOnce(PeerIs(1, 1, 1));
  }
  WakeListener();
  EXPECT_FALSE(server.IsListening());
  EXPECT_FALSE(server.HasPendingConnections());
  EXPECT_FALSE(fds_.IsOpen(101));
}

TEST_F(PeerFilterTest, AFilterThatDestroysTheServerLeaksNothing) {
  auto server = std::make_unique<LocalServer>(loop_, os_);
  ListenAtPath(*server);
  server->SetPeerFilter([&](const PeerCredentials&) {
    ExpectCloseAndUnlink();
    server.reset();
    return true;
  });
  {
    InSequence seq;
    EXPECT_CALL(os_, Accept4(100, nullptr, nullptr, kAcceptFlags)).WillOnce(AcceptFd());
    EXPECT_CALL(os_, GetSockOpt(101, SOL_SOCKET, SO_PEERCRED, _, _)).WillOnce(PeerIs(1, 1, 1));
  }
  WakeListener();
  EXPECT_EQ(server, nullptr);
  EXPECT_FALSE(fds_.IsOpen(101));
}

TEST_F(PeerFilterTest, WaitForNewConnectionKeepsWaitingPastARejectedPeer) {
  LocalServer server(loop_, os_);
  ListenAtPath(server);
  server.SetPeerFilter([](const PeerCredentials& peer) { return peer.uid == 2; });
  {
    InSequence seq;
    EXPECT_CALL(os_, Poll(_, 1, 1000)).WillOnce(PollReady(100, POLLIN));
    EXPECT_CALL(os_, Accept4(100, nullptr, nullptr, kAcceptFlags)).WillOnce(AcceptFd());
    EXPECT_CALL(os_, GetSockOpt(101, SOL_SOCKET, SO_PEERCRED, _, _)).WillOnce(PeerIs(1, 1, 1));
    EXPECT_CALL(os_, Poll(_, 1, 1000)).WillOnce(PollReady(100, POLLIN));  // No time passed.
    EXPECT_CALL(os_, Accept4(100, nullptr, nullptr, kAcceptFlags)).WillOnce(AcceptFd());
    EXPECT_CALL(os_, GetSockOpt(102, SOL_SOCKET, SO_PEERCRED, _, _)).WillOnce(PeerIs(2, 2, 2));
  }
  bool timed_out = true;
  EXPECT_TRUE(server.WaitForNewConnection(1000, &timed_out));
  EXPECT_FALSE(timed_out);
  EXPECT_THAT(TakeAllFds(server), ElementsAre(102));
  ExpectCloseAndUnlink();
}

TEST_F(PeerFilterTest, WaitForNewConnectionIsFalseWhenTheFilterClosesTheServer) {
  LocalServer server(loop_, os_);
  ListenAtPath(server);
  server.SetPeerFilter([&](const PeerCredentials&) {
    ExpectCloseAndUnlink();
    server.Close();
    return true;
  });
  {
    InSequence seq;
    EXPECT_CALL(os_, Poll(_, 1, 1000)).WillOnce(PollReady(100, POLLIN));
    EXPECT_CALL(os_, Accept4(100, nullptr, nullptr, kAcceptFlags)).WillOnce(AcceptFd());
    EXPECT_CALL(os_, GetSockOpt(101, SOL_SOCKET, SO_PEERCRED, _, _)).WillOnce(PeerIs(1, 1, 1));
  }
  EXPECT_FALSE(server.WaitForNewConnection(1000));
  EXPECT_FALSE(fds_.IsOpen(101));
}

}  // namespace
}  // namespace test
}  // namespace ipc
