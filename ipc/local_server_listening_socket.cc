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
  }
  return *this;
}

void ListeningSocket::Close() {
  if (!fd_) return;
  // The unlink comes first: see the file comment.
  if (!file_.path.empty()) UnlinkIfSame(*os_, file_);
  file_ = {};
  fd_.reset();
}

SocketFile IdentifySocketFile(OsCalls& os, const std::string& path, const std::string& name) {
  struct stat st {};
  if (os.Lstat(name.c_str(), &st).rc < 0 || !S_ISSOCK(st.st_mode)) return {};
  return SocketFile{path, st.st_dev, st.st_ino};
}

bool RemoveSocketFile(OsCalls& os, const std::string& path) {
  struct stat st {};
  if (const SysResult r = os.Lstat(path.c_str(), &st); r.rc < 0) {
    return r.err == ENOENT || r.err == ENOTDIR;  // Nothing there.
  }
  if (!S_ISSOCK(st.st_mode)) return false;
  const SysResult r = os.Unlink(path.c_str());
  return r.rc == 0 || r.err == ENOENT;
}

}  // namespace internal
}  // namespace ipc
