// ipc::LocalServer: the server side of Unix-domain stream sockets, with the observable behaviour
// of Qt's QLocalServer on Linux, minus Qt's bugs (see "Differences from Qt" below).
//
//   eventloop::LibeventLoop loop;
//   ipc::LocalServer server(loop);
//   server.new_connection.Connect([&] {
//     std::unique_ptr<ipc::LocalSocket> client = server.NextPendingConnection();
//     ...  // the caller owns it; it may outlive the server
//   });
//   if (!server.Listen("my-service")) std::cerr << server.error_string() << "\n";
//   loop.Run();
//
// Names. Listen(name) resolves `name` as LocalSocket does: a name starting with '/' is an
// absolute path, any other name (including "dir/x") is placed in $TMPDIR (else /tmp; a relative
// $TMPDIR counts from the current directory), and with kAbstractNamespace the name is used
// byte-exactly in Linux's abstract namespace. server_name() is the name as given,
// full_server_name() the resolved path (or the abstract name without its leading NUL); both
// are empty when not listening. A name longer than sun_path allows (107 bytes for a path or an
// abstract name) fails with kServerNotFound ("name too long").
//
// Socket options (SetSocketOptions, used at the next Listen; bits not listed are rejected and
// the call is ignored):
//   kNoOptions        the socket file is bound at the final path; its mode follows the umask.
//   kUserAccess       mode 0700   kGroupAccess 0070   kOtherAccess 0007   kWorldAccess 0777;
//                     combinations OR the modes (User|Group = 0770); the owner bits are not
//                     added. The file appears at the final path with its final mode already set
//                     (no window): it is bound in a private mkdtemp directory next to the target
//                     (through /proc/self/fd/<dirfd>/s, so the temporary path is always short),
//                     chmod()ed, listen()ed, then link()ed to the final name, which fails if the
//                     name appeared meanwhile. Needs /proc, or a temporary path that fits
//                     sun_path. Never rename() (it would replace a live server), never umask.
//   kAbstractNamespace  abstract name, no file at all; overrides the access bits (as Qt on
//                     Linux).
//
// The lock file. Which server owns a path is decided by an advisory lock beside it, as
// Wayland's compositors do: before it probes, unlinks or binds anything, Listen(name) opens
// "<path>.lock" (O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, mode 0600; an existing file is
// neither truncated nor rewritten) and takes flock(LOCK_EX | LOCK_NB) on it, then checks with
// fstat and lstat that the path still names the file it locked (else it closes it and starts
// over; after 8 attempts, kAddressInUse "address in use (lock file keeps changing)"). The
// server holds the lock until Close(). So two servers of this
// library that Listen on one path at the same moment never both succeed, and a live one is
// refused without being probed: a held lock gives kAddressInUse ("address in use"). A lock
// file that cannot be opened gives the errno's class (EACCES -> kSocketAccess, a missing
// directory -> kServerNotFound...); a "<path>.lock" that is not a regular file (a symlink, a
// directory, a FIFO, a socket) gives kAddressInUse ("address in use (lock file is not a regular
// file)") and is left untouched. A lock file left by a killed server is simply locked again;
// any regular file at "<path>.lock" serves as the lock file (and is removed by Close()).
// A Listen that fails after opening the lock file removes it (only while it is still the file
// it locked) and closes it. Abstract names and Listen(int) take no lock and make no file.
// What the lock cannot do: a foreign server (another library, an older version of this one)
// takes no lock, so it is still detected only by the probe below.
//
// An existing file at the path, found while holding the lock (with or without access
// options): if it is not a socket, Listen fails with kAddressInUse and the file is untouched.
// If it is a socket, Listen probes it with a non-blocking connect(): ECONNREFUSED means stale,
// so the file is unlinked and the bind (or link) is retried once; success or EAGAIN (or
// EPROTOTYPE: a live socket of another type) means a live server, so Listen fails with
// kAddressInUse and nothing is unlinked; any other probe errno is mapped as below (EACCES ->
// kSocketAccess...) and nothing is unlinked either. A path that vanishes meanwhile is retried
// once. The probe is visible to the probed server: it connects and hangs up at once, so the
// server accepts a client that has already gone (one that writes a greeting on accept gets
// EPIPE, or dies of SIGPIPE if it does not ignore it). A server of this library that listens
// by name is never probed: its lock refuses the path first.
//
// Close() and the destructor remove the socket file the server created only if the path still
// names that file (same st_dev/st_ino, checked with lstat): a newer server's socket with the
// same name is never removed. The check runs before the listening fd is closed, while the
// bound socket still pins the inode, so its number cannot have been reused by a newer file.
// Then they remove the lock file likewise (only if it is still the locked file), close the
// listening fd, and release the lock last. A server adopted with Listen(int) never unlinks
// anything.
//
// Accepting. The listening fd is non-blocking; the loop accepts (accept4 with SOCK_NONBLOCK |
// SOCK_CLOEXEC) until EAGAIN, at most 256 per wake-up (the loop is level-triggered, so the
// rest follows on the next iteration), while the pending queue holds fewer than
// max_pending_connections() sockets (exactly that many at most; 0 = the loop never accepts).
// While the queue is full, reading the listening fd is paused; NextPendingConnection resumes
// it. Each accepted fd becomes a LocalSocket (on the server's loop and OsCalls) in kConnected,
// reporting the server's server_name()/full_server_name() and LocalSocket::kAbstractNamespace
// when the server is abstract; an fd that LocalSocket refuses is closed. new_connection is
// emitted once per accepted connection, from the loop (never from inside Listen), right after
// the socket is queued.
//
// Errors. server_error() and error_string() describe the last failure; a fresh server, a
// successful Listen and Close() leave kNone and "". error_string() reads
// "LocalServer::<Function>: <cause>[: <strerror text>]", e.g. "LocalServer::Listen: address in
// use". The errno -> Error mapping:
//   Listen (open and flock of the lock file, socket, bind, listen, link, mkdtemp, chmod, ...):
//     EADDRINUSE, EEXIST, a held lock, a lock path that is not a regular file, a live server
//     or a non-socket at the path -> kAddressInUse;
//     an empty name, a name too long, a missing directory: ENOENT, ENOTDIR, ELOOP,
//     ENAMETOOLONG, EROFS -> kServerNotFound; EACCES, EPERM -> kSocketAccess;
//     EMFILE, ENFILE, ENOBUFS, ENOMEM -> kSocketResource; anything else -> kUnknown.
//     Listen while listening -> kOperation ("already listening"); the server is unchanged.
//   Listen(int fd): not a listening AF_UNIX stream socket -> kUnsupportedSocketOperation.
//   accept4: EAGAIN -> done for now; ECONNABORTED, EPROTO, EINTR -> skipped (the next one is
//     accepted); EMFILE, ENFILE, ENOBUFS, ENOMEM -> kSocketResource; anything else -> kUnknown.
//     For these last two: the server stays listening, accepting pauses and is retried on a
//     backoff timer (10 ms, doubling up to 1 s; reset once an accept succeeds), the error is
//     recorded and then error_occurred(error) is emitted. Linux reports the resource errors
//     before it looks at the backlog: one that comes while no client waits (checked with a
//     poll of the listening fd) means only that nothing is pending, and is not reported.
//   WaitForNewConnection: a poll() failure sets the error (as accept4's) and returns false; the
//     server stays listening.
//
// Differences from Qt, on purpose: a live server's name is never hijacked and a stale socket
// never blocks Listen (Qt renames over live servers with access options and fails on stale
// files without); two servers never both own a path (the lock file; Qt has none); the socket
// file is unlinked only if it is still ours, and never for
// Listen(int); accept errors do not close the server; the pending queue never exceeds
// max_pending_connections() (Qt: max + 2); the full sun_path is usable (Qt: 106 bytes);
// a successful Listen clears the error; sockets taken with NextPendingConnection belong to the
// caller and outlive the server. README.md ("Differences from Qt") lists them with the reasons.
//
// Re-entrancy: a new_connection or error_occurred slot may call NextPendingConnection, Close,
// Listen, or destroy the server (the server then touches nothing).
//
// Threads and lifetimes: loop-thread only. `loop` should outlive the server (one that outlives
// it becomes inert); `os` must outlive it. Accepted sockets use both too. Sockets handed out by
// NextPendingConnection belong to the caller and may outlive the server; sockets still pending
// are destroyed by Close() and the destructor (their peers see the connection close). Neither
// copyable nor movable.
#ifndef LOCALSOCKET_IPC_LOCAL_SERVER_H_
#define LOCALSOCKET_IPC_LOCAL_SERVER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "eventloop/event_loop.h"
#include "ipc/local_socket.h"
#include "ipc/os_calls.h"
#include "ipc/signal.h"
#include "ipc/socket_types.h"

namespace ipc {

class LocalServer : public LocalServerTypes {
 public:
  // SocketOption (kNoOptions, kUserAccess, kGroupAccess, kOtherAccess, kWorldAccess,
  // kAbstractNamespace) comes from LocalServerTypes (ipc/socket_types.h).

  // `loop` should outlive the server (else it becomes inert); `os` must outlive it; accepted
  // sockets use both too. Every member is for the loop's thread only.
  explicit LocalServer(eventloop::EventLoop& loop, OsCalls& os = RealOsCalls());
  // Close(): destroys the pending sockets, removes the socket file it created (if the path
  // still names it) and closes the listening fd. Emits nothing. A slot may destroy the server.
  ~LocalServer();
  // Neither copyable nor movable.
  LocalServer(const LocalServer&) = delete;
  LocalServer& operator=(const LocalServer&) = delete;

  // Listens on `name` with socket_options() (see the file comment). For a path, it first
  // takes the lock of "<path>.lock" and holds it until Close(); a lock held by another server
  // is kAddressInUse at once, without a probe. Holding the lock, it probes a socket file it
  // finds at the path (left by a dead server, or a foreign server's, which takes no lock): the
  // probe connects and hangs up at once, which a live server sees as a client that came and
  // went (a greeting it writes on accept fails with EPIPE, or raises SIGPIPE if it does not
  // ignore it). Returns true on success (the error is cleared); false with
  // server_error()/error_string() set otherwise, leaving nothing behind (no fd, no socket
  // file, no lock file it made or locked, no temporary directory). A name that fails
  // validation makes no system call. Emits nothing.
  bool Listen(std::string_view name);
  // Adopts a listening AF_UNIX stream socket. Anything else: false, kUnsupportedSocketOperation,
  // and the fd untouched (flags it changed are restored); already listening: false,
  // kOperation. On success the server owns the fd (made non-blocking and close-on-exec) and
  // closes it in Close(); names come from getsockname: server_name() is the bound path's
  // basename and full_server_name() the path, or both the abstract name (then socket_options()
  // gains kAbstractNamespace, else loses it). It never unlinks the path. Emits nothing.
  bool Listen(int socket_descriptor);
  // Socket activation (systemd and compatible service managers): adopts a listening socket
  // the service manager passed (LISTEN_PID, LISTEN_FDS, LISTEN_FDNAMES; fds from 3): the one
  // named `name`, or with an empty `name` the only one. The variables are parsed once per
  // process, at the first call, and then unset whatever the outcome (child processes do not
  // inherit them), so several servers can take several named sockets. Refusals return false
  // and leave the fd open (inherited fds no call takes belong to the process):
  //   kServerNotFound: the variables are absent or malformed, LISTEN_PID is another process,
  //     no fd has that name or it was already taken, or several fds and no name;
  //   kUnsupportedSocketOperation: the fd is not a listening AF_UNIX stream socket;
  //   kOperation: already listening.
  // Each refusal has its own error_string(). On success it behaves as Listen(int): the fd
  // becomes close-on-exec and non-blocking, the names come from getsockname, and the path is
  // never unlinked. Thread-safe against calls on other servers (the parse is shared).
  bool ListenInherited(std::string_view name = {});
  // No-op when not listening. Otherwise destroys the pending (not yet taken) sockets, removes
  // the socket file if it is still the one this server created, then the lock file if it is
  // still the one it locked, closes the listening fd, releases the lock, and clears the names
  // and the error. Sockets already taken are unaffected. Emits nothing.
  void Close();
  // True from a successful Listen until Close().
  bool IsListening() const;
  // The name as given to Listen (file comment, "Names"); empty when not listening.
  std::string server_name() const;
  // The resolved path, or the abstract name without its leading NUL; empty when not listening.
  std::string full_server_name() const;
  // The last failure (kNone when there is none; file comment, "Errors").
  LocalSocket::Error server_error() const;
  // "LocalServer::<Function>: <cause>[: <strerror text>]", or "" with kNone.
  std::string error_string() const;
  // kNoOptions or an OR of the SocketOption bits; a value with other bits is ignored. Takes
  // effect at the next Listen.
  void SetSocketOptions(uint32_t options);
  uint32_t socket_options() const;
  // The most sockets the loop keeps queued (default 30; 0 = the loop never accepts). A
  // negative n is ignored.
  void SetMaxPendingConnections(int n);
  int max_pending_connections() const;
  // Decides each accepted connection before it is queued: `filter` gets the peer's credentials
  // and returns true to admit it. A rejected connection, or one whose credentials the kernel
  // cannot tell, is closed at once: it is never announced and never takes a place in the
  // pending queue. An empty filter (the default) admits every connection. The filter runs on
  // the server's thread, inside the loop or WaitForNewConnection; it may close or destroy the
  // server, or replace the filter.
  void SetPeerFilter(std::function<bool(const PeerCredentials&)> filter);
  // The listen(2) backlog used by the next Listen (default 50). A negative n is ignored.
  void SetListenBacklogSize(int n);
  int listen_backlog_size() const;
  // The listening fd (owned by the server), or -1 when not listening.
  int socket_descriptor() const;
  // True when accepted sockets wait to be taken with NextPendingConnection.
  bool HasPendingConnections() const;
  // Dequeues the oldest pending socket (nullptr when none). The caller owns it; it may outlive
  // the server. Resumes accepting when the queue drops below max_pending_connections().
  // Pending sockets are live on the loop: data that arrives meanwhile is buffered, and a peer
  // that closed or reset before the socket was taken shows as a socket already in
  // kUnconnected (with its buffered data still readable), never as a missing one.
  std::unique_ptr<LocalSocket> NextPendingConnection();
  // Blocks (without running the loop) until one connection is accepted or `msecs` (measured on
  // the loop's clock; -1 = forever) pass. Accepts one connection even when the queue is full,
  // emits new_connection for it, and returns HasPendingConnections(). False at once when not
  // listening. On timeout returns false and sets *timed_out (when given) to true; otherwise
  // *timed_out is false. If a slot destroys the server, returns true without touching it.
  bool WaitForNewConnection(int msecs = 0, bool* timed_out = nullptr);
  // An explicit takeover: removes the socket file `name` resolves to (as Listen without
  // options; a relative name is placed in $TMPDIR), whether a server is still listening on it
  // or not, then "<path>.lock" if it is a regular file, whoever holds it; takes no lock. A
  // server still running keeps its fd and its lock on the unlinked file, and at its Close()
  // removes neither of the new files. True when both were removed or are not there; false
  // for anything at the path that is not a socket (then nothing is touched, the lock file
  // neither), for a "<path>.lock" that is not a regular file (left untouched), for a name that
  // cannot be resolved (empty, too long), or when a removal fails. Uses RealOsCalls().
  static bool RemoveServer(std::string_view name);

  // One emission per accepted connection, after it is queued (NextPendingConnection takes it).
  Signal<> new_connection;
  // Accept failures (EMFILE...): the server is still listening and retries (file comment).
  Signal<LocalSocket::Error> error_occurred;

 private:
  class Impl;  // ipc/local_server_impl.h

  const std::unique_ptr<Impl> impl_;
};

}  // namespace ipc

#endif  // LOCALSOCKET_IPC_LOCAL_SERVER_H_
