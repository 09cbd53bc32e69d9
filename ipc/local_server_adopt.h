// Internal: what LocalServer::Listen(int fd) does to the fd before the server takes it. The fd
// must be a listening AF_UNIX stream socket; it is made non-blocking and close-on-exec, and
// those changes are undone if the server cannot take it after all, so that a refused fd is
// left as it was.
//
// Threads: the caller's. The fd stays the caller's: nothing here closes it.
#ifndef LOCALSOCKET_IPC_LOCAL_SERVER_ADOPT_H_
#define LOCALSOCKET_IPC_LOCAL_SERVER_ADOPT_H_

#include <string>

#include "ipc/os_calls.h"
#include "ipc/unix_socket_check.h"

namespace ipc {
namespace internal {

class ListenerAdoption {
 public:
  // Checks `fd` (through `os`, which must outlive the result), reads its bound name and, if
  // it passes, sets O_NONBLOCK and FD_CLOEXEC. A rejected fd is left as it was.
  static ListenerAdoption Prepare(OsCalls& os, int fd);

  // Why the fd was rejected (false when it passed).
  const FdRejection& rejection() const { return rejection_; }
  // The bound name, as getsockname reports it: the path, or the abstract name without its
  // leading NUL (then abstract() is true).
  const std::string& full_name() const { return full_name_; }
  bool abstract() const { return abstract_; }
  // Undoes the flag changes (once): the server could not take the fd after all.
  void RestoreFlags();

 private:
  // One flag word of the fd as Prepare found it, and whether Prepare changed it.
  struct SavedFlags {
    int set_command = 0;  // F_SETFL or F_SETFD.
    int old = 0;
    bool changed = false;
  };

  ListenerAdoption(OsCalls& os, int fd) : os_(os), fd_(fd) {}
  // Prepare's steps; returns the rejection (empty when the fd passed).
  FdRejection CheckAndPrepare();
  // Adds `bit` to `flags` unless it is set already. Returns the errno of a failure, or 0.
  int AddFlag(SavedFlags& flags, int bit);
  // Puts `flags` back if AddFlag changed them.
  void Restore(SavedFlags& flags);

  OsCalls& os_;
  const int fd_;
  FdRejection rejection_;
  std::string full_name_;
  bool abstract_ = false;
  SavedFlags status_flags_;
  SavedFlags fd_flags_;
};

}  // namespace internal
}  // namespace ipc

#endif  // LOCALSOCKET_IPC_LOCAL_SERVER_ADOPT_H_
