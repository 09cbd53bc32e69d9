// Internal to FakeKernel (testing/fake_kernel.h): a minimal in-memory filesystem namespace, with
// directories, regular files (no content), socket files and symbolic links.
#ifndef LOCALSOCKET_TESTING_FAKE_KERNEL_FS_H_
#define LOCALSOCKET_TESTING_FAKE_KERNEL_FS_H_

#include <sys/stat.h>
#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace ipc {
namespace fake_kernel {

// The flock(2) locks on one lockable object (an inode or a socket): which open file
// descriptions hold it, and how.
struct FlockSet {
  std::map<uint64_t, int> holders;  // Open file description id -> LOCK_SH or LOCK_EX.
};

// The identity the fake process acts with: file ownership and permission checks.
struct Identity {
  uid_t uid = 0;
  gid_t gid = 0;
};

// One file. Kept alive by the directory entries naming it, the open file descriptions using
// it and the socket bound to it.
struct Inode : std::enable_shared_from_this<Inode> {
  enum class Kind { kDirectory, kRegular, kSocket, kSymlink };

  Kind kind = Kind::kRegular;
  ino_t ino = 0;
  mode_t mode = 0;  // Permission bits only (07777).
  uid_t uid = 0;
  gid_t gid = 0;
  nlink_t nlink = 0;
  // Directories: the entries, and the directory containing this one (nullptr for the root
  // and once removed).
  std::map<std::string, std::shared_ptr<Inode>, std::less<>> entries;
  Inode* parent = nullptr;
  std::string target;         // Symbolic links: where they point.
  uint64_t bound_socket = 0;  // Socket files: the id of the socket bound to it, 0 if none.
  FlockSet locks;
};

// The namespace: path resolution (symbolic links followed, at most 40), permission checks
// (skipped for uid 0, as with CAP_DAC_OVERRIDE) and the operations on paths. Every function
// returning int returns 0 or the errno Linux gives for the same case. Single-threaded.
class FileSystem {
 public:
  // Sets `*dir` to the directory open on `fd` (for "/proc/self/fd/N/...") and returns 0, or
  // returns ENOENT when `fd` is not open, ENOTDIR when it is not open on a directory.
  using DirectoryFdLookup = std::function<int(int fd, std::shared_ptr<Inode>* dir)>;

  // `proc_fd`: resolve "/proc/self/fd/N" as a path prefix (nothing else of /proc exists);
  // an empty function leaves /proc absent.
  FileSystem(dev_t dev, Identity identity, mode_t umask, DirectoryFdLookup proc_fd);

  // Where a path leads. When the last component does not exist, `node` is null and `parent`
  // and `name` say where it would be created.
  struct Walk {
    int err = 0;
    std::shared_ptr<Inode> parent;
    std::string name;
    std::shared_ptr<Inode> node;
  };
  // Resolves `path`; `follow_last` follows a symbolic link in the last component.
  Walk Resolve(std::string_view path, bool follow_last) const;

  // Fills `st` (st_dev is this filesystem's device).
  void Stat(const Inode& inode, struct stat* st) const;
  int Lstat(const char* path, struct stat* st) const;
  int Chmod(const char* path, mode_t mode);
  int Unlink(const char* path);
  int Rmdir(const char* path);
  int Link(const char* old_path, const char* new_path);
  int Mkdir(const char* path, mode_t mode);
  // mkdtemp: `path_template` ends in "XXXXXX", replaced by a name from a deterministic
  // sequence.
  int Mkdtemp(char* path_template);
  int Symlink(const char* target, const char* path);
  // Creates the socket file a bind() makes (mode & ~umask). EEXIST when `path` exists.
  int CreateSocketFile(const char* path, mode_t mode, std::shared_ptr<Inode>* node);
  // The socket file connect() reaches through `path`: ECONNREFUSED if it is not a socket,
  // EACCES without write permission.
  int FindSocketFile(const char* path, std::shared_ptr<Inode>* node) const;
  // open(2) for regular files and directories (sockets give ENXIO unless O_PATH). On success
  // `*node` is the opened inode.
  int Open(const char* path, int flags, mode_t mode, std::shared_ptr<Inode>* node);
  // mkdir -p: the directories it makes get exactly `mode` (no umask); existing ones are kept.
  int MakeDirectories(std::string_view path, mode_t mode);
  // A regular file at `path` (O_CREAT | O_EXCL).
  int CreateFile(const char* path, mode_t mode);
  // The names in the directory at `path`, sorted; empty if it is not a directory.
  std::vector<std::string> List(std::string_view path) const;

  dev_t dev() const { return dev_; }
  mode_t umask() const { return umask_; }
  // While set, permission checks pass and new files belong to root (test set-up).
  void set_privileged(bool privileged) { privileged_ = privileged; }

 private:
  // Whether the process may access `inode` for `mask` (R_OK | W_OK | X_OK).
  bool May(const Inode& inode, int mask) const;
  // Permission to add or remove an entry of `dir`; `victim`: the entry removed (sticky bit).
  int MayChange(const Inode& dir, const Inode* victim) const;
  std::shared_ptr<Inode> NewInode(Inode::Kind kind, mode_t mode);
  // Adds `node` as `name` in `dir`.
  static void AddEntry(Inode& dir, const std::string& name, const std::shared_ptr<Inode>& node);

  const dev_t dev_;
  const Identity identity_;
  const mode_t umask_;
  const DirectoryFdLookup proc_fd_;
  std::shared_ptr<Inode> root_;
  bool privileged_ = false;
  ino_t next_ino_ = 2;  // The root is 1.
  uint64_t next_temp_name_ = 0;
};

}  // namespace fake_kernel
}  // namespace ipc

#endif  // LOCALSOCKET_TESTING_FAKE_KERNEL_FS_H_
