// Peer credentials and the peer filter on real sockets: the credentials each side sees are the
// other process's pid, uid and gid; a filter rejecting a uid closes that peer's connection
// unannounced.
#include <unistd.h>

#include <memory>
#include <optional>
#include <string>

#include "gtest/gtest.h"
#include "ipc/local_server.h"
#include "ipc/local_socket.h"
#include "testing/child_process.h"
#include "testing/run_loop_until.h"
#include "testing/socket_test_fixture.h"

namespace ipc {
namespace {

using State = LocalSocket::State;

class PeerCredentialsTest : public test::SocketTest {};

TEST_F(PeerCredentialsTest, EachSideSeesTheOtherProcess) {
  LocalServer server(loop_);
  ASSERT_TRUE(server.Listen("srv")) << server.error_string();
  const pid_t parent = getpid();
  const std::string path = server.full_server_name();
  int done[2];
  ASSERT_EQ(pipe(done), 0);
  // The child connects, checks what it sees of the server, and stays connected until told.
  test::ChildProcess child([&] {
    close(done[1]);
    eventloop::LibeventLoop child_loop;
    LocalSocket client(child_loop);
    client.ConnectToServer(path);
    if (client.state() != State::kConnected) return 10;
    const std::optional<PeerCredentials> peer = client.peer_credentials();
    if (!peer) return 11;
    if (peer->pid != parent || peer->uid != getuid() || peer->gid != getgid()) return 12;
    char byte;
    return read(done[0], &byte, 1) == 0 ? 0 : 13;  // EOF: the parent is done.
  });
  close(done[0]);
  ASSERT_TRUE(server.WaitForNewConnection(10000)) << server.error_string();
  std::unique_ptr<LocalSocket> accepted = server.NextPendingConnection();
  ASSERT_NE(accepted, nullptr);
  const std::optional<PeerCredentials> peer = accepted->peer_credentials();
  ASSERT_TRUE(peer.has_value());
  EXPECT_EQ(peer->pid, child.pid());
  EXPECT_EQ(peer->uid, getuid());
  EXPECT_EQ(peer->gid, getgid());
  close(done[1]);
  EXPECT_EQ(child.Wait(), 0);
  accepted->Abort();
  EXPECT_EQ(accepted->peer_credentials(), std::nullopt);
}

TEST_F(PeerCredentialsTest, AFilterRejectingAUidClosesThoseConnectionsUnannounced) {
  LocalServer server(loop_);
  ASSERT_TRUE(server.Listen("srv")) << server.error_string();
  uid_t refused = getuid();
  int filtered = 0;
  server.SetPeerFilter([&](const PeerCredentials& peer) {
    ++filtered;
    return peer.uid != refused;
  });
  int announced = 0;
  server.new_connection.Connect([&] { ++announced; });

  LocalSocket rejected(loop_);
  rejected.ConnectToServer("srv");
  ASSERT_EQ(rejected.state(), State::kConnected);  // The kernel accepted it into the backlog.
  ASSERT_TRUE(test::RunLoopUntil(loop_, [&] { return rejected.state() == State::kUnconnected; }));
  EXPECT_EQ(rejected.error(), LocalSocket::Error::kPeerClosed);
  EXPECT_EQ(filtered, 1);
  EXPECT_EQ(announced, 0);
  EXPECT_FALSE(server.HasPendingConnections());

  refused = getuid() + 1;  // Now our uid passes.
  LocalSocket admitted(loop_);
  admitted.ConnectToServer("srv");
  ASSERT_TRUE(test::RunLoopUntil(loop_, [&] { return server.HasPendingConnections(); }));
  EXPECT_EQ(filtered, 2);
  EXPECT_EQ(announced, 1);
  std::unique_ptr<LocalSocket> accepted = server.NextPendingConnection();
  ASSERT_NE(accepted, nullptr);
  EXPECT_EQ(accepted->peer_credentials()->pid, getpid());
}

}  // namespace
}  // namespace ipc
