// Internal: a server's listening socket, owned: the fd, when the server created one the
// socket file at its path, and for a filesystem path the path's lock (local_server_path_lock.h),
// held as long as the socket. Closing removes the socket file only while the path still names
// it (same st_dev/st_ino), then the lock file likewise, then closes the fd, then releases the
// lock: while the bound socket (and the lock fd) are open their inodes cannot be freed and
// reused, so a path with the remembered st_dev/st_ino really is this file. A newer server's
// files at the same paths are never removed. RemoveServerFiles, by contrast, removes whatever
// socket and lock file are at a path (LocalServer::RemoveServer).
//
// Threads: as its owner. The OsCalls must outlive it.
#ifndef LOCALSOCKET_IPC_LOCAL_SERVER_LISTENING_SOCKET_H_
#define LOCALSOCKET_IPC_LOCAL_SERVER_LISTENING_SOCKET_H_

#include <sys/types.h>

#include <string>
#include <utility>

#include "ipc/local_server_path_lock.h"
#include "ipc/os_calls.h"
#include "ipc/os_fd.h"

namespace ipc {
namespace internal {

// The socket file a server created: its path and identity. An empty path: no file.
struct SocketFile {
  std::string path;
  dev_t dev = 0;
  ino_t ino = 0;
};

class ListeningSocket {
 public:
  ListeningSocket() = default;
  // Owns `fd`, unless its path is empty the socket file `file` bound to it, and unless it is
  // not held the lock of the socket's path.
  ListeningSocket(OsCalls& os, OsFd fd, SocketFile file = {}, PathLock lock = {})
      : os_(&os), fd_(std::move(fd)), file_(std::move(file)), lock_(std::move(lock)) {}
  ListeningSocket(ListeningSocket&& other) noexcept
      : os_(other.os_),
        fd_(std::move(other.fd_)),
        file_(std::exchange(other.file_, {})),
        lock_(std::move(other.lock_)) {}
  // Closes this socket (as Close()) before taking `other`'s.
  ListeningSocket& operator=(ListeningSocket&& other) noexcept;
  ListeningSocket(const ListeningSocket&) = delete;
  ListeningSocket& operator=(const ListeningSocket&) = delete;
  ~ListeningSocket() { Close(); }

  // The listening fd, or -1.
  int fd() const { return fd_.get(); }
  bool is_open() const { return static_cast<bool>(fd_); }
  // Removes the socket file if its path still names it, then the lock file likewise, closes
  // the fd, and releases the lock. No-op when closed.
  void Close();

 private:
  OsCalls* os_ = nullptr;
  OsFd fd_;
  SocketFile file_;
  PathLock lock_;
};

// The socket file at `path`, identified with lstat(`name`), where `name` is `path` or another
// name of the same file (a hard link to it). No file (an empty path) when lstat fails or finds
// no socket.
SocketFile IdentifySocketFile(OsCalls& os, const std::string& path, const std::string& name);

// LocalServer::RemoveServer: removes the socket file at `path`, whoever's it is, then
// "<path>.lock" if it is a regular file (RemoveLockFile), and takes no lock. True when each was
// removed or is not there; false when `path` holds anything but a socket (then nothing is
// touched, the lock file neither), when "<path>.lock" is not a regular file (left untouched),
// or when an unlink fails.
bool RemoveServerFiles(OsCalls& os, const std::string& path);

}  // namespace internal
}  // namespace ipc

#endif  // LOCALSOCKET_IPC_LOCAL_SERVER_LISTENING_SOCKET_H_
