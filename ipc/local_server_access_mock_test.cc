// LocalServer::Listen with access options: the socket is bound in a private mkdtemp directory
// (through /proc/self/fd, or the temporary path itself without /proc), chmod-ed, listened on,
// then link()ed into place, so its mode is exact from the first moment; every failure removes
// the temporary name and directory. On StrictMock<MockOsCalls> and a FakeEventLoop
// (testing/local_server_mock_fixture.h).
#include <sys/stat.h>

#include <cerrno>
#include <cstdint>
#include <string>
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
using ::testing::Args;
using ::testing::InSequence;
using ::testing::StrEq;
using Error = LocalSocket::Error;

struct AccessCase {
  uint32_t options;
  mode_t mode;
};

class AccessOptionsTest : public LocalServerMockTest,
                          public ::testing::WithParamInterface<AccessCase> {};

TEST_P(AccessOptionsTest, BindsPrivatelyChmodsThenLinks) {
  const AccessCase c = GetParam();
  LocalServer server(loop_, os_);
  server.SetSocketOptions(c.options);
  {
    InSequence seq;
    ExpectAccessRecipeUntilLink(c.mode, AddressIs(kProcFile));  // Listening fd 100, dirfd 101.
    ExpectLinkedIntoPlace();
  }
  ASSERT_TRUE(server.Listen(kPath)) << server.error_string();
  EXPECT_EQ(server.full_server_name(), kPath);
  EXPECT_EQ(server.socket_options(), c.options);
  EXPECT_EQ(loop_.WatchedEvents(100), eventloop::kReadable);
  ExpectCloseAndUnlink();
}

INSTANTIATE_TEST_SUITE_P(
    Modes, AccessOptionsTest,
    ::testing::Values(AccessCase{LocalServer::kUserAccess, 0700},
                      AccessCase{LocalServer::kGroupAccess, 0070},
                      AccessCase{LocalServer::kOtherAccess, 0007},
                      AccessCase{LocalServer::kWorldAccess, 0777},
                      AccessCase{LocalServer::kUserAccess | LocalServer::kGroupAccess, 0770},
                      AccessCase{LocalServer::kGroupAccess | LocalServer::kOtherAccess, 0077},
                      AccessCase{LocalServer::kUserAccess | LocalServer::kOtherAccess, 0707}));

TEST_F(LocalServerMockTest, AccessOptionsWithoutProcBindTheTemporaryPath) {
  LocalServer server(loop_, os_);
  server.SetSocketOptions(LocalServer::kUserAccess);
  {
    InSequence seq;
    ExpectLockTaken();
    ExpectSocket();
    ExpectPrivateDirectory();
    EXPECT_CALL(os_, Bind(100, _, _))
        .With(Args<1, 2>(AddressIs(kProcFile)))
        .WillOnce(FailWith(ENOENT));
    EXPECT_CALL(os_, Bind(100, _, _)).With(Args<1, 2>(AddressIs(kTmpFile))).WillOnce(ReturnSys(0));
    EXPECT_CALL(os_, Chmod(StrEq(kTmpFile), 0700)).WillOnce(ReturnSys(0));
    EXPECT_CALL(os_, Listen(100, 50)).WillOnce(ReturnSys(0));
    ExpectLinkedIntoPlace();
  }
  ASSERT_TRUE(server.Listen(kPath)) << server.error_string();
  ExpectCloseAndUnlink();
}

TEST_F(LocalServerMockTest, AccessOptionsWithoutProcAndALongDirectoryFail) {
  // The temporary path does not fit sun_path, and /proc is missing: kServerNotFound.
  const std::string dir = "/" + std::string(90, 'd');
  const std::string path = dir + "/app";
  LocalServer server(loop_, os_);
  server.SetSocketOptions(LocalServer::kUserAccess);
  InSequence seq;
  ExpectLockTaken(path);
  ExpectSocket();
  EXPECT_CALL(os_, Mkdtemp(StrEq(dir + "/.ipc-server-XXXXXX"))).WillOnce(MakeTempDir);
  EXPECT_CALL(os_, Open(StrEq(dir + "/.ipc-server-abc123"), kDirFlags, _)).WillOnce(fds_.Open());
  EXPECT_CALL(os_, Bind(100, _, _)).WillOnce(FailWith(ENOENT));
  EXPECT_CALL(os_, Rmdir(StrEq(dir + "/.ipc-server-abc123"))).WillOnce(ReturnSys(0));
  ExpectClose(101);
  ExpectClose(100);
  ExpectLockReleased(path);
  EXPECT_FALSE(server.Listen(path));
  EXPECT_EQ(server.server_error(), Error::kServerNotFound);
}

TEST_F(LocalServerMockTest, AccessOptionsMkdtempFailures) {
  LocalServer server(loop_, os_);
  server.SetSocketOptions(LocalServer::kOtherAccess);
  const std::vector<ErrnoCase> cases = {
      {ENOENT, Error::kServerNotFound, ""},
      {EACCES, Error::kSocketAccess, ""},
      {EROFS, Error::kServerNotFound, ""},
      {ENOSPC, Error::kUnknown, ""},
  };
  int fd = 100;  // Each attempt's listening socket: the ledger's next fd.
  for (const ErrnoCase& c : cases) {
    SCOPED_TRACE(c.err);
    InSequence seq;
    ExpectLockTaken();
    ExpectSocket();
    EXPECT_CALL(os_, Mkdtemp(StrEq(kTemplate))).WillOnce(FailWith(c.err));
    ExpectClose(fd++);
    ExpectLockReleased();
    EXPECT_FALSE(server.Listen(kPath));
    EXPECT_EQ(server.server_error(), c.error);
  }
}

TEST_F(LocalServerMockTest, AccessOptionsOpenFailureRemovesTheDirectory) {
  LocalServer server(loop_, os_);
  server.SetSocketOptions(LocalServer::kUserAccess);
  InSequence seq;
  ExpectLockTaken();
  ExpectSocket();
  EXPECT_CALL(os_, Mkdtemp(StrEq(kTemplate))).WillOnce(MakeTempDir);
  EXPECT_CALL(os_, Open(StrEq(kTmpDir), kDirFlags, _)).WillOnce(FailWith(EMFILE));
  EXPECT_CALL(os_, Rmdir(StrEq(kTmpDir))).WillOnce(ReturnSys(0));
  ExpectClose(100);
  ExpectLockReleased();
  EXPECT_FALSE(server.Listen(kPath));
  EXPECT_EQ(server.server_error(), Error::kSocketResource);
  EXPECT_EQ(server.error_string(), "LocalServer::Listen: out of resources: Too many open files");
}

// Which step of the access recipe fails (after the bind, so the temporary file exists).
enum class FailingStep { kChmod, kListen, kLink };

class AccessCleanupTest : public LocalServerMockTest,
                          public ::testing::WithParamInterface<FailingStep> {};

TEST_P(AccessCleanupTest, FailureAfterBindRemovesTemporaryFileAndDirectory) {
  const FailingStep step = GetParam();
  LocalServer server(loop_, os_);
  server.SetSocketOptions(LocalServer::kGroupAccess);
  InSequence seq;
  ExpectLockTaken();
  ExpectSocket();
  ExpectPrivateDirectory();
  EXPECT_CALL(os_, Bind(100, _, _)).WillOnce(ReturnSys(0));
  if (step == FailingStep::kChmod) {
    EXPECT_CALL(os_, Chmod(StrEq(kProcFile), 0070)).WillOnce(FailWith(EPERM));
  } else {
    EXPECT_CALL(os_, Chmod(StrEq(kProcFile), 0070)).WillOnce(ReturnSys(0));
    if (step == FailingStep::kListen) {
      EXPECT_CALL(os_, Listen(100, 50)).WillOnce(FailWith(ENOMEM));
    } else {
      EXPECT_CALL(os_, Listen(100, 50)).WillOnce(ReturnSys(0));
      EXPECT_CALL(os_, Link(StrEq(kTmpFile), StrEq(kPath))).WillOnce(FailWith(ENOENT));
    }
  }
  ExpectAccessFailureCleanup();
  EXPECT_FALSE(server.Listen(kPath));
  switch (step) {
    case FailingStep::kChmod:
      EXPECT_EQ(server.server_error(), Error::kSocketAccess);
      break;
    case FailingStep::kListen:
      EXPECT_EQ(server.server_error(), Error::kSocketResource);
      break;
    case FailingStep::kLink:
      EXPECT_EQ(server.server_error(), Error::kServerNotFound);
      break;
  }
  EXPECT_FALSE(server.IsListening());
}

INSTANTIATE_TEST_SUITE_P(Steps, AccessCleanupTest,
                         ::testing::Values(FailingStep::kChmod, FailingStep::kListen,
                                           FailingStep::kLink));

}  // namespace
}  // namespace test
}  // namespace ipc
