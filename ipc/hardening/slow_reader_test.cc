// A slow reader: it consumes a little at a time on a timer while its peer writes as fast as
// it may. With a read-buffer limit on the reader its memory stays bounded: the socket never
// buffers more than the limit, and the live heap (counted by //testing:heap_counter) never
// grows by more than the limit plus two buffer blocks. With a write-buffer limit on a writer
// in the same process too, the whole process stays within both limits plus two blocks each.
// Every byte arrives, in order. Without the limits the reader's socket would take whatever
// the kernel holds at each wake-up (megabytes between two timer ticks), and a writer's buffer
// would grow with everything not yet sent.
//
// Default: 8 MiB. `tools/test --long`: 128 MiB.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <iostream>
#include <memory>
#include <string_view>

#include "eventloop/event_loop.h"
#include "gtest/gtest.h"
#include "ipc/local_socket.h"
#include "testing/child_process.h"
#include "testing/data_pattern.h"
#include "testing/heap_counter.h"
#include "testing/long_tests.h"
#include "testing/raw_socket.h"
#include "testing/run_loop_until.h"
#include "testing/socket_test_fixture.h"

namespace ipc {
namespace test {
namespace {

using State = LocalSocket::State;

constexpr int64_t kLimit = 64 * 1024;
// What a read-buffer limit leaves the heap besides the limit itself: the block a read lands
// in may be the second one the buffered bytes touch, and blocks are 64 KiB.
constexpr int64_t kBlockSlack = 2 * 64 * 1024;
constexpr int64_t kReadPerTick = 32 * 1024;
constexpr uint64_t kSeed = 51;

using SlowReaderTest = SocketTest;

// Reads up to kReadPerTick bytes from `reader` each millisecond (a timer: the slow reader),
// checksumming them and noting the most it ever found buffered.
class SlowConsumer {
 public:
  SlowConsumer(eventloop::EventLoop& loop, LocalSocket& reader)
      : reader_(reader), tick_(loop.CreateTimer([this] { ReadSome(); })) {}
  void Start() { tick_->StartRepeating(std::chrono::milliseconds(1)); }
  void Stop() { tick_->Stop(); }
  const Checksum& received() const { return received_; }
  int64_t most_buffered() const { return most_buffered_; }

 private:
  void ReadSome() {
    most_buffered_ = std::max(most_buffered_, reader_.BytesAvailable());
    const int64_t n = reader_.Read(chunk_, sizeof(chunk_));
    if (n > 0) received_.Update(chunk_, static_cast<size_t>(n));
  }

  LocalSocket& reader_;
  const std::unique_ptr<eventloop::Timer> tick_;
  Checksum received_;
  int64_t most_buffered_ = 0;
  char chunk_[kReadPerTick];
};

TEST_F(SlowReaderTest, ReadBufferLimitBoundsTheReadersMemory) {
  const uint64_t total = ShortOrLong(uint64_t{8} << 20, uint64_t{128} << 20);
  auto listener = Listen("srv");
  ASSERT_TRUE(listener);
  LocalSocket reader(loop_);
  reader.SetReadBufferSize(kLimit);
  reader.ConnectToServer("srv");
  ASSERT_EQ(reader.state(), State::kConnected) << reader.error_string();
  const int peer = listener->Accept();
  ASSERT_GE(peer, 0);
  ChildProcess writer([peer, total] {
    char chunk[64 * 1024];
    for (uint64_t offset = 0; offset < total; offset += sizeof(chunk)) {
      const size_t n = static_cast<size_t>(std::min<uint64_t>(sizeof(chunk), total - offset));
      FillPattern(kSeed, offset, chunk, n);
      if (!WriteAll(peer, std::string_view(chunk, n))) return 1;
    }
    return 0;
  });
  ASSERT_GT(writer.pid(), 0);
  close(peer);

  SlowConsumer consumer(loop_, reader);
  const int64_t heap_before = LiveHeapBytes();
  ResetPeakLiveHeap();
  const auto start = std::chrono::steady_clock::now();
  consumer.Start();
  ASSERT_TRUE(RunLoopUntil(
      loop_, [&] { return consumer.received().bytes() == total; }, std::chrono::seconds(300)))
      << consumer.received().bytes() << " of " << total << " bytes";
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  consumer.Stop();
  const int64_t peak = PeakLiveHeapBytes() - heap_before;

  EXPECT_EQ(writer.Wait(), 0);
  EXPECT_TRUE(consumer.received() == PatternChecksum(kSeed, total));
  EXPECT_EQ(consumer.most_buffered(), kLimit) << "the limit was reached, never passed";
  EXPECT_LE(peak, kLimit + kBlockSlack) << "live heap peak above the limit";
  ASSERT_TRUE(RunLoopUntil(loop_, [&] { return reader.state() == State::kUnconnected; }));
  EXPECT_EQ(reader.error(), LocalSocket::Error::kPeerClosed);
  std::cout << "slow reader: " << total << " bytes in " << seconds << " s, read limit " << kLimit
            << ", at most " << consumer.most_buffered() << " buffered, live heap peak +" << peak
            << " bytes\n";
}

// The writer is a LocalSocket in this process too, with a write-buffer limit: it writes
// whenever write_buffer_available says there is room, and the process's live heap stays
// within both limits (plus two blocks for each socket's buffer).
TEST_F(SlowReaderTest, WriteAndReadBufferLimitsBoundBothEnds) {
  const uint64_t total = ShortOrLong(uint64_t{8} << 20, uint64_t{128} << 20);
  auto listener = Listen("srv");
  ASSERT_TRUE(listener);
  LocalSocket writer(loop_);
  writer.SetWriteBufferLimit(kLimit);
  writer.ConnectToServer("srv");
  ASSERT_EQ(writer.state(), State::kConnected) << writer.error_string();
  LocalSocket reader(loop_);
  ASSERT_TRUE(reader.SetSocketDescriptor(listener->Accept())) << reader.error_string();
  reader.SetReadBufferSize(kLimit);

  uint64_t offset = 0;
  int64_t most_to_write = 0;
  int cut_short = 0;
  char chunk[16 * 1024];
  // Writes the pattern until a Write is cut short; after the last byte, disconnects (a
  // graceful disconnect delivers what is still buffered).
  const auto fill = [&] {
    while (offset < total) {
      const size_t n = static_cast<size_t>(std::min<uint64_t>(sizeof(chunk), total - offset));
      FillPattern(kSeed, offset, chunk, n);
      const int64_t taken = writer.Write(std::string_view(chunk, n));
      ASSERT_GE(taken, 0) << writer.error_string();
      offset += static_cast<uint64_t>(taken);
      most_to_write = std::max(most_to_write, writer.BytesToWrite());
      if (static_cast<size_t>(taken) < n) {
        ++cut_short;
        return;
      }
    }
    writer.DisconnectFromServer();
  };
  writer.write_buffer_available.Connect(fill);

  SlowConsumer consumer(loop_, reader);
  const int64_t heap_before = LiveHeapBytes();
  ResetPeakLiveHeap();
  const auto start = std::chrono::steady_clock::now();
  fill();
  consumer.Start();
  ASSERT_TRUE(RunLoopUntil(
      loop_, [&] { return consumer.received().bytes() == total; }, std::chrono::seconds(300)))
      << consumer.received().bytes() << " of " << total << " bytes";
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  consumer.Stop();
  const int64_t peak = PeakLiveHeapBytes() - heap_before;

  EXPECT_TRUE(consumer.received() == PatternChecksum(kSeed, total));
  EXPECT_EQ(consumer.most_buffered(), kLimit) << "the read limit was reached, never passed";
  EXPECT_EQ(most_to_write, kLimit) << "the write limit was reached, never passed";
  EXPECT_GT(cut_short, 0);
  EXPECT_LE(peak, 2 * (kLimit + kBlockSlack)) << "live heap peak above the limits";
  ASSERT_TRUE(RunLoopUntil(loop_, [&] { return reader.state() == State::kUnconnected; }));
  EXPECT_EQ(writer.state(), State::kUnconnected);
  EXPECT_EQ(reader.error(), LocalSocket::Error::kPeerClosed);
  std::cout << "slow reader, limited writer: " << total << " bytes in " << seconds << " s, limits "
            << kLimit << ", at most " << consumer.most_buffered() << " buffered for reading and "
            << most_to_write << " for writing, live heap peak +" << peak << " bytes\n";
}

}  // namespace
}  // namespace test
}  // namespace ipc
