// Internal: the advisory lock that decides which server owns a filesystem path, as Wayland's
// compositors do with "wayland-0.lock". A server that listens on `path` first takes
// flock(LOCK_EX | LOCK_NB) on the regular file "<path>.lock" and holds it for its whole life;
// only the holder may probe, unlink or bind at `path`. So two servers of this library never
// both succeed on one path, and a live one is refused without a probe. Every system call goes
// through OsCalls. (A foreign server that takes no lock is still detected only by the probe.)
//
// Threads: as its owner (LocalServer's loop thread). The OsCalls must outlive a PathLock.
#ifndef LOCALSOCKET_IPC_LOCAL_SERVER_PATH_LOCK_H_
#define LOCALSOCKET_IPC_LOCAL_SERVER_PATH_LOCK_H_

#include <sys/types.h>

#include <string>
#include <utility>

#include "ipc/os_calls.h"
#include "ipc/os_fd.h"
#include "ipc/socket_types.h"

namespace ipc {
namespace internal {

struct PathLockOutcome;

// The lock file's name for the socket path `socket_path`: "<socket_path>.lock".
std::string LockFilePath(const std::string& socket_path);

// A held lock on a lock file (or nothing). Move-only; releasing it (Release, the destructor)
// unlinks the lock file while its path still names the locked file, then closes the fd.
class PathLock {
 public:
  PathLock() = default;
  PathLock(PathLock&& other) noexcept
      : os_(other.os_),
        fd_(std::move(other.fd_)),
        path_(std::exchange(other.path_, {})),
        dev_(other.dev_),
        ino_(other.ino_) {}
  // Releases this lock (as Release()) before taking `other`'s.
  PathLock& operator=(PathLock&& other) noexcept;
  PathLock(const PathLock&) = delete;
  PathLock& operator=(const PathLock&) = delete;
  ~PathLock() { Release(); }

  bool held() const { return static_cast<bool>(fd_); }
  // Unlinks the lock file if its path still names the locked file (same st_dev/st_ino,
  // checked with lstat just before); the lock stays held. Once per lock: later calls do
  // nothing. The fd pins the inode, so a file with the remembered identity is the locked one.
  void RemoveFile();
  // RemoveFile(), then closes the fd, which releases the lock. No-op when nothing is held.
  void Release();

 private:
  friend PathLockOutcome LockSocketPath(OsCalls& os, const std::string& socket_path);
  PathLock(OsCalls& os, OsFd fd, std::string path, dev_t dev, ino_t ino)
      : os_(&os), fd_(std::move(fd)), path_(std::move(path)), dev_(dev), ino_(ino) {}

  OsCalls* os_ = nullptr;
  OsFd fd_;
  std::string path_;  // The lock file; empty once RemoveFile() ran.
  dev_t dev_ = 0;
  ino_t ino_ = 0;
};

// The outcome of LockSocketPath.
struct PathLockOutcome {
  PathLock lock;                                                   // Held on success.
  LocalSocketTypes::Error error = LocalSocketTypes::Error::kNone;  // On failure.
  std::string error_string;                                        // On failure.
};

// Takes the lock of `socket_path` for LocalServer::Listen:
//   open("<socket_path>.lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600) -> fd
//   flock(fd, LOCK_EX | LOCK_NB)
//   fstat(fd), lstat("<socket_path>.lock")
// When lstat finds another file or none (the holder before us unlinked it as it closed, and
// maybe a newer server made a new one), the fd is closed and it starts over, at most 8 times.
// Failures, each leaving no fd behind (and never unlinking a lock file it did not lock):
//   held elsewhere (EWOULDBLOCK) -> kAddressInUse, "address in use";
//   not a regular file (open: ELOOP from O_NOFOLLOW, EISDIR, ENXIO; or fstat says so) ->
//     kAddressInUse, "address in use (lock file is not a regular file)";
//   replaced at every attempt -> kAddressInUse, "address in use (lock file keeps changing)";
//   any other errno -> as bind's (EACCES -> kSocketAccess, ENOENT -> kServerNotFound,
//     EMFILE -> kSocketResource...).
PathLockOutcome LockSocketPath(OsCalls& os, const std::string& socket_path);

// LocalServer::RemoveServer's part for the lock: unlinks "<socket_path>.lock" if it is a
// regular file, whoever holds it, and takes no lock. True when it was removed or nothing is
// there; false when something else is there (left untouched) or the unlink fails.
bool RemoveLockFile(OsCalls& os, const std::string& socket_path);

}  // namespace internal
}  // namespace ipc

#endif  // LOCALSOCKET_IPC_LOCAL_SERVER_PATH_LOCK_H_
