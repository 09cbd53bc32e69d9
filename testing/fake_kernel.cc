// FakeKernel: construction, descriptors (close, fcntl), poll and fake time, the loop's
// readiness, faults and inspection. The socket calls are in fake_kernel_socket_calls.cc, the
// file calls in fake_kernel_file_calls.cc.
#include "testing/fake_kernel.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <sstream>
#include <utility>

#include "eventloop/event_loop.h"

namespace ipc {

using fake_kernel::Inode;
using fake_kernel::OpenFile;

namespace {

// The device of the in-memory filesystem.
const dev_t kFilesystemDevice = makedev(8, 1);
// A call gives up waiting after this many rounds of a block hook that keeps reporting
// progress without the call being able to proceed.
constexpr int kMaxBlockRounds = 1000000;

// $TMPDIR as the library reads it (trailing slashes dropped), if it is an absolute path.
std::string TmpdirFromEnvironment() {
  const char* tmpdir = std::getenv("TMPDIR");
  if (tmpdir == nullptr || *tmpdir != '/') return {};
  std::string directory(tmpdir);
  while (directory.size() > 1 && directory.back() == '/') directory.pop_back();
  return directory;
}

}  // namespace

template <typename F>
int FakeKernel::AsSetUp(F setup) {
  fs_.set_privileged(true);
  const int err = setup();
  fs_.set_privileged(false);
  return err;
}

FakeKernel::FakeKernel(eventloop::FakeEventLoop& loop, FakeKernelOptions options)
    : loop_(loop),
      options_(std::move(options)),
      fs_(kFilesystemDevice, fake_kernel::Identity{options_.uid, options_.gid}, options_.umask,
          options_.proc_self_fd
              ? fake_kernel::FileSystem::DirectoryFdLookup(
                    [this](int fd, std::shared_ptr<Inode>* dir) {
                      const fake_kernel::FdTable::Entry* entry = fds_.Find(fd);
                      if (entry == nullptr) return ENOENT;
                      const OpenFile& file = *entry->file;
                      if (!file.inode || file.inode->kind != Inode::Kind::kDirectory) {
                        return ENOTDIR;
                      }
                      *dir = file.inode;
                      return 0;
                    })
              : fake_kernel::FileSystem::DirectoryFdLookup()),
      sockets_(fs_, options_.send_buffer),
      fds_(options_.first_fd, options_.reuse_fds, options_.max_fds),
      loop_settled_fd_readiness_(loop.settles_fd_readiness()) {
  loop_.SetSettlesFdReadiness(true);
  sockets_.SetCredentials(fake_kernel::Credentials{::getpid(), options_.uid, options_.gid});
  AsSetUp([&] {
    std::vector<std::string> sticky = {"/tmp"};
    if (std::string tmpdir = TmpdirFromEnvironment(); !tmpdir.empty() && tmpdir != "/") {
      sticky.push_back(std::move(tmpdir));
    }
    for (const std::string& directory : sticky) {
      if (fs_.MakeDirectories(directory, 0755) == 0) fs_.Chmod(directory.c_str(), 01777);
    }
    for (const std::string& directory : options_.directories) {
      fs_.MakeDirectories(directory, 0755);
    }
    return 0;
  });
}

FakeKernel::~FakeKernel() {
  for (const int fd : fds_.open_fds()) {
    loop_.ClearFdReady(fd, eventloop::kReadable | eventloop::kWritable);
  }
  loop_.SetSettlesFdReadiness(loop_settled_fd_readiness_);
}

// ---------------------------------------------------------------------------------------------
// Descriptors.

SysResult FakeKernel::Close(int fd) {
  SyncScope scope(this);
  const int fault = Enter(Call::kClose, fd);
  if (fds_.Find(fd) == nullptr) {
    fds_.RecordBadClose(fd);
    return Fail(EBADF);
  }
  std::unique_ptr<OpenFile> last = fds_.Remove(fd);
  touched_fds_.push_back(fd);
  if (last) ReleaseFile(*last);
  DropOrphanedFiles();  // A socket released with unread segments: what they passed.
  return fault != 0 ? Fail(fault) : SysResult{0, 0};
}

void FakeKernel::DropInFlight(uint64_t file_id) {
  if (std::unique_ptr<OpenFile> last = fds_.DropInFlight(file_id)) ReleaseFile(*last);
  DropOrphanedFiles();
}

void FakeKernel::DropOrphanedFiles() {
  // Releasing a socket may orphan what its queue carried, and so on: until none is left.
  std::vector<uint64_t> ids;
  for (sockets_.TakeOrphanedFiles(&ids); !ids.empty(); sockets_.TakeOrphanedFiles(&ids)) {
    for (const uint64_t id : ids) {
      if (std::unique_ptr<OpenFile> last = fds_.DropInFlight(id)) ReleaseFile(*last);
    }
  }
}

void FakeKernel::SetCredentials(pid_t pid, uid_t uid, gid_t gid) {
  sockets_.SetCredentials(fake_kernel::Credentials{pid, uid, gid});
}

void FakeKernel::ReleaseFile(OpenFile& file) {
  if (file.lock != 0) file.LockTarget().holders.erase(file.id);
  if (file.socket != nullptr) {
    file.socket->open_file = 0;
    sockets_.Release(*file.socket);
  }
}

SysResult FakeKernel::Fcntl(int fd, int cmd, int arg) {
  SyncScope scope(this);
  if (const int err = Enter(Call::kFcntl, fd)) return Fail(err);
  fake_kernel::FdTable::Entry* entry = fds_.Find(fd);
  if (entry == nullptr) return Fail(EBADF);
  OpenFile& file = *entry->file;
  switch (cmd) {
    case F_GETFD:
      return SysResult{entry->cloexec ? FD_CLOEXEC : 0, 0};
    case F_SETFD:
      entry->cloexec = (arg & FD_CLOEXEC) != 0;
      return SysResult{0, 0};
    case F_GETFL:
      return SysResult{file.status_flags, 0};
    case F_SETFL: {
      if (file.kind == OpenFile::Kind::kPath) return Fail(EBADF);
      constexpr int kChangeable = O_NONBLOCK | O_APPEND;
      file.status_flags = (file.status_flags & ~kChangeable) | (arg & kChangeable);
      return SysResult{0, 0};
    }
    case F_DUPFD:
    case F_DUPFD_CLOEXEC: {
      if (arg < 0 || arg >= fds_.limit()) return Fail(EINVAL);
      const int duplicate = fds_.Install(&file, cmd == F_DUPFD_CLOEXEC, arg);
      if (duplicate < 0) return Fail(-duplicate);
      touched_fds_.push_back(duplicate);
      return SysResult{duplicate, 0};
    }
    default:
      return Fail(EINVAL);
  }
}

// ---------------------------------------------------------------------------------------------
// poll and fake time.

SysResult FakeKernel::Poll(pollfd* fds, nfds_t nfds, int timeout_ms) {
  SyncScope scope(this);
  std::vector<int> polled;  // For matching faults (only needed when some are pending).
  for (nfds_t i = 0; faults_.pending() > 0 && fds != nullptr && i < nfds; ++i) {
    polled.push_back(fds[i].fd);
  }
  if (const int err = Enter(Call::kPoll, polled.data(), polled.size(), nullptr)) {
    return Fail(err);
  }
  if (nfds > static_cast<nfds_t>(fds_.limit())) return Fail(EINVAL);
  if (fds == nullptr && nfds > 0) return Fail(EFAULT);
  const eventloop::TimePoint deadline =
      clock().Now() + std::chrono::milliseconds(timeout_ms < 0 ? 0 : timeout_ms);
  int rounds = 0;
  for (;;) {
    int ready = 0;
    for (nfds_t i = 0; i < nfds; ++i) {
      fds[i].revents = 0;
      if (fds[i].fd < 0) continue;
      const fake_kernel::FdTable::Entry* entry = fds_.Find(fds[i].fd);
      const int events = entry != nullptr ? PollEventsOf(*entry->file) : POLLNVAL;
      fds[i].revents =
          static_cast<int16_t>(events & (fds[i].events | POLLERR | POLLHUP | POLLNVAL));
      if (fds[i].revents != 0) ++ready;
    }
    if (ready > 0 || timeout_ms == 0) return SysResult{ready, 0};
    if (timeout_ms > 0 && clock().Now() >= deadline) return SysResult{0, 0};
    if (BlockOnce(&rounds)) continue;
    if (timeout_ms < 0) {
      ++stalls_;
      return Fail(EDEADLK);
    }
    clock().Advance(deadline - clock().Now());
    return SysResult{0, 0};
  }
}

bool FakeKernel::BlockOnce(int* rounds) {
  if (!block_hook_ || ++*rounds > kMaxBlockRounds) return false;
  SyncLoop();
  const std::function<bool()> hook = block_hook_;  // It may replace itself.
  return hook();
}

bool FakeKernel::Blocks(const OpenFile& file, int msg_flags) {
  return (file.status_flags & O_NONBLOCK) == 0 && (msg_flags & MSG_DONTWAIT) == 0;
}

void FakeKernel::SetBlockHook(std::function<bool()> hook) { block_hook_ = std::move(hook); }

// ---------------------------------------------------------------------------------------------
// The loop's readiness.

int FakeKernel::PollEventsOf(const OpenFile& file) {
  switch (file.kind) {
    case OpenFile::Kind::kSocket:
      return fake_kernel::PollEvents(*file.socket);
    case OpenFile::Kind::kRegular:
    case OpenFile::Kind::kDirectory:
      return POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM;
    case OpenFile::Kind::kPath:
      return POLLNVAL;
  }
  return POLLNVAL;
}

void FakeKernel::PushReadiness(int fd) {
  uint32_t events = eventloop::kNoEvents;
  if (const fake_kernel::FdTable::Entry* entry = fds_.Find(fd)) {
    // As epoll (and libevent) report them: an error or hang-up wakes readers and writers.
    const int poll_events = PollEventsOf(*entry->file);
    if (poll_events & (POLLIN | POLLERR | POLLHUP)) events |= eventloop::kReadable;
    if (poll_events & (POLLOUT | POLLERR | POLLHUP)) events |= eventloop::kWritable;
  }
  const uint32_t current = loop_.FdReadiness(fd);
  if (current & ~events) loop_.ClearFdReady(fd, current & ~events);
  if (events & ~current) loop_.SetFdReady(fd, events & ~current);
}

void FakeKernel::SyncLoop() {
  sockets_.TakeTouched(&sync_sockets_);
  for (const uint64_t id : sync_sockets_) {
    const fake_kernel::Socket* socket = sockets_.Find(id);
    if (socket == nullptr || socket->open_file == 0) continue;
    if (const OpenFile* file = fds_.FindFile(socket->open_file)) {
      for (const int fd : file->fds) PushReadiness(fd);
    }
  }
  sync_fds_.clear();
  sync_fds_.swap(touched_fds_);
  for (const int fd : sync_fds_) PushReadiness(fd);
}

// ---------------------------------------------------------------------------------------------
// Helpers of the calls.

fake_kernel::Socket* FakeKernel::SocketOf(int fd, int* err) {
  fake_kernel::FdTable::Entry* entry = fds_.Find(fd);
  if (entry == nullptr || entry->file->kind == OpenFile::Kind::kPath) {
    *err = EBADF;
    return nullptr;
  }
  if (entry->file->kind != OpenFile::Kind::kSocket) {
    *err = ENOTSOCK;
    return nullptr;
  }
  return entry->file->socket;
}

const fake_kernel::Socket* FakeKernel::SocketOf(int fd) const {
  const fake_kernel::FdTable::Entry* entry = fds_.Find(fd);
  return entry != nullptr ? entry->file->socket : nullptr;
}

int FakeKernel::InstallSocket(fake_kernel::Socket* socket, int flags) {
  OpenFile* file = fds_.NewFile(OpenFile::Kind::kSocket,
                                O_RDWR | ((flags & SOCK_NONBLOCK) != 0 ? O_NONBLOCK : 0));
  file->socket = socket;
  socket->open_file = file->id;
  const int fd = fds_.Install(file, (flags & SOCK_CLOEXEC) != 0);
  touched_fds_.push_back(fd);
  return fd;
}

// ---------------------------------------------------------------------------------------------
// Faults.

void FakeKernel::FailNext(Call call, int err, int fd, int times) {
  faults_.FailNext(call, err, fd, times);
}

void FakeKernel::FailNextOnPath(Call call, std::string path, int err, int times) {
  faults_.FailNextOnPath(call, std::move(path), err, times);
}

void FakeKernel::CapSends(int fd, size_t max_bytes, int times) {
  faults_.CapSends(fd, max_bytes, times);
}

bool FakeKernel::SetBacklogFull(int listening_fd, bool full) {
  int err = 0;
  fake_kernel::Socket* socket = SocketOf(listening_fd, &err);
  if (socket == nullptr) return false;
  socket->backlog_full = full;
  return true;
}

bool FakeKernel::ResetConnection(int fd) {
  SyncScope scope(this);
  int err = 0;
  fake_kernel::Socket* socket = SocketOf(fd, &err);
  if (socket == nullptr || !socket->Modeled() ||
      socket->state != fake_kernel::Socket::State::kConnected || socket->peer == nullptr) {
    return false;
  }
  sockets_.Reset(*socket);
  return true;
}

void FakeKernel::RunBeforeNext(Call call, std::function<void()> action, int fd, int times) {
  faults_.RunBeforeNext(call, fd, /*by_path=*/false, std::string(), std::move(action), times);
}

void FakeKernel::RunBeforeNextOnPath(Call call, std::string path, std::function<void()> action,
                                     int times) {
  faults_.RunBeforeNext(call, kAnyFd, /*by_path=*/true, std::move(path), std::move(action), times);
}

void FakeKernel::ClearFaults() { faults_.Clear(); }

int FakeKernel::Enter(Call call, const int* fds, size_t fd_count, const char* path) {
  if (faults_.has_actions()) {
    if (const std::function<void()> action = faults_.TakeAction(call, fds, fd_count, path)) {
      action();
    }
  }
  return faults_.Take(call, fds, fd_count, path);
}

// ---------------------------------------------------------------------------------------------
// Inspection.

size_t FakeKernel::BytesQueued(int fd) const {
  const fake_kernel::Socket* socket = SocketOf(fd);
  return socket != nullptr ? socket->received_bytes : 0;
}

size_t FakeKernel::BytesUnreadByPeer(int fd) const {
  const fake_kernel::Socket* socket = SocketOf(fd);
  return socket != nullptr ? socket->InFlight() : 0;
}

size_t FakeKernel::PendingConnections(int fd) const {
  const fake_kernel::Socket* socket = SocketOf(fd);
  return socket != nullptr ? socket->pending.size() : 0;
}

bool FakeKernel::SetSendBufferSize(int fd, int bytes) {
  SyncScope scope(this);
  int err = 0;
  fake_kernel::Socket* socket = SocketOf(fd, &err);
  if (socket == nullptr) return false;
  sockets_.SetSendBuffer(*socket, bytes);
  return true;
}

std::string FakeKernel::DescribeOpenFds() const {
  std::ostringstream out;
  for (const auto& [fd, entry] : fds_.entries()) {
    const OpenFile& file = *entry.file;
    out << fd << ": ";
    switch (file.kind) {
      case OpenFile::Kind::kSocket: {
        const fake_kernel::Socket& socket = *file.socket;
        const auto name = [](const fake_kernel::UnixAddress& address) {
          switch (address.kind) {
            case fake_kernel::UnixAddress::Kind::kUnnamed:
              return std::string("(unnamed)");
            case fake_kernel::UnixAddress::Kind::kPath:
              return address.name;
            case fake_kernel::UnixAddress::Kind::kAbstract:
              return "@" + address.name;
          }
          return std::string();
        };
        out << "socket";
        if (!socket.Modeled()) out << " (inert, domain " << socket.domain << ")";
        switch (socket.state) {
          case fake_kernel::Socket::State::kUnconnected:
            out << " unconnected";
            break;
          case fake_kernel::Socket::State::kListening:
            out << " listening";
            break;
          case fake_kernel::Socket::State::kConnected:
            out << " connected to " << name(socket.remote);
            if (socket.peer == nullptr) out << " (peer closed)";
            break;
        }
        if (socket.local.kind != fake_kernel::UnixAddress::Kind::kUnnamed) {
          out << ", bound to " << name(socket.local);
        }
        break;
      }
      case OpenFile::Kind::kRegular:
        out << "regular file, inode " << file.inode->ino;
        break;
      case OpenFile::Kind::kDirectory:
        out << "directory, inode " << file.inode->ino;
        break;
      case OpenFile::Kind::kPath:
        out << "O_PATH, inode " << file.inode->ino;
        break;
    }
    out << "\n";
  }
  return out.str();
}

// ---------------------------------------------------------------------------------------------
// Filesystem set-up.

int FakeKernel::MakeDirectories(const std::string& path, mode_t mode) {
  return AsSetUp([&] { return fs_.MakeDirectories(path, mode); });
}

int FakeKernel::CreateFile(const std::string& path, mode_t mode) {
  return AsSetUp([&] {
    if (const int err = fs_.CreateFile(path.c_str(), mode); err != 0) return err;
    return fs_.Chmod(path.c_str(), mode);
  });
}

int FakeKernel::Symlink(const std::string& target, const std::string& path) {
  return AsSetUp([&] { return fs_.Symlink(target.c_str(), path.c_str()); });
}

std::vector<std::string> FakeKernel::ListDirectory(const std::string& path) const {
  return fs_.List(path);
}

}  // namespace ipc
