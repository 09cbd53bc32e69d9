// Internal to FakeKernel (testing/fake_kernel.h): AF_UNIX stream sockets in memory, modelled on
// Linux's net/unix/af_unix.c (connection queue with embryo sockets, per-direction buffer limit
// on the sender's SO_SNDBUF, shutdown bits, the reset of a peer closed with data unread, open
// files passed with the bytes (SCM_RIGHTS), the peer credentials of SO_PEERCRED).
#ifndef LOCALSOCKET_TESTING_FAKE_KERNEL_SOCKETS_H_
#define LOCALSOCKET_TESTING_FAKE_KERNEL_SOCKETS_H_

#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "testing/fake_kernel_fs.h"

namespace ipc {
namespace fake_kernel {

// Linux's default and maximum SO_SNDBUF (net.core.wmem_default, 2 * wmem_max) and its floor.
inline constexpr int kDefaultSendBuffer = 212992;
inline constexpr int kMaxSendBuffer = 2 * 212992;
inline constexpr int kMinSendBuffer = 4608;
inline constexpr int kMinReceiveBuffer = 2304;
// net.core.somaxconn: listen() caps the backlog at this.
inline constexpr int kSoMaxConn = 4096;

// Shutdown bits, as the kernel's sk_shutdown.
inline constexpr int kReceiveShutdown = 1;
inline constexpr int kSendShutdown = 2;
inline constexpr int kShutdownMask = 3;

// An AF_UNIX socket address.
struct UnixAddress {
  enum class Kind { kUnnamed, kPath, kAbstract };
  Kind kind = Kind::kUnnamed;
  std::string name;  // The path, or the abstract name without its leading NUL.

  // Writes the address as getsockname/getpeername/accept do: at most `*length` bytes of it,
  // then sets `*length` to its full length.
  void Write(sockaddr* address, socklen_t* length) const;
};

// Reads a bind()/connect() address: 0, or EINVAL for a bad length or family. A bare family
// (length 2) reads as kUnnamed: bind() then autobinds.
int ReadAddress(const sockaddr* address, socklen_t length, UnixAddress* out);

// The bytes one send() queued, as one of Linux's skbs. The open file descriptions passed with
// them (SCM_RIGHTS) ride on the segment; the first read of any of its bytes takes them, and a
// read stops at the end of the segment that carried them.
struct Segment {
  std::string bytes;
  size_t offset = 0;            // Bytes already read.
  std::vector<uint64_t> files;  // Open file descriptions passed with it (their ids).
};

// The uid and gid SO_PEERCRED reports when there are no credentials (Linux's cred_to_ucred).
inline constexpr uint32_t kNoId = static_cast<uint32_t>(-1);

// A process's credentials as SO_PEERCRED reports them.
struct Credentials {
  pid_t pid = 0;
  uid_t uid = kNoId;
  gid_t gid = kNoId;
};

// One socket. AF_UNIX SOCK_STREAM sockets are modelled; sockets of other types and domains are
// inert: they exist, bind (AF_UNIX) and answer getsockopt, and nothing else.
struct Socket {
  enum class State { kUnconnected, kListening, kConnected };

  bool Modeled() const { return domain == AF_UNIX && type == SOCK_STREAM; }
  // Bytes this socket sent that its peer has not read (what Linux counts as sk_wmem_alloc).
  size_t InFlight() const { return peer != nullptr ? peer->received_bytes : 0; }

  uint64_t id = 0;  // Also its inode number on the socket filesystem.
  int domain = AF_UNIX;
  int type = SOCK_STREAM;
  State state = State::kUnconnected;
  UnixAddress local;   // Bound name (accepted sockets: the listener's).
  UnixAddress remote;  // The peer's name when connecting; kept after the peer is gone.
  // The other end of the connection; nullptr when unconnected or once the peer is released.
  Socket* peer = nullptr;
  std::deque<Segment> received;  // The receive queue: what the peer sent.
  size_t received_bytes = 0;
  int shutdown = 0;  // kReceiveShutdown | kSendShutdown.
  int error = 0;     // Pending error (SO_ERROR), reported once.
  int send_buffer = kDefaultSendBuffer;
  int receive_buffer = kDefaultSendBuffer;
  // Listening: the backlog and the connections not accepted yet (embryo sockets, already
  // connected to their clients). `backlog_full` makes connects see a full queue.
  int backlog = 0;
  std::deque<Socket*> pending;
  bool backlog_full = false;
  Socket* listener = nullptr;   // Embryos: the listener whose queue holds this socket.
  std::shared_ptr<Inode> file;  // The socket file it is bound to (path names).
  // What SO_PEERCRED reports: the peer's credentials when it connected (a listener: its own,
  // from listen(); unconnected: none).
  Credentials peer_credentials;
  FlockSet locks;
  uint64_t open_file = 0;  // The open file description using it; 0 for embryos.
};

// The poll(2) events of `socket` (POLLIN, POLLOUT, POLLERR, POLLHUP, POLLRDHUP, ...), as
// Linux's unix_poll() computes them.
int PollEvents(const Socket& socket);

// The sockets and the abstract namespace. Functions returning int return 0 or an errno;
// byte counts are returned as int64_t, negative for -errno. A return of EAGAIN (-EAGAIN) means
// the call would block: the caller fails it or waits. Every socket whose readiness may have
// changed is recorded for TakeTouched(). Single-threaded.
class SocketTable {
 public:
  // `default_send_buffer`: SO_SNDBUF of the sockets it makes (the server's end of a
  // connection too).
  SocketTable(FileSystem& fs, int default_send_buffer)
      : fs_(fs), default_send_buffer_(default_send_buffer) {}
  ~SocketTable();
  SocketTable(const SocketTable&) = delete;
  SocketTable& operator=(const SocketTable&) = delete;

  // A new unconnected socket (arguments already checked).
  Socket* Create(int domain, int type);
  // Two connected, unnamed AF_UNIX stream sockets (socketpair).
  void ConnectPair(Socket& a, Socket& b);

  int Bind(Socket& socket, const UnixAddress& address);
  int Listen(Socket& socket, int backlog);
  int Connect(Socket& socket, const UnixAddress& address);
  // The next pending connection of `listener`, or nullptr with `*err` set.
  Socket* Accept(Socket& listener, int* err);
  // Queues up to `cap` bytes of `iov` for the peer, in one segment. When some bytes are
  // queued, the open files `*files` names (may be null) move onto that segment.
  int64_t Send(Socket& socket, const iovec* iov, size_t iov_count, size_t cap,
               std::vector<uint64_t>* files = nullptr);
  // Copies queued bytes into `iov`; `peek` leaves them queued. A read stops after the first
  // segment that carries files, and appends those files to `*files` (may be null: they are
  // dropped, see TakeOrphanedFiles); a peek copies them and leaves them on the segment. After
  // the queue: the pending error once, then 0 after a receive shutdown, else -EAGAIN.
  int64_t Receive(Socket& socket, const iovec* iov, size_t iov_count, bool peek,
                  std::vector<uint64_t>* files = nullptr);
  int Shutdown(Socket& socket, int how);
  // The last descriptor of `socket` closed: releases it and tells its peer, as Linux does.
  void Release(Socket& socket);
  // Both ends of `socket`'s connection see their peer close with data unread: the pending
  // error ECONNRESET, full shutdown, queued bytes still readable first.
  void Reset(Socket& socket);
  // Returns and clears the pending error (SO_ERROR).
  int TakeError(Socket& socket);
  // Changes SO_SNDBUF (no clamping).
  void SetSendBuffer(Socket& socket, int bytes);
  // The credentials connect(), listen() and socketpair() record from now on (the process
  // acting).
  void SetCredentials(const Credentials& credentials) { credentials_ = credentials; }
  const Credentials& credentials() const { return credentials_; }
  // Moves the files whose passing ended without a receiver (their segment was dropped with
  // its socket, or read without room for them) into `*ids` (cleared first): the caller drops
  // those references.
  void TakeOrphanedFiles(std::vector<uint64_t>* ids);

  // Moves the ids of sockets whose state changed since the last call (may repeat) into
  // `*ids` (cleared first).
  void TakeTouched(std::vector<uint64_t>* ids);
  Socket* Find(uint64_t id);
  size_t size() const { return sockets_.size(); }

 private:
  // Releases `socket`; `embryo`: a connection never accepted (its client sees a reset).
  void ReleaseOne(Socket* socket, bool embryo);
  int Autobind(Socket& socket);
  void Touch(const Socket& socket) { touched_.push_back(socket.id); }

  FileSystem& fs_;
  const int default_send_buffer_;
  std::map<uint64_t, std::unique_ptr<Socket>> sockets_;
  std::map<std::string, Socket*> abstract_names_;
  std::vector<uint64_t> touched_;
  std::vector<uint64_t> orphaned_files_;
  Credentials credentials_;
  uint64_t next_id_ = 1000;
  uint32_t next_autobind_ = 0;
};

}  // namespace fake_kernel
}  // namespace ipc

#endif  // LOCALSOCKET_TESTING_FAKE_KERNEL_SOCKETS_H_
