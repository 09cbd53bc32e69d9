// Plain AF_UNIX stream sockets for the baseline roles (see unix_fds.h).
#include "tools/benchmark/unix_fds.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "tools/benchmark/socket_run.h"

namespace bench {
namespace {

// An AF_UNIX address for `path` (it fits: the bench's directory is short).
sockaddr_un Address(const std::string& path) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  memcpy(address.sun_path, path.c_str(), std::min(path.size() + 1, sizeof(address.sun_path)));
  return address;
}

}  // namespace

std::string ErrnoText(std::string_view what) { return std::string(what) + ": " + strerror(errno); }

FdSet::~FdSet() {
  for (const int fd : fds_) close(fd);
}

int FdSet::Add(int fd) {
  if (fd >= 0) fds_.push_back(fd);
  return fd;
}

int ListenUnix(const std::string& path, int type_flags, FdSet& fds) {
  const int fd = fds.Add(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | type_flags, 0));
  const sockaddr_un address = Address(path);
  if (fd < 0 || bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0 ||
      listen(fd, kListenBacklog) != 0) {
    return -1;
  }
  return fd;
}

int ConnectUnix(const std::string& path, int type_flags, FdSet& fds) {
  const int fd = fds.Add(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | type_flags, 0));
  const sockaddr_un address = Address(path);
  if (fd < 0 || connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
    return -1;
  }
  return fd;
}

}  // namespace bench
