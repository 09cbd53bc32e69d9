// Internal: the listening sockets a service manager passed to this process (socket activation:
// LISTEN_PID, LISTEN_FDS, LISTEN_FDNAMES), for LocalServer::ListenInherited.
#ifndef LOCALSOCKET_IPC_INHERITED_SOCKETS_H_
#define LOCALSOCKET_IPC_INHERITED_SOCKETS_H_

#include <sys/types.h>

#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace ipc {
namespace internal {

// The first fd a service manager passes (SD_LISTEN_FDS_START).
inline constexpr int kFirstInheritedFd = 3;

// What the protocol variables say: either the fds with their names (fds from 3, in order;
// "unknown" when LISTEN_FDNAMES is absent, as systemd names them), or why they cannot be used.
struct ListenEnvironment {
  struct Entry {
    int fd;
    std::string name;
  };
  std::string refusal;  // Empty when `entries` is usable.
  std::vector<Entry> entries;
};

// Parses the protocol variables (nullptr = unset) for the process `self`. Pure: reads and
// changes nothing else.
ListenEnvironment ParseListenEnvironment(pid_t self, const char* listen_pid, const char* listen_fds,
                                         const char* listen_fdnames);

// The fds of one ListenEnvironment, each claimed at most once. Thread-safe.
class InheritedSockets {
 public:
  explicit InheritedSockets(ListenEnvironment environment);

  // The process's own: the variables are parsed at the first call, then unset whatever the
  // outcome, so child processes do not inherit them. Never destroyed.
  static InheritedSockets& ForThisProcess();

  // The result of Claim: fd >= 0, or -1 and the refusal.
  struct Claimed {
    int fd = -1;
    std::string refusal;
  };
  // Claims the fd named `name` (empty: the only fd). A claimed fd is not handed out again
  // until Unclaim.
  Claimed Claim(std::string_view name);
  // Makes `fd` claimable again (its adoption failed).
  void Unclaim(int fd);

 private:
  std::mutex mutex_;
  const ListenEnvironment environment_;
  std::vector<bool> claimed_;  // Parallel to environment_.entries.
};

}  // namespace internal
}  // namespace ipc

#endif  // LOCALSOCKET_IPC_INHERITED_SOCKETS_H_
