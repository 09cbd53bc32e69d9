// LocalServer::Listen(int fd): adopting a listening AF_UNIX stream socket (path or abstract
// name), setting O_NONBLOCK and FD_CLOEXEC, never unlinking its path; rejecting anything else
// and leaving the fd untouched. On StrictMock<MockOsCalls> and a FakeEventLoop
// (testing/local_server_mock_fixture.h).
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <cerrno>
#include <string>

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
using ::testing::AnyNumber;
using ::testing::InSequence;
using Error = LocalSocket::Error;

TEST_F(LocalServerMockTest, AdoptsAListeningSocketAndNeverUnlinks) {
  fds_.Track(5);
  LocalServer server(loop_, os_);
  {
    InSequence seq;
    ExpectAdoptionInspects(5, "/run/x/app.sock", O_RDWR, 0);
    EXPECT_CALL(os_, Fcntl(5, F_SETFL, O_RDWR | O_NONBLOCK)).WillOnce(ReturnSys(0));
    EXPECT_CALL(os_, Fcntl(5, F_SETFD, FD_CLOEXEC)).WillOnce(ReturnSys(0));
  }
  server.SetSocketOptions(LocalServer::kUserAccess | LocalServer::kAbstractNamespace);
  ASSERT_TRUE(server.Listen(5)) << server.error_string();
  EXPECT_TRUE(server.IsListening());
  EXPECT_EQ(server.socket_descriptor(), 5);
  EXPECT_EQ(server.server_name(), "app.sock");
  EXPECT_EQ(server.full_server_name(), "/run/x/app.sock");
  EXPECT_EQ(server.socket_options(), LocalServer::kUserAccess);  // Abstract bit dropped.
  EXPECT_EQ(server.server_error(), Error::kNone);
  EXPECT_EQ(loop_.WatchedEvents(5), eventloop::kReadable);
  // Closing never looks at the path.
  ExpectClose(5);
}

TEST_F(LocalServerMockTest, AdoptsAnAbstractListeningSocket) {
  fds_.Track(5);
  LocalServer server(loop_, os_);
  ExpectAdoptionInspects(5, "@svc/x", O_RDWR | O_NONBLOCK, FD_CLOEXEC);
  ASSERT_TRUE(server.Listen(5)) << server.error_string();
  EXPECT_EQ(server.server_name(), "svc/x");
  EXPECT_EQ(server.full_server_name(), "svc/x");
  EXPECT_EQ(server.socket_options(), LocalServer::kAbstractNamespace);
  ExpectClose(5);
}

struct RejectCase {
  const char* what;
  mode_t mode;
  int domain;
  int type;
  int accept_conn;
  const char* text;
};

class AdoptRejectTest : public LocalServerMockTest,
                        public ::testing::WithParamInterface<RejectCase> {};

TEST_P(AdoptRejectTest, RejectsAndLeavesTheFdAlone) {
  const RejectCase c = GetParam();
  fds_.Track(5);
  LocalServer server(loop_, os_);
  EXPECT_CALL(os_, Fstat(5, _)).WillOnce(StatAs{c.mode, 1, 1});
  EXPECT_CALL(os_, GetSockOpt(5, SOL_SOCKET, SO_DOMAIN, _, _))
      .Times(AnyNumber())
      .WillRepeatedly(IntOption(c.domain));
  EXPECT_CALL(os_, GetSockOpt(5, SOL_SOCKET, SO_TYPE, _, _))
      .Times(AnyNumber())
      .WillRepeatedly(IntOption(c.type));
  EXPECT_CALL(os_, GetSockOpt(5, SOL_SOCKET, SO_ACCEPTCONN, _, _))
      .Times(AnyNumber())
      .WillRepeatedly(IntOption(c.accept_conn));
  EXPECT_FALSE(server.Listen(5));
  EXPECT_EQ(server.server_error(), Error::kUnsupportedSocketOperation);
  EXPECT_EQ(server.error_string(), std::string("LocalServer::Listen: ") + c.text);
  EXPECT_FALSE(server.IsListening());
  EXPECT_EQ(server.socket_descriptor(), -1);
  EXPECT_TRUE(fds_.IsOpen(5));
  fds_.Close()(5);  // The test's own fd.
}

INSTANTIATE_TEST_SUITE_P(
    Cases, AdoptRejectTest,
    ::testing::Values(
        RejectCase{"file", S_IFREG | 0644, AF_UNIX, SOCK_STREAM, 1, "not a socket"},
        RejectCase{"inet", S_IFSOCK, AF_INET, SOCK_STREAM, 1, "not an AF_UNIX socket"},
        RejectCase{"dgram", S_IFSOCK, AF_UNIX, SOCK_DGRAM, 1, "not a stream socket"},
        RejectCase{"not listening", S_IFSOCK, AF_UNIX, SOCK_STREAM, 0, "not a listening socket"}),
    [](const ::testing::TestParamInfo<RejectCase>& info) {
      std::string name = info.param.what;
      for (char& ch : name) {
        if (ch == ' ') ch = '_';
      }
      return name;
    });

TEST_F(LocalServerMockTest, AdoptRejectsANegativeOrBadFd) {
  LocalServer server(loop_, os_);
  EXPECT_FALSE(server.Listen(-1));
  EXPECT_EQ(server.server_error(), Error::kUnsupportedSocketOperation);
  EXPECT_EQ(server.error_string(), "LocalServer::Listen: invalid descriptor");
  EXPECT_CALL(os_, Fstat(9, _)).WillOnce(FailWith(EBADF));
  EXPECT_FALSE(server.Listen(9));
  EXPECT_EQ(server.server_error(), Error::kUnsupportedSocketOperation);
  EXPECT_EQ(server.error_string(), "LocalServer::Listen: invalid descriptor: Bad file descriptor");
}

TEST_F(LocalServerMockTest, AdoptFlagFailureRestoresTheFlags) {
  fds_.Track(5);
  LocalServer server(loop_, os_);
  {
    InSequence seq;
    ExpectAdoptionInspects(5, "/run/x/app.sock", O_RDWR, 0);
    EXPECT_CALL(os_, Fcntl(5, F_SETFL, O_RDWR | O_NONBLOCK)).WillOnce(ReturnSys(0));
    EXPECT_CALL(os_, Fcntl(5, F_SETFD, FD_CLOEXEC)).WillOnce(FailWith(EBADF));
    EXPECT_CALL(os_, Fcntl(5, F_SETFL, O_RDWR)).WillOnce(ReturnSys(0));  // Restored.
  }
  EXPECT_FALSE(server.Listen(5));
  EXPECT_EQ(server.server_error(), Error::kUnsupportedSocketOperation);
  EXPECT_EQ(server.error_string(),
            "LocalServer::Listen: cannot make the descriptor close-on-exec: Bad file descriptor");
  EXPECT_FALSE(server.IsListening());
  fds_.Close()(5);  // The test's own fd.
}

TEST_F(LocalServerMockTest, AdoptNonBlockingFailureChangesNoFlag) {
  fds_.Track(5);
  LocalServer server(loop_, os_);
  {
    InSequence seq;
    ExpectAdoptionInspects(5, "/run/x/app.sock", O_RDWR, 0);
    // Nothing was changed, so nothing is restored: a StrictMock fails on any further fcntl.
    EXPECT_CALL(os_, Fcntl(5, F_SETFL, O_RDWR | O_NONBLOCK)).WillOnce(FailWith(EPERM));
  }
  EXPECT_FALSE(server.Listen(5));
  EXPECT_EQ(server.server_error(), Error::kUnsupportedSocketOperation);
  EXPECT_EQ(server.error_string(),
            "LocalServer::Listen: cannot make the descriptor non-blocking: Operation not "
            "permitted");
  EXPECT_FALSE(server.IsListening());
  EXPECT_TRUE(fds_.IsOpen(5));
  fds_.Close()(5);  // The test's own fd.
}

TEST_F(LocalServerMockTest, AdoptionTheLoopCannotWatchRestoresBothFlags) {
  fds_.Track(5);
  loop_.RefuseToWatch(5);
  LocalServer server(loop_, os_);
  {
    InSequence seq;
    ExpectAdoptionInspects(5, "/run/x/app.sock", O_RDWR, 0);
    EXPECT_CALL(os_, Fcntl(5, F_SETFL, O_RDWR | O_NONBLOCK)).WillOnce(ReturnSys(0));
    EXPECT_CALL(os_, Fcntl(5, F_SETFD, FD_CLOEXEC)).WillOnce(ReturnSys(0));
    EXPECT_CALL(os_, Fcntl(5, F_SETFL, O_RDWR)).WillOnce(ReturnSys(0));  // Restored,
    EXPECT_CALL(os_, Fcntl(5, F_SETFD, 0)).WillOnce(ReturnSys(0));       // both of them.
  }
  EXPECT_FALSE(server.Listen(5));
  EXPECT_EQ(server.server_error(), Error::kUnknown);
  EXPECT_EQ(server.error_string(),
            "LocalServer::Listen: the event loop cannot watch the listening socket");
  EXPECT_FALSE(server.IsListening());
  EXPECT_EQ(server.socket_descriptor(), -1);
  EXPECT_TRUE(fds_.IsOpen(5));  // Left to the caller, never closed.
  fds_.Close()(5);              // The test's own fd.
}

}  // namespace
}  // namespace test
}  // namespace ipc
