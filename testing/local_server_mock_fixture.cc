#include "testing/local_server_mock_fixture.h"

#include <poll.h>
#include <sys/file.h>

#include <cerrno>
#include <string_view>

#include "eventloop/event_loop.h"

namespace ipc {
namespace test {

using ::testing::_;
using ::testing::AnyNumber;
using ::testing::Args;
using ::testing::InSequence;
using ::testing::IsEmpty;
using ::testing::StrEq;
using ::testing::Truly;

std::string AddressText(const sockaddr* address, socklen_t length) {
  const auto* un = reinterpret_cast<const sockaddr_un*>(address);
  const size_t offset = offsetof(sockaddr_un, sun_path);
  if (un->sun_family != AF_UNIX || length <= offset) return "<bad address>";
  if (un->sun_path[0] == '\0') return "@" + std::string(un->sun_path + 1, length - offset - 1);
  std::string path(un->sun_path, strnlen(un->sun_path, sizeof(un->sun_path)));
  if (length != offset + path.size() + 1) return "<bad length for " + path + ">";
  return path;
}

SysResult MakeTempDir(char* path_template) {
  const size_t n = std::strlen(path_template);
  EXPECT_GE(n, 6U);
  EXPECT_STREQ(path_template + n - 6, "XXXXXX");
  constexpr std::string_view kSuffix = "abc123";  // Replaces the trailing "XXXXXX".
  std::copy_n(kSuffix.data(), kSuffix.size(), path_template + n - kSuffix.size());
  return SysResult{0, 0};
}

void LocalServerMockTest::SetUp() {
  auto accepted = [this](int fd) { return IsAccepted(fd); };
  // An accepted socket is adopted without a system call (the mock is strict: any would fail
  // the test); it closes its fd when destroyed.
  EXPECT_CALL(os_, Close(Truly(accepted))).Times(AnyNumber()).WillRepeatedly(fds_.Close());
}

void LocalServerMockTest::TearDown() {
  EXPECT_THAT(fds_.open_fds(), IsEmpty()) << "fd leaked";
  EXPECT_THAT(fds_.bad_closes(), IsEmpty()) << "fd closed twice or never opened";
}

void LocalServerMockTest::ListenAtPath(LocalServer& server, int backlog) {
  ExpectListenRecipe(kPath, 100, backlog);
  ASSERT_TRUE(server.Listen(kPath)) << server.error_string();
}

void LocalServerMockTest::ListenAbstract(LocalServer& server) {
  ExpectAbstractListenRecipe("app");
  server.SetSocketOptions(LocalServer::kAbstractNamespace);
  ASSERT_TRUE(server.Listen("app")) << server.error_string();
}

void LocalServerMockTest::ExpectLockTaken(const std::string& path) {
  InSequence seq;
  const std::string lock_path = path + ".lock";
  EXPECT_CALL(os_, Open(StrEq(lock_path), kLockFlags, kLockMode)).WillOnce(LockFd());
  EXPECT_CALL(os_, Flock(kLockFd, LOCK_EX | LOCK_NB)).WillOnce(ReturnSys(0));
  EXPECT_CALL(os_, Fstat(kLockFd, _)).WillOnce(LockFileStat());
  EXPECT_CALL(os_, Lstat(StrEq(lock_path), _)).WillOnce(LockFileStat());
}

void LocalServerMockTest::ExpectLockReleased(const std::string& path) {
  InSequence seq;
  const std::string lock_path = path + ".lock";
  EXPECT_CALL(os_, Lstat(StrEq(lock_path), _)).WillOnce(LockFileStat());
  EXPECT_CALL(os_, Unlink(StrEq(lock_path))).WillOnce(ReturnSys(0));
  ExpectClose(kLockFd);
}

void LocalServerMockTest::ExpectSocket() {
  EXPECT_CALL(os_, Socket(AF_UNIX, kSocketType, 0)).WillOnce(fds_.Open());
}

void LocalServerMockTest::ExpectListenRecipe(const std::string& path, int fd, int backlog) {
  InSequence seq;
  ExpectLockTaken(path);
  ExpectSocket();
  ExpectBindAndListen(path, AddressIs(path), fd, backlog);
}

void LocalServerMockTest::ExpectBindAndListen(const std::string& path,
                                              const AddressMatcher& bind_address, int fd,
                                              int backlog, const ResultAction& listen_result) {
  InSequence seq;
  EXPECT_CALL(os_, Bind(fd, _, _)).With(Args<1, 2>(bind_address)).WillOnce(ReturnSys(0));
  EXPECT_CALL(os_, Lstat(StrEq(path), _)).WillOnce(SocketStat());
  EXPECT_CALL(os_, Listen(fd, backlog)).WillOnce(listen_result);
}

void LocalServerMockTest::ExpectBindFailure(int err, const std::string& path) {
  InSequence seq;
  ExpectLockTaken(path);
  ExpectSocket();
  EXPECT_CALL(os_, Bind(100, _, _)).WillOnce(FailWith(err));
  ExpectClose(100);
  ExpectLockReleased(path);
}

void LocalServerMockTest::ExpectAbstractBindFailure(int err) {
  InSequence seq;
  ExpectSocket();
  EXPECT_CALL(os_, Bind(100, _, _)).WillOnce(FailWith(err));
  ExpectClose(100);
}

void LocalServerMockTest::ExpectAbstractListenRecipe(const std::string& name) {
  InSequence seq;
  ExpectSocket();
  EXPECT_CALL(os_, Bind(100, _, _)).With(Args<1, 2>(AddressIs("@" + name))).WillOnce(ReturnSys(0));
  EXPECT_CALL(os_, Listen(100, 50)).WillOnce(ReturnSys(0));
}

void LocalServerMockTest::ExpectPathInUse() {
  InSequence seq;
  ExpectLockTaken();
  ExpectSocket();
  EXPECT_CALL(os_, Bind(100, _, _)).WillOnce(FailWith(EADDRINUSE));
}

void LocalServerMockTest::ExpectProbe(int probe_fd, const ResultAction& connect_result,
                                      const AddressMatcher& probe_address) {
  InSequence seq;
  EXPECT_CALL(os_, Lstat(StrEq(kPath), _)).WillOnce(SocketStat(3, 3));
  ExpectSocket();
  EXPECT_CALL(os_, Connect(probe_fd, _, _))
      .With(Args<1, 2>(probe_address))
      .WillOnce(connect_result);
  ExpectClose(probe_fd);
}

void LocalServerMockTest::ExpectStaleSocketRemoved(int probe_fd,
                                                   const AddressMatcher& probe_address) {
  InSequence seq;
  ExpectProbe(probe_fd, FailWith(ECONNREFUSED), probe_address);
  EXPECT_CALL(os_, Unlink(StrEq(kPath))).WillOnce(ReturnSys(0));
}

void LocalServerMockTest::ExpectPrivateDirectory() {
  InSequence seq;
  EXPECT_CALL(os_, Mkdtemp(StrEq(kTemplate))).WillOnce(MakeTempDir);
  EXPECT_CALL(os_, Open(StrEq(kTmpDir), kDirFlags, _)).WillOnce(fds_.Open());
}

void LocalServerMockTest::ExpectAccessRecipeUntilLink(mode_t mode,
                                                      const AddressMatcher& bind_address) {
  InSequence seq;
  ExpectLockTaken();
  ExpectSocket();
  ExpectPrivateDirectory();
  EXPECT_CALL(os_, Bind(100, _, _)).With(Args<1, 2>(bind_address)).WillOnce(ReturnSys(0));
  EXPECT_CALL(os_, Chmod(StrEq(kProcFile), mode)).WillOnce(ReturnSys(0));
  EXPECT_CALL(os_, Listen(100, 50)).WillOnce(ReturnSys(0));
}

void LocalServerMockTest::ExpectAccessRecipeUntilLinkExists() {
  InSequence seq;
  ExpectAccessRecipeUntilLink(0700);
  EXPECT_CALL(os_, Link(StrEq(kTmpFile), StrEq(kPath))).WillOnce(FailWith(EEXIST));
}

void LocalServerMockTest::ExpectLinkedIntoPlace() {
  InSequence seq;
  EXPECT_CALL(os_, Link(StrEq(kTmpFile), StrEq(kPath))).WillOnce(ReturnSys(0));
  EXPECT_CALL(os_, Lstat(StrEq(kTmpFile), _)).WillOnce(SocketStat());
  ExpectTempDirCleanup();
}

void LocalServerMockTest::ExpectTempDirCleanup() {
  InSequence seq;
  EXPECT_CALL(os_, Unlink(StrEq(kTmpFile))).WillOnce(ReturnSys(0));
  EXPECT_CALL(os_, Rmdir(StrEq(kTmpDir))).WillOnce(ReturnSys(0));
  ExpectClose(101);
}

void LocalServerMockTest::ExpectAccessFailureCleanup() {
  InSequence seq;
  ExpectTempDirCleanup();
  ExpectClose(100);
  ExpectLockReleased();
}

void LocalServerMockTest::ExpectClose(int fd) {
  EXPECT_CALL(os_, Close(fd)).WillOnce(fds_.Close());
}

void LocalServerMockTest::ExpectCloseAndUnlink(const std::string& path, int fd) {
  InSequence seq;
  const std::string lock_path = path + ".lock";
  EXPECT_CALL(os_, Lstat(StrEq(path), _)).WillOnce(SocketStat());
  EXPECT_CALL(os_, Unlink(StrEq(path))).WillOnce(ReturnSys(0));
  EXPECT_CALL(os_, Lstat(StrEq(lock_path), _)).WillOnce(LockFileStat());
  EXPECT_CALL(os_, Unlink(StrEq(lock_path))).WillOnce(ReturnSys(0));
  ExpectClose(fd);
  ExpectClose(kLockFd);
}

void LocalServerMockTest::ExpectCloseLeavingTheFile(const LstatAction& lstat) {
  InSequence seq;
  EXPECT_CALL(os_, Lstat(StrEq(kPath), _)).WillOnce(lstat);
  EXPECT_CALL(os_, Lstat(StrEq(kLockPath), _)).WillOnce(LockFileStat());
  EXPECT_CALL(os_, Unlink(StrEq(kLockPath))).WillOnce(ReturnSys(0));
  ExpectClose(100);
  ExpectClose(kLockFd);
}

void LocalServerMockTest::ExpectAdoptionInspects(int fd, const std::string& name, int status_flags,
                                                 int fd_flags) {
  InSequence seq;
  EXPECT_CALL(os_, Fstat(fd, _)).WillOnce(SocketStat());
  EXPECT_CALL(os_, GetSockOpt(fd, SOL_SOCKET, SO_DOMAIN, _, _)).WillOnce(IntOption(AF_UNIX));
  EXPECT_CALL(os_, GetSockOpt(fd, SOL_SOCKET, SO_TYPE, _, _)).WillOnce(IntOption(SOCK_STREAM));
  EXPECT_CALL(os_, GetSockOpt(fd, SOL_SOCKET, SO_ACCEPTCONN, _, _)).WillOnce(IntOption(1));
  EXPECT_CALL(os_, GetSockName(fd, _, _)).WillOnce(NameIs(name));
  EXPECT_CALL(os_, Fcntl(fd, F_GETFL, _)).WillOnce(ReturnSys(status_flags));
  EXPECT_CALL(os_, Fcntl(fd, F_GETFD, _)).WillOnce(ReturnSys(fd_flags));
}

void LocalServerMockTest::ExpectAccept(const AcceptAction& action) {
  EXPECT_CALL(os_, Accept4(100, _, _, kAcceptFlags)).WillOnce(action);
}

void LocalServerMockTest::ExpectAcceptDrained() {
  EXPECT_CALL(os_, Accept4(100, _, _, kAcceptFlags)).WillRepeatedly(FailWith(EAGAIN));
}

void LocalServerMockTest::ExpectAcceptResourceError(int err, bool client_waits) {
  InSequence seq;
  ExpectAccept(FailWith(err));
  ExpectWaitingClientCheck(client_waits);
}

void LocalServerMockTest::ExpectWaitingClientCheck(bool client_waits) {
  EXPECT_CALL(os_, Poll(_, 1, 0)).WillOnce(client_waits ? PollReady(100, POLLIN) : PollTimesOut());
}

void LocalServerMockTest::ExpectAccepts(int n) {
  InSequence seq;
  EXPECT_CALL(os_, Accept4(100, _, _, kAcceptFlags)).Times(n).WillRepeatedly(AcceptFd());
  ExpectAcceptDrained();
}

void LocalServerMockTest::ExpectPollThenAccept(int timeout_ms, const AcceptAction& action) {
  InSequence seq;
  EXPECT_CALL(os_, Poll(_, 1, timeout_ms)).WillOnce(PollReady(100, POLLIN));
  ExpectAccept(action);
}

void LocalServerMockTest::WakeListener() {
  loop_.SetFdReady(100, eventloop::kReadable);
  loop_.RunUntilIdle();
}

}  // namespace test
}  // namespace ipc
