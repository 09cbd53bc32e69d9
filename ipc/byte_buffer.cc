#include "ipc/byte_buffer.h"

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <utility>
#include <vector>

namespace ipc {
namespace internal {

// A FIFO of shared_ptrs in one array that keeps its capacity: the released prefix is erased
// once it is half the array, so steady streaming allocates nothing.
class ByteBuffer::KeepAlives {
 public:
  void Push(const std::shared_ptr<const void>& keep_alive) { entries_.push_back(keep_alive); }
  void PopFront() {
    entries_[head_++].reset();
    if (head_ == entries_.size()) {
      entries_.clear();
      head_ = 0;
    } else if (head_ > entries_.size() / 2) {
      entries_.erase(entries_.begin(), entries_.begin() + static_cast<std::ptrdiff_t>(head_));
      head_ = 0;
    }
  }

 private:
  std::vector<std::shared_ptr<const void>> entries_;
  size_t head_ = 0;  // Entries before it are released (empty).
};

ByteBuffer::ByteBuffer() = default;

ByteBuffer::~ByteBuffer() {
  Clear();
  FreeBlock(spare_, kLargeBlockSize);
}

BufferBlock& ByteBuffer::AddBlock(size_t min_capacity) {
  // A small block while everything buffered fits one (short messages); else a large block,
  // or one of the data's own size beyond that.
  const size_t capacity = size_ + min_capacity <= kSmallBlockSize
                              ? kSmallBlockSize
                              : std::clamp(min_capacity, kLargeBlockSize, kMaxBlockSize);
  BufferBlock block;
  block.data = AllocateBlock(capacity);
  block.capacity = static_cast<uint32_t>(capacity);
  blocks_.push_back(block);
  return blocks_.back();
}

void ByteBuffer::Append(std::string_view data) {
  while (!data.empty()) {
    BufferBlock* tail = blocks_.empty() ? nullptr : &blocks_.back();
    if (tail == nullptr || tail->room() == 0) tail = &AddBlock(data.size());
    const size_t n = std::min(data.size(), tail->room());
    std::memcpy(tail->data + tail->end, data.data(), n);
    tail->end += static_cast<uint32_t>(n);
    size_ += n;
    data.remove_prefix(n);
  }
}

void ByteBuffer::AppendBorrowed(std::string_view data,
                                const std::shared_ptr<const void>& keep_alive) {
  if (data.size() < kMinBorrowedSize) return Append(data);
  while (!data.empty()) {
    const size_t n = std::min(data.size(), kMaxBlockSize);
    BufferBlock block;
    // Never written through: a borrowed block is full, so appends go to a new block.
    block.data = const_cast<char*>(data.data());  // NOLINT(cppcoreguidelines-pro-type-const-cast)
    block.capacity = static_cast<uint32_t>(n);
    block.end = block.capacity;
    block.borrowed = true;
    if (!keep_alives_) keep_alives_ = std::make_unique<KeepAlives>();
    keep_alives_->Push(keep_alive);
    blocks_.push_back(block);
    size_ += n;
    data.remove_prefix(n);
  }
}

iovec ByteBuffer::PrepareAppend(size_t min_size) {
  min_size = std::clamp<size_t>(min_size, 1, kLargeBlockSize);
  if (!blocks_.empty() && blocks_.back().room() >= min_size) {
    BufferBlock& tail = blocks_.back();
    return iovec{tail.data + tail.end, tail.room()};
  }
  if (spare_ == nullptr) spare_ = AllocateBlock(kLargeBlockSize);
  return iovec{spare_, kLargeBlockSize};
}

void ByteBuffer::CommitAppend(size_t n) {
  if (spare_ == nullptr) {  // The read went into the room at the back.
    if (n == 0 || blocks_.empty()) return;
    BufferBlock& tail = blocks_.back();
    n = std::min(n, tail.room());
    tail.end += static_cast<uint32_t>(n);
    size_ += n;
    return;
  }
  AppendFilledBlock(std::exchange(spare_, nullptr), n);
}

void ByteBuffer::AppendFilledBlock(char* block, size_t n) {
  n = std::min(n, kLargeBlockSize);
  // A short fill is copied where it fits without a new large block: the room at the back, or
  // a small block while the whole buffer fits one. Otherwise the filled block is kept.
  const bool short_fill = n <= kSmallBlockSize;
  const bool fits_back = !blocks_.empty() && blocks_.back().room() >= n;
  if (n > 0 && !(short_fill && (fits_back || size_ + n <= kSmallBlockSize))) {
    blocks_.push_back(
        BufferBlock{block, static_cast<uint32_t>(kLargeBlockSize), 0, static_cast<uint32_t>(n)});
    size_ += n;
    return;
  }
  Append(std::string_view(block, n));
  FreeBlock(block, kLargeBlockSize);
}

size_t ByteBuffer::Peek(char* out, size_t max_size) const {
  size_t copied = 0;
  for (size_t i = 0; i < blocks_.size() && copied < max_size; ++i) {
    const BufferBlock& block = blocks_[i];
    const size_t n = std::min(max_size - copied, block.stored());
    std::memcpy(out + copied, block.data + block.begin, n);
    copied += n;
  }
  return copied;
}

std::string_view ByteBuffer::FrontBlock() const {
  if (blocks_.empty()) return {};
  const BufferBlock& front = blocks_.front();
  return {front.data + front.begin, front.stored()};
}

void ByteBuffer::ReleaseFront() {
  const BufferBlock& front = blocks_.front();
  // A borrowed block drops its reference to the caller's buffer; our own goes back to the pool.
  if (front.borrowed) {
    keep_alives_->PopFront();
  } else {
    FreeBlock(front.data, front.capacity);
  }
  blocks_.pop_front();
}

void ByteBuffer::Consume(size_t n) {
  n = std::min(n, size_);
  size_ -= n;
  while (n > 0) {
    BufferBlock& front = blocks_.front();
    const size_t take = std::min(n, front.stored());
    front.begin += static_cast<uint32_t>(take);
    n -= take;
    // Emptied blocks are released: an idle socket holds no buffer memory.
    if (front.begin == front.end) ReleaseFront();
  }
}

size_t ByteBuffer::Read(char* out, size_t max_size) {
  const size_t n = Peek(out, max_size);
  Consume(n);
  return n;
}

void ByteBuffer::Clear() {
  while (!blocks_.empty()) ReleaseFront();
  size_ = 0;
}

size_t ByteBuffer::GatherFront(iovec* iov, size_t max_iov, size_t max_bytes) const {
  size_t used = 0;
  for (size_t i = 0; i < blocks_.size() && used < max_iov && max_bytes > 0; ++i) {
    const BufferBlock& block = blocks_[i];
    const size_t n = std::min(max_bytes, block.stored());
    if (n == 0) continue;
    iov[used++] = iovec{block.data + block.begin, n};
    max_bytes -= n;
  }
  return used;
}

size_t ByteBuffer::Find(char byte, size_t limit) const {
  size_t offset = 0;
  for (size_t i = 0; i < blocks_.size() && offset < limit; ++i) {
    const BufferBlock& block = blocks_[i];
    const size_t n = std::min(limit - offset, block.stored());
    const char* start = block.data + block.begin;
    if (const void* hit = std::memchr(start, byte, n)) {
      return offset + static_cast<size_t>(static_cast<const char*>(hit) - start);
    }
    offset += n;
  }
  return npos;
}

}  // namespace internal
}  // namespace ipc
