// Hostile objects at a server's path: a regular file, a directory, a dangling symlink and a
// symlink to a live server's socket. Listen (with every socket option) refuses each with
// kAddressInUse and RemoveServer refuses each, and every object stays exactly as it was: its
// type, mode, inode, link count, size, times, and its content (the file's bytes, the
// directory's entries, the link's target). The live server behind the symlink keeps its
// socket and keeps accepting; nothing else appears in or vanishes from the directory.
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

#include "eventloop/libevent_loop.h"
#include "gtest/gtest.h"
#include "ipc/local_server.h"
#include "ipc/local_socket.h"
#include "testing/run_loop_until.h"
#include "testing/temp_dir.h"

namespace ipc {
namespace test {
namespace {

namespace fs = std::filesystem;
using Error = LocalSocket::Error;

// Everything observable about a filesystem object, without following a symlink.
struct Snapshot {
  bool exists = false;
  dev_t dev = 0;
  ino_t ino = 0;
  mode_t mode = 0;
  nlink_t nlink = 0;
  off_t size = 0;
  timespec mtime{};
  timespec ctime{};
  std::string content;  // A file's bytes, a directory's sorted entries, a symlink's target.
};

bool operator==(const timespec& a, const timespec& b) {
  return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

bool operator==(const Snapshot& a, const Snapshot& b) {
  return a.exists == b.exists && a.dev == b.dev && a.ino == b.ino && a.mode == b.mode &&
         a.nlink == b.nlink && a.size == b.size && a.mtime == b.mtime && a.ctime == b.ctime &&
         a.content == b.content;
}

void PrintTo(const Snapshot& s, std::ostream* os) {
  if (!s.exists) {
    *os << "(nothing)";
    return;
  }
  *os << "{ino " << s.ino << ", mode 0" << std::oct << s.mode << std::dec << ", nlink " << s.nlink
      << ", size " << s.size << ", mtime " << s.mtime.tv_sec << "." << s.mtime.tv_nsec << ", ctime "
      << s.ctime.tv_sec << "." << s.ctime.tv_nsec << ", content \"" << s.content << "\"}";
}

std::string Entries(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  std::string joined;
  for (const std::string& name : names) joined += name + "/";
  return joined;
}

Snapshot Take(const std::string& path) {
  Snapshot s;
  struct stat st {};
  if (lstat(path.c_str(), &st) != 0) return s;
  s.exists = true;
  s.dev = st.st_dev;
  s.ino = st.st_ino;
  s.mode = st.st_mode;
  s.nlink = st.st_nlink;
  s.size = st.st_size;
  s.mtime = st.st_mtim;
  s.ctime = st.st_ctim;
  if (S_ISREG(st.st_mode)) {
    std::ifstream file(path, std::ios::binary);
    std::ostringstream bytes;
    bytes << file.rdbuf();
    s.content = bytes.str();
  } else if (S_ISDIR(st.st_mode)) {
    s.content = Entries(path);
  } else if (S_ISLNK(st.st_mode)) {
    s.content = fs::read_symlink(path).string();
  }
  return s;
}

// A blocking connect to `path` (following symlinks, as connect does); true if it connected.
bool ConnectsTo(const std::string& path) {
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  memcpy(address.sun_path, path.data(), std::min(path.size(), sizeof(address.sun_path) - 1));
  const bool connected =
      connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0;
  close(fd);
  return connected;
}

const uint32_t kAllOptions[] = {
    LocalServer::kNoOptions,   LocalServer::kUserAccess,  LocalServer::kGroupAccess,
    LocalServer::kOtherAccess, LocalServer::kWorldAccess,
};

class HostilePathsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty()) << "mkdtemp failed";
    ASSERT_TRUE(live_.Listen(dir_.File("live"))) << live_.error_string();
    live_.new_connection.Connect([this] {
      while (live_.NextPendingConnection() != nullptr) ++live_accepted_;
    });
    {
      std::ofstream file(dir_.File("file"), std::ios::binary);
      file << "precious\n";
    }
    ASSERT_EQ(chmod(dir_.File("file").c_str(), 0640), 0);
    ASSERT_EQ(mkdir(dir_.File("dir").c_str(), 0750), 0);
    {
      std::ofstream inside(dir_.File("dir/inside"));
      inside << "x";
    }
    ASSERT_EQ(symlink(dir_.File("nowhere").c_str(), dir_.File("dangling").c_str()), 0);
    ASSERT_EQ(symlink(dir_.File("live").c_str(), dir_.File("to_live").c_str()), 0);
  }

  // Listen with every option and RemoveServer on `name`; afterwards `name`, the live socket
  // and the directory's entries are as before.
  void ExpectRefusedAndUntouched(const std::string& name) {
    const std::string path = dir_.File(name);
    const Snapshot before = Take(path);
    ASSERT_TRUE(before.exists);
    const Snapshot live_before = Take(dir_.File("live"));
    const std::string entries_before = Entries(dir_.path());

    for (const uint32_t options : kAllOptions) {
      SCOPED_TRACE("options " + std::to_string(options));
      LocalServer server(loop_);
      server.SetSocketOptions(options);
      EXPECT_FALSE(server.Listen(path));
      EXPECT_EQ(server.server_error(), Error::kAddressInUse);
      EXPECT_EQ(server.error_string(), "LocalServer::Listen: address in use (not a socket)");
      EXPECT_FALSE(server.IsListening());
      EXPECT_EQ(Take(path), before);
      EXPECT_EQ(Entries(dir_.path()), entries_before);
    }
    EXPECT_FALSE(LocalServer::RemoveServer(path));
    EXPECT_EQ(Take(path), before);
    EXPECT_EQ(Take(dir_.File("live")), live_before);
    EXPECT_EQ(Entries(dir_.path()), entries_before);
  }

  // The live server still accepts, directly and through the symlink.
  void ExpectLiveServerAccepts() {
    const int accepted_before = live_accepted_;
    ASSERT_TRUE(ConnectsTo(dir_.File("live"))) << strerror(errno);
    ASSERT_TRUE(ConnectsTo(dir_.File("to_live"))) << strerror(errno);
    EXPECT_TRUE(RunLoopUntil(loop_, [&] { return live_accepted_ == accepted_before + 2; }));
  }

  TempDir dir_;
  eventloop::LibeventLoop loop_;
  LocalServer live_{loop_};
  int live_accepted_ = 0;
};

TEST_F(HostilePathsTest, RegularFile) { ExpectRefusedAndUntouched("file"); }

TEST_F(HostilePathsTest, Directory) { ExpectRefusedAndUntouched("dir"); }

TEST_F(HostilePathsTest, DanglingSymlink) {
  ExpectRefusedAndUntouched("dangling");
  EXPECT_FALSE(Take(dir_.File("nowhere")).exists) << "the link's target was created";
}

TEST_F(HostilePathsTest, SymlinkToALiveSocket) {
  ExpectRefusedAndUntouched("to_live");
  ExpectLiveServerAccepts();
  EXPECT_TRUE(live_.IsListening());
}

}  // namespace
}  // namespace test
}  // namespace ipc
