// ipc::FakeKernel: an OsCalls that keeps AF_UNIX stream sockets, and the files a server makes,
// in memory, and drives a FakeEventLoop's fd readiness from them. A LocalServer and its
// LocalSocket clients (or any code on OsCalls) then run together in one test, in fake time,
// with no kernel object: deterministic, fast and under the test's control.
//
//   eventloop::FakeEventLoop loop;
//   ipc::FakeKernel kernel(loop);
//   ipc::LocalServer server(loop, kernel);
//   ipc::LocalSocket client(loop, kernel);
//   server.Listen("/tmp/svc");
//   client.ConnectToServer("/tmp/svc");         // connected at once, as on Linux
//   client.Write("hello");
//   loop.RunUntilIdle();                         // the server accepts and reads "hello"
//   kernel.FailNext(ipc::FakeKernel::Call::kSendMsg, EPIPE, client.socket_descriptor());
//
// What it models, after Linux's af_unix.c (see also the README, "Testing with an in-memory
// kernel"):
// - socket/socketpair/bind (paths, abstract names, autobind)/listen/accept4/connect. A connect
//   completes at once into the listener's queue (the server's end exists before accept4, so the
//   client may send at once). Backlog N admits N + 1 pending connections (listen() caps N at
//   4096); a connect to a full queue fails EAGAIN. No listener: ECONNREFUSED (also for a path
//   that is not a socket, a stale socket file, a missing abstract name, a listener that shut
//   down); a missing path: ENOENT; a socket of another type: EPROTOTYPE.
// - Data: each direction holds at most the sender's SO_SNDBUF bytes not yet read by the peer
//   (default 212992; SO_SNDBUF set to v makes it max(2v, 4608) as Linux, v capped at 212992,
//   Linux's default net.core.wmem_max: real machines may allow more).
//   A send takes what fits (a partial count), or fails EAGAIN when nothing fits. A socket is
//   writable (POLLOUT) while at most a quarter of its SO_SNDBUF is in flight, as Linux. A
//   receive returns what is queued (across sends), EAGAIN when nothing is.
// - Ends: shutdown(SHUT_WR) gives the peer EOF after the queued bytes, and this end EPIPE on
//   send; SHUT_RD gives the peer EPIPE. A close gives the peer EOF (and EPIPE on send); when
//   the closing end had bytes it never read (or was never accepted), the peer's next receive
//   after its queue reports ECONNRESET once (also SO_ERROR and POLLERR), then EOF. Closing a
//   listener resets the connections it had not accepted. Sends never raise SIGPIPE (OsCalls
//   sends with MSG_NOSIGNAL).
// - Passing open files (SCM_RIGHTS): sendmsg takes SOL_SOCKET/SCM_RIGHTS control messages
//   (several are merged; at most 253 fds in all, else EINVAL; a closed fd: EBADF; another type
//   at SOL_SOCKET: EINVAL, another level: ignored; SCM_CREDENTIALS is not modelled:
//   EOPNOTSUPP). The files ride on the first segment the send queues (none for a send of no
//   bytes) and stay alive while in flight, also when their descriptors are closed. A receive
//   stops after the segment that carries files; the first read of any of its bytes installs
//   them (close-on-exec with MSG_CMSG_CLOEXEC) as far as msg_controllen ((len - 16) / 4 fds)
//   and the descriptor limit allow, and sets MSG_CTRUNC when some did not fit (those are
//   dropped, as with recv() or no control buffer); MSG_PEEK installs copies and leaves them
//   queued. A send fails ETOOMANYREFS while more references are in flight than the
//   descriptor limit (Linux's per-user count). Unread segments dropped with their socket
//   release what they carry.
// - getsockopt SO_PEERCRED: the peer's credentials when it connected (a listener: its own
//   from listen(); socketpair: the creator's; unconnected: pid 0, uid and gid -1). The
//   credentials are the process's (getpid(), the options' uid and gid), or those set with
//   SetCredentials.
// - poll, getsockopt (SO_ERROR, SO_TYPE, SO_DOMAIN, SO_PROTOCOL, SO_ACCEPTCONN, SO_SNDBUF,
//   SO_RCVBUF, SO_PEERCRED), setsockopt (SO_SNDBUF, SO_RCVBUF and their FORCE forms), getsockname,
//   getpeername, fcntl (F_GETFL/F_SETFL with O_NONBLOCK, F_GETFD/F_SETFD with FD_CLOEXEC,
//   F_DUPFD/F_DUPFD_CLOEXEC; duplicates share the open file description).
// - A filesystem namespace in memory: directories, regular files (no content), socket files,
//   symbolic links; lstat/fstat/chmod/link/unlink/mkdtemp/rmdir/open (O_CREAT, O_EXCL,
//   O_NOFOLLOW, O_DIRECTORY, O_PATH, ...)/flock (shared and exclusive locks per open file
//   description, LOCK_NB conflicts fail EWOULDBLOCK, released at the last close). Paths
//   resolve from "/" (the fake working directory); "/proc/self/fd/N/..." resolves through the
//   directory open on fd N (nothing else of /proc exists). "/tmp" (mode 01777) and the
//   directory named by $TMPDIR exist from the start, so relative server names work. Permission
//   checks apply unless the identity is uid 0 (the default).
//
// The loop. The kernel keeps the loop's readiness of every descriptor equal to what epoll
// would report (an error or hang-up makes it readable and writable), and turns on the loop's
// SetSettlesFdReadiness while it exists (and restores the old setting when destroyed):
// RunUntilIdle() and FastForwardBy() run until no watcher is ready, so a message, its answer
// and the close that follows all happen at the time point they started.
//
// Fake time. Nothing here blocks. poll() returns at once when an entry is ready or the timeout
// is 0. Otherwise it would block: it calls the block hook (SetBlockHook), if any, while the
// hook reports progress; if still nothing is ready, a finite timeout advances the loop's
// FakeClock to the poll's deadline and returns 0 (a single-threaded program blocked in poll
// runs nothing meanwhile; timers that came due fire when the loop next runs), and an infinite
// timeout fails with EDEADLK, counted by stalls(): it would block forever. A blocking call on
// a blocking descriptor (recv/send/accept4/connect without O_NONBLOCK, flock without LOCK_NB)
// that cannot proceed does the same: the hook, else EDEADLK (a blocking send returns what it
// sent so far, if anything).
//
// Faults, for the next call of a kind: FailNext (any call on an fd: the call fails with the
// errno and has no effect, except that a failed close still releases the descriptor, as
// Linux), FailNextOnPath, CapSends (short sends), SetBacklogFull (connects get EAGAIN) and
// ResetConnection (the peer resets). RunBeforeNext runs code right before a call (another
// process acting at that point: races made deterministic).
//
// Accounting: open_fds(), bad_closes() (closes of descriptors that were not open: double
// closes), call_count(), socket_count().
//
// Limits (deliberate): one process (one descriptor table; one identity for the filesystem,
// SetCredentials only changes what SO_PEERCRED reports); no SCM_CREDENTIALS; no garbage
// collection of sockets passed in a cycle (a socket in flight to itself stays, as it would in
// Linux until its collector runs); no MSG_OOB (EOPNOTSUPP) and no MSG_WAITALL (treated as a plain
// receive); only AF_UNIX SOCK_STREAM is modelled: other sockets are created inert (fstat,
// getsockopt, setsockopt, fcntl, close, and bind and getsockname for AF_UNIX work; the rest
// fails, mostly with EOPNOTSUPP; never ready);
// buffer limits count payload bytes, where Linux counts kernel memory (per-message overhead
// makes its limits smaller for small writes); regular files have no content; no EINTR unless
// injected; no pipes, no signals.
//
// Lifetime and threads: the loop must outlive the kernel, and the kernel everything that uses
// it (declare the loop first, then the kernel, then servers and sockets). Not thread-safe: use
// it on the loop's thread only. The destructor leaves the loop's readiness of its descriptors
// cleared.
#ifndef LOCALSOCKET_TESTING_FAKE_KERNEL_H_
#define LOCALSOCKET_TESTING_FAKE_KERNEL_H_

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "ipc/os_calls.h"
#include "testing/fake_clock.h"
#include "testing/fake_event_loop.h"
#include "testing/fake_kernel_faults.h"
#include "testing/fake_kernel_fds.h"
#include "testing/fake_kernel_fs.h"
#include "testing/fake_kernel_sockets.h"

namespace ipc {

// How a FakeKernel starts.
struct FakeKernelOptions {
  // Descriptors are numbered from here (3: as if stdin, stdout and stderr were open; 0 makes
  // the first socket fd 0).
  int first_fd = 3;
  // true: the lowest free number, as Linux. false: numbers are never reused, so a double
  // close is always caught (bad_closes()) instead of closing someone else's descriptor.
  bool reuse_fds = true;
  // RLIMIT_NOFILE: descriptor numbers stay below it (without reuse: at most this many minus
  // first_fd open at once); more fail EMFILE.
  int max_fds = 1024;
  // SO_SNDBUF of new sockets: the bytes one direction holds unread.
  int send_buffer = fake_kernel::kDefaultSendBuffer;
  // The process's umask, user and group (uid 0 skips permission checks).
  mode_t umask = 022;
  uid_t uid = 0;
  gid_t gid = 0;
  // Whether "/proc/self/fd/N/..." resolves (false: there is no /proc, as in some sandboxes).
  bool proc_self_fd = true;
  // Directories made at construction (mkdir -p, mode 0755), besides "/tmp" and $TMPDIR.
  std::vector<std::string> directories;
};

// See the file comment.
class FakeKernel final : public OsCalls {
 public:
  using Call = fake_kernel::Call;
  // Matches any descriptor (FailNext, CapSends).
  static constexpr int kAnyFd = fake_kernel::kAnyFd;
  // A fault or cap that stays until ClearFaults().
  static constexpr int kAlways = fake_kernel::kAlways;

  explicit FakeKernel(eventloop::FakeEventLoop& loop, FakeKernelOptions options = {});
  ~FakeKernel() override;
  FakeKernel(const FakeKernel&) = delete;
  FakeKernel& operator=(const FakeKernel&) = delete;

  // OsCalls: see the file comment for what each does here.
  SysResult Socket(int domain, int type, int protocol) override;
  SysResult Connect(int fd, const sockaddr* addr, socklen_t addr_len) override;
  SysResult Bind(int fd, const sockaddr* addr, socklen_t addr_len) override;
  SysResult Listen(int fd, int backlog) override;
  SysResult Accept4(int fd, sockaddr* addr, socklen_t* addr_len, int flags) override;
  SysResult Recv(int fd, void* buf, size_t len, int flags) override;
  SysResult RecvMsg(int fd, msghdr* msg, int flags) override;
  SysResult SendMsg(int fd, const msghdr* msg, int flags) override;
  SysResult Close(int fd) override;
  SysResult Shutdown(int fd, int how) override;
  SysResult Poll(pollfd* fds, nfds_t nfds, int timeout_ms) override;
  SysResult Fcntl(int fd, int cmd, int arg) override;
  SysResult GetSockOpt(int fd, int level, int name, void* value, socklen_t* value_len) override;
  SysResult SetSockOpt(int fd, int level, int name, const void* value,
                       socklen_t value_len) override;
  SysResult GetSockName(int fd, sockaddr* addr, socklen_t* addr_len) override;
  SysResult GetPeerName(int fd, sockaddr* addr, socklen_t* addr_len) override;
  SysResult Fstat(int fd, struct stat* st) override;
  SysResult Lstat(const char* path, struct stat* st) override;
  SysResult Chmod(const char* path, mode_t mode) override;
  SysResult Link(const char* old_path, const char* new_path) override;
  SysResult Unlink(const char* path) override;
  SysResult Mkdtemp(char* path_template) override;
  SysResult Rmdir(const char* path) override;
  SysResult Open(const char* path, int flags, mode_t mode) override;
  SysResult SocketPair(int domain, int type, int protocol, int fds[2]) override;
  SysResult Flock(int fd, int operation) override;

  // ---- Faults. They apply from the next call; several pending faults match in the order
  // they were added.

  // The next `times` (kAlways: every) calls of `call` on `fd` (kAnyFd: any descriptor, and the
  // calls that take none) fail with errno `err` (> 0) and have no effect. A failed Close still
  // releases the descriptor; a Poll fault matches any of its descriptors.
  void FailNext(Call call, int err, int fd = kAnyFd, int times = 1);
  // The same for calls whose (first) path argument is exactly `path` (Lstat, Chmod, Link,
  // Unlink, Mkdtemp: the template as passed, Rmdir, Open).
  void FailNextOnPath(Call call, std::string path, int err, int times = 1);
  // The next `times` sends on `fd` (kAnyFd: any) accept at most `max_bytes` each (a short
  // send); `max_bytes` 0 removes the caps of `fd`. A capped send of nothing that would fit is
  // still EAGAIN.
  void CapSends(int fd, size_t max_bytes, int times = kAlways);
  // While `full`, connects to the listener on `listening_fd` fail EAGAIN as if its queue were
  // full. False (and nothing changes) if `listening_fd` is not a socket.
  bool SetBacklogFull(int listening_fd, bool full);
  // The peer resets: both ends of `fd`'s connection see their peer close with data unread
  // (what a peer that dies without reading causes): each end reads what was already queued to
  // it, then ECONNRESET once, then EOF; sends fail EPIPE (as Linux: use FailNext for an
  // ECONNRESET from a send). False (and nothing changes) if `fd` is not a connected socket.
  bool ResetConnection(int fd);
  // Before the next `times` calls of `call` on `fd` (kAnyFd: any descriptor, and the calls that
  // take none), `action` runs; the call then proceeds and sees what the action changed. The
  // action may call this kernel (it is another process acting at that exact point: a
  // deterministic race) and advance the clock. A fault for the same call applies after it.
  void RunBeforeNext(Call call, std::function<void()> action, int fd = kAnyFd, int times = 1);
  // The same for calls whose (first) path argument is exactly `path`.
  void RunBeforeNextOnPath(Call call, std::string path, std::function<void()> action,
                           int times = 1);
  // Drops every pending fault, cap and action (SetBacklogFull stays).
  void ClearFaults();
  // Faults, caps and actions not used up.
  size_t pending_faults() const { return faults_.pending(); }

  // ---- Blocking. `hook` runs whenever a call would block (see the file comment): it may act
  // as another process would meanwhile (call this kernel, advance the clock) and returns true
  // if it changed something, so the call checks again; false ends the wait. It must not run
  // the loop (the caller may be inside it). An empty function removes it.
  void SetBlockHook(std::function<bool()> hook);
  // Calls that failed EDEADLK because they would have blocked forever.
  int64_t stalls() const { return stalls_; }

  // ---- Credentials. What later connect(), listen() and socketpair() record for SO_PEERCRED
  // (as if another process acted): by default getpid() and the options' uid and gid.
  void SetCredentials(pid_t pid, uid_t uid, gid_t gid);

  // ---- Inspection.
  // Bytes queued for reading on `fd` (SIOCINQ), and bytes `fd` sent that its peer has not
  // read (SIOCOUTQ); 0 for anything but a connected socket.
  size_t BytesQueued(int fd) const;
  size_t BytesUnreadByPeer(int fd) const;
  // Connections waiting on the listener `fd` to accept them.
  size_t PendingConnections(int fd) const;
  // Sets `fd`'s SO_SNDBUF to exactly `bytes` (no clamping), e.g. a tiny buffer to force
  // partial sends. False if `fd` is not a socket.
  bool SetSendBufferSize(int fd, int bytes);
  // How many calls of `call` were made so far (failed and faulted ones included).
  int64_t call_count(Call call) const { return faults_.count(call); }

  // ---- Descriptor accounting.
  // The open descriptors, ascending. Equal to the list before a test = nothing leaked.
  std::vector<int> open_fds() const { return fds_.open_fds(); }
  bool IsOpen(int fd) const { return fds_.Find(fd) != nullptr; }
  // Every Close of a descriptor that was not open (a double close, or never opened).
  std::vector<int> bad_closes() const { return fds_.bad_closes(); }
  int64_t opened_count() const { return fds_.opened_count(); }
  int64_t closed_count() const { return fds_.closed_count(); }
  // References to open files held by messages in flight (SCM_RIGHTS): 0 once every passed
  // fd was received or dropped.
  int64_t in_flight_count() const { return fds_.in_flight(); }
  // Sockets alive, connections not accepted yet included.
  size_t socket_count() const { return sockets_.size(); }
  // One line per open descriptor ("5: socket connected to /tmp/srv"), for failure messages.
  std::string DescribeOpenFds() const;
  // Changes RLIMIT_NOFILE (see FakeKernelOptions::max_fds); open descriptors stay.
  void SetFdLimit(int max_fds) { fds_.set_limit(max_fds); }

  // ---- Filesystem set-up (no faults, not counted). Each returns 0 or an errno.
  int MakeDirectories(const std::string& path, mode_t mode = 0755);
  int CreateFile(const std::string& path, mode_t mode = 0644);
  int Symlink(const std::string& target, const std::string& path);
  // The names in the directory at `path`, sorted (empty if there is none).
  std::vector<std::string> ListDirectory(const std::string& path) const;

  // The clock poll() advances: the loop's.
  eventloop::FakeClock& clock() { return loop_.fake_clock(); }

 private:
  // Pushes the readiness of everything a call changed to the loop when the call ends.
  class SyncScope {
   public:
    explicit SyncScope(FakeKernel* kernel) : kernel_(kernel) {}
    ~SyncScope() { kernel_->SyncLoop(); }
    SyncScope(const SyncScope&) = delete;
    SyncScope& operator=(const SyncScope&) = delete;

   private:
    FakeKernel* const kernel_;
  };
  // The start of every call: runs a matching RunBeforeNext action, counts the call and returns
  // the errno of a matching fault (0 if none).
  int Enter(Call call, const int* fds, size_t fd_count, const char* path);
  int Enter(Call call, int fd) { return Enter(call, &fd, 1, nullptr); }
  // What a blocking call does when it cannot proceed: runs the hook once; false when it made
  // no progress (the call then fails EDEADLK).
  bool BlockOnce(int* rounds);
  void SyncLoop();
  // The poll(2) events of an open file.
  static int PollEventsOf(const fake_kernel::OpenFile& file);
  void PushReadiness(int fd);
  // The socket open on `fd`, or nullptr with `*err` set (EBADF, ENOTSOCK).
  fake_kernel::Socket* SocketOf(int fd, int* err);
  const fake_kernel::Socket* SocketOf(int fd) const;
  // Whether a call on `file` with `msg_flags` waits rather than failing EAGAIN.
  static bool Blocks(const fake_kernel::OpenFile& file, int msg_flags);
  // Runs `setup` on the filesystem with set-up privileges.
  template <typename F>
  int AsSetUp(F setup);
  // Installs a new socket on a descriptor (capacity checked by the caller).
  int InstallSocket(fake_kernel::Socket* socket, int flags);
  // Releases what an open file description held once its last descriptor closed.
  void ReleaseFile(fake_kernel::OpenFile& file);
  // Receives into `iov` with the blocking rules; fills `msg`'s name, control data and flags
  // when it is not null.
  SysResult Receive(int fd, const iovec* iov, size_t iov_count, int flags, msghdr* msg);
  // The open files `msg`'s SCM_RIGHTS control messages pass, in `*files`: 0 or the errno.
  int ReadRights(const msghdr& msg, std::vector<uint64_t>* files);
  // Installs the received `files` as far as `msg`'s control buffer and the descriptor limit
  // allow, writing the control message and MSG_CTRUNC; `peek`: copies, the references stay in
  // flight. Drops the references of the others.
  void InstallReceived(const std::vector<uint64_t>& files, bool peek, int flags, msghdr* msg);
  // Ends one in-flight reference to `file_id`, releasing the file if it was the last; then
  // what that released in turn.
  void DropInFlight(uint64_t file_id);
  // Drops the references of files whose passing ended without a receiver.
  void DropOrphanedFiles();
  static SysResult Fail(int err) { return SysResult{-1, err}; }

  eventloop::FakeEventLoop& loop_;
  const FakeKernelOptions options_;
  fake_kernel::FileSystem fs_;
  fake_kernel::SocketTable sockets_;
  fake_kernel::FdTable fds_;
  fake_kernel::FaultPlan faults_;
  std::function<bool()> block_hook_;
  std::vector<int> touched_fds_;
  // Scratch space of SyncLoop (kept to spare allocations).
  std::vector<uint64_t> sync_sockets_;
  std::vector<int> sync_fds_;
  int64_t stalls_ = 0;
  const bool loop_settled_fd_readiness_;  // Restored at destruction.
};

}  // namespace ipc

#endif  // LOCALSOCKET_TESTING_FAKE_KERNEL_H_
