// Internal: LocalServer's listen recipe. The system calls, in order (every one through OsCalls):
//
// A path (kNoOptions or access options) first takes the path's lock (local_server_path_lock.h):
//   open("<path>.lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600) -> lockfd
//   flock(lockfd, LOCK_EX | LOCK_NB)   EWOULDBLOCK -> kAddressInUse (a live server: no probe)
//   fstat(lockfd); lstat("<path>.lock")  another file or none -> close(lockfd), start over
// held until the server closes; a failure below ends with lstat("<path>.lock"),
// unlink("<path>.lock") (if still the locked file) and close(lockfd), after the recipe's own
// cleanup.
//
// Then every option set goes on with
//   socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0) -> fd
//
// kAbstractNamespace (access bits ignored):
//   bind(fd, "\0name")               EADDRINUSE -> kAddressInUse (no file, nothing to probe)
//   listen(fd, backlog)
//
// kNoOptions (a path):
//   bind(fd, path)                   EADDRINUSE -> "existing path" below, then bind once more
//   lstat(path)                      remembers st_dev/st_ino of the file we created
//   listen(fd, backlog)              on failure the file we created is unlinked (if still ours)
//
// Access options (a path, mode 0700/0070/0007/... exact):
//   mkdtemp("<dir of path>/.ipc-server-XXXXXX")      private (0700) directory, same filesystem
//   open(tmpdir, O_PATH | O_DIRECTORY | O_CLOEXEC) -> dirfd
//   bind(fd, "/proc/self/fd/<dirfd>/s")  (ENOENT, i.e. no /proc, and "<tmpdir>/s" fits sun_path:
//                                         bind(fd, "<tmpdir>/s") instead)
//   chmod(<the bind path>, mode)
//   listen(fd, backlog)
//   link("<tmpdir>/s", path)         EEXIST -> "existing path" below, then link once more
//   lstat("<tmpdir>/s")              st_dev/st_ino of the file now at `path` too
//   unlink("<tmpdir>/s"); rmdir(tmpdir); close(dirfd)
// On any failure after mkdtemp: unlink("<tmpdir>/s") (if bound), rmdir(tmpdir), close(dirfd),
// then close(fd).
//
// Existing path (bind EADDRINUSE / link EEXIST), under the lock, so only a socket whose
// server takes no lock (a foreign one, or a dead one of ours) can be there:
//   lstat(path)            ENOENT -> gone meanwhile: retry; not a socket -> kAddressInUse
//   socket(...) -> probe; connect(probe, path); close(probe)
//       success, EAGAIN, EINPROGRESS, EINTR, EPROTOTYPE -> live: kAddressInUse
//       ENOENT -> gone meanwhile: retry
//       ECONNREFUSED -> stale: unlink(path), retry
//       anything else -> mapped (EACCES -> kSocketAccess...)
// A retry happens once; failing again reports the errno (EADDRINUSE/EEXIST -> kAddressInUse).
#include "ipc/local_server_bind.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ipc/local_server_path_lock.h"
#include "ipc/os_fd.h"
#include "ipc/socket_errors.h"
#include "ipc/socket_types.h"

namespace ipc {
namespace internal {
namespace {

constexpr int kSocketType = SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC;

ListenOutcome Failure(Error error, std::string error_string) {
  ListenOutcome result;
  result.error = error;
  result.error_string = std::move(error_string);
  return result;
}

ListenOutcome Succeeded(ListeningSocket socket) {
  ListenOutcome result;
  result.socket = std::move(socket);
  return result;
}

ListenOutcome ErrnoFailure(int err) {
  const Error error = ErrorFromListenErrno(err);
  return Failure(error, FormatError(ApiCall::kServerListen, ErrorCause(error), err));
}

// A filesystem address for `path`, which must fit sun_path.
sockaddr_un PathAddress(const std::string& path, socklen_t* length) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, path.data(), path.size());
  address.sun_path[path.size()] = '\0';
  *length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size() + 1);
  return address;
}

const sockaddr* AsSockaddr(const sockaddr_un& address) {
  return reinterpret_cast<const sockaddr*>(&address);
}

// What to do about a path that already exists.
struct ExistingPath {
  bool retry = false;  // The path is free now: bind/link again.
  ListenOutcome failure;
};

ExistingPath Retry() {
  ExistingPath result;
  result.retry = true;
  return result;
}

ExistingPath Refuse(ListenOutcome failure) {
  ExistingPath result;
  result.failure = std::move(failure);
  return result;
}

// The path `name` resolves to exists (bind said EADDRINUSE, or link EEXIST): unlink it only if
// it is provably a stale socket.
ExistingPath HandleExistingPath(OsCalls& os, const ResolvedName& name) {
  const char* path = name.full_name.c_str();
  struct stat st {};
  if (const SysResult r = os.Lstat(path, &st); r.rc < 0) {
    if (r.err == ENOENT) return Retry();
    return Refuse(ErrnoFailure(r.err));
  }
  if (!S_ISSOCK(st.st_mode)) {
    return Refuse(
        Failure(Error::kAddressInUse,
                FormatError(ApiCall::kServerListen,
                            std::string(ErrorCause(Error::kAddressInUse)) + " (not a socket)")));
  }
  const SysResult probe_created = os.Socket(AF_UNIX, kSocketType, 0);
  if (probe_created.rc < 0) return Refuse(ErrnoFailure(probe_created.err));
  OsFd probe(os, static_cast<int>(probe_created.rc));
  const SysResult connected =
      os.Connect(probe.get(), AsSockaddr(name.address), name.address_length);
  probe.reset();  // A live server sees a client that connects and hangs up.
  if (connected.rc == 0) {
    return Refuse(Failure(Error::kAddressInUse,
                          FormatError(ApiCall::kServerListen, ErrorCause(Error::kAddressInUse))));
  }
  switch (connected.err) {
    case EAGAIN:       // A live server with a full backlog.
    case EINPROGRESS:  // Cannot happen for AF_UNIX; treated as live.
    case EINTR:
    case EPROTOTYPE:  // A live socket of another type (e.g. a datagram server).
      return Refuse(Failure(Error::kAddressInUse,
                            FormatError(ApiCall::kServerListen, ErrorCause(Error::kAddressInUse))));
    case ENOENT:  // Gone meanwhile.
      return Retry();
    case ECONNREFUSED:  // Stale: nobody listens.
      if (const SysResult r = os.Unlink(path); r.rc < 0 && r.err != ENOENT) {
        return Refuse(ErrnoFailure(r.err));
      }
      return Retry();
    default:
      return Refuse(ErrnoFailure(connected.err));
  }
}

// Puts the socket at `name`'s path with `place` (a bind or a link), which fails with
// `in_use_err` when the path exists: the existing path is then dealt with by
// HandleExistingPath and, if it is free now, `place` runs once more. Returns nothing on
// success, else the failure.
template <typename Place>
std::optional<ListenOutcome> PlaceAtPath(OsCalls& os, const ResolvedName& name, int in_use_err,
                                         Place place) {
  for (int attempt = 0;; ++attempt) {
    const SysResult r = place();
    if (r.rc == 0) return std::nullopt;
    if (r.err != in_use_err || attempt > 0) return ErrnoFailure(r.err);
    ExistingPath existing = HandleExistingPath(os, name);
    if (!existing.retry) return std::move(existing.failure);
  }
}

// kAbstractNamespace: no file.
ListenOutcome ListenAbstract(OsCalls& os, OsFd fd, const ResolvedName& name, int backlog) {
  if (const SysResult r = os.Bind(fd.get(), AsSockaddr(name.address), name.address_length);
      r.rc < 0) {
    return ErrnoFailure(r.err);
  }
  if (const SysResult r = os.Listen(fd.get(), backlog); r.rc < 0) return ErrnoFailure(r.err);
  return Succeeded(ListeningSocket(os, std::move(fd)));
}

// kNoOptions: bind the final path directly. On failure `fd` is closed, then `lock` released.
ListenOutcome ListenAtPath(OsCalls& os, PathLock lock, OsFd fd, const ResolvedName& name,
                           int backlog) {
  if (std::optional<ListenOutcome> failure = PlaceAtPath(os, name, EADDRINUSE, [&] {
        return os.Bind(fd.get(), AsSockaddr(name.address), name.address_length);
      })) {
    fd.reset();  // Before the lock's release.
    return std::move(*failure);
  }
  ListeningSocket socket(os, std::move(fd), IdentifySocketFile(os, name.full_name, name.full_name),
                         std::move(lock));
  if (const SysResult r = os.Listen(socket.fd(), backlog); r.rc < 0) {
    return ErrnoFailure(r.err);  // `socket` closes as a server does (ListeningSocket::Close).
  }
  return Succeeded(std::move(socket));
}

// Access options: bind in a private directory, chmod, listen, then link into place.
class PrivateDirectoryRecipe {
 public:
  PrivateDirectoryRecipe(OsCalls& os, PathLock lock, OsFd fd, const ResolvedName& name, mode_t mode,
                         int backlog)
      : os_(os),
        lock_(std::move(lock)),
        fd_(std::move(fd)),
        name_(name),
        mode_(mode),
        backlog_(backlog) {}
  PrivateDirectoryRecipe(const PrivateDirectoryRecipe&) = delete;
  PrivateDirectoryRecipe& operator=(const PrivateDirectoryRecipe&) = delete;
  // On failure: the temporary name and directory go, then fd_ closes, then lock_ is released.
  ~PrivateDirectoryRecipe() { CleanUp(); }

  ListenOutcome Run() {
    const std::string& path = name_.full_name;
    // Resolved paths always contain a '/': they are absolute or placed in TempDirectory().
    const std::string directory = path.substr(0, path.rfind('/') + 1);
    std::vector<char> path_template(directory.begin(), directory.end());
    static constexpr char kTemplateName[] = ".ipc-server-XXXXXX";
    path_template.insert(path_template.end(), kTemplateName, kTemplateName + sizeof(kTemplateName));
    if (const SysResult r = os_.Mkdtemp(path_template.data()); r.rc < 0) {
      return ErrnoFailure(r.err);
    }
    directory_.assign(path_template.data());
    const SysResult opened = os_.Open(directory_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
    if (opened.rc < 0) return ErrnoFailure(opened.err);
    directory_fd_ = OsFd(os_, static_cast<int>(opened.rc));
    file_ = directory_ + "/s";

    // The bind path is short whatever the directory's length.
    std::string bind_path = "/proc/self/fd/" + std::to_string(directory_fd_.get()) + "/s";
    socklen_t length = 0;
    sockaddr_un address = PathAddress(bind_path, &length);
    SysResult bound = os_.Bind(fd_.get(), AsSockaddr(address), length);
    if (bound.rc < 0 && bound.err == ENOENT && file_.size() <= kMaxPathLength) {
      bind_path = file_;  // No /proc: the real temporary path fits.
      address = PathAddress(bind_path, &length);
      bound = os_.Bind(fd_.get(), AsSockaddr(address), length);
    }
    if (bound.rc < 0) return ErrnoFailure(bound.err);
    file_bound_ = true;
    if (const SysResult r = os_.Chmod(bind_path.c_str(), mode_); r.rc < 0) {
      return ErrnoFailure(r.err);
    }
    if (const SysResult r = os_.Listen(fd_.get(), backlog_); r.rc < 0) return ErrnoFailure(r.err);
    if (std::optional<ListenOutcome> failure = PlaceAtPath(
            os_, name_, EEXIST, [&] { return os_.Link(file_.c_str(), path.c_str()); })) {
      return std::move(*failure);
    }
    // The temporary name is private, so it names the file now at `path` (a hard link to it).
    SocketFile file = IdentifySocketFile(os_, path, file_);
    return Succeeded(ListeningSocket(os_, std::move(fd_), std::move(file), std::move(lock_)));
  }

 private:
  // Removes the temporary name and directory, then closes the directory fd.
  void CleanUp() {
    if (file_bound_) os_.Unlink(file_.c_str());
    if (!directory_.empty()) os_.Rmdir(directory_.c_str());
    directory_fd_.reset();
  }

  OsCalls& os_;
  PathLock lock_;  // The path's lock, until Run() hands it over. Declared before fd_: freed last.
  OsFd fd_;        // The listening socket, until Run() hands it over.
  const ResolvedName& name_;
  const mode_t mode_;
  const int backlog_;
  std::string directory_;  // Set once mkdtemp created it.
  OsFd directory_fd_;
  std::string file_;  // "<directory_>/s".
  bool file_bound_ = false;
};

}  // namespace

mode_t AccessMode(uint32_t options) {
  mode_t mode = 0;
  if (options & LocalServerTypes::kUserAccess) mode |= S_IRWXU;
  if (options & LocalServerTypes::kGroupAccess) mode |= S_IRWXG;
  if (options & LocalServerTypes::kOtherAccess) mode |= S_IRWXO;
  return mode;
}

ListenOutcome CreateServerSocket(OsCalls& os, const ResolvedName& name, bool abstract,
                                 mode_t access_mode, int backlog) {
  if (abstract) {
    const SysResult created = os.Socket(AF_UNIX, kSocketType, 0);
    if (created.rc < 0) return ErrnoFailure(created.err);
    return ListenAbstract(os, OsFd(os, static_cast<int>(created.rc)), name, backlog);
  }
  // A path: nothing is probed, unlinked or bound before the path's lock is ours.
  PathLockOutcome locked = LockSocketPath(os, name.full_name);
  if (!locked.lock.held()) return Failure(locked.error, std::move(locked.error_string));
  const SysResult created = os.Socket(AF_UNIX, kSocketType, 0);
  if (created.rc < 0) return ErrnoFailure(created.err);  // The lock is released.
  // Each recipe owns the fd and the lock from here. On failure it does its own cleanup, closes
  // the fd, then releases the lock (its lock file unlinked while still the locked one); on
  // success the listening socket holds both.
  OsFd fd(os, static_cast<int>(created.rc));
  if (access_mode == 0)
    return ListenAtPath(os, std::move(locked.lock), std::move(fd), name, backlog);
  return PrivateDirectoryRecipe(os, std::move(locked.lock), std::move(fd), name, access_mode,
                                backlog)
      .Run();
}

}  // namespace internal
}  // namespace ipc
