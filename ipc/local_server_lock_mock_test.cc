// The lock file that decides which server owns a path ("<path>.lock", flock): taken before
// anything is probed, unlinked or bound; a held lock refuses the path without a probe; a lock
// file replaced between open and flock is locked again; every failure maps to its error and
// leaves no fd; Close() and a failed Listen unlink the lock file only while it is still the
// locked one, after the socket file, and release the lock last. Abstract names and Listen(fd)
// take no lock (the strict mock of local_server_listen_mock_test.cc and
// local_server_adopt_mock_test.cc sees no lock call). RemoveServer's takeover removes the lock
// file too, if it is a regular file, and takes no lock. On StrictMock<MockOsCalls> and a
// FakeEventLoop (testing/local_server_mock_fixture.h).
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <cerrno>
#include <memory>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ipc/local_server.h"
#include "ipc/local_server_listening_socket.h"
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

constexpr char kNotARegularFile[] =
    "LocalServer::Listen: address in use (lock file is not a regular file)";

// ---------------------------------------------------------------------------------------------
// Taking the lock.

TEST_F(LocalServerMockTest, LockHeldByALiveServerIsAddressInUseWithoutAProbe) {
  LocalServer server(loop_, os_);
  InSequence seq;
  EXPECT_CALL(os_, Open(StrEq(kLockPath), kLockFlags, kLockMode)).WillOnce(LockFd());
  EXPECT_CALL(os_, Flock(kLockFd, LOCK_EX | LOCK_NB)).WillOnce(FailWith(EWOULDBLOCK));
  ExpectClose(kLockFd);  // No socket, no probe, no unlink: the strict mock sees nothing else.
  EXPECT_FALSE(server.Listen(kPath));
  EXPECT_EQ(server.server_error(), Error::kAddressInUse);
  EXPECT_EQ(server.error_string(), "LocalServer::Listen: address in use");
  EXPECT_FALSE(server.IsListening());
  EXPECT_EQ(server.socket_descriptor(), -1);
}

TEST_F(LocalServerMockTest, HeldLockRefusesEveryOptionSet) {
  for (uint32_t options : {uint32_t{LocalServer::kNoOptions}, uint32_t{LocalServer::kUserAccess},
                           uint32_t{LocalServer::kWorldAccess}}) {
    SCOPED_TRACE(options);
    LocalServer server(loop_, os_);
    server.SetSocketOptions(options);
    InSequence seq;
    EXPECT_CALL(os_, Open(StrEq(kLockPath), kLockFlags, kLockMode)).WillOnce(LockFd());
    EXPECT_CALL(os_, Flock(kLockFd, LOCK_EX | LOCK_NB)).WillOnce(FailWith(EWOULDBLOCK));
    ExpectClose(kLockFd);
    EXPECT_FALSE(server.Listen(kPath));
    EXPECT_EQ(server.server_error(), Error::kAddressInUse);
  }
}

class LockOpenErrnoTest : public LocalServerMockTest,
                          public ::testing::WithParamInterface<ErrnoCase> {};

// open() of the lock file fails: no fd, nothing created, nothing unlinked.
TEST_P(LockOpenErrnoTest, OpenFailureMapsErrno) {
  const ErrnoCase c = GetParam();
  LocalServer server(loop_, os_);
  EXPECT_CALL(os_, Open(StrEq(kLockPath), kLockFlags, kLockMode)).WillOnce(FailWith(c.err));
  EXPECT_FALSE(server.Listen(kPath));
  EXPECT_EQ(server.server_error(), c.error);
  EXPECT_EQ(server.error_string(), std::string("LocalServer::Listen: ") + c.text);
  EXPECT_FALSE(server.IsListening());
}

INSTANTIATE_TEST_SUITE_P(
    Errnos, LockOpenErrnoTest,
    ::testing::Values(
        ErrnoCase{EACCES, Error::kSocketAccess, "socket access error: Permission denied"},
        ErrnoCase{EPERM, Error::kSocketAccess, "socket access error: Operation not permitted"},
        ErrnoCase{ENOENT, Error::kServerNotFound, "server not found: No such file or directory"},
        ErrnoCase{ENOTDIR, Error::kServerNotFound, "server not found: Not a directory"},
        ErrnoCase{EROFS, Error::kServerNotFound, "server not found: Read-only file system"},
        ErrnoCase{EMFILE, Error::kSocketResource, "out of resources: Too many open files"},
        ErrnoCase{ENOSPC, Error::kUnknown, "unknown error: No space left on device"},
        // A symlink (O_NOFOLLOW), a directory, a socket: not a regular file.
        ErrnoCase{ELOOP, Error::kAddressInUse, "address in use (lock file is not a regular file)"},
        ErrnoCase{EISDIR, Error::kAddressInUse, "address in use (lock file is not a regular file)"},
        ErrnoCase{ENXIO, Error::kAddressInUse,
                  "address in use (lock file is not a regular file)"}));

TEST_F(LocalServerMockTest, LockFileOfAnotherTypeIsRefusedAndLeftAlone) {
  LocalServer server(loop_, os_);
  InSequence seq;
  EXPECT_CALL(os_, Open(StrEq(kLockPath), kLockFlags, kLockMode)).WillOnce(LockFd());
  EXPECT_CALL(os_, Flock(kLockFd, LOCK_EX | LOCK_NB)).WillOnce(ReturnSys(0));
  EXPECT_CALL(os_, Fstat(kLockFd, _)).WillOnce(StatAs{S_IFIFO | 0600, kDev, kLockIno});
  ExpectClose(kLockFd);  // Not unlinked.
  EXPECT_FALSE(server.Listen(kPath));
  EXPECT_EQ(server.server_error(), Error::kAddressInUse);
  EXPECT_EQ(server.error_string(), kNotARegularFile);
}

TEST_F(LocalServerMockTest, FlockFailureIsReportedAndNothingUnlinked) {
  LocalServer server(loop_, os_);
  InSequence seq;
  EXPECT_CALL(os_, Open(StrEq(kLockPath), kLockFlags, kLockMode)).WillOnce(LockFd());
  EXPECT_CALL(os_, Flock(kLockFd, LOCK_EX | LOCK_NB)).WillOnce(FailWith(ENOLCK));
  ExpectClose(kLockFd);
  EXPECT_FALSE(server.Listen(kPath));
  EXPECT_EQ(server.server_error(), Error::kUnknown);
  EXPECT_EQ(server.error_string(), "LocalServer::Listen: unknown error: No locks available");
}

TEST_F(LocalServerMockTest, FstatFailureIsReportedAndNothingUnlinked) {
  LocalServer server(loop_, os_);
  InSequence seq;
  EXPECT_CALL(os_, Open(StrEq(kLockPath), kLockFlags, kLockMode)).WillOnce(LockFd());
  EXPECT_CALL(os_, Flock(kLockFd, LOCK_EX | LOCK_NB)).WillOnce(ReturnSys(0));
  EXPECT_CALL(os_, Fstat(kLockFd, _)).WillOnce(FailWith(EIO));
  ExpectClose(kLockFd);
  EXPECT_FALSE(server.Listen(kPath));
  EXPECT_EQ(server.server_error(), Error::kUnknown);
  EXPECT_EQ(server.error_string(), "LocalServer::Listen: unknown error: Input/output error");
}

TEST_F(LocalServerMockTest, LockPathLstatFailureIsReportedAndNothingUnlinked) {
  LocalServer server(loop_, os_);
  InSequence seq;
  EXPECT_CALL(os_, Open(StrEq(kLockPath), kLockFlags, kLockMode)).WillOnce(LockFd());
  EXPECT_CALL(os_, Flock(kLockFd, LOCK_EX | LOCK_NB)).WillOnce(ReturnSys(0));
  EXPECT_CALL(os_, Fstat(kLockFd, _)).WillOnce(LockFileStat());
  EXPECT_CALL(os_, Lstat(StrEq(kLockPath), _)).WillOnce(FailWith(EACCES));
  ExpectClose(kLockFd);
  EXPECT_FALSE(server.Listen(kPath));
  EXPECT_EQ(server.server_error(), Error::kSocketAccess);
  EXPECT_EQ(server.error_string(), "LocalServer::Listen: socket access error: Permission denied");
}

// ---------------------------------------------------------------------------------------------
// The lock file replaced between open() and flock(): the lock held guards nothing, so it is
// dropped (never unlinking the file now at the path) and taken again.

class LockRetryTest : public LocalServerMockTest {
 protected:
  // open -> `fd` (from the ledger), flock, fstat -> lock file `locked_ino`, lstat -> `named`,
  // then close(fd): the file at the path is not the one locked.
  void ExpectStaleAttempt(int fd, ino_t locked_ino, const LstatAction& named) {
    InSequence seq;
    EXPECT_CALL(os_, Open(StrEq(kLockPath), kLockFlags, kLockMode)).WillOnce(fds_.Open());
    EXPECT_CALL(os_, Flock(fd, LOCK_EX | LOCK_NB)).WillOnce(ReturnSys(0));
    EXPECT_CALL(os_, Fstat(fd, _)).WillOnce(LockFileStat(kDev, locked_ino));
    EXPECT_CALL(os_, Lstat(StrEq(kLockPath), _)).WillOnce(named);
    ExpectClose(fd);
  }
};

TEST_F(LockRetryTest, LockFileReplacedMeanwhileIsLockedAgain) {
  LocalServer server(loop_, os_);
  {
    InSequence seq;
    ExpectStaleAttempt(100, kLockIno + 1, LockFileStat());  // A newer lock file is there.
    ExpectListenRecipe(kPath, 101);  // Locks kLockIno; the listening socket is fd 101.
  }
  ASSERT_TRUE(server.Listen(kPath)) << server.error_string();
  EXPECT_EQ(server.socket_descriptor(), 101);
  ExpectCloseAndUnlink(kPath, 101);
}

TEST_F(LockRetryTest, LockFileUnlinkedMeanwhileIsMadeAndLockedAgain) {
  LocalServer server(loop_, os_);
  {
    InSequence seq;
    ExpectStaleAttempt(100, kLockIno + 1, FailWith(ENOENT));  // Its holder closed.
    ExpectListenRecipe(kPath, 101);
  }
  ASSERT_TRUE(server.Listen(kPath)) << server.error_string();
  ExpectCloseAndUnlink(kPath, 101);
}

TEST_F(LockRetryTest, SameInodeOnAnotherDeviceIsNotTheLockedFile) {
  LocalServer server(loop_, os_);
  {
    InSequence seq;
    ExpectStaleAttempt(100, kLockIno, LockFileStat(kDev + 1, kLockIno));
    ExpectListenRecipe(kPath, 101);
  }
  ASSERT_TRUE(server.Listen(kPath)) << server.error_string();
  ExpectCloseAndUnlink(kPath, 101);
}

TEST_F(LockRetryTest, LockFileReplacedAtEveryAttemptIsGivenUpOn) {
  LocalServer server(loop_, os_);
  {
    InSequence seq;
    for (int attempt = 0; attempt < 8; ++attempt) {
      ExpectStaleAttempt(100 + attempt, kLockIno + attempt, LockFileStat(kDev, kLockIno + 100));
    }
  }
  EXPECT_FALSE(server.Listen(kPath));
  EXPECT_EQ(server.server_error(), Error::kAddressInUse);
  EXPECT_EQ(server.error_string(),
            "LocalServer::Listen: address in use (lock file keeps changing)");
  EXPECT_EQ(fds_.opened_count(), 8);
}

// ---------------------------------------------------------------------------------------------
// Releasing the lock.

TEST_F(LocalServerMockTest, CloseUnlinksSocketThenLockFileThenClosesThenReleases) {
  LocalServer server(loop_, os_);
  ListenAtPath(server);
  {
    InSequence seq;
    EXPECT_CALL(os_, Lstat(StrEq(kPath), _)).WillOnce(SocketStat());
    EXPECT_CALL(os_, Unlink(StrEq(kPath))).WillOnce(ReturnSys(0));
    EXPECT_CALL(os_, Lstat(StrEq(kLockPath), _)).WillOnce(LockFileStat());
    EXPECT_CALL(os_, Unlink(StrEq(kLockPath))).WillOnce(ReturnSys(0));
    ExpectClose(100);
    ExpectClose(kLockFd);  // The lock is released last.
  }
  server.Close();
  EXPECT_FALSE(server.IsListening());
}

TEST_F(LocalServerMockTest, CloseLeavesAReplacedLockFileAlone) {
  // After RemoveServer's takeover, a newer server's socket and lock file are at the paths.
  EXPECT_CALL(os_, Unlink(_)).Times(0);
  int fd = 100;  // Each server's listening socket: the ledger's next fd.
  for (const StatAs& newer : {LockFileStat(kDev, kLockIno + 1), LockFileStat(kDev + 1, kLockIno),
                              StatAs{S_IFSOCK | 0600, kDev, kLockIno}}) {
    SCOPED_TRACE(fd);
    auto server = std::make_unique<LocalServer>(loop_, os_);
    ExpectListenRecipe(kPath, fd);
    ASSERT_TRUE(server->Listen(kPath));
    InSequence seq;
    EXPECT_CALL(os_, Lstat(StrEq(kPath), _)).WillOnce(SocketStat(kDev, kIno + 1));
    EXPECT_CALL(os_, Lstat(StrEq(kLockPath), _)).WillOnce(newer);
    ExpectClose(fd++);
    ExpectClose(kLockFd);
    server.reset();
  }
}

TEST_F(LocalServerMockTest, CloseWithTheLockFileGoneOnlyCloses) {
  LocalServer server(loop_, os_);
  ListenAtPath(server);
  InSequence seq;
  EXPECT_CALL(os_, Lstat(StrEq(kPath), _)).WillOnce(SocketStat());
  EXPECT_CALL(os_, Unlink(StrEq(kPath))).WillOnce(ReturnSys(0));
  EXPECT_CALL(os_, Lstat(StrEq(kLockPath), _)).WillOnce(FailWith(ENOENT));
  ExpectClose(100);
  ExpectClose(kLockFd);
  server.Close();
}

TEST_F(LocalServerMockTest, FailedListenUnlinksItsLockFileOnlyWhileItIsTheLockedOne) {
  LocalServer server(loop_, os_);
  InSequence seq;
  ExpectLockTaken();
  EXPECT_CALL(os_, Socket(AF_UNIX, kSocketType, 0)).WillOnce(FailWith(ENFILE));
  EXPECT_CALL(os_, Lstat(StrEq(kLockPath), _)).WillOnce(LockFileStat(kDev, kLockIno + 1));
  ExpectClose(kLockFd);  // Someone else's lock file now: not unlinked.
  EXPECT_FALSE(server.Listen(kPath));
  EXPECT_EQ(server.server_error(), Error::kSocketResource);
}

TEST_F(LocalServerMockTest, ListenAgainAfterCloseTakesTheLockAgain) {
  LocalServer server(loop_, os_);
  ListenAtPath(server);
  ExpectCloseAndUnlink();
  server.Close();
  ExpectListenRecipe(kPath, 101);
  ASSERT_TRUE(server.Listen(kPath)) << server.error_string();
  ExpectCloseAndUnlink(kPath, 101);
}

// ---------------------------------------------------------------------------------------------
// RemoveServer's takeover (internal::RemoveServerFiles, which RemoveServer runs on
// RealOsCalls()): the socket, then the lock file if it is a regular file; no lock taken.

class RemoveServerFilesTest : public ::testing::Test {
 protected:
  bool Remove() { return internal::RemoveServerFiles(os_, kPath); }

  ::testing::StrictMock<MockOsCalls> os_;
};

TEST_F(RemoveServerFilesTest, RemovesTheSocketThenTheLockFile) {
  InSequence seq;
  EXPECT_CALL(os_, Lstat(StrEq(kPath), _)).WillOnce(SocketStat());
  EXPECT_CALL(os_, Unlink(StrEq(kPath))).WillOnce(ReturnSys(0));
  EXPECT_CALL(os_, Lstat(StrEq(kLockPath), _)).WillOnce(LockFileStat());
  EXPECT_CALL(os_, Unlink(StrEq(kLockPath))).WillOnce(ReturnSys(0));
  EXPECT_TRUE(Remove());
}

TEST_F(RemoveServerFilesTest, NothingThereIsSuccess) {
  InSequence seq;
  EXPECT_CALL(os_, Lstat(StrEq(kPath), _)).WillOnce(FailWith(ENOENT));
  EXPECT_CALL(os_, Lstat(StrEq(kLockPath), _)).WillOnce(FailWith(ENOENT));
  EXPECT_TRUE(Remove());
}

TEST_F(RemoveServerFilesTest, ALeftoverLockFileAloneIsRemoved) {
  InSequence seq;
  EXPECT_CALL(os_, Lstat(StrEq(kPath), _)).WillOnce(FailWith(ENOENT));
  EXPECT_CALL(os_, Lstat(StrEq(kLockPath), _)).WillOnce(LockFileStat());
  EXPECT_CALL(os_, Unlink(StrEq(kLockPath))).WillOnce(ReturnSys(0));
  EXPECT_TRUE(Remove());
}

TEST_F(RemoveServerFilesTest, ANonSocketAtThePathLeavesEverythingAlone) {
  EXPECT_CALL(os_, Lstat(StrEq(kPath), _)).WillOnce(StatAs{S_IFREG | 0644, kDev, kIno});
  EXPECT_FALSE(Remove());  // No unlink, and the lock file is not even looked at.
}

TEST_F(RemoveServerFilesTest, ALockPathThatIsNotARegularFileIsLeftAlone) {
  for (mode_t type : {S_IFLNK, S_IFDIR, S_IFSOCK, S_IFIFO}) {
    SCOPED_TRACE(type);
    InSequence seq;
    EXPECT_CALL(os_, Lstat(StrEq(kPath), _)).WillOnce(SocketStat());
    EXPECT_CALL(os_, Unlink(StrEq(kPath))).WillOnce(ReturnSys(0));
    EXPECT_CALL(os_, Lstat(StrEq(kLockPath), _)).WillOnce(StatAs{type | 0777, kDev, kLockIno});
    EXPECT_FALSE(Remove());
  }
}

TEST_F(RemoveServerFilesTest, FailedUnlinksAreReported) {
  {
    InSequence seq;
    EXPECT_CALL(os_, Lstat(StrEq(kPath), _)).WillOnce(SocketStat());
    EXPECT_CALL(os_, Unlink(StrEq(kPath))).WillOnce(FailWith(EPERM));
  }
  EXPECT_FALSE(Remove());  // The lock file stays with its socket.
  {
    InSequence seq;
    EXPECT_CALL(os_, Lstat(StrEq(kPath), _)).WillOnce(SocketStat());
    EXPECT_CALL(os_, Unlink(StrEq(kPath))).WillOnce(ReturnSys(0));
    EXPECT_CALL(os_, Lstat(StrEq(kLockPath), _)).WillOnce(LockFileStat());
    EXPECT_CALL(os_, Unlink(StrEq(kLockPath))).WillOnce(FailWith(EPERM));
  }
  EXPECT_FALSE(Remove());
}

TEST_F(RemoveServerFilesTest, FilesGoneMeanwhileAreSuccess) {
  InSequence seq;
  EXPECT_CALL(os_, Lstat(StrEq(kPath), _)).WillOnce(SocketStat());
  EXPECT_CALL(os_, Unlink(StrEq(kPath))).WillOnce(FailWith(ENOENT));
  EXPECT_CALL(os_, Lstat(StrEq(kLockPath), _)).WillOnce(LockFileStat());
  EXPECT_CALL(os_, Unlink(StrEq(kLockPath))).WillOnce(FailWith(ENOENT));
  EXPECT_TRUE(Remove());
}

}  // namespace
}  // namespace test
}  // namespace ipc
