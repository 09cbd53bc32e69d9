#include "ipc/byte_buffer.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <string_view>

#include "gtest/gtest.h"

namespace ipc {
namespace internal {
namespace {

std::string ReadAllFrom(ByteBuffer& buffer) {
  std::string out(buffer.size(), '\0');
  EXPECT_EQ(buffer.Read(out.data(), out.size()), out.size());
  return out;
}

std::string Gathered(const ByteBuffer& buffer, size_t max_iov, size_t max_bytes) {
  iovec iov[16];
  const size_t n = buffer.GatherFront(iov, std::min<size_t>(max_iov, 16), max_bytes);
  std::string out;
  for (size_t i = 0; i < n; ++i)
    out.append(static_cast<const char*>(iov[i].iov_base), iov[i].iov_len);
  return out;
}

TEST(ByteBufferTest, StartsEmpty) {
  ByteBuffer buffer;
  EXPECT_TRUE(buffer.empty());
  EXPECT_EQ(buffer.size(), 0u);
  char c;
  EXPECT_EQ(buffer.Peek(&c, 1), 0u);
  EXPECT_EQ(buffer.Find('\n', 100), ByteBuffer::npos);
}

TEST(ByteBufferTest, AppendPeekReadAcrossBlocks) {
  ByteBuffer buffer;
  std::string data;
  for (size_t i = 0; i < 3 * ByteBuffer::kBlockSize + 17; ++i)
    data.push_back(static_cast<char>(i * 7));
  // Small appends that straddle block boundaries.
  for (size_t offset = 0; offset < data.size(); offset += 1000) {
    buffer.Append(std::string_view(data).substr(offset, 1000));
  }
  ASSERT_EQ(buffer.size(), data.size());
  std::string head(10, '\0');
  EXPECT_EQ(buffer.Peek(head.data(), 10), 10u);
  EXPECT_EQ(head, data.substr(0, 10));
  EXPECT_EQ(buffer.size(), data.size());  // Peek does not consume.
  buffer.Consume(5);
  EXPECT_EQ(ReadAllFrom(buffer), data.substr(5));
  EXPECT_TRUE(buffer.empty());
}

TEST(ByteBufferTest, ConsumeMoreThanStoredEmptiesIt) {
  ByteBuffer buffer;
  buffer.Append("abc");
  buffer.Consume(100);
  EXPECT_TRUE(buffer.empty());
  buffer.Append("de");
  EXPECT_EQ(ReadAllFrom(buffer), "de");
}

TEST(ByteBufferTest, PrepareAndCommitAppendForDirectReads) {
  ByteBuffer buffer;
  buffer.Append("xy");
  iovec space = buffer.PrepareAppend(4);
  ASSERT_GE(space.iov_len, 4u);
  std::memcpy(space.iov_base, "1234", 4);
  buffer.CommitAppend(4);
  EXPECT_EQ(buffer.size(), 6u);
  space = buffer.PrepareAppend(ByteBuffer::kBlockSize);  // More than the tail has: new block.
  ASSERT_GE(space.iov_len, ByteBuffer::kBlockSize);
  buffer.CommitAppend(0);  // Nothing read: the block is released.
  EXPECT_EQ(ReadAllFrom(buffer), "xy1234");
}

TEST(ByteBufferTest, GatherFrontRespectsIovAndByteLimits) {
  ByteBuffer buffer;
  const std::string big(ByteBuffer::kBlockSize, 'a');
  buffer.Append(big);    // Fills block 1 exactly.
  buffer.Append("bcd");  // Block 2.
  EXPECT_EQ(Gathered(buffer, 16, 1000000), big + "bcd");
  EXPECT_EQ(Gathered(buffer, 1, 1000000), big);
  EXPECT_EQ(Gathered(buffer, 16, ByteBuffer::kBlockSize + 2), big + "bc");
  EXPECT_EQ(Gathered(buffer, 16, 3), "aaa");
  EXPECT_EQ(Gathered(buffer, 16, 0), "");
}

size_t IovecCount(const ByteBuffer& buffer) {
  iovec iov[16];
  return buffer.GatherFront(iov, 16, buffer.size());
}

TEST(ByteBufferTest, AppendFillsTheLastBlockBeforeAddingOne) {
  ByteBuffer buffer;
  for (int i = 0; i < 51; ++i) buffer.Append("0123456789");
  buffer.Append("xy");  // Exactly fills the small block.
  ASSERT_EQ(buffer.size(), kSmallBlockSize);
  EXPECT_EQ(IovecCount(buffer), 1u);
  buffer.Append("z");  // No room left: a second block.
  EXPECT_EQ(IovecCount(buffer), 2u);
  EXPECT_EQ(buffer.FrontBlock().size(), kSmallBlockSize);
  // Fill the second (large) block to the last byte in pieces, then overflow it by one.
  const std::string piece(1000, 'w');
  size_t left = ByteBuffer::kBlockSize - 1;
  for (; left >= piece.size(); left -= piece.size()) buffer.Append(piece);
  buffer.Append(std::string(left, 'w'));
  EXPECT_EQ(IovecCount(buffer), 2u);
  buffer.Append("!");
  EXPECT_EQ(IovecCount(buffer), 3u);
  EXPECT_EQ(buffer.size(), kSmallBlockSize + ByteBuffer::kBlockSize + 1);
}

TEST(ByteBufferTest, AppendsLargerThanTheBiggestBlockAreSplit) {
  constexpr size_t kBiggest = size_t{16} << 20;  // The largest block a buffer makes.
  std::string data(kBiggest + 1000, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 131 + (i >> 12));
  ByteBuffer buffer;
  buffer.Append(data);
  ASSERT_EQ(buffer.size(), data.size());
  iovec iov[4];
  ASSERT_EQ(buffer.GatherFront(iov, 4, buffer.size()), 2u);
  EXPECT_EQ(iov[0].iov_len, kBiggest);
  EXPECT_EQ(iov[1].iov_len, 1000u);
  EXPECT_EQ(ReadAllFrom(buffer), data);
}

TEST(ByteBufferTest, AnEmptiedBlockIsReleasedAtOnceAndAPartlyReadOneIsKept) {
  ByteBuffer buffer;
  buffer.Append(std::string(ByteBuffer::kBlockSize, 'a'));  // A large block, full.
  buffer.Append("bcd");  // A second block, large too (the buffer holds more than a small one).
  const char* large = buffer.FrontBlock().data();
  buffer.Consume(ByteBuffer::kBlockSize - 1);
  EXPECT_EQ(buffer.FrontBlock(), "a");
  EXPECT_EQ(buffer.FrontBlock().data(), large + ByteBuffer::kBlockSize - 1);  // Kept.
  buffer.Consume(1);
  EXPECT_EQ(buffer.FrontBlock(), "bcd");
  // The emptied block went back to this thread's spares: the next allocation reuses it.
  char* reused = AllocateBlock(kLargeBlockSize);
  EXPECT_EQ(reused, large);
  FreeBlock(reused, kLargeBlockSize);
  const char* second = buffer.FrontBlock().data();
  EXPECT_EQ(ReadAllFrom(buffer), "bcd");
  EXPECT_EQ(buffer.FrontBlock(), "");  // An empty buffer holds no block.
  reused = AllocateBlock(kLargeBlockSize);
  EXPECT_EQ(reused, second);
  FreeBlock(reused, kLargeBlockSize);
}

TEST(ByteBufferTest, AFilledBlockIsKeptWhenLongAndCopiedWhenShort) {
  ByteBuffer buffer;
  buffer.Append("<");
  // A long fill: the block itself joins the buffer, after what it held.
  char* long_fill = AllocateBlock(kLargeBlockSize);
  std::memset(long_fill, 'L', kSmallBlockSize + 1);
  buffer.AppendFilledBlock(long_fill, kSmallBlockSize + 1);
  // A short fill: copied (into the room at the back), the block given back to the spares.
  char* short_fill = AllocateBlock(kLargeBlockSize);
  std::memcpy(short_fill, "short", 5);
  buffer.AppendFilledBlock(short_fill, 5);
  char* reused = AllocateBlock(kLargeBlockSize);
  EXPECT_EQ(reused, short_fill);
  // Nothing filled: the block just goes back.
  buffer.AppendFilledBlock(reused, 0);
  reused = AllocateBlock(kLargeBlockSize);
  EXPECT_EQ(reused, short_fill);
  FreeBlock(reused, kLargeBlockSize);

  ASSERT_EQ(buffer.size(), 1 + kSmallBlockSize + 1 + 5);
  buffer.Consume(1);
  EXPECT_EQ(buffer.FrontBlock().data(), long_fill);
  EXPECT_EQ(ReadAllFrom(buffer), std::string(kSmallBlockSize + 1, 'L') + "short");
}

TEST(ByteBufferTest, AShortFillIsKeptWhenACopyWouldNeedANewLargeBlock) {
  ByteBuffer buffer;
  buffer.Append(std::string(kLargeBlockSize, 'F'));  // One full large block: no room left.
  char* block = AllocateBlock(kLargeBlockSize);
  std::memcpy(block, "tail", 4);
  buffer.AppendFilledBlock(block, 4);
  buffer.Consume(kLargeBlockSize);
  EXPECT_EQ(buffer.FrontBlock().data(), block);  // Not copied into a new block.
  EXPECT_EQ(ReadAllFrom(buffer), "tail");
  // With everything buffered fitting a small block, a short fill is copied into one.
  block = AllocateBlock(kLargeBlockSize);
  std::memcpy(block, "x", 1);
  buffer.AppendFilledBlock(block, 1);
  EXPECT_NE(buffer.FrontBlock().data(), block);
  EXPECT_EQ(ReadAllFrom(buffer), "x");
}

// A buffer the tests lend: AppendBorrowed's keep-alive owns it, so use_count() tells how
// many copies the ByteBuffer holds.
std::shared_ptr<const std::string> Lent(size_t size, char fill) {
  return std::make_shared<const std::string>(size, fill);
}

TEST(ByteBufferTest, ABorrowedBufferIsSentFromTheCallersMemoryAndHeldUntilConsumed) {
  const auto lent = Lent(ByteBuffer::kMinBorrowedSize, 'b');
  ByteBuffer buffer;
  buffer.Append("head");
  buffer.AppendBorrowed(*lent, lent);
  buffer.Append("tail");
  EXPECT_EQ(buffer.size(), lent->size() + 8);
  EXPECT_EQ(lent.use_count(), 2);

  iovec iov[4];
  ASSERT_EQ(buffer.GatherFront(iov, 4, buffer.size()), 3u);
  EXPECT_EQ(iov[1].iov_base, lent->data());  // Not a copy.
  EXPECT_EQ(iov[1].iov_len, lent->size());
  EXPECT_EQ(std::string(static_cast<const char*>(iov[2].iov_base), iov[2].iov_len), "tail");

  buffer.Consume(4 + lent->size() - 1);  // All but the borrowed block's last byte.
  EXPECT_EQ(lent.use_count(), 2);
  EXPECT_EQ(buffer.FrontBlock(), "b");
  EXPECT_EQ(buffer.FrontBlock().data(), lent->data() + lent->size() - 1);
  buffer.Consume(1);
  EXPECT_EQ(lent.use_count(), 1);
  EXPECT_EQ(ReadAllFrom(buffer), "tail");
}

TEST(ByteBufferTest, ClearAndDestructionReleaseBorrowedBuffers) {
  const auto first = Lent(ByteBuffer::kMinBorrowedSize + 1, 'x');
  const auto second = Lent(ByteBuffer::kMinBorrowedSize, 'y');
  {
    ByteBuffer buffer;
    buffer.AppendBorrowed(*first, first);
    buffer.AppendBorrowed(*second, second);
    buffer.Consume(10);
    buffer.Clear();
    EXPECT_TRUE(buffer.empty());
    EXPECT_EQ(first.use_count(), 1);
    EXPECT_EQ(second.use_count(), 1);
    buffer.AppendBorrowed(*first, first);
    EXPECT_EQ(first.use_count(), 2);
  }
  EXPECT_EQ(first.use_count(), 1);
}

TEST(ByteBufferTest, AShortBorrowIsCopiedAndKeepsNothing) {
  auto lent = std::make_shared<std::string>(ByteBuffer::kMinBorrowedSize - 1, 's');
  ByteBuffer buffer;
  buffer.AppendBorrowed(*lent, lent);
  EXPECT_EQ(lent.use_count(), 1);
  EXPECT_NE(buffer.FrontBlock().data(), lent->data());
  lent->assign(lent->size(), 'z');  // The buffer has its own bytes.
  EXPECT_EQ(ReadAllFrom(buffer), std::string(ByteBuffer::kMinBorrowedSize - 1, 's'));
}

TEST(ByteBufferTest, AppendsAfterABorrowedBlockNeverWriteIntoIt) {
  const auto lent = Lent(ByteBuffer::kMinBorrowedSize, 'b');
  ByteBuffer buffer;
  buffer.AppendBorrowed(*lent, lent);
  buffer.Append("after");
  const iovec read_space = buffer.PrepareAppend(1);
  EXPECT_NE(read_space.iov_base, lent->data() + lent->size());
  buffer.CommitAppend(0);
  EXPECT_EQ(*lent, std::string(ByteBuffer::kMinBorrowedSize, 'b'));
  EXPECT_EQ(ReadAllFrom(buffer), *lent + "after");
}

TEST(ByteBufferTest, FindHonoursLimitAndBlockBoundaries) {
  ByteBuffer buffer;
  buffer.Append(std::string(ByteBuffer::kBlockSize - 1, 'x'));
  buffer.Append("y\nz\n");
  EXPECT_EQ(buffer.Find('\n', buffer.size()), ByteBuffer::kBlockSize);
  EXPECT_EQ(buffer.Find('\n', ByteBuffer::kBlockSize), ByteBuffer::npos);  // Limit excludes it.
  EXPECT_EQ(buffer.Find('\n', ByteBuffer::kBlockSize + 1), ByteBuffer::kBlockSize);
  buffer.Consume(ByteBuffer::kBlockSize + 1);
  EXPECT_EQ(buffer.Find('\n', 100), 1u);
  EXPECT_EQ(buffer.Find('q', 100), ByteBuffer::npos);
}

TEST(ByteBufferTest, RandomOperationsMatchAString) {
  std::mt19937 rng(1234);
  ByteBuffer buffer;
  std::string model;
  for (int step = 0; step < 20000; ++step) {
    const int op = static_cast<int>(rng() % 5);
    if (op == 0) {
      std::string chunk(rng() % 5000, '\0');
      for (char& c : chunk) c = static_cast<char>(rng());
      buffer.Append(chunk);
      model += chunk;
    } else if (op == 1) {
      const size_t n = rng() % 7000;
      std::string out(n, '\0');
      out.resize(buffer.Read(out.data(), n));
      ASSERT_EQ(out, model.substr(0, out.size()));
      model.erase(0, out.size());
    } else if (op == 2) {
      iovec space = buffer.PrepareAppend(rng() % 3000);
      const size_t n = rng() % (std::min<size_t>(space.iov_len, 4000) + 1);
      for (size_t i = 0; i < n; ++i) static_cast<char*>(space.iov_base)[i] = static_cast<char>(i);
      buffer.CommitAppend(n);
      for (size_t i = 0; i < n; ++i) model.push_back(static_cast<char>(i));
    } else if (op == 3) {
      const std::string_view front = buffer.FrontBlock();
      ASSERT_EQ(front.empty(), model.empty());
      ASSERT_EQ(front, std::string_view(model).substr(0, front.size()));
      const size_t n = rng() % (front.size() + 1);
      buffer.Consume(n);
      model.erase(0, n);
    } else {
      const size_t limit = rng() % 10000;
      const size_t newline = model.find('\n');
      ASSERT_EQ(buffer.Find('\n', limit),
                newline < limit && newline < model.size() ? newline : ByteBuffer::npos);
    }
    ASSERT_EQ(buffer.size(), model.size());
  }
  EXPECT_EQ(ReadAllFrom(buffer), model);
}

}  // namespace
}  // namespace internal
}  // namespace ipc
