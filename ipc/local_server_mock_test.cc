// LocalServer against StrictMock<MockOsCalls> on a FakeEventLoop: every system call and its
// arguments are asserted, time is fake, and FdLedger checks that no fd leaks on any path.
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "eventloop/event_loop.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ipc/local_server.h"
#include "ipc/local_socket.h"
#include "ipc/os_calls.h"
#include "testing/fake_event_loop.h"
#include "testing/mock_os_calls.h"

namespace ipc {
namespace {

using ::testing::_;
using ::testing::AnyNumber;
using ::testing::Args;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::InSequence;
using ::testing::IsEmpty;
using ::testing::MockFunction;
using ::testing::StrEq;
using ::testing::StrictMock;
using ::testing::Truly;
using Error = LocalSocket::Error;
using std::chrono::milliseconds;

constexpr int kSocketType = SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC;
constexpr int kAcceptFlags = SOCK_NONBLOCK | SOCK_CLOEXEC;
constexpr int kDirFlags = O_PATH | O_DIRECTORY | O_CLOEXEC;
constexpr char kPath[] = "/srv/app.sock";
constexpr char kTmpDir[] = "/srv/.ipc-server-abc123";
constexpr char kTmpFile[] = "/srv/.ipc-server-abc123/s";
constexpr char kTemplate[] = "/srv/.ipc-server-XXXXXX";
constexpr dev_t kDev = 7;
constexpr ino_t kIno = 42;

// "/path" for a filesystem address (checking its length), "@name" for an abstract one.
std::string AddressText(const sockaddr* address, socklen_t length) {
  const auto* un = reinterpret_cast<const sockaddr_un*>(address);
  const size_t offset = offsetof(sockaddr_un, sun_path);
  if (un->sun_family != AF_UNIX || length <= offset) return "<bad address>";
  if (un->sun_path[0] == '\0') return "@" + std::string(un->sun_path + 1, length - offset - 1);
  const std::string path(un->sun_path, strnlen(un->sun_path, sizeof(un->sun_path)));
  if (length != offset + path.size() + 1) return "<bad length for " + path + ">";
  return path;
}

// Matches the (addr, addr_len) argument pair of Bind/Connect.
MATCHER_P(AddressIs, expected, "address is " + std::string(expected)) {
  const std::string text = AddressText(std::get<0>(arg), std::get<1>(arg));
  *result_listener << "address " << text;
  return text == expected;
}

// Fstat/Lstat: fills a struct stat.
struct StatAs {
  mode_t mode;
  dev_t dev;
  ino_t ino;
  template <typename T>
  SysResult operator()(T /*fd_or_path*/, struct stat* st) const {
    std::memset(st, 0, sizeof(*st));
    st->st_mode = mode;
    st->st_dev = dev;
    st->st_ino = ino;
    return SysResult{0, 0};
  }
};
StatAs SocketStat(dev_t dev = kDev, ino_t ino = kIno) { return StatAs{S_IFSOCK | 0755, dev, ino}; }

// GetSockOpt: an int option value.
auto IntOption(int value) {
  return [value](int, int, int, void* out, socklen_t* length) {
    std::memcpy(out, &value, sizeof(value));
    *length = sizeof(value);
    return SysResult{0, 0};
  };
}

// GetSockName/GetPeerName: the given address ("" = unnamed, "@x" = abstract).
auto NameIs(std::string name) {
  return [name](int, sockaddr* address, socklen_t* length) {
    sockaddr_un un{};
    un.sun_family = AF_UNIX;
    socklen_t used = offsetof(sockaddr_un, sun_path);
    if (!name.empty() && name[0] == '@') {
      std::memcpy(un.sun_path + 1, name.data() + 1, name.size() - 1);
      used += static_cast<socklen_t>(name.size());
    } else if (!name.empty()) {
      std::memcpy(un.sun_path, name.data(), name.size());
      used += static_cast<socklen_t>(name.size() + 1);
    } else {
      used = sizeof(sa_family_t);
    }
    std::memcpy(address, &un, std::min<size_t>(*length, sizeof(un)));
    *length = used;
    return SysResult{0, 0};
  };
}

// Mkdtemp: replaces the trailing XXXXXX with "abc123".
SysResult MakeTempDir(char* path_template) {
  const size_t n = std::strlen(path_template);
  EXPECT_GE(n, 6u);
  EXPECT_STREQ(path_template + n - 6, "XXXXXX");
  std::memcpy(path_template + n - 6, "abc123", 6);
  return SysResult{0, 0};
}

// Sets $TMPDIR for one scope.
class ScopedTmpdir {
 public:
  explicit ScopedTmpdir(const char* value) {
    if (const char* old = std::getenv("TMPDIR")) old_ = old;
    setenv("TMPDIR", value, 1);
  }
  ~ScopedTmpdir() {
    if (old_) {
      setenv("TMPDIR", old_->c_str(), 1);
    } else {
      unsetenv("TMPDIR");
    }
  }

 private:
  std::optional<std::string> old_;
};

class LocalServerMockTest : public ::testing::Test {
 protected:
  // Fds the mock hands out from Accept4; LocalSocket's adoption calls on them are allowed.
  bool IsAccepted(int fd) const { return accepted_.count(fd) != 0; }

  void SetUp() override {
    auto accepted = [this](int fd) { return IsAccepted(fd); };
    // What LocalSocket::SetSocketDescriptor and ~LocalSocket do with an accepted fd: not the
    // subject here, so allowed in any number and order.
    EXPECT_CALL(os_, Fstat(Truly(accepted), _)).Times(AnyNumber()).WillRepeatedly(SocketStat(1, 1));
    EXPECT_CALL(os_, GetSockOpt(Truly(accepted), SOL_SOCKET, SO_DOMAIN, _, _))
        .Times(AnyNumber())
        .WillRepeatedly(IntOption(AF_UNIX));
    EXPECT_CALL(os_, GetSockOpt(Truly(accepted), SOL_SOCKET, SO_TYPE, _, _))
        .Times(AnyNumber())
        .WillRepeatedly(IntOption(SOCK_STREAM));
    EXPECT_CALL(os_, GetPeerName(Truly(accepted), _, _))
        .Times(AnyNumber())
        .WillRepeatedly(NameIs(""));
    EXPECT_CALL(os_, Fcntl(Truly(accepted), F_GETFL, _))
        .Times(AnyNumber())
        .WillRepeatedly(ReturnSys(O_RDWR | O_NONBLOCK));
    EXPECT_CALL(os_, Fcntl(Truly(accepted), F_SETFL, _))
        .Times(AnyNumber())
        .WillRepeatedly(ReturnSys(0));
    EXPECT_CALL(os_, Close(Truly(accepted))).Times(AnyNumber()).WillRepeatedly(fds_.Close());
  }

  void TearDown() override {
    EXPECT_THAT(fds_.open_fds(), IsEmpty()) << "fd leaked";
    EXPECT_THAT(fds_.bad_closes(), IsEmpty()) << "fd closed twice or never opened";
  }

  // Accept4 action: a fresh fd, counted as open and known as accepted.
  auto AcceptFd() {
    return [this](int, sockaddr*, socklen_t*, int) {
      const int fd = fds_.Mint();
      accepted_.insert(fd);
      return SysResult{fd, 0};
    };
  }

  // Expects the kNoOptions listen sequence for kPath (listening fd 100) and listens.
  void ListenAtPath(LocalServer& server, int backlog = 50) {
    InSequence seq;
    EXPECT_CALL(os_, Socket(AF_UNIX, kSocketType, 0)).WillOnce(fds_.Open());
    EXPECT_CALL(os_, Bind(100, _, _)).With(Args<1, 2>(AddressIs(kPath))).WillOnce(ReturnSys(0));
    EXPECT_CALL(os_, Lstat(StrEq(kPath), _)).WillOnce(SocketStat());
    EXPECT_CALL(os_, Listen(100, backlog)).WillOnce(ReturnSys(0));
    ASSERT_TRUE(server.Listen(kPath)) << server.error_string();
  }

  // Expects the access-option recipe's cleanup: the temporary name, its directory, the dir fd.
  // (Runs in the caller's InSequence, if any.)
  void ExpectTempDirCleanup() {
    EXPECT_CALL(os_, Unlink(StrEq(kTmpFile))).WillOnce(ReturnSys(0));
    EXPECT_CALL(os_, Rmdir(StrEq(kTmpDir))).WillOnce(ReturnSys(0));
    EXPECT_CALL(os_, Close(101)).WillOnce(fds_.Close());
  }

  // Expects what closing a kNoOptions server at kPath does when the file is still ours.
  void ExpectCloseAndUnlink() {
    InSequence seq;
    EXPECT_CALL(os_, Lstat(StrEq(kPath), _)).WillOnce(SocketStat());
    EXPECT_CALL(os_, Unlink(StrEq(kPath))).WillOnce(ReturnSys(0));
    EXPECT_CALL(os_, Close(100)).WillOnce(fds_.Close());
  }

  // Expects the sequence of an abstract listen on "app" (listening fd 100) and listens.
  void ListenAbstract(LocalServer& server) {
    InSequence seq;
    EXPECT_CALL(os_, Socket(AF_UNIX, kSocketType, 0)).WillOnce(fds_.Open());
    EXPECT_CALL(os_, Bind(100, _, _)).With(Args<1, 2>(AddressIs("@app"))).WillOnce(ReturnSys(0));
    EXPECT_CALL(os_, Listen(100, 50)).WillOnce(ReturnSys(0));
    server.SetSocketOptions(LocalServer::kAbstractNamespace);
    ASSERT_TRUE(server.Listen("app")) << server.error_string();
  }

  eventloop::FakeEventLoop loop_;
  FdLedger fds_{100};
  std::set<int> accepted_;
  StrictMock<MockOsCalls> os_;
};

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
  EXPECT_CALL(os_, Socket(AF_UNIX, kSocketType, 0)).WillOnce(fds_.Open());
  EXPECT_CALL(os_, Bind(100, _, _)).With(Args<1, 2>(AddressIs(longest))).WillOnce(ReturnSys(0));
  EXPECT_CALL(os_, Lstat(StrEq(longest), _)).WillOnce(SocketStat());
  EXPECT_CALL(os_, Listen(100, 50)).WillOnce(ReturnSys(0));
  ASSERT_TRUE(server.Listen(longest));
  EXPECT_EQ(server.server_error(), Error::kNone);
  EXPECT_EQ(server.error_string(), "");
  EXPECT_EQ(server.full_server_name(), longest);
  EXPECT_CALL(os_, Lstat(StrEq(longest), _)).WillOnce(SocketStat());
  EXPECT_CALL(os_, Unlink(StrEq(longest))).WillOnce(ReturnSys(0));
  EXPECT_CALL(os_, Close(100)).WillOnce(fds_.Close());
}

TEST_F(LocalServerMockTest, AbstractNameOf107BytesListensAnd108Fails) {
  LocalServer server(loop_, os_);
  server.SetSocketOptions(LocalServer::kAbstractNamespace);
  EXPECT_FALSE(server.Listen(std::string(108, 'b')));
  EXPECT_EQ(server.server_error(), Error::kServerNotFound);
  EXPECT_THAT(server.error_string(), HasSubstr("name too long"));

  const std::string longest(107, 'b');
  InSequence seq;
  EXPECT_CALL(os_, Socket(AF_UNIX, kSocketType, 0)).WillOnce(fds_.Open());
  EXPECT_CALL(os_, Bind(100, _, _))
      .With(Args<1, 2>(AddressIs("@" + longest)))
      .WillOnce(ReturnSys(0));
  EXPECT_CALL(os_, Listen(100, 50)).WillOnce(ReturnSys(0));
  ASSERT_TRUE(server.Listen(longest));
  EXPECT_EQ(server.full_server_name(), longest);
  EXPECT_CALL(os_, Close(100)).WillOnce(fds_.Close());  // No lstat, no unlink.
}

TEST_F(LocalServerMockTest, RelativeNameGoesToTmpdir) {
  ScopedTmpdir tmpdir("/run/tmp/");
  LocalServer server(loop_, os_);
  InSequence seq;
  EXPECT_CALL(os_, Socket(AF_UNIX, kSocketType, 0)).WillOnce(fds_.Open());
  EXPECT_CALL(os_, Bind(100, _, _))
      .With(Args<1, 2>(AddressIs("/run/tmp/dir/app")))
      .WillOnce(ReturnSys(0));
  EXPECT_CALL(os_, Lstat(StrEq("/run/tmp/dir/app"), _)).WillOnce(SocketStat());
  EXPECT_CALL(os_, Listen(100, 50)).WillOnce(ReturnSys(0));
  ASSERT_TRUE(server.Listen("dir/app"));
  EXPECT_EQ(server.server_name(), "dir/app");
  EXPECT_EQ(server.full_server_name(), "/run/tmp/dir/app");
  EXPECT_EQ(server.socket_descriptor(), 100);
  EXPECT_CALL(os_, Lstat(StrEq("/run/tmp/dir/app"), _)).WillOnce(SocketStat());
  EXPECT_CALL(os_, Unlink(StrEq("/run/tmp/dir/app"))).WillOnce(ReturnSys(0));
  EXPECT_CALL(os_, Close(100)).WillOnce(fds_.Close());
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

struct ErrnoCase {
  int err;
  Error error;
  const char* text;
};

class BindErrnoTest : public LocalServerMockTest,
                      public ::testing::WithParamInterface<ErrnoCase> {};

TEST_P(BindErrnoTest, BindFailureMapsAndCleansUp) {
  const ErrnoCase c = GetParam();
  LocalServer server(loop_, os_);
  InSequence seq;
  EXPECT_CALL(os_, Socket(AF_UNIX, kSocketType, 0)).WillOnce(fds_.Open());
  EXPECT_CALL(os_, Bind(100, _, _)).WillOnce(FailWith(c.err));
  EXPECT_CALL(os_, Close(100)).WillOnce(fds_.Close());
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
  EXPECT_CALL(os_, Socket(AF_UNIX, kSocketType, 0))
      .WillOnce(FailWith(EMFILE))
      .WillOnce(FailWith(ENFILE))
      .WillOnce(FailWith(EAFNOSUPPORT));
  EXPECT_FALSE(server.Listen(kPath));
  EXPECT_EQ(server.server_error(), Error::kSocketResource);
  EXPECT_EQ(server.error_string(), "LocalServer::Listen: out of resources: Too many open files");
  EXPECT_FALSE(server.Listen(kPath));
  EXPECT_EQ(server.server_error(), Error::kSocketResource);
  EXPECT_FALSE(server.Listen(kPath));
  EXPECT_EQ(server.server_error(), Error::kUnknown);
}

TEST_F(LocalServerMockTest, ListenFailureUnlinksOnlyOurFile) {
  LocalServer server(loop_, os_);
  InSequence seq;
  EXPECT_CALL(os_, Socket(AF_UNIX, kSocketType, 0)).WillOnce(fds_.Open());
  EXPECT_CALL(os_, Bind(100, _, _)).WillOnce(ReturnSys(0));
  EXPECT_CALL(os_, Lstat(StrEq(kPath), _)).WillOnce(SocketStat());
  EXPECT_CALL(os_, Listen(100, 50)).WillOnce(FailWith(ENOBUFS));
  EXPECT_CALL(os_, Lstat(StrEq(kPath), _)).WillOnce(SocketStat());
  EXPECT_CALL(os_, Unlink(StrEq(kPath))).WillOnce(ReturnSys(0));
  EXPECT_CALL(os_, Close(100)).WillOnce(fds_.Close());
  EXPECT_FALSE(server.Listen(kPath));
  EXPECT_EQ(server.server_error(), Error::kSocketResource);
  EXPECT_EQ(server.error_string(),
            "LocalServer::Listen: out of resources: No buffer space available");
}

TEST_F(LocalServerMockTest, ListenFailureLeavesAReplacedFileAlone) {
  LocalServer server(loop_, os_);
  InSequence seq;
  EXPECT_CALL(os_, Socket(AF_UNIX, kSocketType, 0)).WillOnce(fds_.Open());
  EXPECT_CALL(os_, Bind(100, _, _)).WillOnce(ReturnSys(0));
  EXPECT_CALL(os_, Lstat(StrEq(kPath), _)).WillOnce(SocketStat());
  EXPECT_CALL(os_, Listen(100, 50)).WillOnce(FailWith(EINVAL));
  EXPECT_CALL(os_, Lstat(StrEq(kPath), _)).WillOnce(SocketStat(kDev, kIno + 1));  // Not ours now.
  EXPECT_CALL(os_, Close(100)).WillOnce(fds_.Close());
  EXPECT_FALSE(server.Listen(kPath));
  EXPECT_EQ(server.server_error(), Error::kUnknown);
  EXPECT_EQ(server.error_string(), "LocalServer::Listen: unknown error: Invalid argument");
}

TEST_F(LocalServerMockTest, StaleSocketIsReplaced) {
  LocalServer server(loop_, os_);
  {
    InSequence seq;
    EXPECT_CALL(os_, Socket(AF_UNIX, kSocketType, 0)).WillOnce(fds_.Open());  // 100
    EXPECT_CALL(os_, Bind(100, _, _)).WillOnce(FailWith(EADDRINUSE));
    EXPECT_CALL(os_, Lstat(StrEq(kPath), _)).WillOnce(SocketStat(3, 3));
    EXPECT_CALL(os_, Socket(AF_UNIX, kSocketType, 0)).WillOnce(fds_.Open());  // 101: probe
    EXPECT_CALL(os_, Connect(101, _, _))
        .With(Args<1, 2>(AddressIs(kPath)))
        .WillOnce(FailWith(ECONNREFUSED));
    EXPECT_CALL(os_, Close(101)).WillOnce(fds_.Close());
    EXPECT_CALL(os_, Unlink(StrEq(kPath))).WillOnce(ReturnSys(0));
    EXPECT_CALL(os_, Bind(100, _, _)).With(Args<1, 2>(AddressIs(kPath))).WillOnce(ReturnSys(0));
    EXPECT_CALL(os_, Lstat(StrEq(kPath), _)).WillOnce(SocketStat());
    EXPECT_CALL(os_, Listen(100, 50)).WillOnce(ReturnSys(0));
  }
  ASSERT_TRUE(server.Listen(kPath)) << server.error_string();
  EXPECT_EQ(server.server_error(), Error::kNone);
  ExpectCloseAndUnlink();
}

TEST_F(LocalServerMockTest, StaleSocketThatComesBackIsNotFoughtForever) {
  LocalServer server(loop_, os_);
  InSequence seq;
  EXPECT_CALL(os_, Socket(AF_UNIX, kSocketType, 0)).WillOnce(fds_.Open());
  EXPECT_CALL(os_, Bind(100, _, _)).WillOnce(FailWith(EADDRINUSE));
  EXPECT_CALL(os_, Lstat(StrEq(kPath), _)).WillOnce(SocketStat(3, 3));
  EXPECT_CALL(os_, Socket(AF_UNIX, kSocketType, 0)).WillOnce(fds_.Open());
  EXPECT_CALL(os_, Connect(101, _, _)).WillOnce(FailWith(ECONNREFUSED));
  EXPECT_CALL(os_, Close(101)).WillOnce(fds_.Close());
  EXPECT_CALL(os_, Unlink(StrEq(kPath))).WillOnce(ReturnSys(0));
  EXPECT_CALL(os_, Bind(100, _, _)).WillOnce(FailWith(EADDRINUSE));  // Someone was faster.
  EXPECT_CALL(os_, Close(100)).WillOnce(fds_.Close());
  EXPECT_FALSE(server.Listen(kPath));
  EXPECT_EQ(server.server_error(), Error::kAddressInUse);
  EXPECT_EQ(server.error_string(), "LocalServer::Listen: address in use: Address already in use");
}

TEST_F(LocalServerMockTest, VanishedPathIsRetried) {
  LocalServer server(loop_, os_);
  InSequence seq;
  EXPECT_CALL(os_, Socket(AF_UNIX, kSocketType, 0)).WillOnce(fds_.Open());
  EXPECT_CALL(os_, Bind(100, _, _)).WillOnce(FailWith(EADDRINUSE));
  EXPECT_CALL(os_, Lstat(StrEq(kPath), _)).WillOnce(FailWith(ENOENT));
  EXPECT_CALL(os_, Bind(100, _, _)).WillOnce(ReturnSys(0));
  EXPECT_CALL(os_, Lstat(StrEq(kPath), _)).WillOnce(SocketStat());
  EXPECT_CALL(os_, Listen(100, 50)).WillOnce(ReturnSys(0));
  ASSERT_TRUE(server.Listen(kPath));
  ExpectCloseAndUnlink();
}

class LiveProbeTest : public LocalServerMockTest, public ::testing::WithParamInterface<int> {};

// The probe connect succeeds (0), or the backlog is full (EAGAIN): a live server.
TEST_P(LiveProbeTest, LiveServerIsNotHijacked) {
  const int probe_errno = GetParam();
  LocalServer server(loop_, os_);
  InSequence seq;
  EXPECT_CALL(os_, Socket(AF_UNIX, kSocketType, 0)).WillOnce(fds_.Open());
  EXPECT_CALL(os_, Bind(100, _, _)).WillOnce(FailWith(EADDRINUSE));
  EXPECT_CALL(os_, Lstat(StrEq(kPath), _)).WillOnce(SocketStat(3, 3));
  EXPECT_CALL(os_, Socket(AF_UNIX, kSocketType, 0)).WillOnce(fds_.Open());
  if (probe_errno == 0) {
    EXPECT_CALL(os_, Connect(101, _, _)).WillOnce(ReturnSys(0));
  } else {
    EXPECT_CALL(os_, Connect(101, _, _)).WillOnce(FailWith(probe_errno));
  }
  EXPECT_CALL(os_, Close(101)).WillOnce(fds_.Close());
  EXPECT_CALL(os_, Close(100)).WillOnce(fds_.Close());
  EXPECT_CALL(os_, Unlink(_)).Times(0);
  EXPECT_FALSE(server.Listen(kPath));
  EXPECT_EQ(server.server_error(), Error::kAddressInUse);
  EXPECT_EQ(server.error_string(), "LocalServer::Listen: address in use");
  EXPECT_FALSE(server.IsListening());
}

INSTANTIATE_TEST_SUITE_P(Outcomes, LiveProbeTest, ::testing::Values(0, EAGAIN, EPROTOTYPE));

TEST_F(LocalServerMockTest, ProbeFailureIsReportedAndNothingUnlinked) {
  LocalServer server(loop_, os_);
  InSequence seq;
  EXPECT_CALL(os_, Socket(AF_UNIX, kSocketType, 0)).WillOnce(fds_.Open());
  EXPECT_CALL(os_, Bind(100, _, _)).WillOnce(FailWith(EADDRINUSE));
  EXPECT_CALL(os_, Lstat(StrEq(kPath), _)).WillOnce(SocketStat(3, 3));
  EXPECT_CALL(os_, Socket(AF_UNIX, kSocketType, 0)).WillOnce(fds_.Open());
  EXPECT_CALL(os_, Connect(101, _, _)).WillOnce(FailWith(EACCES));
  EXPECT_CALL(os_, Close(101)).WillOnce(fds_.Close());
  EXPECT_CALL(os_, Close(100)).WillOnce(fds_.Close());
  EXPECT_FALSE(server.Listen(kPath));
  EXPECT_EQ(server.server_error(), Error::kSocketAccess);
  EXPECT_EQ(server.error_string(), "LocalServer::Listen: socket access error: Permission denied");
}

TEST_F(LocalServerMockTest, ProbeSocketFailureIsReported) {
  LocalServer server(loop_, os_);
  InSequence seq;
  EXPECT_CALL(os_, Socket(AF_UNIX, kSocketType, 0)).WillOnce(fds_.Open());
  EXPECT_CALL(os_, Bind(100, _, _)).WillOnce(FailWith(EADDRINUSE));
  EXPECT_CALL(os_, Lstat(StrEq(kPath), _)).WillOnce(SocketStat(3, 3));
  EXPECT_CALL(os_, Socket(AF_UNIX, kSocketType, 0)).WillOnce(FailWith(EMFILE));
  EXPECT_CALL(os_, Close(100)).WillOnce(fds_.Close());
  EXPECT_FALSE(server.Listen(kPath));
  EXPECT_EQ(server.server_error(), Error::kSocketResource);
}

TEST_F(LocalServerMockTest, NonSocketFileIsLeftAlone) {
  LocalServer server(loop_, os_);
  InSequence seq;
  EXPECT_CALL(os_, Socket(AF_UNIX, kSocketType, 0)).WillOnce(fds_.Open());
  EXPECT_CALL(os_, Bind(100, _, _)).WillOnce(FailWith(EADDRINUSE));
  EXPECT_CALL(os_, Lstat(StrEq(kPath), _)).WillOnce(StatAs{S_IFREG | 0644, 3, 3});
  EXPECT_CALL(os_, Close(100)).WillOnce(fds_.Close());
  EXPECT_FALSE(server.Listen(kPath));
  EXPECT_EQ(server.server_error(), Error::kAddressInUse);
  EXPECT_EQ(server.error_string(), "LocalServer::Listen: address in use (not a socket)");
}

TEST_F(LocalServerMockTest, SuccessfulListenClearsThePreviousError) {
  LocalServer server(loop_, os_);
  {
    InSequence seq;
    EXPECT_CALL(os_, Socket(AF_UNIX, kSocketType, 0)).WillOnce(fds_.Open());
    EXPECT_CALL(os_, Bind(100, _, _)).WillOnce(FailWith(EACCES));
    EXPECT_CALL(os_, Close(100)).WillOnce(fds_.Close());
  }
  EXPECT_FALSE(server.Listen("/x"));
  EXPECT_EQ(server.server_error(), Error::kSocketAccess);
  {
    InSequence seq;
    EXPECT_CALL(os_, Socket(AF_UNIX, kSocketType, 0)).WillOnce(fds_.Open());  // 101
    EXPECT_CALL(os_, Bind(101, _, _)).WillOnce(ReturnSys(0));
    EXPECT_CALL(os_, Lstat(StrEq(kPath), _)).WillOnce(SocketStat());
    EXPECT_CALL(os_, Listen(101, 50)).WillOnce(ReturnSys(0));
  }
  ASSERT_TRUE(server.Listen(kPath));
  EXPECT_EQ(server.server_error(), Error::kNone);
  EXPECT_EQ(server.error_string(), "");
  InSequence seq;
  EXPECT_CALL(os_, Lstat(StrEq(kPath), _)).WillOnce(SocketStat());
  EXPECT_CALL(os_, Unlink(StrEq(kPath))).WillOnce(ReturnSys(0));
  EXPECT_CALL(os_, Close(101)).WillOnce(fds_.Close());
}

// ---------------------------------------------------------------------------------------------
// Listen: access options (private directory, chmod, link).

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
    EXPECT_CALL(os_, Socket(AF_UNIX, kSocketType, 0)).WillOnce(fds_.Open());  // 100
    EXPECT_CALL(os_, Mkdtemp(StrEq(kTemplate))).WillOnce(MakeTempDir);
    EXPECT_CALL(os_, Open(StrEq(kTmpDir), kDirFlags, _)).WillOnce(fds_.Open());  // 101
    EXPECT_CALL(os_, Bind(100, _, _))
        .With(Args<1, 2>(AddressIs("/proc/self/fd/101/s")))
        .WillOnce(ReturnSys(0));
    EXPECT_CALL(os_, Chmod(StrEq("/proc/self/fd/101/s"), c.mode)).WillOnce(ReturnSys(0));
    EXPECT_CALL(os_, Listen(100, 50)).WillOnce(ReturnSys(0));
    EXPECT_CALL(os_, Link(StrEq(kTmpFile), StrEq(kPath))).WillOnce(ReturnSys(0));
    EXPECT_CALL(os_, Lstat(StrEq(kTmpFile), _)).WillOnce(SocketStat());
    ExpectTempDirCleanup();
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
    EXPECT_CALL(os_, Socket(AF_UNIX, kSocketType, 0)).WillOnce(fds_.Open());
    EXPECT_CALL(os_, Mkdtemp(StrEq(kTemplate))).WillOnce(MakeTempDir);
    EXPECT_CALL(os_, Open(StrEq(kTmpDir), kDirFlags, _)).WillOnce(fds_.Open());
    EXPECT_CALL(os_, Bind(100, _, _))
        .With(Args<1, 2>(AddressIs("/proc/self/fd/101/s")))
        .WillOnce(FailWith(ENOENT));
    EXPECT_CALL(os_, Bind(100, _, _)).With(Args<1, 2>(AddressIs(kTmpFile))).WillOnce(ReturnSys(0));
    EXPECT_CALL(os_, Chmod(StrEq(kTmpFile), 0700)).WillOnce(ReturnSys(0));
    EXPECT_CALL(os_, Listen(100, 50)).WillOnce(ReturnSys(0));
    EXPECT_CALL(os_, Link(StrEq(kTmpFile), StrEq(kPath))).WillOnce(ReturnSys(0));
    EXPECT_CALL(os_, Lstat(StrEq(kTmpFile), _)).WillOnce(SocketStat());
    ExpectTempDirCleanup();
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
  EXPECT_CALL(os_, Socket(AF_UNIX, kSocketType, 0)).WillOnce(fds_.Open());
  EXPECT_CALL(os_, Mkdtemp(StrEq(dir + "/.ipc-server-XXXXXX"))).WillOnce(MakeTempDir);
  EXPECT_CALL(os_, Open(StrEq(dir + "/.ipc-server-abc123"), kDirFlags, _)).WillOnce(fds_.Open());
  EXPECT_CALL(os_, Bind(100, _, _)).WillOnce(FailWith(ENOENT));
  EXPECT_CALL(os_, Rmdir(StrEq(dir + "/.ipc-server-abc123"))).WillOnce(ReturnSys(0));
  EXPECT_CALL(os_, Close(101)).WillOnce(fds_.Close());
  EXPECT_CALL(os_, Close(100)).WillOnce(fds_.Close());
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
  for (const ErrnoCase& c : cases) {
    SCOPED_TRACE(c.err);
    const int fd = 100 + fds_.opened_count();
    InSequence seq;
    EXPECT_CALL(os_, Socket(AF_UNIX, kSocketType, 0)).WillOnce(fds_.Open());
    EXPECT_CALL(os_, Mkdtemp(StrEq(kTemplate))).WillOnce(FailWith(c.err));
    EXPECT_CALL(os_, Close(fd)).WillOnce(fds_.Close());
    EXPECT_FALSE(server.Listen(kPath));
    EXPECT_EQ(server.server_error(), c.error);
  }
}

TEST_F(LocalServerMockTest, AccessOptionsOpenFailureRemovesTheDirectory) {
  LocalServer server(loop_, os_);
  server.SetSocketOptions(LocalServer::kUserAccess);
  InSequence seq;
  EXPECT_CALL(os_, Socket(AF_UNIX, kSocketType, 0)).WillOnce(fds_.Open());
  EXPECT_CALL(os_, Mkdtemp(StrEq(kTemplate))).WillOnce(MakeTempDir);
  EXPECT_CALL(os_, Open(StrEq(kTmpDir), kDirFlags, _)).WillOnce(FailWith(EMFILE));
  EXPECT_CALL(os_, Rmdir(StrEq(kTmpDir))).WillOnce(ReturnSys(0));
  EXPECT_CALL(os_, Close(100)).WillOnce(fds_.Close());
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
  EXPECT_CALL(os_, Socket(AF_UNIX, kSocketType, 0)).WillOnce(fds_.Open());
  EXPECT_CALL(os_, Mkdtemp(StrEq(kTemplate))).WillOnce(MakeTempDir);
  EXPECT_CALL(os_, Open(StrEq(kTmpDir), kDirFlags, _)).WillOnce(fds_.Open());
  EXPECT_CALL(os_, Bind(100, _, _)).WillOnce(ReturnSys(0));
  if (step == FailingStep::kChmod) {
    EXPECT_CALL(os_, Chmod(StrEq("/proc/self/fd/101/s"), 0070)).WillOnce(FailWith(EPERM));
  } else {
    EXPECT_CALL(os_, Chmod(StrEq("/proc/self/fd/101/s"), 0070)).WillOnce(ReturnSys(0));
    if (step == FailingStep::kListen) {
      EXPECT_CALL(os_, Listen(100, 50)).WillOnce(FailWith(ENOMEM));
    } else {
      EXPECT_CALL(os_, Listen(100, 50)).WillOnce(ReturnSys(0));
      EXPECT_CALL(os_, Link(StrEq(kTmpFile), StrEq(kPath))).WillOnce(FailWith(ENOENT));
    }
  }
  ExpectTempDirCleanup();
  EXPECT_CALL(os_, Close(100)).WillOnce(fds_.Close());
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

// Expects the access recipe up to a link() that fails with EEXIST (listening fd 100, dirfd 101).
void ExpectAccessRecipeUntilLinkExists(StrictMock<MockOsCalls>& os, const FdLedger& fds) {
  EXPECT_CALL(os, Socket(AF_UNIX, kSocketType, 0)).WillOnce(fds.Open());
  EXPECT_CALL(os, Mkdtemp(StrEq(kTemplate))).WillOnce(MakeTempDir);
  EXPECT_CALL(os, Open(StrEq(kTmpDir), kDirFlags, _)).WillOnce(fds.Open());
  EXPECT_CALL(os, Bind(100, _, _)).WillOnce(ReturnSys(0));
  EXPECT_CALL(os, Chmod(StrEq("/proc/self/fd/101/s"), 0700)).WillOnce(ReturnSys(0));
  EXPECT_CALL(os, Listen(100, 50)).WillOnce(ReturnSys(0));
  EXPECT_CALL(os, Link(StrEq(kTmpFile), StrEq(kPath))).WillOnce(FailWith(EEXIST));
}

TEST_F(LocalServerMockTest, AccessOptionsReplaceAStaleSocket) {
  LocalServer server(loop_, os_);
  server.SetSocketOptions(LocalServer::kUserAccess);
  {
    InSequence seq;
    ExpectAccessRecipeUntilLinkExists(os_, fds_);
    EXPECT_CALL(os_, Lstat(StrEq(kPath), _)).WillOnce(SocketStat(3, 3));
    EXPECT_CALL(os_, Socket(AF_UNIX, kSocketType, 0)).WillOnce(fds_.Open());  // 102: probe
    EXPECT_CALL(os_, Connect(102, _, _))
        .With(Args<1, 2>(AddressIs(kPath)))
        .WillOnce(FailWith(ECONNREFUSED));
    EXPECT_CALL(os_, Close(102)).WillOnce(fds_.Close());
    EXPECT_CALL(os_, Unlink(StrEq(kPath))).WillOnce(ReturnSys(0));
    EXPECT_CALL(os_, Link(StrEq(kTmpFile), StrEq(kPath))).WillOnce(ReturnSys(0));
    EXPECT_CALL(os_, Lstat(StrEq(kTmpFile), _)).WillOnce(SocketStat());
    ExpectTempDirCleanup();
  }
  ASSERT_TRUE(server.Listen(kPath)) << server.error_string();
  ExpectCloseAndUnlink();
}

TEST_F(LocalServerMockTest, AccessOptionsDoNotHijackALiveServer) {
  LocalServer server(loop_, os_);
  server.SetSocketOptions(LocalServer::kUserAccess);
  InSequence seq;
  ExpectAccessRecipeUntilLinkExists(os_, fds_);
  EXPECT_CALL(os_, Lstat(StrEq(kPath), _)).WillOnce(SocketStat(3, 3));
  EXPECT_CALL(os_, Socket(AF_UNIX, kSocketType, 0)).WillOnce(fds_.Open());
  EXPECT_CALL(os_, Connect(102, _, _)).WillOnce(ReturnSys(0));
  EXPECT_CALL(os_, Close(102)).WillOnce(fds_.Close());
  ExpectTempDirCleanup();
  EXPECT_CALL(os_, Close(100)).WillOnce(fds_.Close());
  EXPECT_FALSE(server.Listen(kPath));
  EXPECT_EQ(server.server_error(), Error::kAddressInUse);
  EXPECT_EQ(server.error_string(), "LocalServer::Listen: address in use");
}

TEST_F(LocalServerMockTest, AccessOptionsLeaveANonSocketAlone) {
  LocalServer server(loop_, os_);
  server.SetSocketOptions(LocalServer::kUserAccess);
  InSequence seq;
  ExpectAccessRecipeUntilLinkExists(os_, fds_);
  EXPECT_CALL(os_, Lstat(StrEq(kPath), _)).WillOnce(StatAs{S_IFDIR | 0755, 3, 3});
  ExpectTempDirCleanup();
  EXPECT_CALL(os_, Close(100)).WillOnce(fds_.Close());
  EXPECT_FALSE(server.Listen(kPath));
  EXPECT_EQ(server.server_error(), Error::kAddressInUse);
  EXPECT_EQ(server.error_string(), "LocalServer::Listen: address in use (not a socket)");
}

TEST_F(LocalServerMockTest, AccessOptionsSecondEexistIsAddressInUse) {
  LocalServer server(loop_, os_);
  server.SetSocketOptions(LocalServer::kUserAccess);
  InSequence seq;
  ExpectAccessRecipeUntilLinkExists(os_, fds_);
  EXPECT_CALL(os_, Lstat(StrEq(kPath), _)).WillOnce(FailWith(ENOENT));  // Gone: retry.
  EXPECT_CALL(os_, Link(StrEq(kTmpFile), StrEq(kPath))).WillOnce(FailWith(EEXIST));
  ExpectTempDirCleanup();
  EXPECT_CALL(os_, Close(100)).WillOnce(fds_.Close());
  EXPECT_FALSE(server.Listen(kPath));
  EXPECT_EQ(server.server_error(), Error::kAddressInUse);
  EXPECT_EQ(server.error_string(), "LocalServer::Listen: address in use: File exists");
}

// ---------------------------------------------------------------------------------------------
// Listen: abstract namespace.

TEST_F(LocalServerMockTest, AbstractListenHasNoFileAndNoUnlink) {
  LocalServer server(loop_, os_);
  ListenAbstract(server);
  EXPECT_EQ(server.server_name(), "app");
  EXPECT_EQ(server.full_server_name(), "app");
  EXPECT_CALL(os_, Close(100)).WillOnce(fds_.Close());
}

TEST_F(LocalServerMockTest, AbstractOverridesAccessBits) {
  LocalServer server(loop_, os_);
  InSequence seq;
  EXPECT_CALL(os_, Socket(AF_UNIX, kSocketType, 0)).WillOnce(fds_.Open());
  EXPECT_CALL(os_, Bind(100, _, _)).With(Args<1, 2>(AddressIs("@app"))).WillOnce(ReturnSys(0));
  EXPECT_CALL(os_, Listen(100, 50)).WillOnce(ReturnSys(0));
  server.SetSocketOptions(LocalServer::kAbstractNamespace | LocalServer::kUserAccess);
  ASSERT_TRUE(server.Listen("app"));
  EXPECT_EQ(server.socket_options(), LocalServer::kAbstractNamespace | LocalServer::kUserAccess);
  EXPECT_CALL(os_, Close(100)).WillOnce(fds_.Close());
}

TEST_F(LocalServerMockTest, AbstractAddressInUseIsNotProbed) {
  LocalServer server(loop_, os_);
  server.SetSocketOptions(LocalServer::kAbstractNamespace);
  InSequence seq;
  EXPECT_CALL(os_, Socket(AF_UNIX, kSocketType, 0)).WillOnce(fds_.Open());
  EXPECT_CALL(os_, Bind(100, _, _)).WillOnce(FailWith(EADDRINUSE));
  EXPECT_CALL(os_, Close(100)).WillOnce(fds_.Close());
  EXPECT_FALSE(server.Listen("app"));
  EXPECT_EQ(server.server_error(), Error::kAddressInUse);
  EXPECT_EQ(server.error_string(), "LocalServer::Listen: address in use: Address already in use");
}

// ---------------------------------------------------------------------------------------------
// Close and the destructor: unlink only our own file.

TEST_F(LocalServerMockTest, DestructorLeavesANewerServersFileAlone) {
  auto server = std::make_unique<LocalServer>(loop_, os_);
  ListenAtPath(*server);
  InSequence seq;
  EXPECT_CALL(os_, Lstat(StrEq(kPath), _)).WillOnce(SocketStat(kDev, kIno + 1));
  EXPECT_CALL(os_, Unlink(_)).Times(0);
  EXPECT_CALL(os_, Close(100)).WillOnce(fds_.Close());
  server.reset();
}

TEST_F(LocalServerMockTest, DestructorLeavesAFileOnAnotherDeviceAlone) {
  auto server = std::make_unique<LocalServer>(loop_, os_);
  ListenAtPath(*server);
  InSequence seq;
  EXPECT_CALL(os_, Lstat(StrEq(kPath), _)).WillOnce(SocketStat(kDev + 1, kIno));
  EXPECT_CALL(os_, Unlink(_)).Times(0);
  EXPECT_CALL(os_, Close(100)).WillOnce(fds_.Close());
  server.reset();
}

TEST_F(LocalServerMockTest, DestructorDoesNothingWhenTheFileIsGone) {
  auto server = std::make_unique<LocalServer>(loop_, os_);
  ListenAtPath(*server);
  InSequence seq;
  EXPECT_CALL(os_, Lstat(StrEq(kPath), _)).WillOnce(FailWith(ENOENT));
  EXPECT_CALL(os_, Close(100)).WillOnce(fds_.Close());
  server.reset();
}

TEST_F(LocalServerMockTest, CloseClearsStateAndIsIdempotent) {
  LocalServer server(loop_, os_);
  ListenAtPath(server);
  ExpectCloseAndUnlink();
  server.Close();
  EXPECT_FALSE(server.IsListening());
  EXPECT_EQ(server.server_name(), "");
  EXPECT_EQ(server.full_server_name(), "");
  EXPECT_EQ(server.socket_descriptor(), -1);
  EXPECT_EQ(loop_.WatchedEvents(100), eventloop::kNoEvents);
  server.Close();  // No-op.
}

// ---------------------------------------------------------------------------------------------
// Listen(int fd): adoption.

TEST_F(LocalServerMockTest, AdoptsAListeningSocketAndNeverUnlinks) {
  fds_.Track(5);
  LocalServer server(loop_, os_);
  {
    InSequence seq;
    EXPECT_CALL(os_, Fstat(5, _)).WillOnce(SocketStat());
    EXPECT_CALL(os_, GetSockOpt(5, SOL_SOCKET, SO_DOMAIN, _, _)).WillOnce(IntOption(AF_UNIX));
    EXPECT_CALL(os_, GetSockOpt(5, SOL_SOCKET, SO_TYPE, _, _)).WillOnce(IntOption(SOCK_STREAM));
    EXPECT_CALL(os_, GetSockOpt(5, SOL_SOCKET, SO_ACCEPTCONN, _, _)).WillOnce(IntOption(1));
    EXPECT_CALL(os_, GetSockName(5, _, _)).WillOnce(NameIs("/run/x/app.sock"));
    EXPECT_CALL(os_, Fcntl(5, F_GETFL, _)).WillOnce(ReturnSys(O_RDWR));
    EXPECT_CALL(os_, Fcntl(5, F_GETFD, _)).WillOnce(ReturnSys(0));
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
  EXPECT_CALL(os_, Close(5)).WillOnce(fds_.Close());
}

TEST_F(LocalServerMockTest, AdoptsAnAbstractListeningSocket) {
  fds_.Track(5);
  LocalServer server(loop_, os_);
  {
    InSequence seq;
    EXPECT_CALL(os_, Fstat(5, _)).WillOnce(SocketStat());
    EXPECT_CALL(os_, GetSockOpt(5, SOL_SOCKET, SO_DOMAIN, _, _)).WillOnce(IntOption(AF_UNIX));
    EXPECT_CALL(os_, GetSockOpt(5, SOL_SOCKET, SO_TYPE, _, _)).WillOnce(IntOption(SOCK_STREAM));
    EXPECT_CALL(os_, GetSockOpt(5, SOL_SOCKET, SO_ACCEPTCONN, _, _)).WillOnce(IntOption(1));
    EXPECT_CALL(os_, GetSockName(5, _, _)).WillOnce(NameIs("@svc/x"));
    EXPECT_CALL(os_, Fcntl(5, F_GETFL, _)).WillOnce(ReturnSys(O_RDWR | O_NONBLOCK));
    EXPECT_CALL(os_, Fcntl(5, F_GETFD, _)).WillOnce(ReturnSys(FD_CLOEXEC));
  }
  ASSERT_TRUE(server.Listen(5)) << server.error_string();
  EXPECT_EQ(server.server_name(), "svc/x");
  EXPECT_EQ(server.full_server_name(), "svc/x");
  EXPECT_EQ(server.socket_options(), LocalServer::kAbstractNamespace);
  EXPECT_CALL(os_, Close(5)).WillOnce(fds_.Close());
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
    EXPECT_CALL(os_, Fstat(5, _)).WillOnce(SocketStat());
    EXPECT_CALL(os_, GetSockOpt(5, SOL_SOCKET, SO_DOMAIN, _, _)).WillOnce(IntOption(AF_UNIX));
    EXPECT_CALL(os_, GetSockOpt(5, SOL_SOCKET, SO_TYPE, _, _)).WillOnce(IntOption(SOCK_STREAM));
    EXPECT_CALL(os_, GetSockOpt(5, SOL_SOCKET, SO_ACCEPTCONN, _, _)).WillOnce(IntOption(1));
    EXPECT_CALL(os_, GetSockName(5, _, _)).WillOnce(NameIs("/run/x/app.sock"));
    EXPECT_CALL(os_, Fcntl(5, F_GETFL, _)).WillOnce(ReturnSys(O_RDWR));
    EXPECT_CALL(os_, Fcntl(5, F_GETFD, _)).WillOnce(ReturnSys(0));
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

// ---------------------------------------------------------------------------------------------
// Accepting and the pending queue.

TEST_F(LocalServerMockTest, AcceptsUntilEagainAndEmitsOncePerConnection) {
  LocalServer server(loop_, os_);
  ListenAtPath(server);
  std::vector<size_t> queue_sizes;  // HasPendingConnections at each emit
  server.new_connection.Connect([&] {
    EXPECT_TRUE(server.HasPendingConnections());
    queue_sizes.push_back(queue_sizes.size() + 1);
  });
  {
    InSequence seq;
    EXPECT_CALL(os_, Accept4(100, nullptr, nullptr, kAcceptFlags))
        .Times(3)
        .WillRepeatedly(AcceptFd());
    EXPECT_CALL(os_, Accept4(100, nullptr, nullptr, kAcceptFlags)).WillRepeatedly(FailWith(EAGAIN));
  }
  loop_.SetFdReady(100, eventloop::kReadable);
  loop_.RunUntilIdle();
  EXPECT_EQ(queue_sizes.size(), 3u);
  loop_.ClearFdReady(100, eventloop::kReadable);

  std::vector<std::unique_ptr<LocalSocket>> taken;
  while (auto socket = server.NextPendingConnection()) taken.push_back(std::move(socket));
  ASSERT_EQ(taken.size(), 3u);
  EXPECT_EQ(taken[0]->socket_descriptor(), 101);
  EXPECT_EQ(taken[1]->socket_descriptor(), 102);
  EXPECT_EQ(taken[2]->socket_descriptor(), 103);
  for (const auto& socket : taken) {
    EXPECT_EQ(socket->state(), LocalSocket::State::kConnected);
    EXPECT_EQ(socket->server_name(), kPath);
    EXPECT_EQ(socket->full_server_name(), kPath);
    EXPECT_EQ(socket->socket_options(), LocalSocket::kNoOptions);
  }
  // Taken sockets outlive the server.
  ExpectCloseAndUnlink();
}

TEST_F(LocalServerMockTest, NothingIsAcceptedInsideListen) {
  LocalServer server(loop_, os_);
  int emitted = 0;
  server.new_connection.Connect([&] { ++emitted; });
  loop_.SetFdReady(100, eventloop::kReadable);  // A client is already waiting.
  ListenAtPath(server);
  EXPECT_EQ(emitted, 0);
  EXPECT_CALL(os_, Accept4(100, _, _, kAcceptFlags))
      .WillOnce(AcceptFd())
      .WillRepeatedly(FailWith(EAGAIN));
  loop_.RunUntilIdle();
  EXPECT_EQ(emitted, 1);
  ExpectCloseAndUnlink();  // The pending socket is destroyed with the server.
}

TEST_F(LocalServerMockTest, AcceptedSocketsOfAnAbstractServerAreAbstract) {
  LocalServer server(loop_, os_);
  ListenAbstract(server);
  EXPECT_CALL(os_, Accept4(100, _, _, kAcceptFlags))
      .WillOnce(AcceptFd())
      .WillRepeatedly(FailWith(EAGAIN));
  loop_.SetFdReady(100, eventloop::kReadable);
  loop_.RunUntilIdle();
  std::unique_ptr<LocalSocket> socket = server.NextPendingConnection();
  ASSERT_NE(socket, nullptr);
  EXPECT_EQ(socket->server_name(), "app");
  EXPECT_EQ(socket->full_server_name(), "app");
  EXPECT_EQ(socket->socket_options(), LocalSocket::kAbstractNamespace);
  EXPECT_CALL(os_, Close(100)).WillOnce(fds_.Close());
}

TEST_F(LocalServerMockTest, TransientAcceptErrorsAreSkipped) {
  LocalServer server(loop_, os_);
  ListenAtPath(server);
  int emitted = 0;
  int errors = 0;
  server.new_connection.Connect([&] { ++emitted; });
  server.error_occurred.Connect([&](Error) { ++errors; });
  {
    InSequence seq;
    EXPECT_CALL(os_, Accept4(100, _, _, kAcceptFlags)).WillOnce(FailWith(ECONNABORTED));
    EXPECT_CALL(os_, Accept4(100, _, _, kAcceptFlags)).WillOnce(AcceptFd());
    EXPECT_CALL(os_, Accept4(100, _, _, kAcceptFlags)).WillOnce(FailWith(EPROTO));
    EXPECT_CALL(os_, Accept4(100, _, _, kAcceptFlags)).WillOnce(FailWith(EINTR));
    EXPECT_CALL(os_, Accept4(100, _, _, kAcceptFlags)).WillOnce(AcceptFd());
    EXPECT_CALL(os_, Accept4(100, _, _, kAcceptFlags)).WillRepeatedly(FailWith(EAGAIN));
  }
  loop_.SetFdReady(100, eventloop::kReadable);
  loop_.RunUntilIdle();
  EXPECT_EQ(emitted, 2);
  EXPECT_EQ(errors, 0);
  EXPECT_EQ(server.server_error(), Error::kNone);
  EXPECT_EQ(loop_.WatchedEvents(100), eventloop::kReadable);
  ExpectCloseAndUnlink();
}

TEST_F(LocalServerMockTest, EagainStopsAcceptingUntilTheNextWakeUp) {
  LocalServer server(loop_, os_);
  ListenAtPath(server);
  EXPECT_CALL(os_, Accept4(100, _, _, kAcceptFlags)).WillOnce(FailWith(EAGAIN));
  loop_.SetFdReady(100, eventloop::kReadable);
  loop_.RunUntilIdle();  // One wake-up, one accept4.
  loop_.ClearFdReady(100, eventloop::kReadable);
  loop_.RunUntilIdle();  // Not ready: no accept4.
  EXPECT_EQ(loop_.WatchedEvents(100), eventloop::kReadable);
  ExpectCloseAndUnlink();
}

TEST_F(LocalServerMockTest, AdoptionFailureClosesTheAcceptedFd) {
  LocalServer server(loop_, os_);
  ListenAtPath(server);
  int emitted = 0;
  server.new_connection.Connect([&] { ++emitted; });
  // LocalSocket refuses fd 101 (not a socket, as far as fstat says).
  EXPECT_CALL(os_, Fstat(101, _)).WillOnce(StatAs{S_IFREG, 1, 1});
  {
    InSequence seq;
    EXPECT_CALL(os_, Accept4(100, _, _, kAcceptFlags)).Times(2).WillRepeatedly(AcceptFd());
    EXPECT_CALL(os_, Accept4(100, _, _, kAcceptFlags)).WillRepeatedly(FailWith(EAGAIN));
  }
  loop_.SetFdReady(100, eventloop::kReadable);
  loop_.RunUntilIdle();
  EXPECT_EQ(emitted, 1);
  EXPECT_FALSE(fds_.IsOpen(101));
  std::unique_ptr<LocalSocket> socket = server.NextPendingConnection();
  ASSERT_NE(socket, nullptr);
  EXPECT_EQ(socket->socket_descriptor(), 102);
  EXPECT_EQ(server.NextPendingConnection(), nullptr);
  ExpectCloseAndUnlink();
}

TEST_F(LocalServerMockTest, QueueHoldsExactlyMaxAndPausesReading) {
  LocalServer server(loop_, os_);
  server.SetMaxPendingConnections(2);
  ListenAtPath(server);
  int emitted = 0;
  server.new_connection.Connect([&] { ++emitted; });
  // Exactly two accepts: the queue is then full and accept4 is not called again.
  EXPECT_CALL(os_, Accept4(100, _, _, kAcceptFlags)).Times(2).WillRepeatedly(AcceptFd());
  loop_.SetFdReady(100, eventloop::kReadable);
  loop_.RunUntilIdle();
  EXPECT_EQ(emitted, 2);
  EXPECT_EQ(loop_.WatchedEvents(100), eventloop::kNoEvents);
  loop_.RunUntilIdle();  // Still ready, but paused: no accept4 (a third would fail).

  std::unique_ptr<LocalSocket> first = server.NextPendingConnection();
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(loop_.WatchedEvents(100), eventloop::kReadable);  // Resumed below max.
  EXPECT_CALL(os_, Accept4(100, _, _, kAcceptFlags)).WillOnce(AcceptFd());
  loop_.RunUntilIdle();
  EXPECT_EQ(emitted, 3);
  EXPECT_EQ(loop_.WatchedEvents(100), eventloop::kNoEvents);

  // Raising the maximum resumes at once; lowering it pauses.
  server.SetMaxPendingConnections(3);
  EXPECT_EQ(loop_.WatchedEvents(100), eventloop::kReadable);
  server.SetMaxPendingConnections(1);
  EXPECT_EQ(loop_.WatchedEvents(100), eventloop::kNoEvents);
  ExpectCloseAndUnlink();
}

TEST_F(LocalServerMockTest, MaxZeroNeverAcceptsFromTheLoop) {
  LocalServer server(loop_, os_);
  server.SetMaxPendingConnections(0);
  ListenAtPath(server);
  EXPECT_EQ(loop_.WatchedEvents(100), eventloop::kNoEvents);
  loop_.SetFdReady(100, eventloop::kReadable);
  loop_.RunUntilIdle();  // StrictMock: any accept4 would fail the test.
  loop_.FastForwardBy(std::chrono::seconds(5));
  ExpectCloseAndUnlink();
}

TEST_F(LocalServerMockTest, ResourceErrorPausesBacksOffAndKeepsListening) {
  LocalServer server(loop_, os_);
  ListenAtPath(server);
  std::vector<std::string> log;
  server.new_connection.Connect([&] { log.push_back("new_connection"); });
  server.error_occurred.Connect([&](Error e) {
    EXPECT_EQ(server.server_error(), e);  // Set before the emit.
    log.push_back("error " + server.error_string());
  });
  MockFunction<void(const char*)> check;
  {
    InSequence seq;
    EXPECT_CALL(os_, Accept4(100, _, _, kAcceptFlags)).WillOnce(FailWith(EMFILE));
    EXPECT_CALL(check, Call("9ms"));
    EXPECT_CALL(os_, Accept4(100, _, _, kAcceptFlags)).WillOnce(FailWith(ENFILE));  // at 10 ms
    EXPECT_CALL(check, Call("29ms"));
    EXPECT_CALL(os_, Accept4(100, _, _, kAcceptFlags)).WillOnce(AcceptFd());  // at 30 ms
    EXPECT_CALL(os_, Accept4(100, _, _, kAcceptFlags)).WillRepeatedly(FailWith(EAGAIN));
  }
  loop_.SetFdReady(100, eventloop::kReadable);
  loop_.RunUntilIdle();
  EXPECT_TRUE(server.IsListening());
  EXPECT_EQ(server.server_error(), Error::kSocketResource);
  EXPECT_EQ(loop_.WatchedEvents(100), eventloop::kNoEvents);  // Paused: no busy loop.
  loop_.FastForwardBy(milliseconds(9));
  check.Call("9ms");
  loop_.FastForwardBy(milliseconds(1));  // Retry at 10 ms: ENFILE, next retry 20 ms later.
  EXPECT_EQ(loop_.WatchedEvents(100), eventloop::kNoEvents);
  loop_.FastForwardBy(milliseconds(19));
  check.Call("29ms");
  loop_.FastForwardBy(milliseconds(1));
  EXPECT_EQ(loop_.WatchedEvents(100), eventloop::kReadable);  // Resumed.
  EXPECT_THAT(log,
              ElementsAre("error LocalServer::Accept: out of resources: Too many open files",
                          "error LocalServer::Accept: out of resources: Too many open files in "
                          "system",
                          "new_connection"));
  EXPECT_TRUE(server.HasPendingConnections());
  EXPECT_TRUE(server.IsListening());
  ExpectCloseAndUnlink();
}

TEST_F(LocalServerMockTest, BackoffDoublesUpToOneSecond) {
  LocalServer server(loop_, os_);
  ListenAtPath(server);
  const eventloop::TimePoint start = loop_.Now();
  std::vector<int64_t> at_ms;
  EXPECT_CALL(os_, Accept4(100, _, _, kAcceptFlags))
      .WillRepeatedly([&](int, sockaddr*, socklen_t*, int) {
        at_ms.push_back(std::chrono::duration_cast<milliseconds>(loop_.Now() - start).count());
        return SysResult{-1, ENOMEM};
      });
  std::vector<Error> errors;
  server.error_occurred.Connect([&](Error e) { errors.push_back(e); });
  loop_.SetFdReady(100, eventloop::kReadable);
  loop_.RunUntilIdle();
  loop_.FastForwardBy(milliseconds(4270));
  // 0, +10, +20, +40, +80, +160, +320, +640, +1000, +1000, +1000.
  EXPECT_THAT(at_ms, ElementsAre(0, 10, 30, 70, 150, 310, 630, 1270, 2270, 3270, 4270));
  EXPECT_EQ(errors.size(), at_ms.size());
  EXPECT_EQ(errors.back(), Error::kSocketResource);
  EXPECT_TRUE(server.IsListening());
  ExpectCloseAndUnlink();
}

TEST_F(LocalServerMockTest, UnexpectedAcceptErrorIsUnknownWithTheSameHandling) {
  LocalServer server(loop_, os_);
  ListenAtPath(server);
  std::vector<Error> errors;
  server.error_occurred.Connect([&](Error e) { errors.push_back(e); });
  {
    InSequence seq;
    EXPECT_CALL(os_, Accept4(100, _, _, kAcceptFlags)).WillOnce(FailWith(EINVAL));
    EXPECT_CALL(os_, Accept4(100, _, _, kAcceptFlags)).WillRepeatedly(FailWith(EAGAIN));
  }
  loop_.SetFdReady(100, eventloop::kReadable);
  loop_.RunUntilIdle();
  EXPECT_THAT(errors, ElementsAre(Error::kUnknown));
  EXPECT_EQ(server.error_string(), "LocalServer::Accept: unknown error: Invalid argument");
  EXPECT_EQ(loop_.WatchedEvents(100), eventloop::kNoEvents);
  loop_.FastForwardBy(milliseconds(10));
  EXPECT_EQ(loop_.WatchedEvents(100), eventloop::kReadable);
  EXPECT_TRUE(server.IsListening());
  ExpectCloseAndUnlink();
}

TEST_F(LocalServerMockTest, CloseInsideErrorSlotStopsTheRetry) {
  LocalServer server(loop_, os_);
  ListenAtPath(server);
  server.error_occurred.Connect([&](Error) { server.Close(); });
  InSequence seq;
  EXPECT_CALL(os_, Accept4(100, _, _, kAcceptFlags)).WillOnce(FailWith(EMFILE));
  ExpectCloseAndUnlink();
  loop_.SetFdReady(100, eventloop::kReadable);
  loop_.RunUntilIdle();
  EXPECT_FALSE(server.IsListening());
  EXPECT_EQ(server.server_error(), Error::kNone);  // Close() clears it, as Qt.
  loop_.FastForwardBy(std::chrono::seconds(2));    // No retry after Close.
}

TEST_F(LocalServerMockTest, OneWakeUpAcceptsAtMost256) {
  LocalServer server(loop_, os_);
  server.SetMaxPendingConnections(1000);
  ListenAtPath(server);
  int emitted = 0;
  server.new_connection.Connect([&] { ++emitted; });
  EXPECT_CALL(os_, Accept4(100, _, _, kAcceptFlags)).WillRepeatedly(AcceptFd());
  loop_.SetFdReady(100, eventloop::kReadable);
  loop_.RunUntilIdle();  // One iteration: the cap, then the loop moves on.
  EXPECT_EQ(emitted, 256);
  EXPECT_EQ(loop_.WatchedEvents(100), eventloop::kReadable);  // Level-triggered: more later.
  loop_.RunUntilIdle();
  EXPECT_EQ(emitted, 512);
  loop_.ClearFdReady(100, eventloop::kReadable);
  ExpectCloseAndUnlink();
}

TEST_F(LocalServerMockTest, WaitAcceptingAfterAFailureEndsThePause) {
  LocalServer server(loop_, os_);
  ListenAtPath(server);
  {
    InSequence seq;
    EXPECT_CALL(os_, Accept4(100, _, _, kAcceptFlags)).WillOnce(FailWith(EMFILE));
    EXPECT_CALL(os_, Poll(_, 1, 100)).WillOnce(PollReady(100, POLLIN));
    EXPECT_CALL(os_, Accept4(100, _, _, kAcceptFlags)).WillOnce(AcceptFd());
  }
  loop_.SetFdReady(100, eventloop::kReadable);
  loop_.RunUntilIdle();
  loop_.ClearFdReady(100, eventloop::kReadable);
  EXPECT_EQ(loop_.WatchedEvents(100), eventloop::kNoEvents);  // Paused.
  EXPECT_TRUE(server.WaitForNewConnection(100));
  EXPECT_EQ(loop_.WatchedEvents(100), eventloop::kReadable);  // Accepting works: resumed.
  loop_.FastForwardBy(std::chrono::seconds(2));  // The retry timer was cancelled: no accept4.
  ExpectCloseAndUnlink();
}

// ---------------------------------------------------------------------------------------------
// Re-entrancy from new_connection.

TEST_F(LocalServerMockTest, SlotTakesTheConnection) {
  LocalServer server(loop_, os_);
  server.SetMaxPendingConnections(1);
  ListenAtPath(server);
  std::vector<std::unique_ptr<LocalSocket>> taken;
  server.new_connection.Connect([&] { taken.push_back(server.NextPendingConnection()); });
  {
    InSequence seq;
    // With max 1, each take frees the slot: all three are accepted in one wake-up.
    EXPECT_CALL(os_, Accept4(100, _, _, kAcceptFlags)).Times(3).WillRepeatedly(AcceptFd());
    EXPECT_CALL(os_, Accept4(100, _, _, kAcceptFlags)).WillRepeatedly(FailWith(EAGAIN));
  }
  loop_.SetFdReady(100, eventloop::kReadable);
  loop_.RunUntilIdle();
  ASSERT_EQ(taken.size(), 3u);
  for (const auto& socket : taken) ASSERT_NE(socket, nullptr);
  EXPECT_FALSE(server.HasPendingConnections());
  loop_.ClearFdReady(100, eventloop::kReadable);
  ExpectCloseAndUnlink();
}

TEST_F(LocalServerMockTest, SlotDestroysTheServer) {
  auto server = std::make_unique<LocalServer>(loop_, os_);
  ListenAtPath(*server);
  int emitted = 0;
  server->new_connection.Connect([&] {
    ++emitted;
    server.reset();
  });
  InSequence seq;
  EXPECT_CALL(os_, Accept4(100, _, _, kAcceptFlags)).WillOnce(AcceptFd());  // Only one.
  ExpectCloseAndUnlink();
  loop_.SetFdReady(100, eventloop::kReadable);
  loop_.RunUntilIdle();
  EXPECT_EQ(emitted, 1);
  EXPECT_EQ(server, nullptr);
  EXPECT_FALSE(fds_.IsOpen(101));  // The pending socket went with the server.
}

TEST_F(LocalServerMockTest, SlotClosesTheServer) {
  LocalServer server(loop_, os_);
  ListenAtPath(server);
  int emitted = 0;
  server.new_connection.Connect([&] {
    ++emitted;
    server.Close();
  });
  InSequence seq;
  EXPECT_CALL(os_, Accept4(100, _, _, kAcceptFlags)).WillOnce(AcceptFd());
  ExpectCloseAndUnlink();
  loop_.SetFdReady(100, eventloop::kReadable);
  loop_.RunUntilIdle();
  EXPECT_EQ(emitted, 1);
  EXPECT_FALSE(server.IsListening());
  EXPECT_FALSE(server.HasPendingConnections());
}

TEST_F(LocalServerMockTest, CloseDestroysPendingButNotTakenSockets) {
  LocalServer server(loop_, os_);
  ListenAtPath(server);
  EXPECT_CALL(os_, Accept4(100, _, _, kAcceptFlags))
      .WillOnce(AcceptFd())
      .WillOnce(AcceptFd())
      .WillRepeatedly(FailWith(EAGAIN));
  loop_.SetFdReady(100, eventloop::kReadable);
  loop_.RunUntilIdle();
  std::unique_ptr<LocalSocket> taken = server.NextPendingConnection();
  ASSERT_NE(taken, nullptr);
  ExpectCloseAndUnlink();
  server.Close();
  EXPECT_FALSE(fds_.IsOpen(102));  // Pending: destroyed.
  EXPECT_TRUE(fds_.IsOpen(101));   // Taken: unaffected.
  EXPECT_EQ(taken->state(), LocalSocket::State::kConnected);
  EXPECT_FALSE(server.HasPendingConnections());
}

// ---------------------------------------------------------------------------------------------
// WaitForNewConnection (fake clock: the mocked poll advances it by the time it was given).

TEST_F(LocalServerMockTest, WaitWhenNotListeningReturnsAtOnce) {
  LocalServer server(loop_, os_);
  bool timed_out = true;
  EXPECT_FALSE(server.WaitForNewConnection(100, &timed_out));
  EXPECT_FALSE(timed_out);
  EXPECT_EQ(server.server_error(), Error::kNone);
}

TEST_F(LocalServerMockTest, WaitTimesOutOnTheLoopsClock) {
  LocalServer server(loop_, os_);
  ListenAtPath(server);
  const eventloop::TimePoint start = loop_.Now();
  {
    InSequence seq;
    // The first poll returns early after 100.5 ms; the second gets the rest, rounded up.
    EXPECT_CALL(os_, Poll(_, 1, 250)).WillOnce([&](pollfd* fds, nfds_t n, int timeout) {
      EXPECT_EQ(fds[0].fd, 100);
      EXPECT_EQ(fds[0].events, POLLIN);
      loop_.fake_clock().Advance(milliseconds(100) + std::chrono::microseconds(500));
      return PollTimesOut()(fds, n, timeout);
    });
    EXPECT_CALL(os_, Poll(_, 1, 150)).WillOnce([&](pollfd* fds, nfds_t n, int timeout) {
      loop_.fake_clock().Advance(milliseconds(timeout));
      return PollTimesOut()(fds, n, timeout);
    });
  }
  bool timed_out = false;
  EXPECT_FALSE(server.WaitForNewConnection(250, &timed_out));
  EXPECT_TRUE(timed_out);
  EXPECT_GE(loop_.Now() - start, milliseconds(250));
  EXPECT_EQ(server.server_error(), Error::kNone);  // A timeout is not an error.
  EXPECT_TRUE(server.IsListening());
  ExpectCloseAndUnlink();
}

TEST_F(LocalServerMockTest, WaitZeroPollsOnce) {
  LocalServer server(loop_, os_);
  ListenAtPath(server);
  EXPECT_CALL(os_, Poll(_, 1, 0)).Times(2).WillRepeatedly(PollTimesOut());
  bool timed_out = false;
  EXPECT_FALSE(server.WaitForNewConnection(0, &timed_out));
  EXPECT_TRUE(timed_out);
  EXPECT_FALSE(server.WaitForNewConnection());  // Defaults: 0 ms, no timed_out.
  ExpectCloseAndUnlink();
}

TEST_F(LocalServerMockTest, WaitForeverPassesMinusOne) {
  LocalServer server(loop_, os_);
  ListenAtPath(server);
  int emitted = 0;
  server.new_connection.Connect([&] { ++emitted; });
  InSequence seq;
  EXPECT_CALL(os_, Poll(_, 1, -1)).WillOnce(PollReady(100, POLLIN));
  EXPECT_CALL(os_, Accept4(100, _, _, kAcceptFlags)).WillOnce(AcceptFd());
  bool timed_out = true;
  EXPECT_TRUE(server.WaitForNewConnection(-1, &timed_out));
  EXPECT_FALSE(timed_out);
  EXPECT_EQ(emitted, 1);
  EXPECT_TRUE(server.HasPendingConnections());
  ExpectCloseAndUnlink();
}

TEST_F(LocalServerMockTest, WaitAcceptsOneEvenWhenTheQueueIsFull) {
  LocalServer server(loop_, os_);
  server.SetMaxPendingConnections(0);
  ListenAtPath(server);
  int emitted = 0;
  server.new_connection.Connect([&] { ++emitted; });
  InSequence seq;
  EXPECT_CALL(os_, Poll(_, 1, 1000)).WillOnce(PollReady(100, POLLIN));
  EXPECT_CALL(os_, Accept4(100, _, _, kAcceptFlags)).WillOnce(AcceptFd());
  EXPECT_TRUE(server.WaitForNewConnection(1000));
  EXPECT_EQ(emitted, 1);
  EXPECT_EQ(loop_.WatchedEvents(100), eventloop::kNoEvents);  // The loop still does not accept.
  std::unique_ptr<LocalSocket> socket = server.NextPendingConnection();
  ASSERT_NE(socket, nullptr);
  EXPECT_EQ(socket->socket_descriptor(), 101);
  ExpectCloseAndUnlink();
}

TEST_F(LocalServerMockTest, WaitKeepsWaitingWhenTheClientWentAway) {
  LocalServer server(loop_, os_);
  ListenAtPath(server);
  InSequence seq;
  EXPECT_CALL(os_, Poll(_, 1, 500)).WillOnce(PollReady(100, POLLIN));
  EXPECT_CALL(os_, Accept4(100, _, _, kAcceptFlags)).WillOnce(FailWith(ECONNABORTED));
  EXPECT_CALL(os_, Poll(_, 1, 500)).WillOnce(PollReady(100, POLLIN));
  EXPECT_CALL(os_, Accept4(100, _, _, kAcceptFlags)).WillOnce(AcceptFd());
  EXPECT_TRUE(server.WaitForNewConnection(500));
  ExpectCloseAndUnlink();
}

TEST_F(LocalServerMockTest, WaitPollErrorSetsTheErrorAndKeepsListening) {
  LocalServer server(loop_, os_);
  ListenAtPath(server);
  int errors = 0;
  server.error_occurred.Connect([&](Error) { ++errors; });
  EXPECT_CALL(os_, Poll(_, 1, 100)).WillOnce(FailWith(ENOMEM));
  bool timed_out = true;
  EXPECT_FALSE(server.WaitForNewConnection(100, &timed_out));
  EXPECT_FALSE(timed_out);
  EXPECT_EQ(server.server_error(), Error::kSocketResource);
  EXPECT_EQ(server.error_string(),
            "LocalServer::WaitForNewConnection: out of resources: Cannot allocate memory");
  EXPECT_EQ(errors, 0);  // A failed wait reports through its return value.
  EXPECT_TRUE(server.IsListening());
  ExpectCloseAndUnlink();
}

TEST_F(LocalServerMockTest, WaitAcceptFailureEmitsAndPauses) {
  LocalServer server(loop_, os_);
  ListenAtPath(server);
  std::vector<Error> errors;
  server.error_occurred.Connect([&](Error e) { errors.push_back(e); });
  InSequence seq;
  EXPECT_CALL(os_, Poll(_, 1, 100)).WillOnce(PollReady(100, POLLIN));
  EXPECT_CALL(os_, Accept4(100, _, _, kAcceptFlags)).WillOnce(FailWith(EMFILE));
  bool timed_out = true;
  EXPECT_FALSE(server.WaitForNewConnection(100, &timed_out));
  EXPECT_FALSE(timed_out);
  EXPECT_THAT(errors, ElementsAre(Error::kSocketResource));
  EXPECT_EQ(server.error_string(),
            "LocalServer::WaitForNewConnection: out of resources: Too many open files");
  EXPECT_EQ(loop_.WatchedEvents(100), eventloop::kNoEvents);
  EXPECT_TRUE(server.IsListening());
  ExpectCloseAndUnlink();
}

TEST_F(LocalServerMockTest, WaitSurvivesASlotDestroyingTheServer) {
  auto server = std::make_unique<LocalServer>(loop_, os_);
  ListenAtPath(*server);
  server->new_connection.Connect([&] { server.reset(); });
  InSequence seq;
  EXPECT_CALL(os_, Poll(_, 1, 100)).WillOnce(PollReady(100, POLLIN));
  EXPECT_CALL(os_, Accept4(100, _, _, kAcceptFlags)).WillOnce(AcceptFd());
  ExpectCloseAndUnlink();
  bool timed_out = true;
  EXPECT_TRUE(server->WaitForNewConnection(100, &timed_out));
  EXPECT_FALSE(timed_out);
  EXPECT_EQ(server, nullptr);
}

// A server that outlives its loop becomes inert: Listen and WaitForNewConnection do nothing
// (the strict mock sees no system call); destruction still closes and unlinks its own file.
TEST_F(LocalServerMockTest, ServerOutlivingItsLoopIsInert) {
  auto loop = std::make_unique<eventloop::FakeEventLoop>();
  auto server = std::make_unique<LocalServer>(*loop, os_);
  {
    InSequence seq;
    EXPECT_CALL(os_, Socket(AF_UNIX, kSocketType, 0)).WillOnce(fds_.Open());
    EXPECT_CALL(os_, Bind(100, _, _)).WillOnce(ReturnSys(0));
    EXPECT_CALL(os_, Lstat(StrEq(kPath), _)).WillOnce(SocketStat());
    EXPECT_CALL(os_, Listen(100, 50)).WillOnce(ReturnSys(0));
  }
  ASSERT_TRUE(server->Listen(kPath));
  loop.reset();
  bool timed_out = true;
  EXPECT_FALSE(server->WaitForNewConnection(-1, &timed_out));
  EXPECT_FALSE(server->Listen("/srv/other.sock"));
  EXPECT_FALSE(server->Listen(5));
  EXPECT_TRUE(server->IsListening());
  ExpectCloseAndUnlink();
  server.reset();
}

}  // namespace
}  // namespace ipc
