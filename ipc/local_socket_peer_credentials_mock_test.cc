// LocalSocket::peer_credentials(): asked of the kernel (SO_PEERCRED) while connected, and
// std::nullopt without a system call otherwise. On StrictMock<MockOsCalls> and a FakeEventLoop.
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <optional>

#include "testing/local_socket_mock_fixture.h"

namespace ipc {
namespace test {
namespace {

using ::testing::_;
using ::testing::Return;

TEST_F(LocalSocketMockTest, PeerCredentialsComeFromTheKernelWhileConnected) {
  LocalSocket& s = ConnectedSocket();
  EXPECT_CALL(os_, GetSockOpt(kFd, SOL_SOCKET, SO_PEERCRED, _, _))
      .WillOnce([](int, int, int, void* out, socklen_t* length) {
        EXPECT_EQ(*length, sizeof(ucred));
        const ucred credentials{4321, 1000, 100};
        std::memcpy(out, &credentials, sizeof(credentials));
        return SysResult{0, 0};
      });
  const std::optional<PeerCredentials> peer = s.peer_credentials();
  ASSERT_TRUE(peer.has_value());
  EXPECT_EQ(peer->pid, 4321);
  EXPECT_EQ(peer->uid, 1000u);
  EXPECT_EQ(peer->gid, 100u);
}

TEST_F(LocalSocketMockTest, PeerCredentialsTheKernelCannotTellAreNullopt) {
  LocalSocket& s = ConnectedSocket();
  EXPECT_CALL(os_, GetSockOpt(kFd, SOL_SOCKET, SO_PEERCRED, _, _))
      .WillOnce(Return(SysResult{-1, ENOTCONN}));
  EXPECT_EQ(s.peer_credentials(), std::nullopt);
  EXPECT_EQ(s.error(), Error::kNone);  // A query, not a failure of the socket.
}

TEST_F(LocalSocketMockTest, PeerCredentialsAreNulloptWithoutAConnection) {
  // No system call in any of these states: the strict mock would fail on one.
  LocalSocket& s = NewSocket();
  EXPECT_EQ(s.peer_credentials(), std::nullopt);
  ExpectSocketAndConnect(SysResult{-1, EINPROGRESS});
  s.ConnectToServer("/srv");
  ASSERT_EQ(s.state(), State::kConnecting);
  EXPECT_EQ(s.peer_credentials(), std::nullopt);
  s.Abort();
  EXPECT_EQ(s.peer_credentials(), std::nullopt);
}

}  // namespace
}  // namespace test
}  // namespace ipc
