// Internal: a connected socket's byte stream: the fd, the read and write buffers, and the
// read-side and write-side state machines. It does the I/O (recvmsg, gathered sendmsg with
// MSG_NOSIGNAL, shutdown) and reports outcomes; it emits nothing; LocalSocket turns the
// outcomes into signals and connection states.
//
// Threads and lifetime: loop-thread only; owned by the socket. `os` must outlive it.
#ifndef LOCALSOCKET_IPC_STREAM_CHANNEL_H_
#define LOCALSOCKET_IPC_STREAM_CHANNEL_H_

#include <cstdint>
#include <string_view>

#include "ipc/byte_buffer.h"
#include "ipc/os_calls.h"
#include "ipc/os_fd.h"
#include "ipc/socket_state_machines.h"

namespace ipc {
namespace internal {

class StreamChannel {
 public:
  // What one Read() found.
  struct ReadOutcome {
    int64_t added = 0;  // Bytes appended to the read buffer.
    bool eof = false;   // The peer shut down its sending side.
    int err = 0;        // A receive error (not EAGAIN), or 0.
  };
  // What one Flush() did.
  struct FlushOutcome {
    int64_t sent = 0;  // Bytes the kernel took.
    int err = 0;       // The send error that stopped it (not EAGAIN), or 0.
  };

  explicit StreamChannel(OsCalls& os) : os_(os) {}
  StreamChannel(const StreamChannel&) = delete;
  StreamChannel& operator=(const StreamChannel&) = delete;

  // A new connection on `fd`: both sides start over; the buffers must have been cleared.
  void Open(OsFd fd);
  // Closes the fd (the caller destroyed its watcher first). The buffers stay: received data
  // stays readable after a disconnect.
  void CloseFd();
  // Drops both buffers: a new connection starts clean.
  void ClearBuffers();
  // Drops the bytes not sent yet (an abort, a failed connection); no room notice follows.
  void DropUnsent() {
    write_buffer_.Clear();
    room_notice_owed_ = false;
  }
  int fd() const { return fd_.get(); }
  bool is_open() const { return static_cast<bool>(fd_); }

  // The events the loop should watch the fd for: readable while reading, writable while a
  // flush waits for room in the kernel.
  uint32_t Interest() const;

  // Reading. Reads what the kernel has, up to a per-call cap and the read-buffer limit, or,
  // `unbounded`, to the end of the kernel's queue ignoring both. With `discard` (a write-only
  // socket) the bytes are dropped and `added` is 0.
  ReadOutcome Read(bool discard, bool unbounded);
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
  // The write-buffer limit in bytes (0 = unlimited).
  int64_t write_limit() const { return write_limit_; }
  void set_write_limit(int64_t limit) { write_limit_ = limit; }
  // True, once, when an Append was cut short and the buffer has since drained to half the
  // limit or less (or the limit was lifted).
  bool TakeRoomNotice();
  const ByteBuffer& write_buffer() const { return write_buffer_; }
  // Sends as much of the write buffer as the kernel takes now (one gathered sendmsg per
  // round). On a send error the unsent bytes stay buffered.
  FlushOutcome Flush();
  // ShutdownWrite: refuses later writes; false if already requested.
  bool RequestShutdown();
  // Once the write buffer is empty after RequestShutdown: shutdown(SHUT_WR), once.
  void ShutdownIfRequested();

 private:
  OsCalls& os_;
  OsFd fd_;
  ReadSideMachine read_side_;
  WriteSideMachine write_side_;
  ByteBuffer read_buffer_;
  ByteBuffer write_buffer_;
  int64_t read_limit_ = 0;   // 0 = unlimited.
  int64_t write_limit_ = 0;  // 0 = unlimited.
  bool room_notice_owed_ = false;
  uint64_t bytes_received_ = 0;
};

}  // namespace internal
}  // namespace ipc

#endif  // LOCALSOCKET_IPC_STREAM_CHANNEL_H_
