// Plain AF_UNIX stream sockets for the baseline roles (raw blocking, and the minimal epoll
// pair): the fds a role opened, and listening and connecting on a path.
#ifndef LOCALSOCKET_TOOLS_BENCHMARK_UNIX_FDS_H_
#define LOCALSOCKET_TOOLS_BENCHMARK_UNIX_FDS_H_

#include <string>
#include <string_view>
#include <vector>

namespace bench {

// "what: strerror(errno)".
std::string ErrnoText(std::string_view what);

// The fds a role opened; all closed when the set is destroyed.
class FdSet {
 public:
  FdSet() = default;
  ~FdSet();
  FdSet(const FdSet&) = delete;
  FdSet& operator=(const FdSet&) = delete;
  // Takes `fd` (if valid) and returns it.
  int Add(int fd);

 private:
  std::vector<int> fds_;
};

// A stream socket (SOCK_CLOEXEC | `type_flags`, e.g. SOCK_NONBLOCK) listening on `path` with
// the bench's backlog; -1 (errno set) on failure.
int ListenUnix(const std::string& path, int type_flags, FdSet& fds);

// A stream socket (SOCK_CLOEXEC | `type_flags`) connected to `path`; -1 (errno set) on
// failure.
int ConnectUnix(const std::string& path, int type_flags, FdSet& fds);

}  // namespace bench

#endif  // LOCALSOCKET_TOOLS_BENCHMARK_UNIX_FDS_H_
