// LocalServerMockTest: LocalServer against a StrictMock<MockOsCalls> on a FakeEventLoop. Every
// system call and its arguments are asserted, time is fake, and an FdLedger checks that no fd
// leaks on any path. The recipe helpers expect the system-call sequences of LocalServer's steps
// (listen recipes, the existing-path probe, accepting, closing), so that a test spells out only
// what is particular to it.
#ifndef LOCALSOCKET_TESTING_LOCAL_SERVER_MOCK_FIXTURE_H_
#define LOCALSOCKET_TESTING_LOCAL_SERVER_MOCK_FIXTURE_H_

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <set>
#include <string>
#include <tuple>
#include <utility>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ipc/local_server.h"
#include "ipc/local_socket.h"
#include "ipc/os_calls.h"
#include "testing/fake_event_loop.h"
#include "testing/mock_os_calls.h"

namespace ipc {
namespace test {

// The type socket() is asked for, and the flags accept4() is given.
inline constexpr int kSocketType = SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC;
inline constexpr int kAcceptFlags = SOCK_NONBLOCK | SOCK_CLOEXEC;
// The flags the access recipe opens its private directory with.
inline constexpr int kDirFlags = O_PATH | O_DIRECTORY | O_CLOEXEC;
// The server's path, and the access recipe's private directory, temporary socket name and
// mkdtemp() template for it (MakeTempDir fills in "abc123").
inline constexpr char kPath[] = "/srv/app.sock";
inline constexpr char kTmpDir[] = "/srv/.ipc-server-abc123";
inline constexpr char kTmpFile[] = "/srv/.ipc-server-abc123/s";
inline constexpr char kTemplate[] = "/srv/.ipc-server-XXXXXX";
// The temporary socket's name through the private directory's fd (101), as bind() gets it.
inline constexpr char kProcFile[] = "/proc/self/fd/101/s";
// The device and inode of the socket file the server creates.
inline constexpr dev_t kDev = 7;
inline constexpr ino_t kIno = 42;
// The lock file beside kPath, the flags and mode it is opened with, and its inode (on kDev).
inline constexpr char kLockPath[] = "/srv/app.sock.lock";
inline constexpr int kLockFlags = O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC;
inline constexpr mode_t kLockMode = 0600;
inline constexpr ino_t kLockIno = 43;
// The lock file's fd: a fixed number below the ledger's minted ones, so that the listening
// socket keeps fd 100 (LocalServerMockTest::LockFd()).
inline constexpr int kLockFd = 99;

// "/path" for a filesystem address (checking its length), "@name" for an abstract one.
std::string AddressText(const sockaddr* address, socklen_t length);

// Matches the (addr, addr_len) argument pair of Bind/Connect.
MATCHER_P(AddressIs, expected, "address is " + std::string(expected)) {
  const std::string text = AddressText(std::get<0>(arg), std::get<1>(arg));
  *result_listener << "address " << text;
  return text == expected;
}

// A matcher of the (addr, addr_len) pair of Bind/Connect: AddressIs(...), or _ for any.
using AddressMatcher = ::testing::Matcher<std::tuple<const sockaddr*, socklen_t>>;
// An action for Lstat: StatAs{...}, SocketStat(...) or FailWith(...).
using LstatAction = ::testing::Action<SysResult(const char*, struct stat*)>;
// An action for Accept4: AcceptFd() or FailWith(...).
using AcceptAction = ::testing::Action<SysResult(int, sockaddr*, socklen_t*, int)>;

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

// Fstat/Lstat: a socket (mode 0755) with the given device and inode.
inline StatAs SocketStat(dev_t dev = kDev, ino_t ino = kIno) {
  return StatAs{S_IFSOCK | 0755, dev, ino};
}

// Fstat/Lstat: a lock file (regular, mode 0600) with the given device and inode.
inline StatAs LockFileStat(dev_t dev = kDev, ino_t ino = kLockIno) {
  return StatAs{S_IFREG | 0600, dev, ino};
}

// GetSockOpt: an int option value.
inline auto IntOption(int value) {
  return [value](int, int, int, void* out, socklen_t* length) {
    std::memcpy(out, &value, sizeof(value));
    *length = sizeof(value);
    return SysResult{0, 0};
  };
}

// GetSockName/GetPeerName: the given address ("" = unnamed, "@x" = abstract).
inline auto NameIs(std::string name) {
  return [name = std::move(name)](int, sockaddr* address, socklen_t* length) {
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
SysResult MakeTempDir(char* path_template);

// An errno and the error and error text it maps to.
struct ErrnoCase {
  int err;
  LocalSocket::Error error;
  const char* text;
};

// The fixture. A filesystem path's lock file is fd 99 (kLockFd), the listening socket fd 100
// (the ledger's first); probes and the access recipe's directory fd take the next ones, and
// accepted connections follow. TearDown() checks that every fd was closed exactly once.
//
// Each Expect* helper below expects its calls in the order given (its own InSequence, which
// joins the caller's when there is one).
class LocalServerMockTest : public ::testing::Test {
 protected:
  // Fds the mock hands out from Accept4; LocalSocket's adoption calls on them are allowed.
  bool IsAccepted(int fd) const { return accepted_.count(fd) != 0; }

  void SetUp() override;
  void TearDown() override;

  // Open action for the lock file: kLockFd, counted as open (it must not be open already).
  auto LockFd() {
    return [this](const char*, int, mode_t) {
      EXPECT_TRUE(fds_.Track(kLockFd)) << "the lock fd is open already";
      return SysResult{kLockFd, 0};
    };
  }

  // Accept4 action: a fresh fd, counted as open and known as accepted.
  auto AcceptFd() {
    return [this](int, sockaddr*, socklen_t*, int) {
      const int fd = fds_.Mint();
      accepted_.insert(fd);
      return SysResult{fd, 0};
    };
  }

  // Expects the kNoOptions listen recipe for kPath (listening fd 100) and listens.
  void ListenAtPath(LocalServer& server, int backlog = 50);
  // Expects an abstract listen on "app" (listening fd 100) and listens.
  void ListenAbstract(LocalServer& server);

  // The lock of a path (local_server_path_lock.h).

  // Taking it: open("<path>.lock", kLockFlags, kLockMode) -> kLockFd, flock(kLockFd,
  // LOCK_EX | LOCK_NB), fstat(kLockFd) and lstat("<path>.lock") -> LockFileStat().
  void ExpectLockTaken(const std::string& path = kPath);
  // Releasing it, the lock file still ours: lstat("<path>.lock") -> LockFileStat(),
  // unlink("<path>.lock"), close(kLockFd).
  void ExpectLockReleased(const std::string& path = kPath);

  // Listen recipes.

  // socket(AF_UNIX, kSocketType, 0) -> the ledger's next fd.
  void ExpectSocket();
  // The kNoOptions recipe at `path`: the lock taken, socket() -> `fd`, bind(fd, path),
  // lstat(path) -> our socket, listen(fd, backlog).
  void ExpectListenRecipe(const std::string& path, int fd = 100, int backlog = 50);
  // The kNoOptions recipe after socket(): bind(fd) with an address matching `bind_address`,
  // lstat(path) -> our socket, listen(fd, backlog) -> `listen_result`.
  void ExpectBindAndListen(const std::string& path, const AddressMatcher& bind_address,
                           int fd = 100, int backlog = 50,
                           const ResultAction& listen_result = ReturnSys(0));
  // At `path`: the lock taken, socket() -> 100, bind(100) fails with `err`, close(100), the
  // lock released.
  void ExpectBindFailure(int err, const std::string& path = kPath);
  // Abstract: socket() -> 100, bind(100) fails with `err`, close(100).
  void ExpectAbstractBindFailure(int err);
  // The abstract recipe for `name`: socket() -> 100, bind(100, "@name"), listen(100, 50).
  void ExpectAbstractListenRecipe(const std::string& name);

  // The existing-path probe (kPath).

  // The lock taken, socket() -> 100, bind(100) says EADDRINUSE: kPath exists.
  void ExpectPathInUse();
  // lstat(kPath) finds a socket (SocketStat(3, 3)); socket() -> `probe_fd`; connect(probe_fd)
  // to an address matching `probe_address` -> `connect_result`; close(probe_fd).
  void ExpectProbe(int probe_fd, const ResultAction& connect_result,
                   const AddressMatcher& probe_address = ::testing::_);
  // ExpectProbe() finding a stale socket (ECONNREFUSED), then unlink(kPath).
  void ExpectStaleSocketRemoved(int probe_fd, const AddressMatcher& probe_address = ::testing::_);

  // The access-option recipe for kPath (lock fd 99, listening fd 100, directory fd 101).

  // mkdtemp(kTemplate) -> kTmpDir, open(kTmpDir, kDirFlags) -> the ledger's next fd.
  void ExpectPrivateDirectory();
  // The lock taken, socket() -> 100, the private directory, bind(100) with an address matching
  // `bind_address`, chmod(kProcFile, mode), listen(100, 50): all succeed.
  void ExpectAccessRecipeUntilLink(mode_t mode, const AddressMatcher& bind_address = ::testing::_);
  // ExpectAccessRecipeUntilLink(0700), then link(kTmpFile, kPath) fails with EEXIST.
  void ExpectAccessRecipeUntilLinkExists();
  // link(kTmpFile, kPath), lstat(kTmpFile) -> our socket, then the temporary directory's
  // cleanup.
  void ExpectLinkedIntoPlace();
  // The temporary name, its directory and the directory fd: unlink(kTmpFile), rmdir(kTmpDir),
  // close(101).
  void ExpectTempDirCleanup();
  // A failed access recipe: the temporary directory's cleanup, close(100), the lock released.
  void ExpectAccessFailureCleanup();

  // Closing.

  // close(fd).
  void ExpectClose(int fd);
  // What closing a server listening at `path` on `fd` does when its files are still its own:
  // lstat(path) -> our socket, unlink(path), lstat("<path>.lock") -> our lock file,
  // unlink("<path>.lock"), close(fd), close(kLockFd).
  void ExpectCloseAndUnlink(const std::string& path = kPath, int fd = 100);
  // What closing the server at kPath does when the socket file there is no longer its own
  // (another inode or device, or gone) but the lock file is: lstat(kPath) -> `lstat`, no
  // unlink of it; lstat(kLockPath) -> our lock file, unlink(kLockPath); close(100),
  // close(kLockFd).
  void ExpectCloseLeavingTheFile(const LstatAction& lstat);

  // Listen(fd) adoption.

  // The checks and flag reads of adopting `fd`: fstat -> a socket, SO_DOMAIN AF_UNIX, SO_TYPE
  // SOCK_STREAM, SO_ACCEPTCONN 1, getsockname -> `name`, F_GETFL -> `status_flags`, F_GETFD ->
  // `fd_flags`.
  void ExpectAdoptionInspects(int fd, const std::string& name, int status_flags, int fd_flags);

  // Accepting (listening fd 100).

  // One accept4(100, _, _, kAcceptFlags) -> `action`.
  void ExpectAccept(const AcceptAction& action);
  // Every further accept4 says EAGAIN: the backlog is empty.
  void ExpectAcceptDrained();
  // `n` accepted connections, then EAGAIN.
  void ExpectAccepts(int n);
  // accept4 fails with `err`, a resource error (EMFILE, ENFILE, ENOBUFS, ENOMEM), then
  // ExpectWaitingClientCheck(client_waits).
  void ExpectAcceptResourceError(int err, bool client_waits = true);
  // The acceptor's check after a resource error: poll(_, 1, 0) finds a client waiting
  // (`client_waits`: fd 100 readable) or none.
  void ExpectWaitingClientCheck(bool client_waits);
  // A wait: poll(_, 1, timeout_ms) reports fd 100 readable, then accept4 -> `action`.
  void ExpectPollThenAccept(int timeout_ms, const AcceptAction& action);
  // Makes the listening fd readable and runs the loop until idle: one wake-up.
  void WakeListener();

  eventloop::FakeEventLoop loop_;
  FdLedger fds_{100};
  std::set<int> accepted_;
  ::testing::StrictMock<MockOsCalls> os_;
};

}  // namespace test
}  // namespace ipc

#endif  // LOCALSOCKET_TESTING_LOCAL_SERVER_MOCK_FIXTURE_H_
