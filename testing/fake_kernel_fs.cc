#include "testing/fake_kernel_fs.h"

#include <fcntl.h>
#include <limits.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

namespace ipc {
namespace fake_kernel {
namespace {

constexpr int kMaxSymlinks = 40;  // Linux's MAXSYMLINKS.

// The components of `path` (empty ones and repeated slashes dropped), last one first.
std::vector<std::string> ComponentsReversed(std::string_view path) {
  std::vector<std::string> components;
  size_t start = 0;
  while (start < path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    if (end > start) components.emplace_back(path.substr(start, end - start));
    start = end + 1;
  }
  std::reverse(components.begin(), components.end());
  return components;
}

bool IsNumber(const std::string& s) {
  if (s.empty() || s.size() > 9) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

mode_t TypeBits(Inode::Kind kind) {
  switch (kind) {
    case Inode::Kind::kDirectory:
      return S_IFDIR;
    case Inode::Kind::kRegular:
      return S_IFREG;
    case Inode::Kind::kSocket:
      return S_IFSOCK;
    case Inode::Kind::kSymlink:
      return S_IFLNK;
  }
  return 0;
}

}  // namespace

FileSystem::FileSystem(dev_t dev, Identity identity, mode_t umask, DirectoryFdLookup proc_fd)
    : dev_(dev),
      identity_(identity),
      umask_(umask & 0777),
      proc_fd_(std::move(proc_fd)),
      root_(std::make_shared<Inode>()) {
  root_->kind = Inode::Kind::kDirectory;
  root_->ino = 1;
  root_->mode = 0755;
  root_->nlink = 2;
}

FileSystem::Walk FileSystem::Resolve(std::string_view path, bool follow_last) const {
  Walk walk;
  if (path.empty()) {
    walk.err = ENOENT;
    return walk;
  }
  if (path.size() >= PATH_MAX) {
    walk.err = ENAMETOOLONG;
    return walk;
  }
  const bool must_be_directory = path.back() == '/';
  std::vector<std::string> rest = ComponentsReversed(path);  // The next component is last.
  std::shared_ptr<Inode> current = root_;  // Relative paths start at "/", the fake cwd.
  int links = 0;
  while (!rest.empty()) {
    std::string name = std::move(rest.back());
    rest.pop_back();
    const bool last = rest.empty();
    if (name.size() > NAME_MAX) {
      walk.err = ENAMETOOLONG;
      return walk;
    }
    if (!May(*current, X_OK)) {
      walk.err = EACCES;
      return walk;
    }
    if (name == "." || name == "..") {
      if (name == ".." && current->parent != nullptr) current = current->parent->shared_from_this();
      if (last) {
        walk.node = current;
        walk.name = name;
        return walk;
      }
      continue;
    }
    if (current == root_ && name == "proc" && proc_fd_) {
      // "/proc/self/fd/N/<more>": the directory open on fd N.
      if (rest.size() < 4 || rest[rest.size() - 1] != "self" || rest[rest.size() - 2] != "fd" ||
          !IsNumber(rest[rest.size() - 3])) {
        walk.err = ENOENT;
        return walk;
      }
      std::shared_ptr<Inode> directory;
      if (const int err = proc_fd_(std::stoi(rest[rest.size() - 3]), &directory); err != 0) {
        walk.err = err;
        return walk;
      }
      rest.resize(rest.size() - 3);
      current = std::move(directory);
      continue;
    }
    const auto it = current->entries.find(name);
    if (it == current->entries.end()) {
      if (!last) {
        walk.err = ENOENT;
        return walk;
      }
      walk.parent = current;
      walk.name = std::move(name);
      return walk;
    }
    const std::shared_ptr<Inode>& child = it->second;
    if (child->kind == Inode::Kind::kSymlink && (!last || follow_last || must_be_directory)) {
      if (++links > kMaxSymlinks) {
        walk.err = ELOOP;
        return walk;
      }
      if (child->target.empty()) {
        walk.err = ENOENT;
        return walk;
      }
      std::vector<std::string> target = ComponentsReversed(child->target);
      rest.insert(rest.end(), target.begin(), target.end());
      if (child->target.front() == '/') current = root_;
      if (rest.empty()) {  // A link to "/".
        walk.node = root_;
        return walk;
      }
      continue;
    }
    if (!last) {
      if (child->kind != Inode::Kind::kDirectory) {
        walk.err = ENOTDIR;
        return walk;
      }
      current = child;
      continue;
    }
    if (must_be_directory && child->kind != Inode::Kind::kDirectory) {
      walk.err = ENOTDIR;
      return walk;
    }
    walk.parent = current;
    walk.name = std::move(name);
    walk.node = child;
    return walk;
  }
  walk.node = current;  // "/" (or only slashes).
  return walk;
}

void FileSystem::Stat(const Inode& inode, struct stat* st) const {
  std::memset(st, 0, sizeof(*st));
  st->st_dev = dev_;
  st->st_ino = inode.ino;
  st->st_mode = TypeBits(inode.kind) | inode.mode;
  st->st_nlink = inode.nlink;
  st->st_uid = inode.uid;
  st->st_gid = inode.gid;
  st->st_blksize = 4096;
  if (inode.kind == Inode::Kind::kSymlink) st->st_size = static_cast<off_t>(inode.target.size());
  if (inode.kind == Inode::Kind::kDirectory) st->st_size = 4096;
}

int FileSystem::Lstat(const char* path, struct stat* st) const {
  const Walk walk = Resolve(path, /*follow_last=*/false);
  if (walk.err != 0) return walk.err;
  if (!walk.node) return ENOENT;
  Stat(*walk.node, st);
  return 0;
}

// Not const: it changes the namespace (through the inodes it holds).
// NOLINTNEXTLINE(readability-make-member-function-const)
int FileSystem::Chmod(const char* path,
                      mode_t mode) {  // NOLINT(readability-make-member-function-const)
  const Walk walk = Resolve(path, /*follow_last=*/true);
  if (walk.err != 0) return walk.err;
  if (!walk.node) return ENOENT;
  if (!privileged_ && identity_.uid != 0 && identity_.uid != walk.node->uid) return EPERM;
  walk.node->mode = mode & 07777;
  return 0;
}

int FileSystem::Unlink(const char* path) {
  const Walk walk = Resolve(path, /*follow_last=*/false);
  if (walk.err != 0) return walk.err;
  if (!walk.node) return ENOENT;
  if (walk.node->kind == Inode::Kind::kDirectory) return EISDIR;
  if (const int err = MayChange(*walk.parent, walk.node.get()); err != 0) return err;
  --walk.node->nlink;
  walk.parent->entries.erase(walk.name);
  return 0;
}

int FileSystem::Rmdir(const char* path) {
  const Walk walk = Resolve(path, /*follow_last=*/false);
  if (walk.err != 0) return walk.err;
  if (!walk.node) return ENOENT;
  if (walk.node->kind != Inode::Kind::kDirectory) return ENOTDIR;
  if (walk.name == ".") return EINVAL;
  if (walk.name == "..") return ENOTEMPTY;
  if (walk.node == root_) return EBUSY;
  if (!walk.node->entries.empty()) return ENOTEMPTY;
  if (const int err = MayChange(*walk.parent, walk.node.get()); err != 0) return err;
  walk.node->nlink = 0;
  walk.node->parent = nullptr;
  --walk.parent->nlink;
  walk.parent->entries.erase(walk.name);
  return 0;
}

int FileSystem::Link(const char* old_path, const char* new_path) {
  const Walk from = Resolve(old_path, /*follow_last=*/false);
  if (from.err != 0) return from.err;
  if (!from.node) return ENOENT;
  const Walk to = Resolve(new_path, /*follow_last=*/false);
  if (to.err != 0) return to.err;
  if (to.node) return EEXIST;
  if (from.node->kind == Inode::Kind::kDirectory) return EPERM;
  if (const int err = MayChange(*to.parent, nullptr); err != 0) return err;
  AddEntry(*to.parent, to.name, from.node);
  return 0;
}

int FileSystem::Mkdir(const char* path, mode_t mode) {
  const Walk walk = Resolve(path, /*follow_last=*/false);
  if (walk.err != 0) return walk.err;
  if (walk.node) return EEXIST;
  if (const int err = MayChange(*walk.parent, nullptr); err != 0) return err;
  AddEntry(*walk.parent, walk.name, NewInode(Inode::Kind::kDirectory, mode & ~umask_));
  return 0;
}

int FileSystem::Mkdtemp(char* path_template) {
  static constexpr char kSuffix[] = "XXXXXX";
  constexpr size_t kSuffixLength = sizeof(kSuffix) - 1;
  const size_t length = std::strlen(path_template);
  if (length < kSuffixLength ||
      std::memcmp(path_template + length - kSuffixLength, kSuffix, kSuffixLength) != 0) {
    return EINVAL;
  }
  static constexpr char kAlphabet[] =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  constexpr uint64_t kBase = sizeof(kAlphabet) - 1;
  std::string path(path_template);
  for (int attempt = 0; attempt < 1000; ++attempt) {
    uint64_t n = next_temp_name_++;
    for (size_t i = 0; i < kSuffixLength; ++i) {
      path[length - 1 - i] = kAlphabet[n % kBase];
      n /= kBase;
    }
    const int err = Mkdir(path.c_str(), 0700);
    if (err == EEXIST) continue;
    if (err != 0) return err;
    std::memcpy(path_template, path.data(), length);
    return 0;
  }
  return EEXIST;
}

int FileSystem::Symlink(const char* target, const char* path) {
  const Walk walk = Resolve(path, /*follow_last=*/false);
  if (walk.err != 0) return walk.err;
  if (walk.node) return EEXIST;
  if (const int err = MayChange(*walk.parent, nullptr); err != 0) return err;
  std::shared_ptr<Inode> link = NewInode(Inode::Kind::kSymlink, 0777);
  link->target = target;
  AddEntry(*walk.parent, walk.name, link);
  return 0;
}

int FileSystem::CreateSocketFile(const char* path, mode_t mode, std::shared_ptr<Inode>* node) {
  const Walk walk = Resolve(path, /*follow_last=*/false);
  if (walk.err != 0) return walk.err;
  if (walk.node) return EEXIST;
  if (const int err = MayChange(*walk.parent, nullptr); err != 0) return err;
  *node = NewInode(Inode::Kind::kSocket, mode & ~umask_);
  AddEntry(*walk.parent, walk.name, *node);
  return 0;
}

int FileSystem::FindSocketFile(const char* path, std::shared_ptr<Inode>* node) const {
  const Walk walk = Resolve(path, /*follow_last=*/true);
  if (walk.err != 0) return walk.err;
  if (!walk.node) return ENOENT;
  if (!May(*walk.node, W_OK)) return EACCES;
  if (walk.node->kind != Inode::Kind::kSocket) return ECONNREFUSED;
  *node = walk.node;
  return 0;
}

int FileSystem::Open(const char* path, int flags, mode_t mode, std::shared_ptr<Inode>* node) {
  if ((flags & O_CREAT) && (flags & O_DIRECTORY)) return EINVAL;
  const bool exclusive = (flags & O_CREAT) != 0 && (flags & O_EXCL) != 0;
  const Walk walk = Resolve(path, /*follow_last=*/(flags & O_NOFOLLOW) == 0 && !exclusive);
  if (walk.err != 0) return walk.err;
  if (!walk.node) {
    if (!(flags & O_CREAT)) return ENOENT;
    if (const int err = MayChange(*walk.parent, nullptr); err != 0) return err;
    *node = NewInode(Inode::Kind::kRegular, mode & ~umask_);
    AddEntry(*walk.parent, walk.name, *node);
    return 0;
  }
  const Inode& inode = *walk.node;
  if (exclusive) return EEXIST;
  if (flags & O_PATH) {
    if ((flags & O_DIRECTORY) && inode.kind != Inode::Kind::kDirectory) return ENOTDIR;
    *node = walk.node;
    return 0;
  }
  if (inode.kind == Inode::Kind::kSymlink) return ELOOP;  // O_NOFOLLOW.
  if ((flags & O_DIRECTORY) && inode.kind != Inode::Kind::kDirectory) return ENOTDIR;
  const int access = flags & O_ACCMODE;
  if (inode.kind == Inode::Kind::kDirectory && access != O_RDONLY) return EISDIR;
  int mask = 0;
  if (access == O_RDONLY || access == O_RDWR) mask |= R_OK;
  if (access == O_WRONLY || access == O_RDWR) mask |= W_OK;
  if (!May(inode, mask)) return EACCES;
  if (inode.kind == Inode::Kind::kSocket) return ENXIO;
  *node = walk.node;
  return 0;
}

int FileSystem::MakeDirectories(std::string_view path, mode_t mode) {
  if (path.empty() || path.front() != '/') return EINVAL;
  std::string prefix;
  std::vector<std::string> components = ComponentsReversed(path);
  while (!components.empty()) {
    prefix += "/" + components.back();
    components.pop_back();
    const Walk walk = Resolve(prefix, /*follow_last=*/true);
    if (walk.err != 0) return walk.err;
    if (walk.node) {
      if (walk.node->kind != Inode::Kind::kDirectory) return ENOTDIR;
      continue;
    }
    if (const int err = Mkdir(prefix.c_str(), mode); err != 0) return err;
    if (const int err = Chmod(prefix.c_str(), mode); err != 0) return err;
  }
  return 0;
}

int FileSystem::CreateFile(const char* path, mode_t mode) {
  std::shared_ptr<Inode> node;
  return Open(path, O_CREAT | O_EXCL | O_WRONLY, mode, &node);
}

std::vector<std::string> FileSystem::List(std::string_view path) const {
  std::vector<std::string> names;
  const Walk walk = Resolve(path, /*follow_last=*/true);
  if (walk.err != 0 || !walk.node || walk.node->kind != Inode::Kind::kDirectory) return names;
  for (const auto& [name, node] : walk.node->entries) names.push_back(name);
  return names;  // std::map: sorted.
}

bool FileSystem::May(const Inode& inode, int mask) const {
  if (privileged_ || identity_.uid == 0) return true;
  mode_t bits = inode.mode & 07;
  if (identity_.uid == inode.uid) {
    bits = (inode.mode >> 6) & 07;
  } else if (identity_.gid == inode.gid) {
    bits = (inode.mode >> 3) & 07;
  }
  return (static_cast<int>(bits) & mask) == mask;
}

int FileSystem::MayChange(const Inode& dir, const Inode* victim) const {
  if (!May(dir, W_OK | X_OK)) return EACCES;
  if ((dir.mode & S_ISVTX) && victim != nullptr && !privileged_ && identity_.uid != 0 &&
      identity_.uid != victim->uid && identity_.uid != dir.uid) {
    return EPERM;
  }
  return 0;
}

std::shared_ptr<Inode> FileSystem::NewInode(Inode::Kind kind, mode_t mode) {
  auto inode = std::make_shared<Inode>();
  inode->kind = kind;
  inode->ino = next_ino_++;
  inode->mode = mode & 07777;
  inode->uid = privileged_ ? 0 : identity_.uid;
  inode->gid = privileged_ ? 0 : identity_.gid;
  return inode;
}

void FileSystem::AddEntry(Inode& dir, const std::string& name, const std::shared_ptr<Inode>& node) {
  dir.entries[name] = node;
  ++node->nlink;
  if (node->kind == Inode::Kind::kDirectory) {
    ++node->nlink;  // Its own ".".
    node->parent = &dir;
    ++dir.nlink;  // Its "..".
  }
}

}  // namespace fake_kernel
}  // namespace ipc
