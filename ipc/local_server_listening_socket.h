// Internal: a server's listening socket, owned: the fd and, when the server created one, the
// socket file at its path. Closing removes that file only while the path still names it (same
// st_dev/st_ino), and only then closes the fd: while the bound socket is open its inode cannot
// be freed and reused, so a path with the remembered st_dev/st_ino really is this file. A newer
// server's socket at the same path is never removed. RemoveSocketFile, by contrast, removes
// whatever socket is at a path (LocalServer::RemoveServer).
//
// Threads: as its owner. The OsCalls must outlive it.
#ifndef LOCALSOCKET_IPC_LOCAL_SERVER_LISTENING_SOCKET_H_
#define LOCALSOCKET_IPC_LOCAL_SERVER_LISTENING_SOCKET_H_

#include <sys/types.h>

#include <string>
#include <utility>

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
  // Owns `fd` and, unless its path is empty, the socket file `file` bound to it.
  ListeningSocket(OsCalls& os, OsFd fd, SocketFile file = {})
      : os_(&os), fd_(std::move(fd)), file_(std::move(file)) {}
  ListeningSocket(ListeningSocket&& other) noexcept
      : os_(other.os_), fd_(std::move(other.fd_)), file_(std::exchange(other.file_, {})) {}
  // Closes this socket (as Close()) before taking `other`'s.
  ListeningSocket& operator=(ListeningSocket&& other) noexcept;
  ListeningSocket(const ListeningSocket&) = delete;
  ListeningSocket& operator=(const ListeningSocket&) = delete;
  ~ListeningSocket() { Close(); }

  // The listening fd, or -1.
  int fd() const { return fd_.get(); }
  bool is_open() const { return static_cast<bool>(fd_); }
  // Removes the socket file if its path still names it, then closes the fd. No-op when closed.
  void Close();

 private:
  OsCalls* os_ = nullptr;
  OsFd fd_;
  SocketFile file_;
};

// The socket file at `path`, identified with lstat(`name`), where `name` is `path` or another
// name of the same file (a hard link to it). No file (an empty path) when lstat fails or finds
// no socket.
SocketFile IdentifySocketFile(OsCalls& os, const std::string& path, const std::string& name);

// Removes the socket file at `path`, whoever's it is (LocalServer::RemoveServer). True when a
// socket was removed or nothing is there; false for anything else (left untouched) or when the
// unlink fails.
bool RemoveSocketFile(OsCalls& os, const std::string& path);

}  // namespace internal
}  // namespace ipc

#endif  // LOCALSOCKET_IPC_LOCAL_SERVER_LISTENING_SOCKET_H_
