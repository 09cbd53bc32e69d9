// LocalServer with real sockets on a LibeventLoop, in a private directory (also $TMPDIR, for
// relative names). Nothing here synchronises with sleeps: tests drive the loop until a
// condition holds (RunUntil), poll() the raw client fds, or use the server's own wait.
#include "ipc/local_server.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "eventloop/event_loop.h"
#include "eventloop/libevent_loop.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ipc/local_socket.h"
#include "ipc/os_calls.h"
#include "ipc/posix_os_calls.h"

namespace ipc {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using Error = LocalSocket::Error;
using State = LocalSocket::State;
using std::chrono::milliseconds;
namespace fs = std::filesystem;

constexpr milliseconds kPatience{20000};  // Upper bound for things that happen at once.

// Runs `loop` until `done()` holds (checked every millisecond and whenever the loop is idle),
// at most `timeout`. Returns done().
bool RunUntil(eventloop::EventLoop& loop, const std::function<bool()>& done,
              milliseconds timeout = kPatience) {
  if (done()) return true;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::unique_ptr<eventloop::Timer> check = loop.CreateTimer([&] {
    if (done() || std::chrono::steady_clock::now() >= deadline) loop.Quit();
  });
  check->StartRepeating(milliseconds(1));
  loop.Run();
  return done();
}

sockaddr_un Address(const std::string& name, bool abstract, socklen_t* length) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (abstract) {
    std::memcpy(address.sun_path + 1, name.data(), name.size());
    *length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size());
  } else {
    std::memcpy(address.sun_path, name.data(), name.size());
    *length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size() + 1);
  }
  return address;
}

// A blocking raw client: the connected fd, or -1 (errno set).
int RawConnect(const std::string& name, bool abstract = false) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  socklen_t length = 0;
  const sockaddr_un address = Address(name, abstract, &length);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), length) != 0) {
    const int err = errno;
    ::close(fd);
    errno = err;
    return -1;
  }
  return fd;
}

// A raw listening socket bound at `name`: the fd, or -1.
int RawListen(const std::string& name, bool abstract = false) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  socklen_t length = 0;
  const sockaddr_un address = Address(name, abstract, &length);
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&address), length) != 0 ||
      ::listen(fd, 5) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Leaves a stale socket file at `path` (bound, never listened on by anyone alive).
bool MakeStaleSocket(const std::string& path) {
  const int fd = RawListen(path);
  if (fd < 0) return false;
  ::close(fd);  // The file stays: stale.
  return true;
}

bool PollFor(int fd, short events, int timeout_ms) {  // NOLINT(runtime/int): pollfd's type.
  pollfd entry{fd, events, 0};
  return ::poll(&entry, 1, timeout_ms) == 1;
}

// Reads what arrives on a raw fd within `timeout_ms` (stops at the first chunk).
std::string ReadRaw(int fd, int timeout_ms = static_cast<int>(kPatience.count())) {
  if (!PollFor(fd, POLLIN, timeout_ms)) return "<timeout>";
  char buffer[4096];
  const ssize_t n = ::recv(fd, buffer, sizeof(buffer), 0);
  if (n < 0) return "<error " + std::to_string(errno) + ">";
  return std::string(buffer, static_cast<size_t>(n));
}

// True if the peer of a raw fd closed (EOF or reset) within the patience.
bool SeesEof(int fd) {
  if (!PollFor(fd, POLLIN, static_cast<int>(kPatience.count()))) return false;
  char byte;
  const ssize_t n = ::recv(fd, &byte, 1, 0);
  return n == 0 || (n < 0 && errno == ECONNRESET);
}

bool Exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

std::optional<struct stat> Lstat(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return std::nullopt;
  return st;
}

std::vector<std::string> ListDirectory(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

// A name unique to this process, for the abstract namespace (shared by the whole machine).
std::string UniqueAbstractName(const std::string& tag) {
  static int counter = 0;
  return "ipc-local-server-test-" + std::to_string(::getpid()) + "-" + tag + "-" +
         std::to_string(++counter);
}

class LocalServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // 1,000 clients need about 2,000 fds: raise the soft limit to the hard limit.
    rlimit limit{};
    ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &limit), 0);
    limit.rlim_cur = limit.rlim_max;
    ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &limit), 0);
  }

  void SetUp() override {
    // A short base, so that names near the sun_path limit can be built ($TEST_TMPDIR under
    // Bazel's sandbox is often longer than sun_path itself).
    const char* test_tmpdir = std::getenv("TEST_TMPDIR");
    const std::string base =
        test_tmpdir != nullptr && std::strlen(test_tmpdir) <= 60 ? test_tmpdir : "/tmp";
    std::string path_template = base + "/lsrvXXXXXX";
    ASSERT_NE(::mkdtemp(path_template.data()), nullptr) << std::strerror(errno);
    dir_ = path_template;
    if (const char* old = std::getenv("TMPDIR")) old_tmpdir_ = old;
    ::setenv("TMPDIR", dir_.c_str(), 1);
  }

  void TearDown() override {
    if (old_tmpdir_) {
      ::setenv("TMPDIR", old_tmpdir_->c_str(), 1);
    } else {
      ::unsetenv("TMPDIR");
    }
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }

  std::string Path(const std::string& name) const { return dir_ + "/" + name; }

  eventloop::LibeventLoop loop_;
  std::string dir_;
  std::optional<std::string> old_tmpdir_;
};

// ---------------------------------------------------------------------------------------------
// Listening and accepting.

TEST_F(LocalServerTest, AcceptsRawClientsAndEchoes) {
  LocalServer server(loop_);
  ASSERT_TRUE(server.Listen("srv")) << server.error_string();
  EXPECT_EQ(server.server_name(), "srv");
  EXPECT_EQ(server.full_server_name(), Path("srv"));
  EXPECT_EQ(server.server_error(), Error::kNone);
  ASSERT_TRUE(Exists(Path("srv")));
  EXPECT_TRUE(S_ISSOCK(Lstat(Path("srv"))->st_mode));
  const int flags = ::fcntl(server.socket_descriptor(), F_GETFL);
  EXPECT_NE(flags & O_NONBLOCK, 0);
  EXPECT_NE(::fcntl(server.socket_descriptor(), F_GETFD) & FD_CLOEXEC, 0);

  int emitted = 0;
  server.new_connection.Connect([&] { ++emitted; });
  std::vector<int> clients;
  for (int i = 0; i < 3; ++i) {
    clients.push_back(RawConnect(Path("srv")));
    ASSERT_GE(clients.back(), 0) << std::strerror(errno);
  }
  EXPECT_EQ(emitted, 0);  // Only from the loop.
  ASSERT_TRUE(RunUntil(loop_, [&] { return emitted == 3; }));
  std::vector<std::unique_ptr<LocalSocket>> accepted;
  while (auto socket = server.NextPendingConnection()) accepted.push_back(std::move(socket));
  ASSERT_EQ(accepted.size(), 3u);
  for (auto& socket : accepted) {
    EXPECT_EQ(socket->state(), State::kConnected);
    EXPECT_EQ(socket->server_name(), "srv");
    EXPECT_EQ(socket->full_server_name(), Path("srv"));
    EXPECT_EQ(socket->socket_options(), LocalSocket::kNoOptions);
    EXPECT_NE(::fcntl(socket->socket_descriptor(), F_GETFL) & O_NONBLOCK, 0);
    LocalSocket* raw = socket.get();
    socket->ready_read.Connect([raw] { raw->Write(raw->ReadAll()); });
  }
  // Connections are accepted in order: echo through each.
  for (size_t i = 0; i < clients.size(); ++i) {
    const std::string message = "ping" + std::to_string(i);
    ASSERT_EQ(::send(clients[i], message.data(), message.size(), 0),
              static_cast<ssize_t>(message.size()));
    ASSERT_TRUE(RunUntil(loop_, [&] { return PollFor(clients[i], POLLIN, 0); }));
    EXPECT_EQ(ReadRaw(clients[i]), message);
  }
  for (int fd : clients) ::close(fd);
}

TEST_F(LocalServerTest, LocalSocketClientEcho) {
  LocalServer server(loop_);
  ASSERT_TRUE(server.Listen(Path("echo")));
  std::unique_ptr<LocalSocket> accepted;
  server.new_connection.Connect([&] {
    accepted = server.NextPendingConnection();
    LocalSocket* raw = accepted.get();
    accepted->ready_read.Connect([raw] { raw->Write("echo:" + raw->ReadAll()); });
  });
  LocalSocket client(loop_);
  client.ConnectToServer(Path("echo"));
  ASSERT_EQ(client.state(), State::kConnected) << client.error_string();
  std::string received;
  client.ready_read.Connect([&] { received += client.ReadAll(); });
  ASSERT_EQ(client.Write("hello"), 5);
  ASSERT_TRUE(RunUntil(loop_, [&] { return received == "echo:hello"; })) << received;
  ASSERT_NE(accepted, nullptr);
  EXPECT_EQ(accepted->full_server_name(), Path("echo"));
}

TEST_F(LocalServerTest, NewConnectionSlotMayTakeEachConnection) {
  LocalServer server(loop_);
  server.SetMaxPendingConnections(1);
  ASSERT_TRUE(server.Listen("take"));
  std::vector<std::unique_ptr<LocalSocket>> taken;
  server.new_connection.Connect([&] { taken.push_back(server.NextPendingConnection()); });
  std::vector<int> clients;
  for (int i = 0; i < 5; ++i) clients.push_back(RawConnect(Path("take")));
  ASSERT_TRUE(RunUntil(loop_, [&] { return taken.size() == 5; }));
  for (const auto& socket : taken) ASSERT_NE(socket, nullptr);
  EXPECT_FALSE(server.HasPendingConnections());
  for (int fd : clients) ::close(fd);
}

// ---------------------------------------------------------------------------------------------
// Socket file permissions.

struct ModeCase {
  uint32_t options;
  mode_t mode;
};

class LocalServerModeTest : public LocalServerTest,
                            public ::testing::WithParamInterface<ModeCase> {};

TEST_P(LocalServerModeTest, SocketFileHasTheExactMode) {
  const ModeCase c = GetParam();
  LocalServer server(loop_);
  server.SetSocketOptions(c.options);
  ASSERT_TRUE(server.Listen("mode")) << server.error_string();
  const std::optional<struct stat> st = Lstat(Path("mode"));
  ASSERT_TRUE(st.has_value());
  EXPECT_TRUE(S_ISSOCK(st->st_mode));
  EXPECT_EQ(st->st_mode & 07777, c.mode) << std::oct << (st->st_mode & 07777);
  // The temporary directory is gone; the lock file is held beside the socket.
  EXPECT_THAT(ListDirectory(dir_), ElementsAre("mode", "mode.lock"));
  // And it works (as root, modes do not keep us out).
  int emitted = 0;
  server.new_connection.Connect([&] { ++emitted; });
  const int client = RawConnect(Path("mode"));
  ASSERT_GE(client, 0) << std::strerror(errno);
  ASSERT_TRUE(RunUntil(loop_, [&] { return emitted == 1; }));
  ::close(client);
  server.Close();
  EXPECT_FALSE(Exists(Path("mode")));
}

INSTANTIATE_TEST_SUITE_P(
    Options, LocalServerModeTest,
    ::testing::Values(ModeCase{LocalServer::kUserAccess, 0700},
                      ModeCase{LocalServer::kGroupAccess, 0070},
                      ModeCase{LocalServer::kOtherAccess, 0007},
                      ModeCase{LocalServer::kWorldAccess, 0777},
                      ModeCase{LocalServer::kUserAccess | LocalServer::kGroupAccess, 0770},
                      ModeCase{LocalServer::kGroupAccess | LocalServer::kOtherAccess, 0077}));

TEST_F(LocalServerTest, NoOptionsModeFollowsTheUmask) {
  const mode_t mask = ::umask(022);
  LocalServer server(loop_);
  ASSERT_TRUE(server.Listen("umask"));
  ::umask(mask);
  EXPECT_EQ(Lstat(Path("umask"))->st_mode & 0777, 0755u);
}

// ---------------------------------------------------------------------------------------------
// Existing paths: stale, live, not a socket.

TEST_F(LocalServerTest, StaleSocketIsReplaced) {
  for (uint32_t options : {uint32_t{LocalServer::kNoOptions}, uint32_t{LocalServer::kUserAccess}}) {
    SCOPED_TRACE(options);
    ASSERT_TRUE(MakeStaleSocket(Path("stale")));
    LocalServer server(loop_);
    server.SetSocketOptions(options);
    ASSERT_TRUE(server.Listen("stale")) << server.error_string();
    EXPECT_EQ(server.server_error(), Error::kNone);
    int emitted = 0;
    server.new_connection.Connect([&] { ++emitted; });
    const int client = RawConnect(Path("stale"));
    ASSERT_GE(client, 0);
    ASSERT_TRUE(RunUntil(loop_, [&] { return emitted == 1; }));
    ::close(client);
    server.Close();
    EXPECT_THAT(ListDirectory(dir_), IsEmpty());
  }
}

TEST_F(LocalServerTest, LiveServerIsNotHijacked) {
  LocalServer first(loop_);
  ASSERT_TRUE(first.Listen("live"));
  const ino_t ino = Lstat(Path("live"))->st_ino;
  int first_connections = 0;
  first.new_connection.Connect([&] { ++first_connections; });

  for (uint32_t options : {uint32_t{LocalServer::kNoOptions}, uint32_t{LocalServer::kUserAccess},
                           uint32_t{LocalServer::kWorldAccess}}) {
    SCOPED_TRACE(options);
    LocalServer second(loop_);
    second.SetSocketOptions(options);
    EXPECT_FALSE(second.Listen("live"));
    EXPECT_EQ(second.server_error(), Error::kAddressInUse);
    EXPECT_EQ(second.error_string(), "LocalServer::Listen: address in use");
    EXPECT_FALSE(second.IsListening());
    EXPECT_EQ(Lstat(Path("live"))->st_ino, ino);  // Untouched.
    // No temporary directory left; the lock file is the first server's.
    EXPECT_THAT(ListDirectory(dir_), ElementsAre("live", "live.lock"));
  }
  // The first server's lock refused the others without a probe: its only client is this one.
  const int client = RawConnect(Path("live"));
  ASSERT_GE(client, 0);
  ASSERT_TRUE(RunUntil(loop_, [&] { return first_connections == 1; }));
  std::vector<std::unique_ptr<LocalSocket>> accepted;
  while (auto socket = first.NextPendingConnection()) accepted.push_back(std::move(socket));
  ASSERT_EQ(accepted.size(), 1u);
  LocalSocket* real = accepted.back().get();
  std::string received;
  real->ready_read.Connect([&] { received += real->ReadAll(); });
  ASSERT_EQ(::send(client, "x", 1, 0), 1);
  ASSERT_TRUE(RunUntil(loop_, [&] { return received == "x"; }));
  ::close(client);
}

TEST_F(LocalServerTest, RegularFileIsLeftUntouched) {
  {
    std::ofstream file(Path("file"));
    file << "precious";
  }
  for (uint32_t options :
       {uint32_t{LocalServer::kNoOptions}, uint32_t{LocalServer::kWorldAccess}}) {
    SCOPED_TRACE(options);
    LocalServer server(loop_);
    server.SetSocketOptions(options);
    EXPECT_FALSE(server.Listen("file"));
    EXPECT_EQ(server.server_error(), Error::kAddressInUse);
    EXPECT_EQ(server.error_string(), "LocalServer::Listen: address in use (not a socket)");
  }
  std::ifstream file(Path("file"));
  std::stringstream content;
  content << file.rdbuf();
  EXPECT_EQ(content.str(), "precious");
  EXPECT_THAT(ListDirectory(dir_), ElementsAre("file"));
}

TEST_F(LocalServerTest, MissingDirectoryIsServerNotFound) {
  LocalServer server(loop_);
  EXPECT_FALSE(server.Listen(Path("missing/srv")));
  EXPECT_EQ(server.server_error(), Error::kServerNotFound);
  EXPECT_EQ(server.error_string(),
            "LocalServer::Listen: server not found: No such file or directory");
  server.SetSocketOptions(LocalServer::kUserAccess);
  EXPECT_FALSE(server.Listen(Path("missing/srv")));
  EXPECT_EQ(server.server_error(), Error::kServerNotFound);
}

// ---------------------------------------------------------------------------------------------
// Names.

TEST_F(LocalServerTest, PathLengthLimitIs107) {
  const size_t room = 107 - dir_.size() - 1;
  const std::string longest = Path(std::string(room, 'p'));
  ASSERT_EQ(longest.size(), 107u);
  for (uint32_t options : {uint32_t{LocalServer::kNoOptions}, uint32_t{LocalServer::kUserAccess}}) {
    SCOPED_TRACE(options);
    LocalServer server(loop_);
    server.SetSocketOptions(options);
    ASSERT_TRUE(server.Listen(longest)) << server.error_string();
    EXPECT_EQ(server.full_server_name(), longest);
    const int client = RawConnect(longest);
    EXPECT_GE(client, 0);
    ::close(client);
    server.Close();
    EXPECT_FALSE(server.Listen(longest + "p"));
    EXPECT_EQ(server.server_error(), Error::kServerNotFound);
    EXPECT_THAT(server.error_string(), HasSubstr("name too long"));
    EXPECT_FALSE(server.Listen(std::string(room + 1, 'p')));  // Relative: $TMPDIR/<108 bytes>.
    EXPECT_THAT(server.error_string(), HasSubstr("name too long"));
  }
  EXPECT_THAT(ListDirectory(dir_), IsEmpty());
}

TEST_F(LocalServerTest, AbstractNameLengthLimitIs107) {
  std::string name = UniqueAbstractName("len");
  name.resize(107, 'a');
  LocalServer server(loop_);
  server.SetSocketOptions(LocalServer::kAbstractNamespace);
  ASSERT_TRUE(server.Listen(name)) << server.error_string();
  const int client = RawConnect(name, /*abstract=*/true);
  EXPECT_GE(client, 0);
  ::close(client);
  server.Close();
  EXPECT_FALSE(server.Listen(name + "a"));
  EXPECT_EQ(server.server_error(), Error::kServerNotFound);
  EXPECT_THAT(server.error_string(), HasSubstr("name too long"));
}

TEST_F(LocalServerTest, AbstractNamespace) {
  const std::string name = UniqueAbstractName("abstract");
  LocalServer server(loop_);
  server.SetSocketOptions(LocalServer::kAbstractNamespace | LocalServer::kUserAccess);
  ASSERT_TRUE(server.Listen(name)) << server.error_string();
  EXPECT_EQ(server.server_name(), name);
  EXPECT_EQ(server.full_server_name(), name);
  EXPECT_THAT(ListDirectory(dir_), IsEmpty());  // No file anywhere we can see.
  EXPECT_FALSE(Exists(Path(name)));

  LocalServer second(loop_);
  second.SetSocketOptions(LocalServer::kAbstractNamespace);
  EXPECT_FALSE(second.Listen(name));
  EXPECT_EQ(second.server_error(), Error::kAddressInUse);

  std::unique_ptr<LocalSocket> accepted;
  server.new_connection.Connect([&] { accepted = server.NextPendingConnection(); });
  LocalSocket client(loop_);
  client.SetSocketOptions(LocalSocket::kAbstractNamespace);
  client.ConnectToServer(name);
  ASSERT_EQ(client.state(), State::kConnected) << client.error_string();
  ASSERT_TRUE(RunUntil(loop_, [&] { return accepted != nullptr; }));
  EXPECT_EQ(accepted->socket_options(), LocalSocket::kAbstractNamespace);
  EXPECT_EQ(accepted->server_name(), name);
  EXPECT_EQ(accepted->full_server_name(), name);
  // A path client does not reach an abstract server.
  EXPECT_LT(RawConnect(Path(name)), 0);
}

// ---------------------------------------------------------------------------------------------
// Listen(int fd).

TEST_F(LocalServerTest, AdoptsAListeningFdAndNeverUnlinks) {
  const int fd = RawListen(Path("adopted"));
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::fcntl(fd, F_SETFD, 0), 0);  // Not close-on-exec yet.
  {
    LocalServer server(loop_);
    ASSERT_TRUE(server.Listen(fd)) << server.error_string();
    EXPECT_EQ(server.socket_descriptor(), fd);
    EXPECT_EQ(server.server_name(), "adopted");
    EXPECT_EQ(server.full_server_name(), Path("adopted"));
    EXPECT_EQ(server.socket_options(), LocalServer::kNoOptions);
    EXPECT_NE(::fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
    EXPECT_NE(::fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
    std::unique_ptr<LocalSocket> accepted;
    server.new_connection.Connect([&] { accepted = server.NextPendingConnection(); });
    const int client = RawConnect(Path("adopted"));
    ASSERT_GE(client, 0);
    ASSERT_TRUE(RunUntil(loop_, [&] { return accepted != nullptr; }));
    EXPECT_EQ(accepted->server_name(), "adopted");
    ::close(client);
  }
  EXPECT_TRUE(Exists(Path("adopted")));  // Never unlinked: we did not create it.
  EXPECT_EQ(::fcntl(fd, F_GETFD), -1);   // But the fd was owned and closed.
}

TEST_F(LocalServerTest, AdoptsAnAbstractListeningFd) {
  const std::string name = UniqueAbstractName("adopt");
  const int fd = RawListen(name, /*abstract=*/true);
  ASSERT_GE(fd, 0);
  LocalServer server(loop_);
  ASSERT_TRUE(server.Listen(fd));
  EXPECT_EQ(server.server_name(), name);
  EXPECT_EQ(server.full_server_name(), name);
  EXPECT_EQ(server.socket_options(), LocalServer::kAbstractNamespace);
}

TEST_F(LocalServerTest, RejectsWhatIsNotAListeningStreamSocket) {
  LocalServer server(loop_);
  int pair[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, pair), 0);
  EXPECT_FALSE(server.Listen(pair[0]));
  EXPECT_EQ(server.server_error(), Error::kUnsupportedSocketOperation);
  EXPECT_EQ(server.error_string(), "LocalServer::Listen: not a listening socket");
  EXPECT_EQ(::fcntl(pair[0], F_GETFL) & O_NONBLOCK, 0);  // Untouched.

  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  EXPECT_FALSE(server.Listen(pipe_fds[0]));
  EXPECT_EQ(server.error_string(), "LocalServer::Listen: not a socket");

  const int dgram = ::socket(AF_UNIX, SOCK_DGRAM, 0);
  EXPECT_FALSE(server.Listen(dgram));
  EXPECT_EQ(server.error_string(), "LocalServer::Listen: not a stream socket");

  const int bound = ::socket(AF_UNIX, SOCK_STREAM, 0);  // Bound, not listening.
  socklen_t length = 0;
  const sockaddr_un address = Address(Path("bound"), false, &length);
  ASSERT_EQ(::bind(bound, reinterpret_cast<const sockaddr*>(&address), length), 0);
  EXPECT_FALSE(server.Listen(bound));
  EXPECT_EQ(server.server_error(), Error::kUnsupportedSocketOperation);
  EXPECT_FALSE(server.IsListening());

  for (int fd : {pair[0], pair[1], pipe_fds[0], pipe_fds[1], dgram, bound}) {
    EXPECT_EQ(::close(fd), 0);  // All still open: none was taken.
  }
}

// ---------------------------------------------------------------------------------------------
// RemoveServer and the destructor's unlink.

TEST_F(LocalServerTest, RemoveServer) {
  EXPECT_TRUE(LocalServer::RemoveServer("nothing"));  // Nothing there.
  EXPECT_FALSE(LocalServer::RemoveServer(""));

  ASSERT_TRUE(MakeStaleSocket(Path("stale")));
  EXPECT_TRUE(LocalServer::RemoveServer("stale"));  // Relative: under $TMPDIR.
  EXPECT_FALSE(Exists(Path("stale")));

  {
    std::ofstream file(Path("file"));
    file << "x";
  }
  EXPECT_FALSE(LocalServer::RemoveServer(Path("file")));
  EXPECT_TRUE(Exists(Path("file")));
  fs::create_directory(Path("dir"));
  EXPECT_FALSE(LocalServer::RemoveServer(Path("dir")));
  EXPECT_TRUE(Exists(Path("dir")));

  // A live server's socket is removed too (an explicit takeover); clients then find nothing.
  LocalServer live(loop_);
  ASSERT_TRUE(live.Listen("live"));
  EXPECT_TRUE(LocalServer::RemoveServer(Path("live")));
  EXPECT_FALSE(Exists(Path("live")));
  EXPECT_TRUE(live.IsListening());
  EXPECT_LT(RawConnect(Path("live")), 0);
  EXPECT_EQ(errno, ENOENT);
}

TEST_F(LocalServerTest, DestructorRemovesOnlyItsOwnFile) {
  auto a = std::make_unique<LocalServer>(loop_);
  ASSERT_TRUE(a->Listen("shared"));
  ASSERT_TRUE(LocalServer::RemoveServer("shared"));
  LocalServer b(loop_);
  ASSERT_TRUE(b.Listen("shared")) << b.error_string();
  const ino_t b_ino = Lstat(Path("shared"))->st_ino;
  a.reset();  // Late destruction of the old server.
  ASSERT_TRUE(Exists(Path("shared")));
  EXPECT_EQ(Lstat(Path("shared"))->st_ino, b_ino);
  int emitted = 0;
  b.new_connection.Connect([&] { ++emitted; });
  const int client = RawConnect(Path("shared"));
  ASSERT_GE(client, 0);
  ASSERT_TRUE(RunUntil(loop_, [&] { return emitted == 1; }));
  ::close(client);
  b.Close();
  EXPECT_FALSE(Exists(Path("shared")));
}

// ---------------------------------------------------------------------------------------------
// Server lifetime against its sockets.

TEST_F(LocalServerTest, ServerDestroyedWhileClientsAreConnected) {
  auto server = std::make_unique<LocalServer>(loop_);
  ASSERT_TRUE(server->Listen("gone"));
  int emitted = 0;
  server->new_connection.Connect([&] { ++emitted; });
  const int taken_client = RawConnect(Path("gone"));
  const int pending_client = RawConnect(Path("gone"));
  ASSERT_GE(taken_client, 0);
  ASSERT_GE(pending_client, 0);
  ASSERT_TRUE(RunUntil(loop_, [&] { return emitted == 2; }));
  std::unique_ptr<LocalSocket> taken = server->NextPendingConnection();
  ASSERT_NE(taken, nullptr);
  server.reset();
  EXPECT_FALSE(Exists(Path("gone")));

  // The pending socket was closed: its peer sees the end.
  EXPECT_TRUE(SeesEof(pending_client));
  // The taken one still works, both ways.
  std::string received;
  taken->ready_read.Connect([&] { received += taken->ReadAll(); });
  ASSERT_EQ(::send(taken_client, "still", 5, 0), 5);
  ASSERT_TRUE(RunUntil(loop_, [&] { return received == "still"; }));
  ASSERT_EQ(taken->Write("here"), 4);
  ASSERT_TRUE(RunUntil(loop_, [&] { return PollFor(taken_client, POLLIN, 0); }));
  EXPECT_EQ(ReadRaw(taken_client), "here");
  ::close(taken_client);
  ::close(pending_client);
}

TEST_F(LocalServerTest, DeletingTheServerInsideNewConnection) {
  auto server = std::make_unique<LocalServer>(loop_);
  ASSERT_TRUE(server->Listen("suicide"));
  int emitted = 0;
  server->new_connection.Connect([&] {
    ++emitted;
    server.reset();
  });
  std::vector<int> clients;
  for (int i = 0; i < 3; ++i) clients.push_back(RawConnect(Path("suicide")));
  ASSERT_TRUE(RunUntil(loop_, [&] { return server == nullptr; }));
  EXPECT_EQ(emitted, 1);
  EXPECT_FALSE(Exists(Path("suicide")));
  for (int fd : clients) {
    EXPECT_TRUE(SeesEof(fd));  // Accepted-then-destroyed, or dropped from the backlog.
    ::close(fd);
  }
  loop_.RunUntilIdle();  // Nothing left that refers to the server.
}

// ---------------------------------------------------------------------------------------------
// Load and limits.

TEST_F(LocalServerTest, ThousandLocalSocketClients) {
  constexpr int kClients = 1000;
  LocalServer server(loop_);
  server.SetListenBacklogSize(8);  // Small: most clients first hit EAGAIN and retry.
  ASSERT_TRUE(server.Listen("many"));
  std::vector<std::unique_ptr<LocalSocket>> accepted;
  int bytes_at_server = 0;
  server.new_connection.Connect([&] {
    while (auto socket = server.NextPendingConnection()) {
      LocalSocket* raw = socket.get();
      raw->ready_read.Connect([raw, &bytes_at_server] {
        const std::string data = raw->ReadAll();
        bytes_at_server += static_cast<int>(data.size());
        raw->Write(data);
      });
      accepted.push_back(std::move(socket));
    }
  });
  std::vector<std::unique_ptr<LocalSocket>> clients;
  int connecting_at_first = 0;
  int connected = 0;
  int replies = 0;
  for (int i = 0; i < kClients; ++i) {
    auto client = std::make_unique<LocalSocket>(loop_);
    LocalSocket* raw = client.get();
    client->connected.Connect([raw, &connected] {
      ++connected;
      raw->Write("x");
    });
    client->ready_read.Connect(
        [raw, &replies] { replies += static_cast<int>(raw->ReadAll().size()); });
    client->ConnectToServer(Path("many"));
    ASSERT_NE(client->state(), State::kUnconnected) << client->error_string();
    if (client->state() == State::kConnecting) ++connecting_at_first;
    clients.push_back(std::move(client));
  }
  EXPECT_GT(connecting_at_first, 0);  // Some hit the full backlog.
  ASSERT_TRUE(RunUntil(
      loop_, [&] { return replies == kClients; }, milliseconds(60000)))
      << "connected " << connected << ", accepted " << accepted.size() << ", replies " << replies;
  EXPECT_EQ(connected, kClients);
  EXPECT_EQ(static_cast<int>(accepted.size()), kClients);
  EXPECT_EQ(bytes_at_server, kClients);
  for (const auto& client : clients) EXPECT_EQ(client->state(), State::kConnected);
  EXPECT_EQ(server.server_error(), Error::kNone);
}

TEST_F(LocalServerTest, MaxPendingConnectionsWithRealClients) {
  LocalServer server(loop_);
  server.SetMaxPendingConnections(3);
  ASSERT_TRUE(server.Listen("max"));
  int emitted = 0;
  server.new_connection.Connect([&] { ++emitted; });
  std::vector<int> clients;
  for (int i = 0; i < 6; ++i) {
    clients.push_back(RawConnect(Path("max")));
    ASSERT_GE(clients.back(), 0);  // The kernel's backlog holds them.
  }
  // All six are ready at once: one loop pass accepts exactly three.
  loop_.RunUntilIdle();
  EXPECT_EQ(emitted, 3);
  loop_.RunUntilIdle();
  EXPECT_EQ(emitted, 3);
  std::unique_ptr<LocalSocket> one = server.NextPendingConnection();
  ASSERT_NE(one, nullptr);
  loop_.RunUntilIdle();
  EXPECT_EQ(emitted, 4);
  int pending = 0;
  while (server.NextPendingConnection() != nullptr) ++pending;
  EXPECT_EQ(pending, 3);
  loop_.RunUntilIdle();
  EXPECT_EQ(emitted, 6);
  for (int fd : clients) ::close(fd);
}

TEST_F(LocalServerTest, APendingSocketWhosePeerLeftKeepsItsDataUntilTaken) {
  LocalServer server(loop_);
  ASSERT_TRUE(server.Listen("left"));
  const int client = RawConnect(Path("left"));
  ASSERT_GE(client, 0);
  ASSERT_EQ(::write(client, "hello", 5), 5);
  ::close(client);
  ASSERT_TRUE(RunUntil(
      loop_, [&] { return server.HasPendingConnections(); }, milliseconds(10000)));
  loop_.RunUntilIdle();  // The pending socket reads the data and the end of the stream.
  std::unique_ptr<LocalSocket> taken = server.NextPendingConnection();
  ASSERT_NE(taken, nullptr);
  EXPECT_EQ(taken->state(), State::kUnconnected);
  EXPECT_EQ(taken->error(), Error::kPeerClosed);
  EXPECT_EQ(taken->ReadAll(), "hello");
}

// The real system calls, except that one accept4 (the first after Arm(), or after `skip` more)
// runs with the RLIMIT_NOFILE soft limit lowered to the lowest free fd number, so the kernel
// fails it with a real EMFILE. The limit is restored right after that one call: nothing else in
// the process (the loop, gtest, a sanitizer runtime that needs a pipe) ever meets the low limit.
class LowFdLimitOnAccept : public PosixOsCalls {
 public:
  void Arm(int skip = 0) {
    armed_ = true;
    skip_ = skip;
  }
  int lowered_accepts() const { return lowered_accepts_; }

  SysResult Accept4(int fd, sockaddr* addr, socklen_t* addr_len, int flags) override {
    if (!armed_ || skip_-- > 0) return PosixOsCalls::Accept4(fd, addr, addr_len, flags);
    armed_ = false;
    rlimit saved{};
    if (::getrlimit(RLIMIT_NOFILE, &saved) != 0) return SysResult{-1, errno};
    const int lowest_free = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (lowest_free < 0) return SysResult{-1, errno};
    ::close(lowest_free);
    rlimit low = saved;
    low.rlim_cur = static_cast<rlim_t>(lowest_free);
    if (::setrlimit(RLIMIT_NOFILE, &low) != 0) return SysResult{-1, errno};
    // Only plain system calls inside the window (a sanitizer's checks of a member call could
    // need an fd themselves).
    const int accepted = ::accept4(fd, addr, addr_len, flags);
    const int err = errno;
    ::setrlimit(RLIMIT_NOFILE, &saved);
    const SysResult result = accepted < 0 ? SysResult{-1, err} : SysResult{accepted, 0};
    ++lowered_accepts_;
    return result;
  }

 private:
  bool armed_ = false;
  int skip_ = 0;
  int lowered_accepts_ = 0;
};

TEST_F(LocalServerTest, AcceptEmfileBacksOffAndRecovers) {
  LowFdLimitOnAccept os;
  LocalServer server(loop_, os);
  ASSERT_TRUE(server.Listen("emfile"));
  std::vector<std::string> log;
  server.error_occurred.Connect([&](Error e) {
    log.push_back("error " + std::to_string(static_cast<int>(e)) + " " + server.error_string());
    EXPECT_TRUE(server.IsListening());
  });
  server.new_connection.Connect([&] { log.push_back("new_connection"); });

  const int client = RawConnect(Path("emfile"));
  ASSERT_GE(client, 0);
  os.Arm();
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(RunUntil(loop_, [&] { return log.size() == 2; })) << ::testing::PrintToString(log);
  // The retry came from the backoff timer (10 ms), not from a busy loop.
  EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(10));
  EXPECT_EQ(os.lowered_accepts(), 1);
  EXPECT_THAT(log, ElementsAre("error " + std::to_string(static_cast<int>(Error::kSocketResource)) +
                                   " LocalServer::Accept: out of resources: Too many open files",
                               "new_connection"));
  EXPECT_TRUE(server.IsListening());
  EXPECT_EQ(server.server_error(), Error::kSocketResource);  // Recorded until the next Listen.
  std::unique_ptr<LocalSocket> accepted = server.NextPendingConnection();
  ASSERT_NE(accepted, nullptr);
  ASSERT_EQ(::send(client, "ok", 2, 0), 2);
  ASSERT_TRUE(accepted->WaitForReadyRead(5000));
  EXPECT_EQ(accepted->ReadAll(), "ok");
  ::close(client);
}

// Linux fails accept4 at the fd limit before it looks at the backlog. When the connection just
// accepted took the last fd, the next accept4 of the same wake-up fails although no client
// waits: that is no failure to report, and no reason to pause.
TEST_F(LocalServerTest, AcceptEmfileWithNoClientWaitingIsQuiet) {
  LowFdLimitOnAccept os;
  LocalServer server(loop_, os);
  ASSERT_TRUE(server.Listen("emfile-idle"));
  std::vector<std::string> log;
  server.error_occurred.Connect([&](Error e) {
    log.push_back("error " + std::to_string(static_cast<int>(e)) + " " + server.error_string());
  });
  server.new_connection.Connect([&] { log.push_back("new_connection"); });

  const int client = RawConnect(Path("emfile-idle"));
  ASSERT_GE(client, 0);
  os.Arm(/*skip=*/1);  // The client's accept4 runs as usual; the next one meets the limit.
  ASSERT_TRUE(RunUntil(loop_, [&] { return os.lowered_accepts() == 1; }));
  EXPECT_THAT(log, ElementsAre("new_connection"));
  EXPECT_EQ(server.server_error(), Error::kNone);
  EXPECT_TRUE(server.IsListening());

  // Accepting goes on at once (no pause): a second client is accepted without a retry delay.
  const int second = RawConnect(Path("emfile-idle"));
  ASSERT_GE(second, 0);
  ASSERT_TRUE(RunUntil(loop_, [&] { return log.size() == 2; })) << ::testing::PrintToString(log);
  EXPECT_THAT(log, ElementsAre("new_connection", "new_connection"));
  ::close(second);
  ::close(client);
}

// ---------------------------------------------------------------------------------------------
// WaitForNewConnection (real time, real poll).

TEST_F(LocalServerTest, WaitForNewConnectionTimesOut) {
  LocalServer server(loop_);
  ASSERT_TRUE(server.Listen("wait"));
  bool timed_out = false;
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(server.WaitForNewConnection(30, &timed_out));
  EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(30));
  EXPECT_TRUE(timed_out);
  EXPECT_EQ(server.server_error(), Error::kNone);
  EXPECT_TRUE(server.IsListening());
}

TEST_F(LocalServerTest, WaitForNewConnectionWithAClient) {
  LocalServer server(loop_);
  server.SetMaxPendingConnections(0);  // The loop never accepts; the wait does.
  ASSERT_TRUE(server.Listen("wait"));
  int emitted = 0;
  server.new_connection.Connect([&] { ++emitted; });
  const int client = RawConnect(Path("wait"));
  ASSERT_GE(client, 0);
  bool timed_out = true;
  EXPECT_TRUE(server.WaitForNewConnection(5000, &timed_out));
  EXPECT_FALSE(timed_out);
  EXPECT_EQ(emitted, 1);
  std::unique_ptr<LocalSocket> accepted = server.NextPendingConnection();
  ASSERT_NE(accepted, nullptr);
  ASSERT_EQ(::send(client, "w", 1, 0), 1);
  ASSERT_TRUE(accepted->WaitForReadyRead(5000));
  EXPECT_EQ(accepted->ReadAll(), "w");
  ::close(client);
}

TEST_F(LocalServerTest, WaitForeverWakesForAClientFromAnotherThread) {
  LocalServer server(loop_);
  ASSERT_TRUE(server.Listen("thread"));
  int client = -1;
  std::thread connector([&] { client = RawConnect(Path("thread")); });
  EXPECT_TRUE(server.WaitForNewConnection(-1));
  connector.join();
  EXPECT_GE(client, 0);
  EXPECT_TRUE(server.HasPendingConnections());
  ::close(client);
}

}  // namespace
}  // namespace ipc
