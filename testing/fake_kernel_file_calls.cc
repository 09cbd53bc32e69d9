// FakeKernel: the file calls (fstat, lstat, chmod, link, unlink, mkdtemp, rmdir, open, flock).
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "testing/fake_kernel.h"

namespace ipc {

using fake_kernel::Inode;
using fake_kernel::OpenFile;

namespace {

// The device of socket inodes (Linux's sockfs).
const dev_t kSocketFsDevice = makedev(0, 8);

SysResult Result(int err) { return err == 0 ? SysResult{0, 0} : SysResult{-1, err}; }

}  // namespace

SysResult FakeKernel::Fstat(int fd, struct stat* st) {
  SyncScope scope(this);
  if (const int err = Enter(Call::kFstat, fd)) return Fail(err);
  const fake_kernel::FdTable::Entry* entry = fds_.Find(fd);
  if (entry == nullptr) return Fail(EBADF);
  if (st == nullptr) return Fail(EFAULT);
  const OpenFile& file = *entry->file;
  if (file.socket != nullptr) {
    std::memset(st, 0, sizeof(*st));
    st->st_dev = kSocketFsDevice;
    st->st_ino = file.socket->id;
    st->st_mode = S_IFSOCK | 0777;
    st->st_nlink = 1;
    st->st_uid = options_.uid;
    st->st_gid = options_.gid;
    st->st_blksize = 4096;
  } else {
    fs_.Stat(*file.inode, st);
  }
  return SysResult{0, 0};
}

SysResult FakeKernel::Lstat(const char* path, struct stat* st) {
  SyncScope scope(this);
  if (const int err = Enter(Call::kLstat, nullptr, 0, path)) return Fail(err);
  if (path == nullptr || st == nullptr) return Fail(EFAULT);
  return Result(fs_.Lstat(path, st));
}

SysResult FakeKernel::Chmod(const char* path, mode_t mode) {
  SyncScope scope(this);
  if (const int err = Enter(Call::kChmod, nullptr, 0, path)) return Fail(err);
  if (path == nullptr) return Fail(EFAULT);
  return Result(fs_.Chmod(path, mode));
}

SysResult FakeKernel::Link(const char* old_path, const char* new_path) {
  SyncScope scope(this);
  if (const int err = Enter(Call::kLink, nullptr, 0, old_path)) return Fail(err);
  if (old_path == nullptr || new_path == nullptr) return Fail(EFAULT);
  return Result(fs_.Link(old_path, new_path));
}

SysResult FakeKernel::Unlink(const char* path) {
  SyncScope scope(this);
  if (const int err = Enter(Call::kUnlink, nullptr, 0, path)) return Fail(err);
  if (path == nullptr) return Fail(EFAULT);
  return Result(fs_.Unlink(path));
}

SysResult FakeKernel::Mkdtemp(char* path_template) {
  SyncScope scope(this);
  if (const int err = Enter(Call::kMkdtemp, nullptr, 0, path_template)) return Fail(err);
  if (path_template == nullptr) return Fail(EFAULT);
  return Result(fs_.Mkdtemp(path_template));
}

SysResult FakeKernel::Rmdir(const char* path) {
  SyncScope scope(this);
  if (const int err = Enter(Call::kRmdir, nullptr, 0, path)) return Fail(err);
  if (path == nullptr) return Fail(EFAULT);
  return Result(fs_.Rmdir(path));
}

SysResult FakeKernel::Open(const char* path, int flags, mode_t mode) {
  SyncScope scope(this);
  if (const int err = Enter(Call::kOpen, nullptr, 0, path)) return Fail(err);
  if (path == nullptr) return Fail(EFAULT);
  if (!fds_.HasRoom(1)) return Fail(EMFILE);  // Linux reserves the descriptor first.
  std::shared_ptr<Inode> node;
  if (const int err = fs_.Open(path, flags, mode, &node)) return Fail(err);
  OpenFile::Kind kind = OpenFile::Kind::kRegular;
  int status_flags = (flags & O_ACCMODE) | (flags & (O_NONBLOCK | O_APPEND));
  if (flags & O_PATH) {
    kind = OpenFile::Kind::kPath;
    status_flags = O_PATH;
  } else if (node->kind == Inode::Kind::kDirectory) {
    kind = OpenFile::Kind::kDirectory;
  }
  OpenFile* file = fds_.NewFile(kind, status_flags);
  file->inode = std::move(node);
  const int fd = fds_.Install(file, (flags & O_CLOEXEC) != 0);
  touched_fds_.push_back(fd);
  return SysResult{fd, 0};
}

SysResult FakeKernel::Flock(int fd, int operation) {
  SyncScope scope(this);
  if (const int err = Enter(Call::kFlock, fd)) return Fail(err);
  const int kind = operation & ~LOCK_NB;
  int rounds = 0;
  for (;;) {
    fake_kernel::FdTable::Entry* entry = fds_.Find(fd);
    if (entry == nullptr || entry->file->kind == OpenFile::Kind::kPath) return Fail(EBADF);
    if (kind != LOCK_SH && kind != LOCK_EX && kind != LOCK_UN) return Fail(EINVAL);
    OpenFile& file = *entry->file;
    fake_kernel::FlockSet& locks = file.LockTarget();
    if (kind == LOCK_UN) {
      locks.holders.erase(file.id);
      file.lock = 0;
      return SysResult{0, 0};
    }
    bool conflict = false;
    for (const auto& [holder, held] : locks.holders) {
      if (holder != file.id && (kind == LOCK_EX || held == LOCK_EX)) conflict = true;
    }
    if (!conflict) {
      locks.holders[file.id] = kind;
      file.lock = kind;
      return SysResult{0, 0};
    }
    // Linux removes a lock being converted before it looks for conflicts.
    locks.holders.erase(file.id);
    file.lock = 0;
    if (operation & LOCK_NB) return Fail(EWOULDBLOCK);
    if (BlockOnce(&rounds)) continue;
    ++stalls_;
    return Fail(EDEADLK);
  }
}

}  // namespace ipc
