// Internal: the chunked byte buffer behind LocalSocket's read and write buffers.
#ifndef LOCALSOCKET_IPC_BYTE_BUFFER_H_
#define LOCALSOCKET_IPC_BYTE_BUFFER_H_

#include <sys/uio.h>

#include <cstddef>
#include <deque>
#include <memory>
#include <string_view>

namespace ipc {
namespace internal {

// A FIFO of bytes kept in a deque of blocks: appending never moves stored bytes, consuming
// from the front is O(1) per block, and the front can be gathered into iovecs for one
// sendmsg. Not thread-safe.
class ByteBuffer {
 public:
  static constexpr size_t kBlockSize = size_t{64} * 1024;
  static constexpr size_t npos = static_cast<size_t>(-1);

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  // Copies `data` to the back.
  void Append(std::string_view data);
  // Contiguous free space at the back for a direct read of at least `min_size` bytes (a new
  // block is added when the last one has less). Follow with CommitAppend(n), n <= the size.
  iovec PrepareAppend(size_t min_size);
  void CommitAppend(size_t n);

  // Copies up to `max_size` bytes from the front into `out` without consuming them; returns
  // the count.
  size_t Peek(char* out, size_t max_size) const;
  // The unread bytes of the first block: empty only when the buffer is; valid until the next
  // non-const call.
  std::string_view FrontBlock() const;
  // Removes up to `n` bytes from the front.
  void Consume(size_t n);
  // Peek + Consume.
  size_t Read(char* out, size_t max_size);
  void Clear();

  // Fills up to `max_iov` iovecs with the first (up to `max_bytes`) stored bytes; returns the
  // number of iovecs used. The iovecs stay valid until the next non-const call.
  size_t GatherFront(iovec* iov, size_t max_iov, size_t max_bytes) const;
  // The offset of the first `byte` within the first `limit` bytes, or npos.
  size_t Find(char byte, size_t limit) const;

 private:
  struct Block {
    std::unique_ptr<char[]> data;
    size_t capacity = 0;
    size_t begin = 0;  // First unread byte.
    size_t end = 0;    // One past the last stored byte.
  };
  Block& AddBlock(size_t min_capacity);

  std::deque<Block> blocks_;
  size_t size_ = 0;
};

}  // namespace internal
}  // namespace ipc

#endif  // LOCALSOCKET_IPC_BYTE_BUFFER_H_
