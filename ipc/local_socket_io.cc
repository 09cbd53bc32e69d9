// LocalSocket: the read and write paths (buffers, flushing, ready_read/bytes_written).
#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <cerrno>
#include <string>

#include "ipc/local_socket.h"
#include "ipc/socket_errors.h"

namespace ipc {
namespace {

using internal::CellKind;
using internal::FormatError;
using internal::ReadSide;
using internal::ReadSideEvent;
using internal::WriteSide;
using internal::WriteSideEvent;

// Reading stops after this much per readiness event, so one busy socket cannot starve the
// others on the loop (level-triggered: the rest is read on the next iteration).
constexpr int64_t kMaxReadPerEvent = 256 * 1024;
// One recvmsg reads at most this much.
constexpr size_t kReadChunk = internal::ByteBuffer::kBlockSize;
// One sendmsg gathers at most this many buffer blocks.
constexpr size_t kMaxIov = 64;

}  // namespace

int64_t LocalSocket::Write(std::string_view data) {
  if (Inert()) return -1;
  if (!IsValid() || !(open_mode_ & kWriteOnly) || !WriteSideOpen()) {
    SetError(Error::kOperation, FormatError("LocalSocket::Write", "socket is not writable"));
    return -1;
  }
  if (data.empty()) return 0;
  write_buffer_.Append(data);
  ScheduleFlush();
  return static_cast<int64_t>(data.size());
}

bool LocalSocket::Readable(const char* function) {
  if (IsOpen() && (open_mode_ & kReadOnly)) return true;
  SetError(Error::kOperation,
           FormatError(function, IsOpen() ? "socket is write-only" : "socket is not open"));
  return false;
}

int64_t LocalSocket::Read(char* data, int64_t max_size) {
  if (!Readable("LocalSocket::Read")) return -1;
  if (max_size < 0 || (data == nullptr && max_size > 0)) {
    SetError(Error::kOperation, FormatError("LocalSocket::Read", "invalid buffer"));
    return -1;
  }
  if (read_buffer_.empty()) return IsValid() ? 0 : -1;  // -1: end of data, as Qt.
  const size_t n = read_buffer_.Read(data, static_cast<size_t>(max_size));
  AfterRead();
  return static_cast<int64_t>(n);
}

std::string LocalSocket::Read(int64_t max_size) {
  if (!Readable("LocalSocket::Read") || max_size <= 0) return {};
  std::string out(std::min<size_t>(static_cast<size_t>(max_size), read_buffer_.size()), '\0');
  read_buffer_.Read(out.data(), out.size());
  AfterRead();
  return out;
}

std::string LocalSocket::ReadAll() {
  if (!Readable("LocalSocket::ReadAll")) return {};
  std::string out(read_buffer_.size(), '\0');
  read_buffer_.Read(out.data(), out.size());
  AfterRead();
  return out;
}

std::string LocalSocket::ReadLine(int64_t max_size) {
  if (!Readable("LocalSocket::ReadLine") || max_size < 0) return {};
  const size_t limit =
      max_size == 0 ? read_buffer_.size() : std::min<size_t>(max_size, read_buffer_.size());
  const size_t newline = read_buffer_.Find('\n', limit);
  std::string out(newline == internal::ByteBuffer::npos ? limit : newline + 1, '\0');
  read_buffer_.Read(out.data(), out.size());
  AfterRead();
  return out;
}

std::string LocalSocket::Peek(int64_t max_size) const {
  if (!IsOpen() || !(open_mode_ & kReadOnly) || max_size <= 0) return {};
  std::string out(std::min<size_t>(static_cast<size_t>(max_size), read_buffer_.size()), '\0');
  read_buffer_.Peek(out.data(), out.size());
  return out;
}

int64_t LocalSocket::BytesAvailable() const { return static_cast<int64_t>(read_buffer_.size()); }
int64_t LocalSocket::BytesToWrite() const { return static_cast<int64_t>(write_buffer_.size()); }
bool LocalSocket::CanReadLine() const {
  return read_buffer_.Find('\n', read_buffer_.size()) != internal::ByteBuffer::npos;
}
bool LocalSocket::AtEnd() const { return read_buffer_.empty(); }

bool LocalSocket::Flush() {
  if (Inert()) return false;
  return FlushWriteBuffer("LocalSocket::Flush") > 0;
}

int64_t LocalSocket::read_buffer_size() const { return read_buffer_limit_; }

void LocalSocket::SetReadBufferSize(int64_t size) {
  if (size < 0) return;
  read_buffer_limit_ = size;
  AfterRead();  // A larger limit may resume reading.
}

void LocalSocket::AfterRead() {
  if (read_side_.state() != ReadSide::kPaused) return;
  if (read_buffer_limit_ > 0 && static_cast<int64_t>(read_buffer_.size()) >= read_buffer_limit_) {
    return;
  }
  read_side_.Feed(ReadSideEvent::kBufferDrained);  // Resume reading from the fd.
  UpdateInterest();
}

bool LocalSocket::WriteSideOpen() const {
  switch (write_side_.state()) {
    case WriteSide::kIdle:
    case WriteSide::kBlocked:
      return true;
    case WriteSide::kShutting:
    case WriteSide::kShutBlocked:
    case WriteSide::kShut:
      return false;
  }
  return false;
}

void LocalSocket::ScheduleFlush() {
  switch (write_side_.state()) {
    case WriteSide::kIdle:
    case WriteSide::kShutting:
      flush_task_->Schedule();
      return;
    case WriteSide::kBlocked:
    case WriteSide::kShutBlocked:
    case WriteSide::kShut:
      return;  // When blocked, writability flushes.
  }
}

void LocalSocket::UpdateInterest() {
  if (Inert()) return;
  if (!fd_ || connect_phase_.state() != internal::ConnectPhase::kIdle) return;
  uint32_t events = eventloop::kNoEvents;
  if (ReadsFromFd()) events |= eventloop::kReadable;
  if (write_side_.state() == WriteSide::kBlocked ||
      write_side_.state() == WriteSide::kShutBlocked) {
    events |= eventloop::kWritable;
  }
  if (watcher_) {
    watcher_->SetEvents(events);
  } else {
    watcher_ = loop_.WatchFd(fd_.get(), events, [this](uint32_t ready) { OnFdReady(ready); });
  }
}

void LocalSocket::OnFdReady(uint32_t ready) {
  const Guard guard = sequencer_.Take();
  if (ready & eventloop::kWritable) {
    connection_.Feed(ConnectionEvent::kWritable);
    if (FlushWriteBuffer("LocalSocket::Write") < 0 || !guard.Continues() || !fd_) return;
  }
  if ((ready & eventloop::kReadable) && ReadsFromFd()) {
    connection_.Feed(ConnectionEvent::kReadable);
    bool eof = false;
    int error_errno = 0;
    const int64_t added = ReadFromSocket(&eof, &error_errno);
    HandleReadOutcome(added, eof, error_errno);
  }
}

int64_t LocalSocket::ReadFromSocket(bool* eof, int* error_errno, bool unbounded) {
  *eof = false;
  *error_errno = 0;
  const bool discard = !(open_mode_ & kReadOnly);  // Write-only: read only to see the close.
  int64_t added = 0;
  while (unbounded || added < kMaxReadPerEvent) {
    size_t want = kReadChunk;
    if (read_buffer_limit_ > 0 && !discard && !unbounded) {
      const int64_t room = read_buffer_limit_ - static_cast<int64_t>(read_buffer_.size());
      if (room <= 0) {
        read_side_.Feed(ReadSideEvent::kBufferFull);  // The kernel holds the rest.
        UpdateInterest();
        break;
      }
      want = std::min<size_t>(want, static_cast<size_t>(room));
    }
    iovec space = read_buffer_.PrepareAppend(want);
    space.iov_len = std::min(space.iov_len, want);
    msghdr message{};
    message.msg_iov = &space;
    message.msg_iovlen = 1;
    const SysResult result = os_.RecvMsg(fd_.get(), &message, MSG_CMSG_CLOEXEC);
    if (result.rc < 0 && result.err == EINTR) {  // Only from an OsCalls that does not retry.
      read_buffer_.CommitAppend(0);
      continue;
    }
    if (result.rc <= 0) {
      read_buffer_.CommitAppend(0);
      if (result.rc == 0) {
        *eof = true;
      } else if (result.err != EAGAIN && result.err != EWOULDBLOCK) {
        *error_errno = result.err;
      }
      break;
    }
    read_buffer_.CommitAppend(static_cast<size_t>(result.rc));
    added += result.rc;
    if (static_cast<size_t>(result.rc) < space.iov_len) break;  // The kernel queue is drained.
  }
  if (*eof) read_side_.Feed(ReadSideEvent::kEof);
  if (discard) {
    read_buffer_.Clear();
    return 0;
  }
  bytes_received_ += static_cast<uint64_t>(added);
  return added;
}

bool LocalSocket::HandleReadOutcome(int64_t added, bool eof, int error_errno) {
  const Guard guard = sequencer_.Take();
  if (added > 0) {
    sequencer_.EmitReadyRead(ready_read);
    if (!guard.Continues() || !fd_) return false;
  }
  if (error_errno != 0) {
    const Error error = internal::ErrorFromIoErrno(error_errno);
    ConnectionLost(ConnectionEvent::kIoError, error,
                   FormatError("LocalSocket::Read", internal::ErrorCause(error), error_errno));
    return false;
  }
  if (eof) {
    OnPeerEof(FormatError("LocalSocket::Read", internal::ErrorCause(Error::kPeerClosed)));
    return false;
  }
  return true;
}

void LocalSocket::OnPeerEof(std::string error_string) {
  if (write_buffer_.empty()) {
    ConnectionLost(ConnectionEvent::kPeerEof, Error::kPeerClosed, error_string);
    return;
  }
  // The peer may only have shut down its sending side and still read: deliver what is
  // buffered for it from kClosing, reading nothing more.
  UpdateInterest();
  const Guard guard = sequencer_.Take();
  EmitError(Error::kPeerClosed, std::move(error_string));
  if (!guard.Continues()) return;
  Feed(ConnectionEvent::kPeerEofWritesPending);  // kClosing.
  if (!guard.Continues()) return;
  ScheduleFlush();
}

void LocalSocket::OnSendFailed(int err, const char* function) {
  const Error error = internal::ErrorFromIoErrno(err);
  if (error == Error::kPeerClosed) {
    if (read_side_.state() == ReadSide::kAtEof) {
      // Draining after the peer's EOF: its close was reported; the rest cannot be delivered.
      ConnectionLost(ConnectionEvent::kIoError, error, error_string_, /*report=*/false);
      return;
    }
    if (!DeliverQueuedBytes()) return;
  }
  ConnectionLost(ConnectionEvent::kIoError, error,
                 FormatError(function, internal::ErrorCause(error), err));
}

bool LocalSocket::DeliverQueuedBytes() {
  bool eof = false;
  int error_errno = 0;
  const int64_t added = ReadFromSocket(&eof, &error_errno, /*unbounded=*/true);
  // Inside a ready_read slot the bytes are only buffered: they stay readable.
  if (added == 0 || sequencer_.InsideReadyRead()) return true;
  const Guard guard = sequencer_.Take();
  sequencer_.EmitReadyRead(ready_read);
  return guard.Continues() && fd_;
}

int64_t LocalSocket::FlushWriteBuffer(const char* function) {
  if (!fd_ || !IsValid() || write_buffer_.empty()) return 0;
  int64_t sent = 0;
  int failure = 0;
  while (!write_buffer_.empty()) {
    iovec iov[kMaxIov];
    msghdr message{};
    message.msg_iov = iov;
    message.msg_iovlen = write_buffer_.GatherFront(iov, kMaxIov, write_buffer_.size());
    size_t offered = 0;
    for (size_t i = 0; i < message.msg_iovlen; ++i) offered += iov[i].iov_len;
    const SysResult result = os_.SendMsg(fd_.get(), &message, MSG_NOSIGNAL);
    if (result.rc < 0 && result.err == EINTR) continue;  // Only from a non-retrying OsCalls.
    if (result.rc < 0) {
      if (result.err == EAGAIN || result.err == EWOULDBLOCK) {
        write_side_.Feed(WriteSideEvent::kKernelFull);
      } else {
        failure = result.err;
      }
      break;
    }
    write_buffer_.Consume(static_cast<size_t>(result.rc));
    sent += result.rc;
    if (static_cast<size_t>(result.rc) < offered) {
      write_side_.Feed(WriteSideEvent::kKernelFull);  // Wait for writability.
      break;
    }
  }
  if (write_buffer_.empty()) write_side_.Feed(WriteSideEvent::kKernelTookAll);
  if (failure == 0) UpdateInterest();

  const Guard guard = sequencer_.Take();
  if (sent > 0) {
    sequencer_.EmitBytesWritten(bytes_written, sent);
    if (!guard.Continues() || !fd_) return failure != 0 ? -1 : sent;
  }
  if (failure != 0) {
    OnSendFailed(failure, function);
    return -1;
  }
  // Inside a bytes_written slot (a Flush() there), the outermost flush finishes the job after
  // its emissions, so that the disconnect sequence never precedes a bytes_written.
  if (write_buffer_.empty() && !sequencer_.InsideBytesWritten()) OnWriteBufferDrained();
  return sent;
}

void LocalSocket::OnWriteBufferDrained() {
  if (connection_.Peek(ConnectionEvent::kWriteBufferDrained).kind == CellKind::kMove) {
    FinishDisconnect(ConnectionEvent::kWriteBufferDrained);  // The graceful disconnect is done.
    return;
  }
  connection_.Feed(ConnectionEvent::kWriteBufferDrained);
  if (write_side_.state() == WriteSide::kShutting) {
    write_side_.Feed(WriteSideEvent::kShutdownDone);
    os_.Shutdown(fd_.get(), SHUT_WR);  // A failure means the peer is gone; reading will tell.
  }
}

}  // namespace ipc
