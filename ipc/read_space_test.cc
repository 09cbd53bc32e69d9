#include "ipc/read_space.h"

#include <cstring>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "testing/taken_spare_blocks.h"

namespace ipc {
namespace internal {
namespace {

using test::AddSpareLargeBlocks;
using test::CountSpareLargeBlocks;
using test::TakenSpareLargeBlocks;

// Writes `data` into the space's iovecs in order (as the kernel would); returns the count.
size_t Fill(ReadSpace& space, const std::string& data) {
  size_t copied = 0;
  for (size_t i = 0; i < space.count() && copied < data.size(); ++i) {
    const size_t n = std::min(space.iov()[i].iov_len, data.size() - copied);
    std::memcpy(space.iov()[i].iov_base, data.data() + copied, n);
    copied += n;
  }
  return copied;
}

std::string Pattern(size_t size) {
  std::string data(size, '\0');
  for (size_t i = 0; i < size; ++i) data[i] = static_cast<char>(i * 13 + i / 509);
  return data;
}

std::string Drain(ByteBuffer& buffer) {
  std::string out(buffer.size(), '\0');
  buffer.Read(out.data(), out.size());
  return out;
}

TEST(ReadSpaceTest, WithoutSparesALongReadGetsTheBuffersOwnBlockOnly) {
  TakenSpareLargeBlocks taken;
  ByteBuffer buffer;
  ReadSpace space(buffer, 4 * kLargeBlockSize);
  EXPECT_EQ(space.count(), 1u);
  EXPECT_EQ(space.capacity(), kLargeBlockSize);
  const std::string data = Pattern(kLargeBlockSize);
  space.Commit(Fill(space, data));
  EXPECT_EQ(Drain(buffer), data);
}

TEST(ReadSpaceTest, SparesExtendALongReadAndTheBytesArriveInOrder) {
  TakenSpareLargeBlocks taken;
  AddSpareLargeBlocks(ReadSpace::kMaxIov);
  ByteBuffer buffer;
  // In a small block, whose room is less than a large block: a long read starts in the
  // buffer's own spare block.
  buffer.Append("head:");
  ReadSpace space(buffer, 2 * kLargeBlockSize + 10);
  ASSERT_EQ(space.count(), 3u);
  EXPECT_EQ(space.iov()[0].iov_len, kLargeBlockSize);
  EXPECT_EQ(space.iov()[1].iov_len, kLargeBlockSize);
  EXPECT_EQ(space.iov()[2].iov_len, 10u);
  EXPECT_EQ(space.capacity(), 2 * kLargeBlockSize + 10);     // Never more than asked.
  const std::string data = Pattern(kLargeBlockSize + 1000);  // The first two iovecs.
  space.Commit(Fill(space, data));
  EXPECT_EQ(buffer.size(), 5 + data.size());
  EXPECT_EQ(Drain(buffer), "head:" + data);
  // Every large block is back among the spares.
  EXPECT_EQ(CountSpareLargeBlocks(), static_cast<size_t>(ReadSpace::kMaxIov));
}

TEST(ReadSpaceTest, NothingReadGivesEveryBlockBack) {
  TakenSpareLargeBlocks taken;
  AddSpareLargeBlocks(ReadSpace::kMaxIov);
  ByteBuffer buffer;
  {
    ReadSpace space(buffer, 8 * kLargeBlockSize);
    EXPECT_EQ(space.count(), static_cast<size_t>(ReadSpace::kMaxIov));
    EXPECT_EQ(space.capacity(), ReadSpace::kMaxIov * kLargeBlockSize);
    space.Commit(0);
  }
  EXPECT_TRUE(buffer.empty());
  EXPECT_EQ(buffer.FrontBlock(), "");
  EXPECT_EQ(CountSpareLargeBlocks(), static_cast<size_t>(ReadSpace::kMaxIov));
}

TEST(ReadSpaceTest, AShortWantIsOneIovec) {
  TakenSpareLargeBlocks taken;
  AddSpareLargeBlocks(ReadSpace::kMaxIov);
  ByteBuffer buffer;
  ReadSpace space(buffer, 100);
  EXPECT_EQ(space.count(), 1u);
  EXPECT_EQ(space.capacity(), 100u);
  space.Commit(Fill(space, "abc"));
  EXPECT_EQ(Drain(buffer), "abc");
}

}  // namespace
}  // namespace internal
}  // namespace ipc
