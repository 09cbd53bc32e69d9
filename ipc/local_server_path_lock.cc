#include "ipc/local_server_path_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <cerrno>

#include "ipc/socket_errors.h"

namespace ipc {
namespace internal {
namespace {

constexpr int kLockFileFlags = O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC;
constexpr mode_t kLockFileMode = 0600;
// Attempts before a lock file replaced at every attempt is given up on.
constexpr int kMaxLockAttempts = 8;

PathLockOutcome Failure(Error error, std::string error_string) {
  PathLockOutcome result;
  result.error = error;
  result.error_string = std::move(error_string);
  return result;
}

PathLockOutcome ErrnoFailure(int err) {
  const Error error = ErrorFromListenErrno(err);
  return Failure(error, FormatError(ApiCall::kServerListen, ErrorCause(error), err));
}

PathLockOutcome AddressInUse(const char* detail) {
  std::string cause = ErrorCause(Error::kAddressInUse);
  if (detail != nullptr) cause += std::string(" (") + detail + ")";
  return Failure(Error::kAddressInUse, FormatError(ApiCall::kServerListen, cause));
}

PathLockOutcome NotARegularFile() { return AddressInUse("lock file is not a regular file"); }

}  // namespace

std::string LockFilePath(const std::string& socket_path) { return socket_path + ".lock"; }

PathLock& PathLock::operator=(PathLock&& other) noexcept {
  if (this != &other) {
    Release();
    os_ = other.os_;
    fd_ = std::move(other.fd_);
    path_ = std::exchange(other.path_, {});
    dev_ = other.dev_;
    ino_ = other.ino_;
  }
  return *this;
}

void PathLock::RemoveFile() {
  if (path_.empty()) return;
  const std::string path = std::exchange(path_, {});
  struct stat st {};
  if (os_->Lstat(path.c_str(), &st).rc < 0) return;
  if (!S_ISREG(st.st_mode) || st.st_dev != dev_ || st.st_ino != ino_) return;
  os_->Unlink(path.c_str());
}

void PathLock::Release() {
  if (!fd_) return;
  RemoveFile();
  fd_.reset();
}

PathLockOutcome LockSocketPath(OsCalls& os, const std::string& socket_path) {
  const std::string path = LockFilePath(socket_path);
  for (int attempt = 0; attempt < kMaxLockAttempts; ++attempt) {
    const SysResult opened = os.Open(path.c_str(), kLockFileFlags, kLockFileMode);
    if (opened.rc < 0) {
      if (opened.err == ELOOP || opened.err == EISDIR || opened.err == ENXIO) {
        return NotARegularFile();
      }
      return ErrnoFailure(opened.err);
    }
    // Closed on every path below unless the lock is handed out.
    OsFd fd(os, static_cast<int>(opened.rc));
    if (const SysResult r = os.Flock(fd.get(), LOCK_EX | LOCK_NB); r.rc < 0) {
      if (r.err == EWOULDBLOCK) return AddressInUse(nullptr);  // A live server holds it.
      return ErrnoFailure(r.err);
    }
    struct stat locked {};
    if (const SysResult r = os.Fstat(fd.get(), &locked); r.rc < 0) return ErrnoFailure(r.err);
    if (!S_ISREG(locked.st_mode)) return NotARegularFile();
    struct stat named {};
    const SysResult r = os.Lstat(path.c_str(), &named);
    if (r.rc < 0 && r.err != ENOENT) return ErrnoFailure(r.err);
    if (r.rc == 0 && named.st_dev == locked.st_dev && named.st_ino == locked.st_ino) {
      PathLockOutcome result;
      result.lock = PathLock(os, std::move(fd), path, locked.st_dev, locked.st_ino);
      return result;
    }
    // Unlinked (and maybe made anew) since our open: the lock we hold guards nothing.
  }
  return AddressInUse("lock file keeps changing");
}

bool RemoveLockFile(OsCalls& os, const std::string& socket_path) {
  const std::string path = LockFilePath(socket_path);
  struct stat st {};
  if (const SysResult r = os.Lstat(path.c_str(), &st); r.rc < 0) {
    return r.err == ENOENT || r.err == ENOTDIR;  // Nothing there.
  }
  if (!S_ISREG(st.st_mode)) return false;
  const SysResult r = os.Unlink(path.c_str());
  return r.rc == 0 || r.err == ENOENT;
}

}  // namespace internal
}  // namespace ipc
