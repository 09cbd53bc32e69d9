#include "ipc/local_server_listening_socket.h"

#include <sys/stat.h>

#include <cerrno>

namespace ipc {
namespace internal {
namespace {

// Unlinks `file.path` if it still names that file (checked with lstat just before).
void UnlinkIfSame(OsCalls& os, const SocketFile& file) {
  struct stat st {};
  if (os.Lstat(file.path.c_str(), &st).rc < 0) return;
  if (!S_ISSOCK(st.st_mode) || st.st_dev != file.dev || st.st_ino != file.ino) return;
  os.Unlink(file.path.c_str());
}

}  // namespace

ListeningSocket& ListeningSocket::operator=(ListeningSocket&& other) noexcept {
  if (this != &other) {
    Close();
    os_ = other.os_;
    fd_ = std::move(other.fd_);
    file_ = std::exchange(other.file_, {});
    lock_ = std::move(other.lock_);
  }
  return *this;
}

void ListeningSocket::Close() {
  if (!fd_) return;
  // The unlinks come first, the lock's release last: see the file comment.
  if (!file_.path.empty()) UnlinkIfSame(*os_, file_);
  file_ = {};
  lock_.RemoveFile();
  fd_.reset();
  lock_.Release();
}

SocketFile IdentifySocketFile(OsCalls& os, const std::string& path, const std::string& name) {
  struct stat st {};
  if (os.Lstat(name.c_str(), &st).rc < 0 || !S_ISSOCK(st.st_mode)) return {};
  return SocketFile{path, st.st_dev, st.st_ino};
}

bool RemoveServerFiles(OsCalls& os, const std::string& path) {
  struct stat st {};
  if (const SysResult r = os.Lstat(path.c_str(), &st); r.rc == 0) {
    if (!S_ISSOCK(st.st_mode)) return false;  // Not a server's: the lock file stays too.
    if (const SysResult u = os.Unlink(path.c_str()); u.rc < 0 && u.err != ENOENT) return false;
  } else if (r.err != ENOENT && r.err != ENOTDIR) {
    return false;
  }
  return RemoveLockFile(os, path);
}

}  // namespace internal
}  // namespace ipc
