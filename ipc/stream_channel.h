// Internal: a connected socket's byte stream: the fd, the read and write buffers, the fds passed
// along with the bytes (passed_fds.h), and the read-side and write-side state machines. It does
// the I/O (recvmsg, gathered sendmsg with MSG_NOSIGNAL, shutdown) and reports outcomes; it emits
// nothing; LocalSocket turns the outcomes into signals and connection states.
//
// Threads and lifetime: loop-thread only; owned by the socket. `os` must outlive it.
#ifndef LOCALSOCKET_IPC_STREAM_CHANNEL_H_
#define LOCALSOCKET_IPC_STREAM_CHANNEL_H_

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "ipc/byte_buffer.h"
#include "ipc/os_calls.h"
#include "ipc/os_fd.h"
#include "ipc/passed_fds.h"
#include "ipc/socket_state_machines.h"
#include "ipc/unique_fd.h"

namespace ipc {
namespace internal {

class StreamChannel {
 public:
  // What one Read() found.
  struct ReadOutcome {
    int64_t added = 0;  // Bytes appended to the read buffer.
    bool eof = false;   // The peer shut down its sending side.
    int err = 0;        // A receive error (not EAGAIN), or 0.
    // The kernel cut a control message short (MSG_CTRUNC): fds sent to us were lost. Reading
    // stopped after the bytes that came with it (they are in `added`).
    bool fds_truncated = false;
  };
  // What one Flush() did.
  struct FlushOutcome {
    int64_t sent = 0;  // Bytes the kernel took.
    int err = 0;       // The send error that stopped it (not EAGAIN), or 0.
  };

  explicit StreamChannel(OsCalls& os) : os_(os) {}
  StreamChannel(const StreamChannel&) = delete;
  StreamChannel& operator=(const StreamChannel&) = delete;
  // Closes the fds passed along with the bytes, then the socket.
  ~StreamChannel();

  // The system calls it (and its owner) use.
  OsCalls& os() const { return os_; }

  // A new connection on `fd` (which closes through os()): both sides start over; the buffers
  // must have been cleared.
  void Open(OsFd fd);
  // Closes the fd (the caller destroyed its watcher first). The buffers stay: received data
  // stays readable after a disconnect.
  void CloseFd();
  // Drops both buffers and every fd passed with them: a new connection starts clean.
  void ClearBuffers();
  // Drops the bytes not sent yet and the fds attached to them (an abort, a failed connection);
  // no room notice follows.
  void DropUnsent();
  // Drops the unread bytes and the received fds nobody took (the device closes).
  void DropUnread();
  int fd() const { return fd_; }
  bool is_open() const { return fd_ >= 0; }

  // The events the loop should watch the fd for: readable while reading, writable while a
  // flush waits for room in the kernel.
  uint32_t Interest() const;

  // Reading. Reads what the kernel has, up to a per-call cap and the read-buffer limit, or,
  // `unbounded`, to the end of the kernel's queue ignoring both. With `discard` (a write-only
  // socket) the bytes are dropped and `added` is 0. Fds that arrive are kept for
  // TakeReceivedFds (closed at once with `discard`); their arrival closes the untaken ones whose
  // bytes have all been read.
  ReadOutcome Read(bool discard, bool unbounded);
  // The received fds nobody took yet, in arrival order; ownership passes to the caller.
  std::vector<UniqueFd> TakeReceivedFds();
  // True while the socket reads from its fd (not paused by the limit, not at EOF).
  bool ReadsFromFd() const { return read_side_.state() == ReadSide::kReading; }
  bool AtEof() const { return read_side_.state() == ReadSide::kAtEof; }
  // After the user consumed data or raised the limit: resumes reading if the buffer has room
  // again. True if it resumed.
  bool ResumeReadingIfRoom();
  int64_t read_limit() const { return read_limit_; }
  void set_read_limit(int64_t limit) { read_limit_ = limit; }
  ByteBuffer& read_buffer() { return read_buffer_; }
  const ByteBuffer& read_buffer() const { return read_buffer_; }
  // Bytes ever appended to the read buffer (a wait compares it to see whether data arrived).
  uint64_t bytes_received() const { return bytes_received_; }

  // Writing. Whether Write may append (the write side is not shutting down).
  bool AcceptsWrites() const;
  // Whether a flush must wait for writability (the kernel took less than offered).
  bool WaitsForWritability() const;
  // Appends as much of `data` as the write-buffer limit lets in and returns that count. When
  // it is less than data.size(), a room notice is owed (TakeRoomNotice).
  size_t Append(std::string_view data);
  // Append without the copy (ByteBuffer::AppendBorrowed): what is accepted holds a copy of
  // `keep_alive` until it is sent or dropped.
  size_t AppendBorrowed(std::string_view data, const std::shared_ptr<const void>& keep_alive);
  // Append, with `fds` (at most kMaxFdsPerMessage) attached to the first byte of `data`: they
  // are sent with that byte, or closed here when nothing of `data` fits.
  size_t AppendWithFds(std::string_view data, std::vector<OsFd> fds);
  // The write-buffer limit in bytes (0 = unlimited).
  int64_t write_limit() const { return write_limit_; }
  void set_write_limit(int64_t limit) { write_limit_ = limit; }
  // True, once, when an Append was cut short and the buffer has since drained to half the
  // limit or less (or the limit was lifted).
  bool TakeRoomNotice();
  const ByteBuffer& write_buffer() const { return write_buffer_; }
  // Sends as much of the write buffer as the kernel takes now (one gathered sendmsg per
  // round, split where fds ride on a byte). On a send error the unsent bytes stay buffered.
  FlushOutcome Flush();
  // ShutdownWrite: refuses later writes; false if already requested.
  bool RequestShutdown();
  // Once the write buffer is empty after RequestShutdown: shutdown(SHUT_WR), once.
  void ShutdownIfRequested();

 private:
  // The part of `data` the write-buffer limit lets in; owes a room notice when that is not all.
  std::string_view FitToWriteLimit(std::string_view data);
  PassedFds& passed_fds();
  // Keeps the fds `message` brought (or closes them, with `discard`), received with bytes that
  // end at position `end` of the received stream. True if there were any.
  bool KeepReceivedFds(msghdr& message, bool discard, uint64_t end);

  OsCalls& os_;
  int fd_ = -1;  // Owned: closed through os_.
  ReadSideMachine read_side_;
  WriteSideMachine write_side_;
  bool room_notice_owed_ = false;
  bool streaming_ = false;  // The last read took a whole block: the next may take several.
  ByteBuffer read_buffer_;
  ByteBuffer write_buffer_;
  int64_t read_limit_ = 0;   // 0 = unlimited.
  int64_t write_limit_ = 0;  // 0 = unlimited.
  uint64_t bytes_received_ = 0;
  std::unique_ptr<PassedFds> passed_fds_;  // Created by the first fd sent or received.
};

}  // namespace internal
}  // namespace ipc

#endif  // LOCALSOCKET_IPC_STREAM_CHANNEL_H_
