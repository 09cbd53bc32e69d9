// The soak's message plan and echo checks: the budget holds, sizes span the range, and every
// kind of damage to an echoed stream is caught.
#include "ipc/hardening/message_stream.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace ipc {
namespace test {
namespace {

std::string Stream(uint64_t seed, const std::vector<uint32_t>& sizes) {
  MessageWriter writer(seed, sizes);
  std::string stream;
  std::string message;
  while (writer.HasNext()) stream += writer.Next(message);
  return stream;
}

// Feeds `stream` to a fresh verifier in pieces of `piece` bytes; the verifier's failure text,
// or "complete", or "incomplete".
std::string Verify(const std::vector<uint32_t>& sizes, const std::string& stream,
                   size_t piece = 4096) {
  EchoVerifier verifier(sizes);
  for (size_t at = 0; at < stream.size(); at += piece) {
    if (!verifier.Consume(std::string_view(stream).substr(at, piece))) return verifier.failure();
  }
  return verifier.complete() ? "complete" : "incomplete";
}

TEST(PlanPayloadSizesTest, FitsTheBudgetAndIsDeterministic) {
  constexpr uint64_t kBudget = (uint64_t{256} << 20) / 200;  // The default soak's share.
  for (uint64_t seed = 0; seed < 50; ++seed) {
    const std::vector<uint32_t> sizes = PlanPayloadSizes(seed, 100, kBudget);
    ASSERT_EQ(sizes.size(), 100u);
    EXPECT_LE(EncodedSize(sizes), kBudget);
    for (uint32_t size : sizes) {
      EXPECT_GE(size, 1u);
      EXPECT_LE(size, kMaxPayloadSize);
    }
    EXPECT_EQ(PlanPayloadSizes(seed, 100, kBudget), sizes);
  }
  // The smallest budget that holds the messages: every payload is one byte.
  EXPECT_EQ(PlanPayloadSizes(1, 3, 3 * 17), (std::vector<uint32_t>{1, 1, 1}));
  EXPECT_TRUE(PlanPayloadSizes(1, 3, 3 * 17 - 1).empty());
  EXPECT_TRUE(PlanPayloadSizes(1, 0, 1000).empty());
}

TEST(PlanPayloadSizesTest, SizesAreLogUniformOverTheWholeRange) {
  const std::vector<uint32_t> sizes = PlanPayloadSizes(7, 20000, uint64_t{1} << 40);
  ASSERT_EQ(sizes.size(), 20000u);
  // Each of the 18 octaves [2^k, 2^(k+1)) of [1, 2^18] gets about 1/18 of the draws.
  std::vector<int> octaves(19, 0);
  for (uint32_t size : sizes) {
    int k = 0;
    while ((uint64_t{2} << k) <= size) ++k;
    ++octaves[static_cast<size_t>(k)];
  }
  for (int k = 0; k < 18; ++k) {
    EXPECT_GT(octaves[static_cast<size_t>(k)], 20000 / 18 * 8 / 10) << "octave " << k;
    EXPECT_LT(octaves[static_cast<size_t>(k)], 20000 / 18 * 12 / 10) << "octave " << k;
  }
}

TEST(EchoVerifierTest, AcceptsTheExactStreamInPiecesOfAnySize) {
  const std::vector<uint32_t> sizes = {1, 15, 16, 17, 1000, 70000, 3};
  const std::string stream = Stream(5, sizes);
  EXPECT_EQ(stream.size(), EncodedSize(sizes));
  for (size_t piece : {size_t{1}, size_t{7}, size_t{16}, size_t{4096}, stream.size()}) {
    EXPECT_EQ(Verify(sizes, stream, piece), "complete") << "pieces of " << piece;
  }
  EchoVerifier partial(sizes);
  EXPECT_TRUE(partial.Consume(std::string_view(stream).substr(0, stream.size() - 1)));
  EXPECT_FALSE(partial.complete());
  EXPECT_EQ(partial.verified(), sizes.size() - 1);
  EXPECT_EQ(partial.bytes(), stream.size() - 1);
}

TEST(EchoVerifierTest, CatchesLostDuplicatedReorderedAlteredAndExtraBytes) {
  const std::vector<uint32_t> sizes = {100, 200, 300};
  const std::string good = Stream(9, sizes);
  const size_t in_second_payload = 116 + 16 + 50;

  std::string lost = good;
  lost.erase(in_second_payload, 1);
  EXPECT_EQ(Verify(sizes, lost), "message 1: payload checksum mismatch");

  std::string duplicated = good;
  duplicated.insert(in_second_payload, 1, good[in_second_payload]);
  EXPECT_EQ(Verify(sizes, duplicated), "message 1: payload checksum mismatch");

  std::string reordered = good;
  std::swap(reordered[in_second_payload], reordered[in_second_payload + 1]);
  EXPECT_EQ(Verify(sizes, reordered), "message 1: payload checksum mismatch");

  std::string altered = good;
  altered[in_second_payload] = static_cast<char>(altered[in_second_payload] ^ 1);
  EXPECT_EQ(Verify(sizes, altered), "message 1: payload checksum mismatch");

  // Whole messages swapped: the sequence numbers say so.
  const std::string swapped = good.substr(116, 216) + good.substr(0, 116) + good.substr(332);
  EXPECT_EQ(Verify(sizes, swapped), "message 0: sequence number 1, expected 0");

  // A message of the right number with another length.
  std::string resized = good;
  resized[116] = static_cast<char>(201);
  EXPECT_EQ(Verify(sizes, resized), "message 1: length 201, expected 200");

  EXPECT_EQ(Verify(sizes, good + "x"), "message 3: bytes after the last message");
  EXPECT_EQ(Verify(sizes, good.substr(0, good.size() - 1)), "incomplete");
}

}  // namespace
}  // namespace test
}  // namespace ipc
