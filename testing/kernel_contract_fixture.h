// The fixture of the kernel contract tests (fake_kernel_contract_test.cc,
// fake_kernel_rights_contract_test.cc): the same assertions (exact return values and errnos)
// run on the real kernel (RealOsCalls, in a private directory) and on a FakeKernel, so the
// fake behaves like Linux where both are defined.
//
// Use: TYPED_TEST_SUITE(KernelContractTest, ipc::test::KernelWorlds, ipc::test::WorldNames),
// then TYPED_TEST(KernelContractTest, ...). Descriptors a test Track()s are closed at its end.
#ifndef LOCALSOCKET_TESTING_KERNEL_CONTRACT_FIXTURE_H_
#define LOCALSOCKET_TESTING_KERNEL_CONTRACT_FIXTURE_H_

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <set>
#include <string>
#include <type_traits>
#include <utility>

#include "gtest/gtest.h"
#include "ipc/os_calls.h"
#include "testing/fake_event_loop.h"
#include "testing/fake_kernel.h"
#include "testing/os_calls_socket.h"

namespace ipc {
namespace test {

inline constexpr SysResult kOk{0, 0};
inline SysResult Err(int err) { return SysResult{-1, err}; }

// The real kernel, in a private directory under a short base (sun_path is short).
class RealWorld {
 public:
  RealWorld() {
    const char* test_tmpdir = std::getenv("TEST_TMPDIR");
    const std::string base =
        test_tmpdir != nullptr && std::strlen(test_tmpdir) <= 60 ? test_tmpdir : "/tmp";
    std::string path_template = base + "/fkcXXXXXX";
    if (::mkdtemp(path_template.data()) != nullptr) dir_ = path_template;
  }
  ~RealWorld() {
    std::error_code ignored;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ignored);
  }
  OsCalls& os() { return RealOsCalls(); }
  const std::string& dir() const { return dir_; }
  std::string AbstractName(const std::string& tag) {
    return "fake-kernel-contract-" + std::to_string(::getpid()) + "-" + tag + "-" +
           std::to_string(++counter_);
  }
  int CreateFile(const std::string& path) {
    const int fd = ::open(path.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
    if (fd < 0) return errno;
    ::close(fd);
    return 0;
  }
  int MakeDirectory(const std::string& path) {
    return ::mkdir(path.c_str(), 0755) == 0 ? 0 : errno;
  }
  int Symlink(const std::string& target, const std::string& path) {
    return ::symlink(target.c_str(), path.c_str()) == 0 ? 0 : errno;
  }
  // The credentials SO_PEERCRED reports for this process.
  static ucred Self() { return ucred{::getpid(), ::geteuid(), ::getegid()}; }

 private:
  std::string dir_;
  int counter_ = 0;
};

// FakeKernel, in "/tmp/contract".
class FakeWorld {
 public:
  FakeWorld() { kernel_.MakeDirectories(dir_); }
  OsCalls& os() { return kernel_; }
  const std::string& dir() const { return dir_; }
  std::string AbstractName(const std::string& tag) {
    return "contract-" + tag + "-" + std::to_string(++counter_);
  }
  int CreateFile(const std::string& path) { return kernel_.CreateFile(path); }
  int MakeDirectory(const std::string& path) { return kernel_.MakeDirectories(path); }
  int Symlink(const std::string& target, const std::string& path) {
    return kernel_.Symlink(target, path);
  }
  // The credentials SO_PEERCRED reports for this process (the kernel's default uid and gid).
  static ucred Self() { return ucred{::getpid(), 0, 0}; }

 private:
  eventloop::FakeEventLoop loop_;
  FakeKernel kernel_{loop_};
  const std::string dir_ = "/tmp/contract";
  int counter_ = 0;
};

template <typename World>
class KernelContractTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_FALSE(world_.dir().empty()); }
  void TearDown() override {
    for (int fd : fds_) os().Close(fd);
  }

  OsCalls& os() { return world_.os(); }
  std::string Path(const std::string& name) const { return world_.dir() + "/" + name; }

  // Tracks the fd of a successful result (closed at TearDown unless CloseFd'ed first).
  int Track(SysResult result) {
    EXPECT_GE(result.rc, 0) << result;
    if (result.rc >= 0) fds_.insert(static_cast<int>(result.rc));
    return static_cast<int>(result.rc);
  }
  void CloseFd(int fd) {
    fds_.erase(fd);
    EXPECT_EQ(os().Close(fd), kOk);
  }
  int NewSocket(int flags = SOCK_NONBLOCK | SOCK_CLOEXEC) {
    return Track(os().Socket(AF_UNIX, SOCK_STREAM | flags, 0));
  }
  // A connected non-blocking socketpair, both ends tracked.
  std::pair<int, int> Pair() {
    int fds[2] = {-1, -1};
    EXPECT_EQ(os().SocketPair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds), kOk);
    Track(SysResult{fds[0], 0});
    Track(SysResult{fds[1], 0});
    return {fds[0], fds[1]};
  }
  // The inode of what `fd` refers to (0 if fstat fails).
  ino_t Inode(int fd) {
    struct stat st {};
    return os().Fstat(fd, &st) == kOk ? st.st_ino : 0;
  }
  int Listener(const std::string& path, int backlog = 16) {
    return Track(ListenOn(os(), path, false, backlog));
  }
  int Client(const std::string& path) { return Track(ConnectTo(os(), path)); }
  int Accept(int listener) {
    return Track(os().Accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
  }
  SysResult Bind(int fd, const std::string& name, bool abstract = false) {
    socklen_t length = 0;
    const sockaddr_un address = UnixSocketAddress(name, abstract, &length);
    return os().Bind(fd, reinterpret_cast<const sockaddr*>(&address), length);
  }
  SysResult Connect(int fd, const std::string& name, bool abstract = false) {
    socklen_t length = 0;
    const sockaddr_un address = UnixSocketAddress(name, abstract, &length);
    return os().Connect(fd, reinterpret_cast<const sockaddr*>(&address), length);
  }
  // The poll events of `fd` among `events` (POLLERR/POLLHUP/POLLNVAL always reported).
  int PollEvents(int fd, int events = POLLIN | POLLOUT) {
    pollfd entry{fd, static_cast<int16_t>(events), 0};
    const SysResult result = os().Poll(&entry, 1, 0);
    EXPECT_GE(result.rc, 0) << result;
    return entry.revents;
  }
  SysResult Recv(int fd, std::string* out, size_t max = 100) {
    return ReceiveString(os(), fd, max, out);
  }
  int SockOpt(int fd, int name) {
    int value = -1;
    socklen_t length = sizeof(value);
    EXPECT_EQ(os().GetSockOpt(fd, SOL_SOCKET, name, &value, &length), kOk);
    EXPECT_EQ(length, sizeof(value));
    return value;
  }
  bool IsSocketFile(const std::string& path) {
    struct stat st {};
    return os().Lstat(path.c_str(), &st) == kOk && S_ISSOCK(st.st_mode);
  }

  World world_;
  std::set<int> fds_;
};

// Names the typed tests' worlds "Real" and "Fake".
class WorldNames {
 public:
  template <typename T>
  static std::string GetName(int) {
    return std::is_same_v<T, RealWorld> ? "Real" : "Fake";
  }
};

using KernelWorlds = ::testing::Types<RealWorld, FakeWorld>;
}  // namespace test
}  // namespace ipc

#endif  // LOCALSOCKET_TESTING_KERNEL_CONTRACT_FIXTURE_H_
