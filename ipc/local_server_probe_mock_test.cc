// What LocalServer::Listen does when its path already exists, with kNoOptions (bind says
// EADDRINUSE) and with access options (link says EEXIST), holding the path's lock (so what is
// there is a foreign server's, or a dead one's): a stale socket is unlinked and the step
// retried once, a live server or a non-socket is left alone (kAddressInUse), a path that
// vanished meanwhile is retried, and a failing probe is reported. On StrictMock<MockOsCalls>
// and a FakeEventLoop (testing/local_server_mock_fixture.h).
#include <sys/socket.h>
#include <sys/stat.h>

#include <cerrno>

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
using ::testing::StrEq;
using Error = LocalSocket::Error;

// ---------------------------------------------------------------------------------------------
// kNoOptions: bind() finds the path in use.

TEST_F(LocalServerMockTest, StaleSocketIsReplaced) {
  LocalServer server(loop_, os_);
  {
    InSequence seq;
    ExpectPathInUse();                                // Listening fd 100.
    ExpectStaleSocketRemoved(101, AddressIs(kPath));  // Probe fd 101.
    ExpectBindAndListen(kPath, AddressIs(kPath));
  }
  ASSERT_TRUE(server.Listen(kPath)) << server.error_string();
  EXPECT_EQ(server.server_error(), Error::kNone);
  ExpectCloseAndUnlink();
}

TEST_F(LocalServerMockTest, StaleSocketThatComesBackIsNotFoughtForever) {
  LocalServer server(loop_, os_);
  InSequence seq;
  ExpectPathInUse();
  ExpectStaleSocketRemoved(101);
  EXPECT_CALL(os_, Bind(100, _, _)).WillOnce(FailWith(EADDRINUSE));  // Someone was faster.
  ExpectClose(100);
  ExpectLockReleased();
  EXPECT_FALSE(server.Listen(kPath));
  EXPECT_EQ(server.server_error(), Error::kAddressInUse);
  EXPECT_EQ(server.error_string(), "LocalServer::Listen: address in use: Address already in use");
}

TEST_F(LocalServerMockTest, VanishedPathIsRetried) {
  LocalServer server(loop_, os_);
  InSequence seq;
  ExpectPathInUse();
  EXPECT_CALL(os_, Lstat(StrEq(kPath), _)).WillOnce(FailWith(ENOENT));
  ExpectBindAndListen(kPath, _);
  ASSERT_TRUE(server.Listen(kPath));
  ExpectCloseAndUnlink();
}

class LiveProbeTest : public LocalServerMockTest, public ::testing::WithParamInterface<int> {};

// The probe connect succeeds (0), or the backlog is full (EAGAIN): a live server.
TEST_P(LiveProbeTest, LiveServerIsNotHijacked) {
  const int probe_errno = GetParam();
  LocalServer server(loop_, os_);
  InSequence seq;
  ExpectPathInUse();
  ExpectProbe(101, probe_errno == 0 ? ReturnSys(0) : FailWith(probe_errno));
  ExpectClose(100);
  EXPECT_CALL(os_, Unlink(StrEq(kPath))).Times(0);
  ExpectLockReleased();
  EXPECT_FALSE(server.Listen(kPath));
  EXPECT_EQ(server.server_error(), Error::kAddressInUse);
  EXPECT_EQ(server.error_string(), "LocalServer::Listen: address in use");
  EXPECT_FALSE(server.IsListening());
}

INSTANTIATE_TEST_SUITE_P(Outcomes, LiveProbeTest, ::testing::Values(0, EAGAIN, EPROTOTYPE));

TEST_F(LocalServerMockTest, ProbeFailureIsReportedAndNothingUnlinked) {
  LocalServer server(loop_, os_);
  InSequence seq;
  ExpectPathInUse();
  ExpectProbe(101, FailWith(EACCES));
  ExpectClose(100);
  ExpectLockReleased();
  EXPECT_FALSE(server.Listen(kPath));
  EXPECT_EQ(server.server_error(), Error::kSocketAccess);
  EXPECT_EQ(server.error_string(), "LocalServer::Listen: socket access error: Permission denied");
}

TEST_F(LocalServerMockTest, AStaleSocketThatCannotBeUnlinkedIsReported) {
  LocalServer server(loop_, os_);
  InSequence seq;
  ExpectPathInUse();
  ExpectProbe(101, FailWith(ECONNREFUSED));
  EXPECT_CALL(os_, Unlink(StrEq(kPath))).WillOnce(FailWith(EPERM));  // e.g. a sticky /tmp.
  ExpectClose(100);
  ExpectLockReleased();
  EXPECT_FALSE(server.Listen(kPath));
  EXPECT_EQ(server.server_error(), Error::kSocketAccess);
  EXPECT_EQ(server.error_string(),
            "LocalServer::Listen: socket access error: Operation not permitted");
}

TEST_F(LocalServerMockTest, AStaleSocketAlreadyUnlinkedByOthersIsNoFailure) {
  LocalServer server(loop_, os_);
  {
    InSequence seq;
    ExpectPathInUse();
    ExpectProbe(101, FailWith(ECONNREFUSED));
    EXPECT_CALL(os_, Unlink(StrEq(kPath))).WillOnce(FailWith(ENOENT));  // Gone meanwhile.
    ExpectBindAndListen(kPath, AddressIs(kPath));
  }
  ASSERT_TRUE(server.Listen(kPath)) << server.error_string();
  ExpectCloseAndUnlink();
}

TEST_F(LocalServerMockTest, AProbeOnDescriptorZeroWorks) {
  LocalServer server(loop_, os_);
  {
    InSequence seq;
    ExpectPathInUse();
    EXPECT_CALL(os_, Lstat(StrEq(kPath), _)).WillOnce(SocketStat(3, 3));
    // stdin was closed: the probe socket gets fd 0, a descriptor like any other.
    EXPECT_CALL(os_, Socket(AF_UNIX, kSocketType, 0)).WillOnce([this](int, int, int) {
      EXPECT_TRUE(fds_.Track(0));
      return SysResult{0, 0};
    });
    EXPECT_CALL(os_, Connect(0, _, _)).WillOnce(FailWith(ECONNREFUSED));
    ExpectClose(0);
    EXPECT_CALL(os_, Unlink(StrEq(kPath))).WillOnce(ReturnSys(0));
    ExpectBindAndListen(kPath, AddressIs(kPath));
  }
  ASSERT_TRUE(server.Listen(kPath)) << server.error_string();
  EXPECT_FALSE(fds_.IsOpen(0));
  ExpectCloseAndUnlink();
}

TEST_F(LocalServerMockTest, ProbeSocketFailureIsReported) {
  LocalServer server(loop_, os_);
  InSequence seq;
  ExpectPathInUse();
  EXPECT_CALL(os_, Lstat(StrEq(kPath), _)).WillOnce(SocketStat(3, 3));
  EXPECT_CALL(os_, Socket(AF_UNIX, kSocketType, 0)).WillOnce(FailWith(EMFILE));
  ExpectClose(100);
  ExpectLockReleased();
  EXPECT_FALSE(server.Listen(kPath));
  EXPECT_EQ(server.server_error(), Error::kSocketResource);
}

TEST_F(LocalServerMockTest, NonSocketFileIsLeftAlone) {
  LocalServer server(loop_, os_);
  InSequence seq;
  ExpectPathInUse();
  EXPECT_CALL(os_, Lstat(StrEq(kPath), _)).WillOnce(StatAs{S_IFREG | 0644, 3, 3});
  ExpectClose(100);
  ExpectLockReleased();
  EXPECT_FALSE(server.Listen(kPath));
  EXPECT_EQ(server.server_error(), Error::kAddressInUse);
  EXPECT_EQ(server.error_string(), "LocalServer::Listen: address in use (not a socket)");
}

// ---------------------------------------------------------------------------------------------
// Access options: link() finds the path in use.

TEST_F(LocalServerMockTest, AccessOptionsReplaceAStaleSocket) {
  LocalServer server(loop_, os_);
  server.SetSocketOptions(LocalServer::kUserAccess);
  {
    InSequence seq;
    ExpectAccessRecipeUntilLinkExists();
    ExpectStaleSocketRemoved(102, AddressIs(kPath));  // Probe fd 102.
    ExpectLinkedIntoPlace();
  }
  ASSERT_TRUE(server.Listen(kPath)) << server.error_string();
  ExpectCloseAndUnlink();
}

TEST_F(LocalServerMockTest, AccessOptionsDoNotHijackALiveServer) {
  LocalServer server(loop_, os_);
  server.SetSocketOptions(LocalServer::kUserAccess);
  InSequence seq;
  ExpectAccessRecipeUntilLinkExists();
  ExpectProbe(102, ReturnSys(0));
  ExpectAccessFailureCleanup();
  EXPECT_FALSE(server.Listen(kPath));
  EXPECT_EQ(server.server_error(), Error::kAddressInUse);
  EXPECT_EQ(server.error_string(), "LocalServer::Listen: address in use");
}

TEST_F(LocalServerMockTest, AccessOptionsLeaveANonSocketAlone) {
  LocalServer server(loop_, os_);
  server.SetSocketOptions(LocalServer::kUserAccess);
  InSequence seq;
  ExpectAccessRecipeUntilLinkExists();
  EXPECT_CALL(os_, Lstat(StrEq(kPath), _)).WillOnce(StatAs{S_IFDIR | 0755, 3, 3});
  ExpectAccessFailureCleanup();
  EXPECT_FALSE(server.Listen(kPath));
  EXPECT_EQ(server.server_error(), Error::kAddressInUse);
  EXPECT_EQ(server.error_string(), "LocalServer::Listen: address in use (not a socket)");
}

TEST_F(LocalServerMockTest, AccessOptionsSecondEexistIsAddressInUse) {
  LocalServer server(loop_, os_);
  server.SetSocketOptions(LocalServer::kUserAccess);
  InSequence seq;
  ExpectAccessRecipeUntilLinkExists();
  EXPECT_CALL(os_, Lstat(StrEq(kPath), _)).WillOnce(FailWith(ENOENT));  // Gone: retry.
  EXPECT_CALL(os_, Link(StrEq(kTmpFile), StrEq(kPath))).WillOnce(FailWith(EEXIST));
  ExpectAccessFailureCleanup();
  EXPECT_FALSE(server.Listen(kPath));
  EXPECT_EQ(server.server_error(), Error::kAddressInUse);
  EXPECT_EQ(server.error_string(), "LocalServer::Listen: address in use: File exists");
}

}  // namespace
}  // namespace test
}  // namespace ipc
