#include "ipc/byte_buffer.h"

#include <algorithm>
#include <cstring>

namespace ipc {
namespace internal {

ByteBuffer::Block& ByteBuffer::AddBlock(size_t min_capacity) {
  Block block;
  block.capacity = std::max(min_capacity, kBlockSize);
  block.data.reset(new char[block.capacity]);
  blocks_.push_back(std::move(block));
  return blocks_.back();
}

void ByteBuffer::Append(std::string_view data) {
  while (!data.empty()) {
    Block* tail = blocks_.empty() ? nullptr : &blocks_.back();
    if (tail == nullptr || tail->end == tail->capacity) tail = &AddBlock(data.size());
    const size_t n = std::min(data.size(), tail->capacity - tail->end);
    std::memcpy(tail->data.get() + tail->end, data.data(), n);
    tail->end += n;
    size_ += n;
    data.remove_prefix(n);
  }
}

iovec ByteBuffer::PrepareAppend(size_t min_size) {
  Block* tail = blocks_.empty() ? nullptr : &blocks_.back();
  if (tail == nullptr || tail->capacity - tail->end < std::max<size_t>(min_size, 1)) {
    tail = &AddBlock(min_size);
  }
  return iovec{tail->data.get() + tail->end, tail->capacity - tail->end};
}

void ByteBuffer::CommitAppend(size_t n) {
  if (blocks_.empty()) return;
  Block& tail = blocks_.back();
  if (n == 0) {
    if (tail.begin == tail.end) blocks_.pop_back();  // Do not keep an unused block around.
    return;
  }
  n = std::min(n, tail.capacity - tail.end);
  tail.end += n;
  size_ += n;
}

size_t ByteBuffer::Peek(char* out, size_t max_size) const {
  size_t copied = 0;
  for (const Block& block : blocks_) {
    if (copied == max_size) break;
    const size_t n = std::min(max_size - copied, block.end - block.begin);
    std::memcpy(out + copied, block.data.get() + block.begin, n);
    copied += n;
  }
  return copied;
}

std::string_view ByteBuffer::FrontBlock() const {
  if (blocks_.empty()) return {};
  const Block& front = blocks_.front();
  return {front.data.get() + front.begin, front.end - front.begin};
}

void ByteBuffer::Consume(size_t n) {
  n = std::min(n, size_);
  size_ -= n;
  while (n > 0) {
    Block& front = blocks_.front();
    const size_t take = std::min(n, front.end - front.begin);
    front.begin += take;
    n -= take;
    // Emptied blocks are freed: an idle socket holds no buffer memory.
    if (front.begin == front.end) blocks_.pop_front();
  }
}

size_t ByteBuffer::Read(char* out, size_t max_size) {
  const size_t n = Peek(out, max_size);
  Consume(n);
  return n;
}

void ByteBuffer::Clear() {
  blocks_.clear();
  size_ = 0;
}

size_t ByteBuffer::GatherFront(iovec* iov, size_t max_iov, size_t max_bytes) const {
  size_t used = 0;
  for (const Block& block : blocks_) {
    if (used == max_iov || max_bytes == 0) break;
    const size_t n = std::min(max_bytes, block.end - block.begin);
    if (n == 0) continue;
    iov[used++] = iovec{block.data.get() + block.begin, n};
    max_bytes -= n;
  }
  return used;
}

size_t ByteBuffer::Find(char byte, size_t limit) const {
  size_t offset = 0;
  for (const Block& block : blocks_) {
    if (offset >= limit) break;
    const size_t n = std::min(limit - offset, block.end - block.begin);
    const char* start = block.data.get() + block.begin;
    if (const void* hit = std::memchr(start, byte, n)) {
      return offset + static_cast<size_t>(static_cast<const char*>(hit) - start);
    }
    offset += n;
  }
  return npos;
}

}  // namespace internal
}  // namespace ipc
