#include "testing/raw_socket.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <sstream>

namespace ipc {
namespace test {
namespace {

// The address of `name` (a path, or an abstract name without its leading NUL) and its length
// in `*length`; nullptr if the name does not fit sun_path.
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

// A non-blocking, close-on-exec socket bound to `name` and listening; -1 on failure (errno is
// kept).
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

}  // namespace

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

}  // namespace test
}  // namespace ipc
