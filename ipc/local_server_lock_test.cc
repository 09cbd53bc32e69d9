// The lock file beside a listening server's socket, on real files in a private directory: it
// is a 0600 regular file, flock()ed for the server's life and removed by Close(); one left by
// a killed server is taken over; anything else at its path is refused and left untouched; a
// foreign server that takes no lock is still found by the probe (which it sees); RemoveServer
// removes it too; abstract and adopted servers make none.
#include <fcntl.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "eventloop/libevent_loop.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ipc/local_server.h"
#include "ipc/local_socket.h"
#include "testing/raw_socket.h"
#include "testing/temp_dir.h"

namespace ipc {
namespace test {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using Error = LocalSocket::Error;
namespace fs = std::filesystem;

constexpr char kNotARegularFile[] =
    "LocalServer::Listen: address in use (lock file is not a regular file)";

std::vector<std::string> ListDirectory(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

sockaddr_un PathAddress(const std::string& path, socklen_t* length) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, path.data(), path.size());
  *length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size() + 1);
  return address;
}

// Leaves a stale socket file at `path`: bound, never listened on, its fd closed.
bool MakeStaleSocket(const std::string& path) {
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  socklen_t length = 0;
  const sockaddr_un address = PathAddress(path, &length);
  const bool bound = bind(fd, reinterpret_cast<const sockaddr*>(&address), length) == 0;
  close(fd);
  return bound;
}

// A blocking client connected to `path`, or -1.
int RawConnect(const std::string& path) {
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  socklen_t length = 0;
  const sockaddr_un address = PathAddress(path, &length);
  if (connect(fd, reinterpret_cast<const sockaddr*>(&address), length) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// Whether another open file description can take `path`'s lock now (it is released at once).
bool CanLock(const std::string& path) {
  const int fd = open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return false;
  const bool locked = flock(fd, LOCK_EX | LOCK_NB) == 0;
  close(fd);
  return locked;
}

std::string ReadFile(const std::string& path) {
  std::ifstream file(path);
  return std::string(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
}

class LocalServerLockTest : public ::testing::Test {
 protected:
  std::string Path(const std::string& name) const { return dir_.File(name); }

  TempDir dir_;
  eventloop::LibeventLoop loop_;
};

TEST_F(LocalServerLockTest, LockFileIsHeldBesideTheSocketAndRemovedByClose) {
  for (uint32_t options : {uint32_t{LocalServer::kNoOptions}, uint32_t{LocalServer::kUserAccess}}) {
    SCOPED_TRACE(options);
    LocalServer server(loop_);
    server.SetSocketOptions(options);
    ASSERT_TRUE(server.Listen(Path("srv"))) << server.error_string();
    EXPECT_THAT(ListDirectory(dir_.path()), ElementsAre("srv", "srv.lock"));
    struct stat st {};
    ASSERT_EQ(lstat(Path("srv.lock").c_str(), &st), 0);
    EXPECT_TRUE(S_ISREG(st.st_mode));
    EXPECT_EQ(st.st_mode & 0077, 0u) << std::oct << (st.st_mode & 07777);  // 0600 at most.
    EXPECT_FALSE(CanLock(Path("srv.lock")));                               // Held.
    server.Close();
    EXPECT_THAT(ListDirectory(dir_.path()), IsEmpty());
  }
}

TEST_F(LocalServerLockTest, LockFileOfAKilledServerIsTakenOver) {
  // A killed server leaves its socket and its (unlocked) lock file behind.
  ASSERT_TRUE(MakeStaleSocket(Path("srv")));
  { std::ofstream(Path("srv.lock")) << "left behind"; }
  LocalServer server(loop_);
  ASSERT_TRUE(server.Listen(Path("srv"))) << server.error_string();
  EXPECT_FALSE(CanLock(Path("srv.lock")));
  EXPECT_EQ(ReadFile(Path("srv.lock")), "left behind");  // Opened, never truncated.
  const int client = RawConnect(Path("srv"));
  ASSERT_GE(client, 0);
  EXPECT_TRUE(server.WaitForNewConnection(5000));
  close(client);
  server.Close();
  EXPECT_THAT(ListDirectory(dir_.path()), IsEmpty());
}

TEST_F(LocalServerLockTest, LockPathThatIsNotARegularFileIsLeftUntouched) {
  { std::ofstream(Path("target")) << "precious"; }
  ASSERT_EQ(symlink(Path("target").c_str(), Path("link.lock").c_str()), 0);
  ASSERT_EQ(symlink(Path("missing").c_str(), Path("dangling.lock").c_str()), 0);
  ASSERT_EQ(mkdir(Path("dir.lock").c_str(), 0700), 0);
  ASSERT_EQ(mkfifo(Path("fifo.lock").c_str(), 0600), 0);
  ASSERT_TRUE(MakeStaleSocket(Path("sock.lock")));
  const std::vector<std::string> before = ListDirectory(dir_.path());
  for (const char* name : {"link", "dangling", "dir", "fifo", "sock"}) {
    for (uint32_t options :
         {uint32_t{LocalServer::kNoOptions}, uint32_t{LocalServer::kWorldAccess}}) {
      SCOPED_TRACE(std::string(name) + " " + std::to_string(options));
      LocalServer server(loop_);
      server.SetSocketOptions(options);
      EXPECT_FALSE(server.Listen(Path(name)));
      EXPECT_EQ(server.server_error(), Error::kAddressInUse);
      EXPECT_EQ(server.error_string(), kNotARegularFile);
    }
  }
  EXPECT_EQ(ListDirectory(dir_.path()), before);  // No socket, nothing removed.
  EXPECT_EQ(ReadFile(Path("target")), "precious");
  EXPECT_FALSE(fs::exists(Path("missing")));
}

TEST_F(LocalServerLockTest, ForeignServerWithoutALockIsFoundByTheProbe) {
  std::unique_ptr<RawListener> foreign = RawListener::Listen(Path("srv"));
  ASSERT_NE(foreign, nullptr);
  LocalServer server(loop_);
  EXPECT_FALSE(server.Listen(Path("srv")));
  EXPECT_EQ(server.server_error(), Error::kAddressInUse);
  EXPECT_EQ(server.error_string(), "LocalServer::Listen: address in use");
  // The probe was a client that connected and hung up: the foreign server sees it.
  const int probe = foreign->Accept(5000);
  ASSERT_GE(probe, 0);
  char byte;
  EXPECT_EQ(recv(probe, &byte, 1, 0), 0);
  close(probe);
  // Its socket is untouched, and the failed Listen removed the lock file it made.
  EXPECT_THAT(ListDirectory(dir_.path()), ElementsAre("srv"));
}

TEST_F(LocalServerLockTest, LiveServerOfThisLibraryIsRefusedWithoutAProbe) {
  LocalServer first(loop_);
  ASSERT_TRUE(first.Listen(Path("srv")));
  LocalServer second(loop_);
  EXPECT_FALSE(second.Listen(Path("srv")));
  EXPECT_EQ(second.server_error(), Error::kAddressInUse);
  // Nothing connected to the first server.
  pollfd listening{first.socket_descriptor(), POLLIN, 0};
  EXPECT_EQ(poll(&listening, 1, 0), 0);
  EXPECT_THAT(ListDirectory(dir_.path()), ElementsAre("srv", "srv.lock"));
}

TEST_F(LocalServerLockTest, RemoveServerRemovesTheLockFileAndTheOldServerLeavesTheNewOnesFiles) {
  auto old_server = std::make_unique<LocalServer>(loop_);
  ASSERT_TRUE(old_server->Listen(Path("srv")));
  EXPECT_TRUE(LocalServer::RemoveServer(Path("srv")));
  EXPECT_THAT(ListDirectory(dir_.path()), IsEmpty());
  LocalServer new_server(loop_);
  ASSERT_TRUE(new_server.Listen(Path("srv"))) << new_server.error_string();
  old_server.reset();  // Neither file is its own any more.
  EXPECT_THAT(ListDirectory(dir_.path()), ElementsAre("srv", "srv.lock"));
  EXPECT_FALSE(CanLock(Path("srv.lock")));
  LocalServer third(loop_);
  EXPECT_FALSE(third.Listen(Path("srv")));
  EXPECT_EQ(third.server_error(), Error::kAddressInUse);
}

TEST_F(LocalServerLockTest, RemoveServerLeavesALockPathThatIsNotARegularFile) {
  ASSERT_TRUE(MakeStaleSocket(Path("srv")));
  ASSERT_EQ(mkdir(Path("srv.lock").c_str(), 0700), 0);
  EXPECT_FALSE(LocalServer::RemoveServer(Path("srv")));
  EXPECT_THAT(ListDirectory(dir_.path()), ElementsAre("srv.lock"));  // The socket went.
  // A regular file at the path: nothing is removed, the lock file neither.
  { std::ofstream(Path("file")) << "x"; }
  { std::ofstream(Path("file.lock")) << "x"; }
  EXPECT_FALSE(LocalServer::RemoveServer(Path("file")));
  EXPECT_THAT(ListDirectory(dir_.path()), ElementsAre("file", "file.lock", "srv.lock"));
}

TEST_F(LocalServerLockTest, AbstractAndAdoptedServersMakeNoLockFile) {
  ScopedTmpdir tmpdir(dir_.path());
  LocalServer abstract(loop_);
  abstract.SetSocketOptions(LocalServer::kAbstractNamespace);
  ASSERT_TRUE(abstract.Listen(UniqueAbstractName("lock")));
  std::unique_ptr<RawListener> raw = RawListener::Listen(Path("adopted"));
  ASSERT_NE(raw, nullptr);
  LocalServer adopted(loop_);
  ASSERT_TRUE(adopted.Listen(fcntl(raw->fd(), F_DUPFD_CLOEXEC, 0)));
  EXPECT_THAT(ListDirectory(dir_.path()), ElementsAre("adopted"));
}

}  // namespace
}  // namespace test
}  // namespace ipc
