#include "ipc/socket_test_util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <linux/sockios.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <sstream>
#include <utility>

namespace ipc {
namespace test {
namespace {

// Longest base directory we use: leaves room for "/ls.XXXXXX/" plus names of tens of bytes.
constexpr size_t kMaxBaseLength = 48;

int RemoveEntry(const char* path, const struct stat*, int, struct FTW*) {
  remove(path);
  return 0;
}

std::unique_ptr<sockaddr_un> MakeAddress(std::string_view name, bool abstract, socklen_t* length) {
  auto address = std::make_unique<sockaddr_un>();
  address->sun_family = AF_UNIX;
  if (abstract) {
    if (name.size() > sizeof(address->sun_path) - 1) return nullptr;
    address->sun_path[0] = '\0';
    memcpy(address->sun_path + 1, name.data(), name.size());
    *length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size());
  } else {
    if (name.size() > sizeof(address->sun_path) - 1) return nullptr;
    memcpy(address->sun_path, name.data(), name.size());
    *length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size() + 1);
  }
  return address;
}

int BindAndListen(std::string_view name, bool abstract, int backlog) {
  socklen_t length = 0;
  std::unique_ptr<sockaddr_un> address = MakeAddress(name, abstract, &length);
  if (!address) {
    errno = ENAMETOOLONG;
    return -1;
  }
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (bind(fd, reinterpret_cast<sockaddr*>(address.get()), length) != 0 ||
      listen(fd, backlog) != 0) {
    const int err = errno;
    close(fd);
    errno = err;
    return -1;
  }
  return fd;
}

uint64_t Mix(uint64_t x) {  // splitmix64's finaliser.
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

}  // namespace

// ---------------------------------------------------------------------------------------------

TempDir::TempDir() {
  std::string base = "/tmp";
  const char* test_tmpdir = getenv("TEST_TMPDIR");
  if (test_tmpdir != nullptr && *test_tmpdir != '\0' && strlen(test_tmpdir) <= kMaxBaseLength) {
    base = test_tmpdir;
  }
  std::string templ = base + "/ls.XXXXXX";
  if (mkdtemp(templ.data()) != nullptr) path_ = templ;
}

TempDir::~TempDir() {
  if (!path_.empty()) nftw(path_.c_str(), RemoveEntry, 16, FTW_DEPTH | FTW_PHYS);
}

std::string TempDir::File(std::string_view name) const {
  std::string file = path_;
  file += '/';
  file.append(name);
  return file;
}

ScopedTmpdir::ScopedTmpdir(const std::string& dir) {
  if (const char* old = getenv("TMPDIR")) old_ = old;
  setenv("TMPDIR", dir.c_str(), 1);
}

ScopedTmpdir::~ScopedTmpdir() {
  if (old_) {
    setenv("TMPDIR", old_->c_str(), 1);
  } else {
    unsetenv("TMPDIR");
  }
}

// ---------------------------------------------------------------------------------------------

std::unique_ptr<RawListener> RawListener::Listen(const std::string& path, int backlog) {
  const int fd = BindAndListen(path, /*abstract=*/false, backlog);
  if (fd < 0) return nullptr;
  return std::unique_ptr<RawListener>(new RawListener(fd, path));
}

std::unique_ptr<RawListener> RawListener::ListenAbstract(std::string_view name, int backlog) {
  const int fd = BindAndListen(name, /*abstract=*/true, backlog);
  if (fd < 0) return nullptr;
  return std::unique_ptr<RawListener>(new RawListener(fd, ""));
}

RawListener::~RawListener() {
  CloseFd();
  if (!path_.empty()) unlink(path_.c_str());
}

void RawListener::CloseFd() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

int RawListener::Accept(int timeout_ms) {
  if (fd_ < 0) return -1;
  pollfd entry{fd_, POLLIN, 0};
  int rc;
  do {
    rc = poll(&entry, 1, timeout_ms);
  } while (rc < 0 && errno == EINTR);
  if (rc <= 0) return -1;
  return accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
}

std::string UniqueAbstractName(std::string_view suffix) {
  static std::atomic<int> counter{0};
  std::ostringstream name;
  name << "ls-test-" << getpid() << "-" << counter++ << "-" << suffix;
  return name.str();
}

std::vector<int> FillBacklog(const std::string& path) {
  socklen_t length = 0;
  std::unique_ptr<sockaddr_un> address = MakeAddress(path, /*abstract=*/false, &length);
  std::vector<int> fds;
  if (!address) return fds;
  for (int i = 0; i < 1000; ++i) {
    const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) break;
    if (connect(fd, reinterpret_cast<sockaddr*>(address.get()), length) == 0) {
      fds.push_back(fd);
      continue;
    }
    const int err = errno;
    close(fd);
    if (err == EAGAIN) return fds;
    break;
  }
  for (int fd : fds) close(fd);
  return {};
}

bool RaiseFdLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return false;
  limit.rlim_cur = limit.rlim_max;
  return setrlimit(RLIMIT_NOFILE, &limit) == 0;
}

// ---------------------------------------------------------------------------------------------

void FillPattern(uint64_t seed, uint64_t offset, char* out, size_t n) {
  size_t i = 0;
  // Leading bytes up to a word boundary, then whole words, then the tail.
  while (i < n && (offset + i) % 8 != 0) {
    const uint64_t p = offset + i;
    out[i++] = static_cast<char>(Mix(seed ^ (p / 8)) >> (8 * (p % 8)));
  }
  while (n - i >= 8) {
    const uint64_t word = Mix(seed ^ ((offset + i) / 8));
    memcpy(out + i, &word, 8);  // Little-endian: byte k of the word is (word >> 8k).
    i += 8;
  }
  while (i < n) {
    const uint64_t p = offset + i;
    out[i++] = static_cast<char>(Mix(seed ^ (p / 8)) >> (8 * (p % 8)));
  }
}

std::string Pattern(uint64_t seed, uint64_t offset, size_t n) {
  std::string out(n, '\0');
  FillPattern(seed, offset, out.data(), n);
  return out;
}

void Checksum::Update(const void* data, size_t n) {
  const auto* bytes = static_cast<const unsigned char*>(data);
  uint64_t hash = hash_;
  for (size_t i = 0; i < n; ++i) {
    hash ^= bytes[i];
    hash *= 1099511628211ull;
  }
  hash_ = hash;
  bytes_ += n;
}

Checksum PatternChecksum(uint64_t seed, uint64_t size) {
  Checksum checksum;
  std::string chunk(1 << 20, '\0');
  for (uint64_t offset = 0; offset < size; offset += chunk.size()) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(chunk.size(), size - offset));
    FillPattern(seed, offset, chunk.data(), n);
    checksum.Update(chunk.data(), n);
  }
  return checksum;
}

// ---------------------------------------------------------------------------------------------

EventRecorder::EventRecorder(LocalSocket& socket) {
  connections_.push_back(socket.state_changed.Connect([this](LocalSocket::State state) {
    std::ostringstream text;
    text << "state:" << state;
    Add(text.str());
  }));
  connections_.push_back(socket.error_occurred.Connect([this](LocalSocket::Error error) {
    std::ostringstream text;
    text << "error:" << error;
    Add(text.str());
  }));
  connections_.push_back(socket.connected.Connect([this] { Add("connected"); }));
  connections_.push_back(socket.disconnected.Connect([this] { Add("disconnected"); }));
  connections_.push_back(socket.ready_read.Connect([this] { Add("ready_read"); }));
  connections_.push_back(socket.bytes_written.Connect([this](int64_t n) {
    bytes_written_ += n;
    Add("bytes_written:" + std::to_string(n));
  }));
  connections_.push_back(socket.about_to_close.Connect([this] { Add("about_to_close"); }));
  connections_.push_back(
      socket.read_channel_finished.Connect([this] { Add("read_channel_finished"); }));
}

EventRecorder::~EventRecorder() {
  for (Connection& connection : connections_) connection.Disconnect();
}

std::vector<std::string> EventRecorder::Take() {
  std::vector<std::string> events;
  events.swap(events_);
  return events;
}

int EventRecorder::Count(std::string_view event) const {
  int n = 0;
  for (const std::string& e : events_) n += e == event ? 1 : 0;
  return n;
}

void EventRecorder::Add(std::string event) {
  events_.push_back(std::move(event));
  if (hook_) hook_(events_.back());
}

std::vector<std::string> Compact(const std::vector<std::string>& events) {
  std::vector<std::string> out;
  for (const std::string& event : events) {
    std::string e = event.rfind("bytes_written:", 0) == 0 ? "bytes_written" : event;
    if ((e == "bytes_written" || e == "ready_read") && !out.empty() && out.back() == e) continue;
    out.push_back(std::move(e));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------

bool RunLoopUntil(eventloop::EventLoop& loop, const std::function<bool()>& done,
                  std::chrono::milliseconds timeout) {
  if (done()) return true;
  const auto end = std::chrono::steady_clock::now() + timeout;
  auto check = loop.CreateTimer([&] {
    if (done() || std::chrono::steady_clock::now() >= end) loop.Quit();
  });
  check->StartRepeating(std::chrono::milliseconds(1));
  loop.Run();
  return done();
}

void RunLoopFor(eventloop::EventLoop& loop, std::chrono::milliseconds duration) {
  auto stop = loop.CreateTimer([&] { loop.Quit(); });
  stop->Start(duration);
  loop.Run();
}

// ---------------------------------------------------------------------------------------------

ChildProcess::ChildProcess(std::function<int()> body) {
  pid_ = fork();
  if (pid_ == 0) {
    // The child: no return into gtest, no atexit handlers, no flushing of inherited stdio.
    _exit(body());
  }
}

ChildProcess::~ChildProcess() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
}

int ChildProcess::Wait(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return -1;
  const auto end = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int status = 0;
    const pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      pid_ = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    if (r < 0 || std::chrono::steady_clock::now() >= end) return -1;
    // Reaping needs no synchronisation with the test: poll the exit status.
    poll(nullptr, 0, 1);
  }
}

std::chrono::microseconds ProcessCpuTime() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const auto micros = [](const timeval& tv) {
    return std::chrono::seconds(tv.tv_sec) + std::chrono::microseconds(tv.tv_usec);
  };
  return micros(usage.ru_utime) + micros(usage.ru_stime);
}

std::set<int> OpenFds() {
  std::set<int> fds;
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return fds;
  const int own = dirfd(dir);
  while (dirent* entry = readdir(dir)) {
    if (entry->d_name[0] == '.') continue;
    const int fd = atoi(entry->d_name);
    if (fd != own) fds.insert(fd);
  }
  closedir(dir);
  return fds;
}

bool WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

std::string ReadUntilEof(int fd) {
  std::string out;
  char buffer[65536];
  for (;;) {
    const ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return out;
    out.append(buffer, static_cast<size_t>(n));
  }
}

std::string ReadExactly(int fd, size_t n) {
  std::string out;
  char buffer[65536];
  while (out.size() < n) {
    const ssize_t r = read(fd, buffer, std::min(sizeof(buffer), n - out.size()));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    out.append(buffer, static_cast<size_t>(r));
  }
  return out;
}

int UnreadByPeer(int fd) {
  int pending = 0;
  return ioctl(fd, SIOCOUTQ, &pending) == 0 ? pending : -1;
}

int QueuedForReading(int fd) {
  int queued = 0;
  return ioctl(fd, SIOCINQ, &queued) == 0 ? queued : -1;
}

bool IsOpenFd(int fd) { return fcntl(fd, F_GETFD) != -1; }

bool IsNonBlocking(int fd) {
  const int flags = fcntl(fd, F_GETFL);
  return flags != -1 && (flags & O_NONBLOCK) != 0;
}

// ---------------------------------------------------------------------------------------------

SocketTest::SocketTest() : tmpdir_(dir_.path()) {}

void SocketTest::SetUp() {
  ASSERT_FALSE(dir_.path().empty()) << "mkdtemp failed";
  fds_before_ = OpenFds();
}

void SocketTest::TearDown() { EXPECT_EQ(OpenFds(), fds_before_) << "file descriptors leaked"; }

std::unique_ptr<RawListener> SocketTest::Listen(std::string_view name, int backlog) {
  return RawListener::Listen(dir_.File(name), backlog);
}

::testing::AssertionResult SocketTest::ConnectPair(RawListener& listener, LocalSocket& client,
                                                   LocalSocket& server, std::string_view name) {
  client.ConnectToServer(name);
  if (client.state() != LocalSocket::State::kConnected) {
    return ::testing::AssertionFailure() << "connect failed: " << client.error_string();
  }
  const int fd = listener.Accept();
  if (fd < 0) return ::testing::AssertionFailure() << "accept failed: " << strerror(errno);
  if (!server.SetSocketDescriptor(fd)) {
    close(fd);
    return ::testing::AssertionFailure() << "adopt failed: " << server.error_string();
  }
  return ::testing::AssertionSuccess();
}

}  // namespace test
}  // namespace ipc
