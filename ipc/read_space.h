// Internal: the space one recvmsg reads into, in front of a ByteBuffer.
#ifndef LOCALSOCKET_IPC_READ_SPACE_H_
#define LOCALSOCKET_IPC_READ_SPACE_H_

#include <sys/uio.h>

#include <algorithm>
#include <cstddef>

#include "ipc/buffer_block_pool.h"
#include "ipc/byte_buffer.h"

namespace ipc {
namespace internal {

// The space one recvmsg reads into: the buffer's own (the room at its back, or its spare
// block), then, for a long read, large blocks from the calling thread's spares (never new
// ones), so that one call can take more of a fast stream. Commit hands the bytes read to the
// buffer in order and the unused blocks back; call it exactly once, on the same thread, before
// the buffer is used again.
class ReadSpace {
 public:
  // The most iovecs (blocks) one read is offered.
  static constexpr size_t kMaxIov = 4;

  // Offers up to `want` (> 0) bytes.
  ReadSpace(ByteBuffer& buffer, size_t want) : buffer_(buffer) {
    iov_[0] = buffer.PrepareAppend(want);
    iov_[0].iov_len = std::min(iov_[0].iov_len, want);
    capacity_ = iov_[0].iov_len;
    while (capacity_ < want && count_ < kMaxIov) {
      char* block = TakeSpareBlock(ByteBuffer::kBlockSize);
      if (block == nullptr) break;
      iov_[count_++] = iovec{block, std::min(want - capacity_, ByteBuffer::kBlockSize)};
      capacity_ += iov_[count_ - 1].iov_len;
    }
  }
  ReadSpace(const ReadSpace&) = delete;
  ReadSpace& operator=(const ReadSpace&) = delete;

  // The iovecs to read into, count() of them, capacity() bytes in all (<= want).
  iovec* iov() { return iov_; }
  size_t count() const { return count_; }
  size_t capacity() const { return capacity_; }

  // Appends the first `got` (<= capacity()) bytes read to the buffer.
  void Commit(size_t got) {
    size_t n = std::min(got, iov_[0].iov_len);
    buffer_.CommitAppend(n);
    got -= n;
    for (size_t i = 1; i < count_; ++i) {
      n = std::min(got, iov_[i].iov_len);
      buffer_.AppendFilledBlock(static_cast<char*>(iov_[i].iov_base), n);
      got -= n;
    }
  }

 private:
  ByteBuffer& buffer_;
  iovec iov_[kMaxIov];  // The first count_ are set.
  size_t count_ = 1;
  size_t capacity_ = 0;
};

}  // namespace internal
}  // namespace ipc

#endif  // LOCALSOCKET_IPC_READ_SPACE_H_
