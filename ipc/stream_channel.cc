#include "ipc/stream_channel.h"

#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "eventloop/event_loop.h"
#include "ipc/byte_buffer.h"
#include "ipc/read_space.h"

namespace ipc {
namespace internal {
namespace {

// Reading stops after this much per call, so one busy socket cannot starve the others on the
// loop (level-triggered: the rest is read on the next iteration).
constexpr int64_t kMaxReadPerCall = int64_t{256} * 1024;
// One recvmsg reads at most this much (ReadSpace's most).
constexpr size_t kReadChunk = ReadSpace::kMaxIov * ByteBuffer::kBlockSize;
// One sendmsg gathers at most this many buffer blocks.
constexpr size_t kMaxIov = 64;

}  // namespace

StreamChannel::~StreamChannel() {
  passed_fds_.reset();
  if (fd_ >= 0) os_.Close(fd_);
}

void StreamChannel::Open(OsFd fd) {
  if (fd_ >= 0) os_.Close(fd_);
  fd_ = fd.release();
  streaming_ = false;
  read_side_.Feed(ReadSideEvent::kNewConnection);
  write_side_.Feed(WriteSideEvent::kNewConnection);
}

void StreamChannel::CloseFd() {
  if (fd_ >= 0) os_.Close(std::exchange(fd_, -1));
  read_side_.Feed(ReadSideEvent::kNewConnection);
  write_side_.Feed(WriteSideEvent::kNewConnection);
}

void StreamChannel::ClearBuffers() {
  read_buffer_.Clear();
  DropUnsent();
  passed_fds_.reset();
}

void StreamChannel::DropUnsent() {
  write_buffer_.Clear();
  room_notice_owed_ = false;
  if (passed_fds_) passed_fds_->DropOutgoing();
}

void StreamChannel::DropUnread() {
  read_buffer_.Clear();
  if (passed_fds_) passed_fds_->DropReceived();
}

PassedFds& StreamChannel::passed_fds() {
  if (!passed_fds_) passed_fds_ = std::make_unique<PassedFds>(os_);
  return *passed_fds_;
}

std::string_view StreamChannel::FitToWriteLimit(std::string_view data) {
  size_t room = data.size();
  if (write_limit_ > 0) {
    const auto limit = static_cast<size_t>(write_limit_);
    room = write_buffer_.size() >= limit ? 0 : limit - write_buffer_.size();
  }
  if (room < data.size()) {
    room_notice_owed_ = true;
    data = data.substr(0, room);
  }
  return data;
}

size_t StreamChannel::Append(std::string_view data) {
  data = FitToWriteLimit(data);
  write_buffer_.Append(data);
  return data.size();
}

size_t StreamChannel::AppendBorrowed(std::string_view data,
                                     const std::shared_ptr<const void>& keep_alive) {
  data = FitToWriteLimit(data);
  write_buffer_.AppendBorrowed(data, keep_alive);
  return data.size();
}

size_t StreamChannel::AppendWithFds(std::string_view data, std::vector<OsFd> fds) {
  const size_t offset = write_buffer_.size();
  const size_t accepted = Append(data);
  if (accepted > 0 && !fds.empty()) passed_fds().Attach(offset, std::move(fds));
  return accepted;
}

bool StreamChannel::TakeRoomNotice() {
  if (!room_notice_owed_) return false;
  if (write_limit_ > 0 && write_buffer_.size() > static_cast<size_t>(write_limit_) / 2) {
    return false;
  }
  room_notice_owed_ = false;
  return true;
}

uint32_t StreamChannel::Interest() const {
  uint32_t events = eventloop::kNoEvents;
  if (ReadsFromFd()) events |= eventloop::kReadable;
  if (WaitsForWritability()) events |= eventloop::kWritable;
  return events;
}

StreamChannel::ReadOutcome StreamChannel::Read(bool discard, bool unbounded) {
  ReadOutcome outcome;
  RightsControlBuffer control;
  while (unbounded || outcome.added < kMaxReadPerCall) {
    // One block per call, until a read fills one: then the stream may be fast, and a call
    // takes up to several blocks (short messages never pay for the larger offer).
    size_t want = streaming_ ? kReadChunk : ByteBuffer::kBlockSize;
    if (read_limit_ > 0 && !discard && !unbounded) {
      const int64_t room = read_limit_ - static_cast<int64_t>(read_buffer_.size());
      if (room <= 0) {
        read_side_.Feed(ReadSideEvent::kBufferFull);  // The kernel holds the rest.
        break;
      }
      want = std::min<size_t>(want, static_cast<size_t>(room));
    }
    ReadSpace space(read_buffer_, want);
    msghdr message{};
    message.msg_iov = space.iov();
    message.msg_iovlen = space.count();
    // Always room for fds: without it the kernel would drop them (MSG_CTRUNC). The first header
    // is cleared so that an OsCalls leaving msg_controllen as given shows no stale message.
    message.msg_control = control.bytes;
    message.msg_controllen = sizeof(control.bytes);
    std::memset(control.bytes, 0, sizeof(cmsghdr));
    const SysResult result = os_.RecvMsg(fd_, &message, MSG_CMSG_CLOEXEC);
    if (result.rc < 0 && result.err == EINTR) {  // Only from an OsCalls that does not retry.
      space.Commit(0);
      continue;
    }
    const size_t got = result.rc > 0 ? static_cast<size_t>(result.rc) : 0;
    space.Commit(got);
    streaming_ = got >= ByteBuffer::kBlockSize;
    outcome.added += static_cast<int64_t>(got);
    const bool got_fds =
        result.rc >= 0 &&
        KeepReceivedFds(message, discard, bytes_received_ + static_cast<uint64_t>(outcome.added));
    if (result.rc >= 0 && (message.msg_flags & MSG_CTRUNC) != 0) {
      outcome.fds_truncated = true;
      break;
    }
    if (result.rc <= 0) {
      if (result.rc == 0) {
        outcome.eof = true;
        read_side_.Feed(ReadSideEvent::kEof);
      } else if (result.err != EAGAIN && result.err != EWOULDBLOCK) {
        outcome.err = result.err;
      }
      break;
    }
    // A short read drained the kernel's queue, unless fds cut it short (the kernel ends a read
    // at the message that carried them).
    if (got < space.capacity() && !got_fds) break;
  }
  if (discard) {
    read_buffer_.Clear();
    outcome.added = 0;
  }
  bytes_received_ += static_cast<uint64_t>(outcome.added);
  return outcome;
}

bool StreamChannel::KeepReceivedFds(msghdr& message, bool discard, uint64_t end) {
  if (message.msg_controllen == 0) return false;
  bool any = false;
  ForEachReceivedFd(message, [&](int fd) {
    if (discard) {
      OsFd unwanted(os_, fd);  // Closed: nobody reads this socket.
    } else {
      // Untaken fds whose bytes have all been read will not be taken now: they go, so that a
      // peer cannot pile up fds in a program that never takes them.
      if (!any) passed_fds().CloseConsumed(end - read_buffer_.size());
      passed_fds().AddReceived(fd, end);
    }
    any = true;
  });
  return any;
}

std::vector<UniqueFd> StreamChannel::TakeReceivedFds() {
  if (!passed_fds_) return {};
  return passed_fds_->TakeReceived();
}

bool StreamChannel::ResumeReadingIfRoom() {
  if (read_side_.state() != ReadSide::kPaused) return false;
  if (read_limit_ > 0 && static_cast<int64_t>(read_buffer_.size()) >= read_limit_) return false;
  read_side_.Feed(ReadSideEvent::kBufferDrained);
  return true;
}

bool StreamChannel::AcceptsWrites() const {
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

bool StreamChannel::WaitsForWritability() const {
  switch (write_side_.state()) {
    case WriteSide::kBlocked:
    case WriteSide::kShutBlocked:
      return true;
    case WriteSide::kIdle:
    case WriteSide::kShutting:
    case WriteSide::kShut:
      return false;
  }
  return false;
}

StreamChannel::FlushOutcome StreamChannel::Flush() {
  FlushOutcome outcome;
  RightsControlBuffer control;
  while (!write_buffer_.empty()) {
    // Where fds ride on a byte, a send starts at that byte (carrying them) and the one before
    // stops short of it.
    const std::vector<OsFd>* fds = nullptr;
    const size_t max_bytes =
        passed_fds_ ? passed_fds_->NextSend(write_buffer_.size(), &fds) : write_buffer_.size();
    iovec iov[kMaxIov];
    msghdr message{};
    message.msg_iov = iov;
    message.msg_iovlen = write_buffer_.GatherFront(iov, kMaxIov, max_bytes);
    if (fds != nullptr) SetRights(*fds, control, message);
    size_t offered = 0;
    for (size_t i = 0; i < message.msg_iovlen; ++i) offered += iov[i].iov_len;
    const SysResult result = os_.SendMsg(fd_, &message, MSG_NOSIGNAL);
    if (result.rc < 0 && result.err == EINTR) continue;  // Only from a non-retrying OsCalls.
    if (result.rc < 0) {
      if (result.err == EAGAIN || result.err == EWOULDBLOCK) {
        write_side_.Feed(WriteSideEvent::kKernelFull);
      } else {
        outcome.err = result.err;
      }
      break;
    }
    write_buffer_.Consume(static_cast<size_t>(result.rc));
    if (passed_fds_) passed_fds_->Sent(static_cast<size_t>(result.rc));
    outcome.sent += result.rc;
    if (static_cast<size_t>(result.rc) < offered) {
      write_side_.Feed(WriteSideEvent::kKernelFull);  // Wait for writability.
      break;
    }
  }
  if (write_buffer_.empty()) write_side_.Feed(WriteSideEvent::kKernelTookAll);
  return outcome;
}

bool StreamChannel::RequestShutdown() {
  return write_side_.Feed(WriteSideEvent::kShutdownRequested).kind == CellKind::kMove;
}

void StreamChannel::ShutdownIfRequested() {
  if (write_side_.state() != WriteSide::kShutting) return;
  write_side_.Feed(WriteSideEvent::kShutdownDone);
  os_.Shutdown(fd_, SHUT_WR);  // A failure means the peer is gone; reading will tell.
}

}  // namespace internal
}  // namespace ipc
