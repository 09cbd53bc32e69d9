// LocalServer's defaults and settings, and Listen(name) with kNoOptions and in the abstract
// namespace: name rules, the recipes' system calls, errno mapping, and cleanup on failure.
// On StrictMock<MockOsCalls> and a FakeEventLoop (testing/local_server_mock_fixture.h).
#include <sys/socket.h>

#include <cerrno>
#include <string>

#include "eventloop/event_loop.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ipc/local_server.h"
#include "ipc/local_socket.h"
#include "testing/local_server_mock_fixture.h"
#include "testing/mock_os_calls.h"
#include "testing/temp_dir.h"

namespace ipc {
namespace test {
namespace {

using ::testing::_;
using ::testing::HasSubstr;
using ::testing::InSequence;
using Error = LocalSocket::Error;

// ---------------------------------------------------------------------------------------------
// Defaults and settings.

TEST_F(LocalServerMockTest, FreshServerDefaults) {
  LocalServer server(loop_, os_);
  EXPECT_FALSE(server.IsListening());
  EXPECT_EQ(server.server_error(), Error::kNone);
  EXPECT_EQ(server.error_string(), "");
  EXPECT_EQ(server.server_name(), "");
  EXPECT_EQ(server.full_server_name(), "");
  EXPECT_EQ(server.socket_descriptor(), -1);
  EXPECT_EQ(server.socket_options(), LocalServer::kNoOptions);
  EXPECT_EQ(server.max_pending_connections(), 30);
  EXPECT_EQ(server.listen_backlog_size(), 50);
  EXPECT_FALSE(server.HasPendingConnections());
  EXPECT_EQ(server.NextPendingConnection(), nullptr);
  server.Close();  // No-op: no system call.
}

TEST_F(LocalServerMockTest, SettersValidate) {
  LocalServer server(loop_, os_);
  server.SetSocketOptions(LocalServer::kUserAccess | LocalServer::kGroupAccess);
  EXPECT_EQ(server.socket_options(), 0x03u);
  server.SetSocketOptions(0x10);  // Undefined bit: ignored.
  EXPECT_EQ(server.socket_options(), 0x03u);
  server.SetSocketOptions(LocalServer::kAbstractNamespace | 0x20);
  EXPECT_EQ(server.socket_options(), 0x03u);
  server.SetSocketOptions(LocalServer::kWorldAccess | LocalServer::kAbstractNamespace);
  EXPECT_EQ(server.socket_options(), 0x0Fu);
  server.SetMaxPendingConnections(5);
  server.SetMaxPendingConnections(-1);
  EXPECT_EQ(server.max_pending_connections(), 5);
  server.SetMaxPendingConnections(0);
  EXPECT_EQ(server.max_pending_connections(), 0);
  server.SetListenBacklogSize(7);
  server.SetListenBacklogSize(-3);
  EXPECT_EQ(server.listen_backlog_size(), 7);
  server.SetListenBacklogSize(0);  // Valid: listen(2) then queues at least one connection.
  EXPECT_EQ(server.listen_backlog_size(), 0);
}

// ---------------------------------------------------------------------------------------------
// Listen: names.

TEST_F(LocalServerMockTest, EmptyNameFailsWithoutSystemCalls) {
  LocalServer server(loop_, os_);
  EXPECT_FALSE(server.Listen(""));
  EXPECT_EQ(server.server_error(), Error::kServerNotFound);
  EXPECT_EQ(server.error_string(), "LocalServer::Listen: server not found (invalid name: empty)");
  EXPECT_FALSE(server.IsListening());
}

TEST_F(LocalServerMockTest, PathOf107BytesListensAnd108Fails) {
  LocalServer server(loop_, os_);
  const std::string too_long = "/" + std::string(107, 'a');
  EXPECT_FALSE(server.Listen(too_long));
  EXPECT_EQ(server.server_error(), Error::kServerNotFound);
  EXPECT_EQ(server.error_string(),
            "LocalServer::Listen: server not found (invalid name: name too long)");

  const std::string longest = "/" + std::string(106, 'a');
  InSequence seq;
  ExpectListenRecipe(longest);
  ASSERT_TRUE(server.Listen(longest));
  EXPECT_EQ(server.server_error(), Error::kNone);
  EXPECT_EQ(server.error_string(), "");
  EXPECT_EQ(server.full_server_name(), longest);
  ExpectCloseAndUnlink(longest);
}

TEST_F(LocalServerMockTest, AbstractNameOf107BytesListensAnd108Fails) {
  LocalServer server(loop_, os_);
  server.SetSocketOptions(LocalServer::kAbstractNamespace);
  EXPECT_FALSE(server.Listen(std::string(108, 'b')));
  EXPECT_EQ(server.server_error(), Error::kServerNotFound);
  EXPECT_THAT(server.error_string(), HasSubstr("name too long"));

  const std::string longest(107, 'b');
  InSequence seq;
  ExpectAbstractListenRecipe(longest);
  ASSERT_TRUE(server.Listen(longest));
  EXPECT_EQ(server.full_server_name(), longest);
  ExpectClose(100);  // No lstat, no unlink.
}

TEST_F(LocalServerMockTest, RelativeNameGoesToTmpdir) {
  ScopedTmpdir tmpdir("/run/tmp/");
  LocalServer server(loop_, os_);
  InSequence seq;
  ExpectListenRecipe("/run/tmp/dir/app");
  ASSERT_TRUE(server.Listen("dir/app"));
  EXPECT_EQ(server.server_name(), "dir/app");
  EXPECT_EQ(server.full_server_name(), "/run/tmp/dir/app");
  EXPECT_EQ(server.socket_descriptor(), 100);
  ExpectCloseAndUnlink("/run/tmp/dir/app");
}

// ---------------------------------------------------------------------------------------------
// Listen: kNoOptions.

TEST_F(LocalServerMockTest, NoOptionsSequenceAndState) {
  LocalServer server(loop_, os_);
  server.SetListenBacklogSize(7);
  ListenAtPath(server, 7);
  EXPECT_TRUE(server.IsListening());
  EXPECT_EQ(server.server_name(), kPath);
  EXPECT_EQ(server.full_server_name(), kPath);
  EXPECT_EQ(server.socket_descriptor(), 100);
  EXPECT_EQ(loop_.WatchedEvents(100), eventloop::kReadable);
  EXPECT_FALSE(server.HasPendingConnections());
  ExpectCloseAndUnlink();
}

TEST_F(LocalServerMockTest, ListenWhileListeningFailsAndChangesNothing) {
  LocalServer server(loop_, os_);
  ListenAtPath(server);
  EXPECT_FALSE(server.Listen("/other"));
  EXPECT_EQ(server.server_error(), Error::kOperation);
  EXPECT_EQ(server.error_string(), "LocalServer::Listen: already listening");
  EXPECT_TRUE(server.IsListening());
  EXPECT_EQ(server.full_server_name(), kPath);
  EXPECT_EQ(server.socket_descriptor(), 100);
  EXPECT_FALSE(server.Listen(5));
  EXPECT_EQ(server.server_error(), Error::kOperation);
  ExpectCloseAndUnlink();
}

class BindErrnoTest : public LocalServerMockTest,
                      public ::testing::WithParamInterface<ErrnoCase> {};

TEST_P(BindErrnoTest, BindFailureMapsAndCleansUp) {
  const ErrnoCase c = GetParam();
  LocalServer server(loop_, os_);
  InSequence seq;
  ExpectBindFailure(c.err);
  EXPECT_FALSE(server.Listen(kPath));
  EXPECT_EQ(server.server_error(), c.error);
  EXPECT_EQ(server.error_string(), std::string("LocalServer::Listen: ") + c.text);
  EXPECT_FALSE(server.IsListening());
  EXPECT_EQ(server.full_server_name(), "");
  EXPECT_EQ(server.socket_descriptor(), -1);
}

INSTANTIATE_TEST_SUITE_P(
    Errnos, BindErrnoTest,
    ::testing::Values(
        ErrnoCase{EACCES, Error::kSocketAccess, "socket access error: Permission denied"},
        ErrnoCase{EPERM, Error::kSocketAccess, "socket access error: Operation not permitted"},
        ErrnoCase{EROFS, Error::kServerNotFound, "server not found: Read-only file system"},
        ErrnoCase{ENOENT, Error::kServerNotFound, "server not found: No such file or directory"},
        ErrnoCase{ENOTDIR, Error::kServerNotFound, "server not found: Not a directory"},
        ErrnoCase{ELOOP, Error::kServerNotFound,
                  "server not found: Too many levels of symbolic links"},
        ErrnoCase{ENAMETOOLONG, Error::kServerNotFound, "server not found: File name too long"},
        ErrnoCase{ENOMEM, Error::kSocketResource, "out of resources: Cannot allocate memory"},
        ErrnoCase{ENOBUFS, Error::kSocketResource, "out of resources: No buffer space available"},
        ErrnoCase{EIO, Error::kUnknown, "unknown error: Input/output error"}));

TEST_F(LocalServerMockTest, SocketFailureMapsErrno) {
  LocalServer server(loop_, os_);
  for (const ErrnoCase& c :
       {ErrnoCase{EMFILE, Error::kSocketResource, "out of resources: Too many open files"},
        ErrnoCase{ENFILE, Error::kSocketResource,
                  "out of resources: Too many open files in system"},
        ErrnoCase{EAFNOSUPPORT, Error::kUnknown,
                  "unknown error: Address family not supported by protocol"}}) {
    SCOPED_TRACE(c.err);
    InSequence seq;
    ExpectLockTaken();
    EXPECT_CALL(os_, Socket(AF_UNIX, kSocketType, 0)).WillOnce(FailWith(c.err));
    ExpectLockReleased();
    EXPECT_FALSE(server.Listen(kPath));
    EXPECT_EQ(server.server_error(), c.error);
    EXPECT_EQ(server.error_string(), std::string("LocalServer::Listen: ") + c.text);
  }
}

TEST_F(LocalServerMockTest, ListenFailureUnlinksOnlyOurFile) {
  LocalServer server(loop_, os_);
  InSequence seq;
  ExpectLockTaken();
  ExpectSocket();
  ExpectBindAndListen(kPath, _, 100, 50, FailWith(ENOBUFS));
  ExpectCloseAndUnlink();
  EXPECT_FALSE(server.Listen(kPath));
  EXPECT_EQ(server.server_error(), Error::kSocketResource);
  EXPECT_EQ(server.error_string(),
            "LocalServer::Listen: out of resources: No buffer space available");
}

TEST_F(LocalServerMockTest, ListenFailureLeavesAReplacedFileAlone) {
  LocalServer server(loop_, os_);
  InSequence seq;
  ExpectLockTaken();
  ExpectSocket();
  ExpectBindAndListen(kPath, _, 100, 50, FailWith(EINVAL));
  ExpectCloseLeavingTheFile(SocketStat(kDev, kIno + 1));  // Not ours now.
  EXPECT_FALSE(server.Listen(kPath));
  EXPECT_EQ(server.server_error(), Error::kUnknown);
  EXPECT_EQ(server.error_string(), "LocalServer::Listen: unknown error: Invalid argument");
}

TEST_F(LocalServerMockTest, SuccessfulListenClearsThePreviousError) {
  LocalServer server(loop_, os_);
  ExpectBindFailure(EACCES, "/x");
  EXPECT_FALSE(server.Listen("/x"));
  EXPECT_EQ(server.server_error(), Error::kSocketAccess);
  {
    InSequence seq;
    ExpectLockTaken();
    ExpectSocket();  // 101
    ExpectBindAndListen(kPath, _, 101);
  }
  ASSERT_TRUE(server.Listen(kPath));
  EXPECT_EQ(server.server_error(), Error::kNone);
  EXPECT_EQ(server.error_string(), "");
  ExpectCloseAndUnlink(kPath, 101);
}

// ---------------------------------------------------------------------------------------------
// Listen: abstract namespace.

TEST_F(LocalServerMockTest, AbstractListenHasNoFileAndNoUnlink) {
  LocalServer server(loop_, os_);
  ListenAbstract(server);
  EXPECT_EQ(server.server_name(), "app");
  EXPECT_EQ(server.full_server_name(), "app");
  ExpectClose(100);
}

TEST_F(LocalServerMockTest, AbstractOverridesAccessBits) {
  LocalServer server(loop_, os_);
  InSequence seq;
  ExpectAbstractListenRecipe("app");
  server.SetSocketOptions(LocalServer::kAbstractNamespace | LocalServer::kUserAccess);
  ASSERT_TRUE(server.Listen("app"));
  EXPECT_EQ(server.socket_options(), LocalServer::kAbstractNamespace | LocalServer::kUserAccess);
  ExpectClose(100);
}

TEST_F(LocalServerMockTest, AbstractAddressInUseIsNotProbed) {
  LocalServer server(loop_, os_);
  server.SetSocketOptions(LocalServer::kAbstractNamespace);
  InSequence seq;
  ExpectAbstractBindFailure(EADDRINUSE);
  EXPECT_FALSE(server.Listen("app"));
  EXPECT_EQ(server.server_error(), Error::kAddressInUse);
  EXPECT_EQ(server.error_string(), "LocalServer::Listen: address in use: Address already in use");
}

}  // namespace
}  // namespace test
}  // namespace ipc
