// Internal: the chunked byte buffer behind LocalSocket's read and write buffers.
#ifndef LOCALSOCKET_IPC_BYTE_BUFFER_H_
#define LOCALSOCKET_IPC_BYTE_BUFFER_H_

#include <sys/uio.h>

#include <cstddef>
#include <memory>
#include <string_view>

#include "ipc/block_queue.h"
#include "ipc/buffer_block_pool.h"

namespace ipc {
namespace internal {

// A FIFO of bytes kept in blocks: appending never moves stored bytes, consuming from the front
// is O(1) per block, and the front can be gathered into iovecs for one sendmsg.
//
// Memory follows the data: a block is released (to the thread's spare blocks, see
// buffer_block_pool.h) as soon as its bytes are consumed, so an empty buffer holds no block; a
// short message occupies a small block, not a large one. Not thread-safe; the blocks may be
// released on another thread than the one that filled them.
class ByteBuffer {
 public:
  // The size of the blocks that reads from the kernel and bursts of writes fill.
  static constexpr size_t kBlockSize = kLargeBlockSize;
  static constexpr size_t npos = static_cast<size_t>(-1);
  // AppendBorrowed copies less than this: copying it costs less than keeping a reference (and
  // short writes then coalesce into the blocks, not into many small iovecs).
  static constexpr size_t kMinBorrowedSize = size_t{16} * 1024;

  ByteBuffer();
  ByteBuffer(const ByteBuffer&) = delete;
  ByteBuffer& operator=(const ByteBuffer&) = delete;
  ~ByteBuffer();

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  // Copies `data` to the back: into the room of the last block, then into new blocks.
  void Append(std::string_view data);
  // Appends `data` without copying it, as borrowed blocks that hold a copy of `keep_alive`
  // until their bytes are consumed or cleared; `data` must stay valid and unchanged that long.
  // Data shorter than kMinBorrowedSize is copied instead (Append), keeping nothing.
  void AppendBorrowed(std::string_view data, const std::shared_ptr<const void>& keep_alive);
  // Contiguous free space for a direct read of at least `min_size` (<= kBlockSize) bytes: the
  // room at the back, or a spare block. Follow with exactly one CommitAppend(n), n <= the
  // size, before any other call.
  iovec PrepareAppend(size_t min_size);
  // Appends the first `n` bytes written into the space PrepareAppend returned. A short read
  // into a spare block is copied into a block that fits it, and the spare goes back.
  void CommitAppend(size_t n);
  // Appends the first `n` (<= kBlockSize) bytes of `block`, a kBlockSize block from
  // buffer_block_pool.h that a read filled, and takes the block. A short fill (<= a small
  // block) is copied and the block goes back when the copy needs no new large block: into the
  // room at the back, or into a small block while everything buffered fits one. Else the block
  // itself joins the buffer. With `n` == 0 the block just goes back.
  void AppendFilledBlock(char* block, size_t n);

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
  // Adds an empty block at the back able to take `min_capacity` bytes.
  BufferBlock& AddBlock(size_t min_capacity);
  void ReleaseFront();

  // Appends larger than this are split over several blocks.
  static constexpr size_t kMaxBlockSize = size_t{16} << 20;

  // The keep-alives of the borrowed blocks, in block order; made at the first borrow, so a
  // buffer that never borrows (every read buffer) pays one pointer.
  class KeepAlives;

  BlockQueue blocks_;
  std::unique_ptr<KeepAlives> keep_alives_;
  char* spare_ = nullptr;  // The large block PrepareAppend handed out, if not the back's room.
  size_t size_ = 0;
};

}  // namespace internal
}  // namespace ipc

#endif  // LOCALSOCKET_IPC_BYTE_BUFFER_H_
