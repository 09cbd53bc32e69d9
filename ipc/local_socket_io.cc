// LocalSocket::Impl: reading and writing (the public calls, the loop's I/O callbacks, the
// flush before the loop blocks), and the failure paths that deliver what arrived first.
#include <fcntl.h>
#include <sys/socket.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "ipc/local_socket_impl.h"

namespace ipc {
namespace {

using internal::CellKind;
using internal::FormatError;

// The error string of a truncated control message (MSG_CTRUNC).
constexpr char kFdsTruncated[] =
    "out of resources: received file descriptors were lost (control message truncated)";

}  // namespace

bool LocalSocket::Impl::Writable(ApiCall call) {
  if (IsValid() && (open_mode_ & kWriteOnly) && channel_.AcceptsWrites() && !connection_lost_) {
    return true;
  }
  SetError(Error::kOperation, FormatError(call, "socket is not writable"));
  return false;
}

int64_t LocalSocket::Impl::Write(std::string_view data) {
  if (Inert() || !Writable(ApiCall::kSocketWrite)) return -1;
  const size_t accepted = channel_.Append(data);
  if (accepted > 0) ScheduleFlush();
  return static_cast<int64_t>(accepted);
}

int64_t LocalSocket::Impl::WriteShared(std::string_view data,
                                       const std::shared_ptr<const void>& keep_alive) {
  if (Inert() || !Writable(ApiCall::kSocketWriteShared)) return -1;
  const size_t accepted = channel_.AppendBorrowed(data, keep_alive);
  if (accepted > 0) ScheduleFlush();
  return static_cast<int64_t>(accepted);
}

int64_t LocalSocket::Impl::WriteWithFds(std::string_view data, const std::vector<int>& fds) {
  constexpr ApiCall kCall = ApiCall::kSocketWriteWithFds;
  if (Inert() || !Writable(kCall)) return -1;
  if (data.empty()) {
    SetError(Error::kOperation, FormatError(kCall, "empty data (fds ride on its first byte)"));
    return -1;
  }
  if (fds.size() > internal::kMaxFdsPerMessage) {
    SetError(
        Error::kOperation,
        FormatError(kCall, "too many file descriptors (" + std::to_string(fds.size()) +
                               ", at most " + std::to_string(internal::kMaxFdsPerMessage) + ")"));
    return -1;
  }
  // Our own copies, sent and then closed by the socket; the caller keeps its fds.
  std::vector<internal::OsFd> copies;
  copies.reserve(fds.size());
  for (const int fd : fds) {
    const SysResult copy = os().Fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (copy.rc < 0) {
      SetError(
          Error::kOperation,
          FormatError(kCall, "cannot duplicate file descriptor " + std::to_string(fd), copy.err));
      return -1;  // The copies made so far are closed.
    }
    copies.emplace_back(os(), static_cast<int>(copy.rc));
  }
  const size_t accepted = channel_.AppendWithFds(data, std::move(copies));
  if (accepted > 0) ScheduleFlush();
  return static_cast<int64_t>(accepted);
}

bool LocalSocket::Impl::Readable(ApiCall call) {
  if (IsOpen() && (open_mode_ & kReadOnly)) return true;
  SetError(Error::kOperation,
           FormatError(call, IsOpen() ? "socket is write-only" : "socket is not open"));
  return false;
}

bool LocalSocket::Impl::ReadableFor(ApiCall call, int64_t max_size) {
  if (!Readable(call)) return false;
  if (max_size >= 0) return true;
  SetError(Error::kOperation, FormatError(call, "negative size"));
  return false;
}

int64_t LocalSocket::Impl::Read(char* data, int64_t max_size) {
  if (!ReadableFor(ApiCall::kSocketRead, max_size)) return -1;
  if (data == nullptr && max_size > 0) {
    SetError(Error::kOperation, FormatError(ApiCall::kSocketRead, "invalid buffer"));
    return -1;
  }
  internal::ByteBuffer& buffer = channel_.read_buffer();
  if (buffer.empty()) return IsValid() ? 0 : -1;  // -1: end of data, as Qt.
  const size_t n = buffer.Read(data, static_cast<size_t>(max_size));
  AfterRead();
  return static_cast<int64_t>(n);
}

std::string LocalSocket::Impl::Read(int64_t max_size) {
  if (!ReadableFor(ApiCall::kSocketRead, max_size)) return {};
  internal::ByteBuffer& buffer = channel_.read_buffer();
  std::string out(std::min<size_t>(static_cast<size_t>(max_size), buffer.size()), '\0');
  buffer.Read(out.data(), out.size());
  AfterRead();
  return out;
}

std::string LocalSocket::Impl::ReadAll() {
  if (!Readable(ApiCall::kSocketReadAll)) return {};
  internal::ByteBuffer& buffer = channel_.read_buffer();
  std::string out(buffer.size(), '\0');
  buffer.Read(out.data(), out.size());
  AfterRead();
  return out;
}

std::string LocalSocket::Impl::ReadLine(int64_t max_size) {
  if (!ReadableFor(ApiCall::kSocketReadLine, max_size)) return {};
  internal::ByteBuffer& buffer = channel_.read_buffer();
  const size_t limit = max_size == 0 ? buffer.size() : std::min<size_t>(max_size, buffer.size());
  const size_t newline = buffer.Find('\n', limit);
  std::string out(newline == internal::ByteBuffer::npos ? limit : newline + 1, '\0');
  buffer.Read(out.data(), out.size());
  AfterRead();
  return out;
}

std::string LocalSocket::Impl::Peek(int64_t max_size) const {
  if (!IsOpen() || !(open_mode_ & kReadOnly) || max_size <= 0) return {};
  const internal::ByteBuffer& buffer = channel_.read_buffer();
  std::string out(std::min<size_t>(static_cast<size_t>(max_size), buffer.size()), '\0');
  buffer.Peek(out.data(), out.size());
  return out;
}

int64_t LocalSocket::Impl::Skip(int64_t max_size) {
  if (!ReadableFor(ApiCall::kSocketSkip, max_size)) return -1;
  internal::ByteBuffer& buffer = channel_.read_buffer();
  if (buffer.empty()) return IsValid() ? 0 : -1;  // -1: end of data, as Read.
  const size_t n = std::min(buffer.size(), static_cast<size_t>(max_size));
  buffer.Consume(n);
  AfterRead();
  return static_cast<int64_t>(n);
}

std::string_view LocalSocket::Impl::PeekBuffered() const {
  if (!IsOpen() || !(open_mode_ & kReadOnly)) return {};
  return channel_.read_buffer().FrontBlock();
}

bool LocalSocket::Impl::Flush() {
  if (Inert()) return false;
  return FlushWriteBuffer(ApiCall::kSocketFlush) > 0;
}

void LocalSocket::Impl::SetReadBufferSize(int64_t size) {
  if (size < 0) return;
  channel_.set_read_limit(size);
  AfterRead();  // A larger limit may resume reading.
}

void LocalSocket::Impl::AfterRead() {
  if (channel_.ResumeReadingIfRoom()) UpdateInterest();
}

void LocalSocket::Impl::UpdateInterest() {
  if (Inert() || !channel_.is_open()) return;
  const uint32_t events = channel_.Interest();
  if (watcher_) {
    watcher_->SetEvents(events);
  } else {
    watcher_ = loop_.WatchFd(channel_.fd(), events, [this](uint32_t ready) { OnFdReady(ready); });
  }
}

void LocalSocket::Impl::OnFdReady(uint32_t ready) {
  const Guard guard = sequencer_.Take();
  if (ready & eventloop::kWritable) {
    connection_.Feed(ConnectionEvent::kWritable);
    if (FlushWriteBuffer(ApiCall::kSocketWrite) < 0 || !guard.Continues() || !channel_.is_open()) {
      return;
    }
  }
  if ((ready & eventloop::kReadable) && channel_.ReadsFromFd()) ReadAndAnnounce();
}

int64_t LocalSocket::Impl::ReadAndAnnounce() {
  connection_.Feed(ConnectionEvent::kReadable);
  const internal::StreamChannel::ReadOutcome read =
      channel_.Read(DiscardsInput(), /*unbounded=*/false);
  if (!channel_.ReadsFromFd() && !read.eof) UpdateInterest();  // Paused: the buffer is full.
  if (read.added > 0 || read.eof || read.err != 0 || read.fds_truncated) HandleReadOutcome(read);
  return read.added;  // `this` may be gone by now.
}

bool LocalSocket::Impl::HandleReadOutcome(const internal::StreamChannel::ReadOutcome& read) {
  const Guard guard = sequencer_.Take();
  if (read.added > 0) {
    sequencer_.EmitReadyRead(owner_.ready_read);
    if (!guard.Continues() || !channel_.is_open()) return false;
  }
  if (read.err != 0) {
    const Error error = internal::ErrorFromIoErrno(read.err);
    ConnectionLost(ConnectionEvent::kIoError, error,
                   FormatError(ApiCall::kSocketRead, internal::ErrorCause(error), read.err));
    return false;
  }
  if (read.fds_truncated) {
    ConnectionLost(ConnectionEvent::kIoError, Error::kSocketResource,
                   FormatError(ApiCall::kSocketRead, kFdsTruncated));
    return false;
  }
  if (read.eof) {
    OnPeerEof();
    return false;
  }
  return true;
}

void LocalSocket::Impl::OnPeerEof() {
  const std::string error_string =
      FormatError(ApiCall::kSocketRead, internal::ErrorCause(Error::kPeerClosed));
  if (channel_.write_buffer().empty()) {
    ConnectionLost(ConnectionEvent::kPeerEof, Error::kPeerClosed, error_string);
    return;
  }
  // The peer may only have shut down its sending side and still read: deliver what is
  // buffered for it from kClosing, reading nothing more.
  UpdateInterest();
  const Guard guard = sequencer_.Take();
  EmitError(Error::kPeerClosed, error_string);
  // A Flush() in the slot may have found the peer gone and ended the connection already.
  if (!guard.Continues() || !channel_.is_open()) return;
  Feed(ConnectionEvent::kPeerEofWritesPending);  // kClosing.
  if (!guard.Continues()) return;
  // A Flush() in the slot may also have sent everything: then the disconnect finishes now.
  DrainWriteBuffer();
}

int64_t LocalSocket::Impl::FlushWriteBuffer(ApiCall call) {
  if (!channel_.is_open() || !IsValid() || channel_.write_buffer().empty()) return 0;
  const internal::StreamChannel::FlushOutcome flushed = channel_.Flush();
  if (flushed.err == 0) UpdateInterest();

  const Guard guard = sequencer_.Take();
  if (flushed.sent > 0) {
    sequencer_.EmitBytesWritten(owner_.bytes_written, flushed.sent);
    if (!guard.Continues() || !channel_.is_open()) return flushed.err != 0 ? -1 : flushed.sent;
    // After the flush's bytes_written (the outermost one reports it); never for a buffer that
    // a failure is about to drop.
    if (flushed.err == 0 && !sequencer_.InsideBytesWritten() && channel_.TakeRoomNotice()) {
      owner_.write_buffer_available.Emit();
      if (!guard.Continues() || !channel_.is_open()) return flushed.sent;
    }
  }
  if (flushed.err != 0) {
    OnSendFailed(flushed.err, call);
    return -1;
  }
  // Inside a bytes_written slot (a Flush() there), the outermost flush finishes the job after
  // its emissions, so that the disconnect sequence never precedes a bytes_written.
  if (channel_.write_buffer().empty() && !sequencer_.InsideBytesWritten()) OnWriteBufferDrained();
  return flushed.sent;
}

void LocalSocket::Impl::OnSendFailed(int err, ApiCall call) {
  const Error error = internal::ErrorFromIoErrno(err);
  if (error == Error::kPeerClosed && channel_.AtEof()) {
    // Draining after the peer's EOF: the rest cannot be delivered. Its close was reported,
    // unless a slot interrupted that report (then this failure is reported).
    ConnectionLost(ConnectionEvent::kIoError, error,
                   peer_closed_reported_ ? error_string()
                                         : FormatError(call, internal::ErrorCause(error), err),
                   /*report=*/!peer_closed_reported_);
    return;
  }
  if (error == Error::kPeerClosed) {
    bool fds_truncated = false;
    if (!DeliverQueuedBytes(&fds_truncated)) return;
    if (fds_truncated) {  // Lost fds are the error to report: the peer's close explains less.
      ConnectionLost(ConnectionEvent::kIoError, Error::kSocketResource,
                     FormatError(ApiCall::kSocketRead, kFdsTruncated));
      return;
    }
  }
  ConnectionLost(ConnectionEvent::kIoError, error,
                 FormatError(call, internal::ErrorCause(error), err));
}

bool LocalSocket::Impl::DeliverQueuedBytes(bool* fds_truncated) {
  const internal::StreamChannel::ReadOutcome read =
      channel_.Read(DiscardsInput(), /*unbounded=*/true);
  *fds_truncated = read.fds_truncated;
  // Inside a ready_read slot the bytes are only buffered: they stay readable.
  if (read.added == 0 || sequencer_.InsideReadyRead()) return true;
  const Guard guard = sequencer_.Take();
  sequencer_.EmitReadyRead(owner_.ready_read);
  return guard.Continues() && channel_.is_open();
}

void LocalSocket::Impl::DrainWriteBuffer() {
  // A slot of the state change that led here (state_changed(kClosing)) may have flushed the
  // buffer and finished the disconnect already: the fd is closed, nothing is left to do.
  if (!channel_.is_open()) return;
  if (channel_.write_buffer().empty()) {
    OnWriteBufferDrained();
  } else {
    ScheduleFlush();
  }
}

void LocalSocket::Impl::OnWriteBufferDrained() {
  if (connection_.Peek(ConnectionEvent::kWriteBufferDrained).kind == CellKind::kMove) {
    FinishDisconnect(ConnectionEvent::kWriteBufferDrained);  // The graceful disconnect is done.
    return;
  }
  connection_.Feed(ConnectionEvent::kWriteBufferDrained);
  channel_.ShutdownIfRequested();
}

}  // namespace ipc
