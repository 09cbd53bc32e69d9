// A slow reader with a read-buffer limit: a peer process writes as fast as the kernel takes
// it, the reader consumes a little at a time on a timer, and its memory stays bounded: the
// socket never buffers more than the limit, and the live heap (counted by
// //testing:heap_counter) never grows by more than the limit plus two buffer blocks. Every
// byte arrives, in order. Without the limit the socket would read whatever the kernel holds at
// each wake-up, megabytes between two timer ticks.
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

  Checksum received;
  int64_t most_buffered = 0;
  char chunk[kReadPerTick];
  const auto read_some = [&] {
    most_buffered = std::max(most_buffered, reader.BytesAvailable());
    const int64_t n = reader.Read(chunk, sizeof(chunk));
    if (n > 0) received.Update(chunk, static_cast<size_t>(n));
  };
  const std::unique_ptr<eventloop::Timer> tick = loop_.CreateTimer(read_some);
  const int64_t heap_before = LiveHeapBytes();
  ResetPeakLiveHeap();
  const auto start = std::chrono::steady_clock::now();
  tick->StartRepeating(std::chrono::milliseconds(1));
  ASSERT_TRUE(RunLoopUntil(
      loop_, [&] { return received.bytes() == total; }, std::chrono::seconds(300)))
      << received.bytes() << " of " << total << " bytes";
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  tick->Stop();
  const int64_t peak = PeakLiveHeapBytes() - heap_before;

  EXPECT_EQ(writer.Wait(), 0);
  EXPECT_TRUE(received == PatternChecksum(kSeed, total));
  EXPECT_EQ(most_buffered, kLimit) << "the limit was reached, never passed";
  EXPECT_LE(peak, kLimit + kBlockSlack) << "live heap peak above the limit";
  ASSERT_TRUE(RunLoopUntil(loop_, [&] { return reader.state() == State::kUnconnected; }));
  EXPECT_EQ(reader.error(), LocalSocket::Error::kPeerClosed);
  std::cout << "slow reader: " << total << " bytes in " << seconds << " s, limit " << kLimit
            << ", at most " << most_buffered << " buffered, live heap peak +" << peak << " bytes\n";
}

}  // namespace
}  // namespace test
}  // namespace ipc
