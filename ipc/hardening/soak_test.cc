// Soak: concurrent clients send messages of log-uniform sizes (1 B to 256 KiB, each with its
// own checksum) through an echo server on one loop, and every byte comes back in order. Then
// the server's process is where it started: the same fds, and a live heap (counted by the
// replacement operator new of //testing:heap_counter) within 64 KiB of the baseline taken
// after a warm-up round. The clients run on a loop of their own in a second thread.
//
// Default: 200 clients x 100 messages, at most 256 MiB each way. `tools/test --long`: 2,000
// clients x 500 messages, at most 4 GiB each way. Under ThreadSanitizer, a quarter of the
// bytes.
#include <sys/resource.h>

#include <chrono>
#include <cstdint>
#include <iostream>
#include <set>
#include <string>

#include "eventloop/libevent_loop.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ipc/hardening/echo_server.h"
#include "ipc/hardening/soak_clients.h"
#include "testing/heap_counter.h"
#include "testing/long_tests.h"
#include "testing/process_resources.h"
#include "testing/run_loop_until.h"
#include "testing/temp_dir.h"

namespace ipc {
namespace test {
namespace {

using std::chrono::milliseconds;
using ::testing::IsEmpty;

// ThreadSanitizer checks every byte each copy touches (the soak moves about 6 MB/s each way
// under it, against 120 MB/s without): there the byte cap is a quarter, with the same clients
// and messages.
#if defined(__SANITIZE_THREAD__)
constexpr uint64_t kCapDivisor = 4;
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
constexpr uint64_t kCapDivisor = 4;
#else
constexpr uint64_t kCapDivisor = 1;
#endif
#else
constexpr uint64_t kCapDivisor = 1;
#endif

constexpr int64_t kHeapTolerance = 64 * 1024;
constexpr int kWarmUpClients = 10;

class SoakTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty()) << "mkdtemp failed";
    ASSERT_TRUE(RaiseFdLimit());
    ASSERT_TRUE(server_.Listen(dir_.File("soak"))) << server_.server().error_string();
  }

  // Runs one round of `clients` clients against the server and waits until they ended and the
  // server closed every connection.
  SoakOutcome RunRound(int clients, uint64_t first_seed) {
    SoakSpec spec;
    spec.server = dir_.File("soak");
    spec.clients = clients;
    spec.messages = messages_;
    spec.budget = budget_;
    spec.first_seed = first_seed;
    SoakClients round(spec);
    const bool ended = RunLoopUntil(
        loop_, [&] { return round.finished() && server_.open_connections() == 0; }, patience_);
    EXPECT_TRUE(ended) << "the round did not end in " << patience_.count() << " ms";
    round.Stop();
    round.Join();
    // After a stop, let the server see the last connections end.
    RunLoopUntil(
        loop_, [&] { return server_.open_connections() == 0; }, milliseconds(5000));
    return round.outcome();
  }

  const int clients_ = ShortOrLong(200, 2000);
  const int messages_ = ShortOrLong(100, 500);
  const uint64_t cap_ = ShortOrLong(uint64_t{256} << 20, uint64_t{4} << 30) / kCapDivisor;
  const uint64_t budget_ = cap_ / static_cast<uint64_t>(clients_);  // Per client, each way.
  const milliseconds patience_ = ShortOrLong(milliseconds(240000), milliseconds(780000));

  TempDir dir_;
  eventloop::LibeventLoop loop_;
  EchoServer server_{loop_};
};

TEST_F(SoakTest, EveryMessageComesBackIntactAndTheServerReturnsToItsBaseline) {
  rlimit limit{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &limit), 0);
  ASSERT_GE(limit.rlim_cur, static_cast<rlim_t>(2 * clients_ + 100))
      << "both ends of every connection live in this process: raise the hard fd limit";

  // Warm-up: the loop's, the sockets' and the block cache's lasting allocations are made.
  const SoakOutcome warm_up = RunRound(kWarmUpClients, 1000000);
  ASSERT_THAT(warm_up.failures, IsEmpty());
  ASSERT_EQ(warm_up.verified, kWarmUpClients);
  const std::set<int> fds_baseline = OpenFds();
  const int64_t heap_baseline = LiveHeapBytes();
  ResetPeakLiveHeap();
  const uint64_t echoed_before = server_.bytes_echoed();

  const auto start = std::chrono::steady_clock::now();
  const SoakOutcome soak = RunRound(clients_, 0);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const int64_t peak = PeakLiveHeapBytes() - heap_baseline;

  EXPECT_THAT(soak.failures, IsEmpty());
  EXPECT_EQ(soak.finished, clients_);
  EXPECT_EQ(soak.verified, clients_);
  EXPECT_EQ(soak.messages_verified, static_cast<uint64_t>(clients_) * messages_);
  EXPECT_LE(soak.bytes_planned, cap_);
  EXPECT_EQ(soak.bytes_sent, soak.bytes_planned);
  EXPECT_EQ(soak.bytes_received, soak.bytes_planned);
  EXPECT_EQ(server_.bytes_echoed() - echoed_before, soak.bytes_planned);
  EXPECT_EQ(server_.accepted(), kWarmUpClients + clients_);
  EXPECT_THAT(server_.server_errors(), IsEmpty());
  EXPECT_THAT(server_.connection_errors(), IsEmpty());

  EXPECT_EQ(OpenFds(), fds_baseline) << "file descriptors leaked";
  const int64_t heap_after = LiveHeapBytes();
  EXPECT_LE(heap_after - heap_baseline, kHeapTolerance) << "live heap grew";
  EXPECT_GE(heap_after - heap_baseline, -kHeapTolerance) << "live heap shrank";

  std::cout << "soak: " << clients_ << " clients x " << messages_ << " messages, "
            << soak.bytes_planned << " bytes each way in " << seconds << " s ("
            << static_cast<double>(soak.bytes_planned) / seconds / 1e6
            << " MB/s each way); live heap " << heap_baseline << " -> " << heap_after
            << " bytes (peak +" << peak << ")\n";
}

}  // namespace
}  // namespace test
}  // namespace ipc
