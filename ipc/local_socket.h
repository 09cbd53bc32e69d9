// ipc::LocalSocket: a Unix-domain stream socket client (or an accepted server-side
// connection) with the observable behaviour of Qt's QLocalSocket on Linux, minus Qt's bugs.
// README.md ("Differences from Qt") lists the deliberate differences.
//
// States: kUnconnected -> kConnecting -> kConnected -> kClosing -> kUnconnected. The
// transitions are data: ipc/socket_state_machines.h holds the tables (README "Inside ipc/").
//
// Signals (plain std::function slots, ipc/signal.h), in the order Qt emits them:
//   connect ok:        state_changed(kConnecting), state_changed(kConnected), connected
//                      (all before ConnectToServer returns when the kernel answers at once)
//   connect fails:     state_changed(kConnecting), error_occurred(e), state_changed(kUnconnected)
//   disconnect:        state_changed(kClosing), [bytes_written...], state_changed(kUnconnected),
//                      read_channel_finished, disconnected
//   Close():           about_to_close, then as disconnect
//   Abort():           state_changed(kUnconnected), read_channel_finished, disconnected,
//                      about_to_close
//   peer closed:       [ready_read], error_occurred(kPeerClosed), state_changed(kClosing),
//                      state_changed(kUnconnected), read_channel_finished, disconnected
//   peer EOF with writes pending (maybe a half-close): [ready_read], error_occurred(kPeerClosed),
//                      state_changed(kClosing) (from kConnected); reading stops, the write
//                      buffer is still sent ([bytes_written...]), then state_changed(kUnconnected),
//                      read_channel_finished, disconnected. A send that finds the peer fully gone
//                      drops the rest and ends the same way, without a second error_occurred
//                      (unless a slot interrupted the first before it was emitted: a dropped
//                      write buffer is always reported).
//   a send fails because the peer is gone (EPIPE, ECONNRESET), whichever call flushed:
//                      [bytes_written], [ready_read for what the peer sent before it went: the
//                      receive queue is read to its end first], error_occurred(kPeerClosed), then
//                      as "peer closed".
//
// Errors: whenever error_occurred(e) is emitted, error() == e and error_string() are already
// set. Misuse that fails synchronously (Write when not writable, a rejected
// SetSocketDescriptor, reads on a write-only socket) and timed-out waits set error() and
// error_string() without emitting. error_string() reads "<Class>::<Function>: <cause>[:
// <strerror text>]". The errno -> Error mapping:
//   connect:  ENOENT, ENOTDIR, ELOOP, ENAMETOOLONG -> kServerNotFound; ECONNREFUSED, EINVAL,
//             EPROTOTYPE -> kConnectionRefused; EACCES, EPERM -> kSocketAccess; ETIMEDOUT ->
//             kSocketTimeout; EMFILE, ENFILE, ENOBUFS, ENOMEM -> kSocketResource; EAGAIN (full
//             backlog) -> retried on a backoff timer until the connect timeout, then
//             kSocketTimeout; EINTR, EINPROGRESS -> in progress; anything else -> kUnknown.
//             An empty name or one too long for sun_path -> kServerNotFound.
//   socket(): EMFILE, ENFILE, ENOBUFS, ENOMEM -> kSocketResource; EACCES, EPERM ->
//             kSocketAccess; anything else -> kUnsupportedSocketOperation.
//   send/recv: EPIPE, ECONNRESET, EOF -> kPeerClosed; ETIMEDOUT -> kSocketTimeout; ENOBUFS,
//             ENOMEM, ETOOMANYREFS (too many fds in flight) -> kSocketResource; EMSGSIZE ->
//             kDatagramTooLarge; else kConnection. A control message the kernel truncated
//             (MSG_CTRUNC: received fds were lost, e.g. at the fd limit) -> kSocketResource.
//             All of them end the connection: the bytes that arrived first are delivered,
//             then error_occurred and the disconnect sequence.
//   poll() in a wait: ENOMEM -> kSocketResource; anything else -> kUnknown. The wait returns
//             false without emitting; the connection and its state are left alone.
//
// Re-entrancy: any slot may destroy the socket (the emitter then touches nothing), or start a
// new operation on it (Abort, Close, DisconnectFromServer, ConnectToServer,
// SetSocketDescriptor): the rest of the interrupted signal sequence is then dropped, and
// `disconnected` is emitted at most once per connection. A slot may reconnect inside
// `disconnected`. ready_read and bytes_written are never emitted re-entrantly: data that
// arrives (or bytes flushed) during such a slot are reported by one more emission right after
// the outermost slot returns.
//
// Writes are buffered: Write appends and returns the size it took (all of it unless a
// write-buffer limit is set: SetWriteBufferLimit); the buffer is flushed before
// the loop next blocks (one gathered sendmsg for many small writes), by Flush() and by the
// waits. Sockets are written only with sendmsg(MSG_NOSIGNAL): a closed peer is an error, never
// a SIGPIPE.
//
// Threads and lifetimes: loop-thread only. `loop` should outlive the socket (one that outlives
// it becomes inert); `os` must outlive it. Neither copyable nor movable.
#ifndef LOCALSOCKET_IPC_LOCAL_SOCKET_H_
#define LOCALSOCKET_IPC_LOCAL_SOCKET_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "eventloop/event_loop.h"
#include "ipc/os_calls.h"
#include "ipc/signal.h"
#include "ipc/socket_types.h"
#include "ipc/unique_fd.h"

namespace ipc {

class LocalServer;

namespace internal {
class SharedName;
class SocketWaits;
}  // namespace internal

class LocalSocket : public LocalSocketTypes {
 public:
  // State, Error, OpenMode (kNotOpen, kReadOnly, kWriteOnly, kReadWrite) and SocketOption
  // (kNoOptions, kAbstractNamespace) come from LocalSocketTypes (ipc/socket_types.h).

  // `loop` should outlive the socket (else it becomes inert); `os` must outlive it.
  explicit LocalSocket(eventloop::EventLoop& loop, OsCalls& os = RealOsCalls());
  LocalSocket(const LocalSocket&) = delete;
  LocalSocket& operator=(const LocalSocket&) = delete;
  // Aborts an open connection (unflushed writes are dropped) and emits nothing.
  ~LocalSocket();

  // The name used by the next ConnectToServer(). Ignored unless kUnconnected.
  void SetServerName(std::string_view name);
  // The name as given; cleared when the socket returns to kUnconnected.
  const std::string& server_name() const;
  // The resolved path (or abstract name) once connected; empty otherwise.
  const std::string& full_server_name() const;
  // kNoOptions or kAbstractNamespace; other bits make the call ignored. Used from the next
  // ConnectToServer().
  void SetSocketOptions(uint32_t options);
  // The options for the next connect (an adopted or accepted socket reports its own).
  uint32_t socket_options() const;
  // Bounds a connect the kernel cannot complete at once (full backlog): -1 = no limit, 0 =
  // fail at once. Default 30000. Measured on the loop's clock.
  void SetConnectTimeout(int msecs);
  // The value set by SetConnectTimeout (default 30000).
  int connect_timeout() const;

  // Connects to server_name() (resolved as in README.md "Names"). From kUnconnected only: in
  // any other state it emits error_occurred(kOperation) and changes nothing else. The outcome
  // is synchronous when the kernel answers at once; a full backlog keeps the socket
  // kConnecting and retries on a backoff timer. `open_mode` must be kReadOnly, kWriteOnly or
  // kReadWrite (else kOperation, nothing emitted).
  void ConnectToServer(uint32_t open_mode = kReadWrite);
  // SetServerName(name) (only when kUnconnected), then ConnectToServer(open_mode).
  void ConnectToServer(std::string_view name, uint32_t open_mode = kReadWrite);
  // Graceful: kConnected -> kClosing, flushes the write buffer, then kUnconnected. The device
  // stays open: unread data stays readable. In kConnecting it cancels the attempt.
  void DisconnectFromServer();
  // Half-close: flushes, then shutdown(SHUT_WR); keeps reading. Later writes fail (kOperation).
  void ShutdownWrite();
  // Immediate: drops the write buffer, closes the connection and the device.
  void Abort();
  // about_to_close, closes the device (unread data is dropped), then disconnects gracefully
  // (pending writes are still delivered).
  void Close();
  // Adopts a connected AF_UNIX stream socket, from kUnconnected only, without emitting
  // anything; makes it non-blocking. Only State::kConnected is accepted (else false,
  // kOperation); the fd must be a connected AF_UNIX stream socket (else false,
  // kUnsupportedSocketOperation). On success the socket owns the fd (closed on disconnect,
  // Abort, Close, destruction) and full_server_name() is the peer's address as getpeername
  // reports it; on failure the fd and the socket are untouched (but error()).
  bool SetSocketDescriptor(int fd, State state = State::kConnected,
                           uint32_t open_mode = kReadWrite);
  // The connected fd; -1 when unconnected or still connecting.
  int socket_descriptor() const;
  // The peer's credentials while connected (kConnected or kClosing), on either side of the
  // connection; std::nullopt otherwise, or when the kernel cannot tell. Each call asks the
  // kernel (getsockopt SO_PEERCRED): nothing is stored per connection.
  std::optional<PeerCredentials> peer_credentials() const;

  // The state of the last state_changed (a slot sees the state of its own step).
  State state() const;
  // The last error: kNone until one happens, and again after a successful connect.
  Error error() const;
  // Empty until the first error.
  const std::string& error_string() const;
  // True in kConnected and kClosing.
  bool IsValid() const;
  // True from connection until Close()/Abort() (also after a disconnect or peer close).
  bool IsOpen() const;
  // The mode the device is open in (kNotOpen before connecting and after Close/Abort).
  uint32_t open_mode() const;

  // Appends to the write buffer and returns the bytes accepted: data.size(), or with a
  // write-buffer limit only what fits (possibly 0; write_buffer_available follows). -1 and
  // kOperation when not writable (not connected, read-only, closed, after ShutdownWrite, or
  // once the connection failed: also in the slots of its failure sequence, which see the state
  // the failure happened in).
  int64_t Write(std::string_view data);
  // Write without the copy, for large buffers: the write buffer refers to `data` instead of
  // copying it, and holds a copy of `keep_alive` until those bytes have gone to the kernel or
  // were dropped (Abort, a failed connection, a new connection, the destructor). `data` must
  // stay valid and unchanged that long: let `keep_alive` own it (a shared_ptr to the buffer,
  // or one aliasing its owner; an empty one for data that outlives the socket). Data under 16 KiB
  // is copied as Write copies it (copying costs less), keeping nothing. Otherwise exactly Write:
  // the same return values and errors, the write-buffer limit, the flush and bytes_written. The
  // socket releases its copy of `keep_alive` where the bytes leave the buffer: in the loop's flush,
  // Flush(), a wait, Abort(), or the destructor.
  int64_t WriteShared(std::string_view data, const std::shared_ptr<const void>& keep_alive);
  // Write with `fds` passed along (SCM_RIGHTS), attached to the first byte of `data`: the peer
  // receives them (TakeReceivedFds) no later than that byte, whatever the coalescing of writes
  // and however the kernel splits the buffer. The fds are duplicated at once (close-on-exec):
  // the caller keeps its own, and the socket closes its copies once sent, or when the bytes
  // are dropped (Abort, a failed connection). Returns as Write does; with a write-buffer limit
  // either the first byte is accepted together with the fds, or nothing is (0). -1 and
  // kOperation, nothing sent and nothing kept: not writable (as Write), empty `data`, more
  // than 253 fds (the kernel's SCM_MAX_FD), or an fd that cannot be duplicated (invalid,
  // EMFILE). With no fds (and some data) it is Write.
  int64_t WriteWithFds(std::string_view data, const std::vector<int>& fds);
  // The fds received so far and not taken yet, in arrival order; ownership passes to the
  // caller. They are close-on-exec. An fd is here no later than the first byte it was sent
  // with is readable (so a parser can take its message's fds with the message), also after
  // `disconnected`. Untaken fds are closed by Close(), Abort(), a new connection and the
  // destructor, and, so that a peer cannot pile them up in a program that never takes any,
  // when more fds arrive after every byte they came with has been read. UniqueFd closes with
  // ::close: with an OsCalls whose descriptors are not the process's (a FakeKernel, a mock),
  // release() them and close them through that OsCalls.
  std::vector<UniqueFd> TakeReceivedFds();
  // Reads up to `max_size` buffered bytes. Returns the count; 0 when nothing is buffered on a
  // connected socket; -1 when nothing is buffered and the connection is gone, or on misuse
  // (not open, write-only, negative size, null `data` with a positive size: kOperation).
  // Misuse consumes nothing.
  int64_t Read(char* data, int64_t max_size);
  // Up to `max_size` buffered bytes ("" when none, or on misuse: kOperation, as above).
  std::string Read(int64_t max_size);
  // Everything buffered ("" when none, or on misuse: kOperation).
  std::string ReadAll();
  // Reads up to and including the next '\n', at most `max_size` bytes (0 = no limit); without
  // a newline, what is buffered (up to `max_size`). "" and kOperation on misuse, as Read.
  std::string ReadLine(int64_t max_size = 0);
  // Like Read without consuming; "" when not open for reading or for a negative size (a const
  // call: error() is left alone).
  std::string Peek(int64_t max_size) const;
  // Discards up to `max_size` buffered bytes without copying them; returns what Read(buf,
  // max_size) would: the count, 0 when nothing is buffered on a connected socket, -1 when
  // nothing is buffered and the connection is gone, -1 and kOperation on misuse (not open,
  // write-only, negative size).
  int64_t Skip(int64_t max_size);
  // A zero-copy view of the first contiguous block of unread input: non-empty whenever
  // BytesAvailable() > 0, possibly shorter than it; empty when nothing is buffered or the
  // socket is not open for reading. The view stays valid until the next call on the socket
  // other than a const accessor, and until control returns to the loop. Parse in place, then
  // Skip() what was used.
  std::string_view PeekBuffered() const;
  // Bytes buffered for reading (still readable after the connection ended).
  int64_t BytesAvailable() const;
  // Bytes written but not yet taken by the kernel.
  int64_t BytesToWrite() const;
  // True when a '\n' is buffered.
  bool CanReadLine() const;
  // True when nothing is buffered for reading.
  bool AtEnd() const;
  // Writes as much of the write buffer as the kernel takes now (emitting bytes_written).
  // True if anything was written.
  bool Flush();
  // The limit set by SetReadBufferSize (0 = unlimited).
  int64_t read_buffer_size() const;
  // 0 = unlimited (default). When the read buffer holds `size` bytes, reading from the fd
  // pauses (the kernel applies back-pressure; nothing is lost) until the data is read.
  void SetReadBufferSize(int64_t size);
  // The most bytes the write buffer holds: 0 = unlimited (default, as Qt). With a limit, Write
  // accepts only what fits and write_buffer_available says when there is room again; every
  // accepted byte is delivered, none refused is. A negative `bytes` is ignored. Takes effect
  // at the next Write (what is buffered stays).
  void SetWriteBufferLimit(int64_t bytes);
  int64_t write_buffer_limit() const;

  // Blocking waits; usable without running the loop. `msecs` is measured on the loop's clock
  // (-1 = no limit). A timed-out wait returns false and sets error() to kSocketTimeout, emits
  // nothing and leaves the state alone. Each wait flushes pending writes while it waits. If a
  // slot destroys the socket during a wait, the wait returns false; if a slot replaces the
  // connection (ConnectToServer inside `disconnected`), the wait ends with its old connection
  // (WaitForDisconnected true, the others false). A wait never blocks longer than `msecs`.
  // kConnected -> true; kConnecting -> true once connected; else false at once.
  bool WaitForConnected(int msecs = 30000);
  // True once new data arrived during the call (ready_read is emitted first); data already
  // buffered does not count. Waits for a pending connect first, within the same budget. False
  // at once once the peer's EOF was read (nothing more can arrive).
  bool WaitForReadyRead(int msecs = 30000);
  // False at once if nothing is pending; else true once a chunk went out (bytes_written).
  bool WaitForBytesWritten(int msecs = 30000);
  // kConnected/kClosing: true once kUnconnected (reading to notice the close); else false.
  // WaitForReadyRead and WaitForDisconnected return false at once (kOperation) when the read
  // buffer is full (SetReadBufferSize) and nothing is left to write: nothing could arrive.
  bool WaitForDisconnected(int msecs = 30000);

  // Signals (emission orders: see the file comment). Users connect; only the socket emits.
  Signal<> connected;             // The connection is made (after state_changed(kConnected)).
  Signal<> disconnected;          // The connection ended; at most once per connection.
  Signal<Error> error_occurred;   // A connection failure; error() already equals the argument.
  Signal<State> state_changed;    // Every real state change.
  Signal<> ready_read;            // New data is buffered; never emitted re-entrantly.
  Signal<int64_t> bytes_written;  // Bytes the kernel took in one flush; never re-entrantly.
  // Room again in the write buffer: once after a Write that the limit cut short, when a
  // flush has drained the buffer to half the limit or less (after that flush's
  // bytes_written; also in kClosing, before state_changed(kUnconnected)). Not emitted when
  // Abort() or a failure empties the buffer.
  Signal<> write_buffer_available;
  Signal<> about_to_close;         // The device is about to close (Close, Abort).
  Signal<> read_channel_finished;  // No more data will arrive (before `disconnected`).

 private:
  friend class LocalServer;
  friend class internal::SocketWaits;
  class Impl;  // ipc/local_socket_impl.h

  // For LocalServer: adopts `fd`, just accepted (non-blocking, close-on-exec) by the server
  // named by the other arguments, into this new socket, in kConnected and kReadWrite. Unlike
  // SetSocketDescriptor it checks nothing and asks the kernel nothing: the server knows what
  // it accepted.
  void AdoptAccepted(int fd, const internal::SharedName& server_name,
                     const internal::SharedName& full_name, uint32_t options);

  const std::unique_ptr<Impl> impl_;
};

}  // namespace ipc

#endif  // LOCALSOCKET_IPC_LOCAL_SOCKET_H_
