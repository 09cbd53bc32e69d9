// Descriptor 0 is an fd like any other: with stdin closed, the next socket the library creates
// or accepts gets fd 0, and every operation must treat it as valid (no `fd > 0` checks).
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "ipc/local_server.h"
#include "ipc/local_socket.h"
#include "testing/raw_socket.h"
#include "testing/run_loop_until.h"
#include "testing/socket_test_fixture.h"

namespace ipc {
namespace {

using State = LocalSocket::State;

bool IsOpenFd(int fd) { return fcntl(fd, F_GETFD) != -1 || errno != EBADF; }

// Closes fd 0 for the life of the object and restores the original stdin afterwards; fails
// the test if something still holds fd 0 at that point (a leak).
class StdinClosed {
 public:
  StdinClosed() : saved_(fcntl(0, F_DUPFD_CLOEXEC, 3)) {
    EXPECT_GE(saved_, 0) << "stdin must be open to run these tests";
    close(0);
  }
  ~StdinClosed() {
    EXPECT_FALSE(IsOpenFd(0)) << "fd 0 leaked";
    if (saved_ >= 0) {
      dup2(saved_, 0);
      close(saved_);
    }
  }
  StdinClosed(const StdinClosed&) = delete;
  StdinClosed& operator=(const StdinClosed&) = delete;

 private:
  int saved_;
};

class FdZeroTest : public test::SocketTest {};

TEST_F(FdZeroTest, ClientOnFdZeroConnectsWaitsTransfersAndCloses) {
  auto listener = Listen("srv");
  ASSERT_NE(listener, nullptr);
  StdinClosed stdin_closed;
  LocalSocket client(loop_);
  client.ConnectToServer("srv");
  ASSERT_EQ(client.state(), State::kConnected) << client.error_string();
  EXPECT_EQ(client.socket_descriptor(), 0);
  const int peer = listener->Accept();
  ASSERT_GE(peer, 0);
  ASSERT_EQ(client.Write("ping"), 4);
  ASSERT_TRUE(client.WaitForBytesWritten(5000)) << client.error_string();
  EXPECT_EQ(test::ReadExactly(peer, 4), "ping");
  ASSERT_TRUE(test::WriteAll(peer, "pong"));
  ASSERT_TRUE(client.WaitForReadyRead(5000)) << client.error_string();
  EXPECT_EQ(client.ReadAll(), "pong");
  client.Close();
  EXPECT_EQ(client.state(), State::kUnconnected);
  EXPECT_FALSE(IsOpenFd(0));
  EXPECT_EQ(test::ReadUntilEof(peer), "");
  close(peer);
}

TEST_F(FdZeroTest, AdoptedDescriptorZeroIsUsedAndClosed) {
  int pair[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair), 0);
  StdinClosed stdin_closed;
  ASSERT_EQ(dup2(pair[0], 0), 0);
  close(pair[0]);
  LocalSocket socket(loop_);
  ASSERT_TRUE(socket.SetSocketDescriptor(0)) << socket.error_string();
  EXPECT_EQ(socket.socket_descriptor(), 0);
  ASSERT_TRUE(test::WriteAll(pair[1], "hi"));
  ASSERT_TRUE(socket.WaitForReadyRead(5000)) << socket.error_string();
  EXPECT_EQ(socket.ReadAll(), "hi");
  socket.Abort();
  EXPECT_FALSE(IsOpenFd(0));
  close(pair[1]);
}

TEST_F(FdZeroTest, ServerListeningOnFdZeroWaitsAcceptsAndCloses) {
  LocalServer server(loop_);
  {
    StdinClosed stdin_closed;
    ASSERT_TRUE(server.Listen("srv")) << server.error_string();
    // The first descriptor the server opens gets 0, whatever it is for; the listening socket
    // is the one it keeps, and every descriptor it opened and did not keep is closed again.
    LocalSocket client(loop_);
    client.ConnectToServer("srv");
    ASSERT_EQ(client.state(), State::kConnected) << client.error_string();
    bool timed_out = true;
    ASSERT_TRUE(server.WaitForNewConnection(5000, &timed_out)) << server.error_string();
    EXPECT_FALSE(timed_out);
    std::unique_ptr<LocalSocket> accepted = server.NextPendingConnection();
    ASSERT_NE(accepted, nullptr);
    ASSERT_EQ(client.Write("x"), 1);
    ASSERT_TRUE(client.WaitForBytesWritten(5000)) << client.error_string();
    ASSERT_TRUE(accepted->WaitForReadyRead(5000)) << accepted->error_string();
    EXPECT_EQ(accepted->ReadAll(), "x");
    accepted.reset();
    client.Abort();
    server.Close();
  }
  EXPECT_FALSE(server.IsListening());
}

TEST_F(FdZeroTest, ServerAdoptingListeningFdZeroAcceptsOnTheLoopAndCloses) {
  const std::string name = test::UniqueAbstractName("fd0");
  auto listener = test::RawListener::ListenAbstract(name);
  ASSERT_NE(listener, nullptr);
  StdinClosed stdin_closed;
  ASSERT_EQ(dup2(listener->fd(), 0), 0);
  listener->CloseFd();
  LocalServer server(loop_);
  ASSERT_TRUE(server.Listen(0)) << server.error_string();
  EXPECT_EQ(server.socket_descriptor(), 0);
  EXPECT_TRUE(server.IsListening());
  LocalSocket client(loop_);
  client.SetSocketOptions(LocalSocket::kAbstractNamespace);
  client.ConnectToServer(name);
  ASSERT_EQ(client.state(), State::kConnected) << client.error_string();
  ASSERT_TRUE(test::RunLoopUntil(loop_, [&] { return server.HasPendingConnections(); }));
  EXPECT_NE(server.NextPendingConnection(), nullptr);
  client.Abort();
  server.Close();
  EXPECT_EQ(server.socket_descriptor(), -1);
  EXPECT_FALSE(IsOpenFd(0));
}

TEST_F(FdZeroTest, ConnectionAcceptedOnFdZeroIsServed) {
  LocalServer server(loop_);
  ASSERT_TRUE(server.Listen("srv")) << server.error_string();
  LocalSocket client(loop_);
  client.ConnectToServer("srv");
  ASSERT_EQ(client.state(), State::kConnected) << client.error_string();
  StdinClosed stdin_closed;
  ASSERT_TRUE(test::RunLoopUntil(loop_, [&] { return server.HasPendingConnections(); }));
  std::unique_ptr<LocalSocket> accepted = server.NextPendingConnection();
  ASSERT_NE(accepted, nullptr);
  EXPECT_EQ(accepted->socket_descriptor(), 0);
  ASSERT_EQ(accepted->Write("from zero"), 9);
  ASSERT_TRUE(accepted->WaitForBytesWritten(5000)) << accepted->error_string();
  ASSERT_TRUE(client.WaitForReadyRead(5000)) << client.error_string();
  EXPECT_EQ(client.ReadAll(), "from zero");
  accepted->DisconnectFromServer();
  ASSERT_TRUE(client.WaitForDisconnected(5000)) << client.error_string();
  ASSERT_TRUE(test::RunLoopUntil(loop_, [&] { return accepted->state() == State::kUnconnected; }));
  EXPECT_FALSE(IsOpenFd(0));
}

}  // namespace
}  // namespace ipc
