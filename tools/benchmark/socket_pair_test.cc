// Runs small socket-workload pairs end to end, in child processes: each implementation of the
// pingpong and connections workloads completes and reports its figures, and the epoll pair
// refuses the stream workloads with a clear error.
#include "tools/benchmark/socket_pair.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <string>

#include "tools/benchmark/scratch_dir.h"
#include "tools/benchmark/socket_run.h"
#include "tools/benchmark/workloads.h"

namespace bench {
namespace {

constexpr std::chrono::milliseconds kTimeout = std::chrono::seconds(60);

// As the bench does: a child that died must not kill the test through its pipe or socket.
class IgnoreSigpipe : public testing::Environment {
 public:
  void SetUp() override { signal(SIGPIPE, SIG_IGN); }
};
testing::Environment* const kIgnoreSigpipe = testing::AddGlobalTestEnvironment(new IgnoreSigpipe);

// A small connections run of `impl` on a socket in `scratch`.
SocketRun SmallConnectionsRun(Impl impl, ScratchDir& scratch) {
  SocketRun run;
  run.family = Family::kConnections;
  run.impl = impl;
  run.path = scratch.File("pair.sock");
  run.connections = 200;
  run.in_flight = 16;
  return run;
}

class SocketPairTest : public testing::TestWithParam<Impl> {};

TEST_P(SocketPairTest, ConnectionsRunReportsItsTimeAndTheServerFigures) {
  ScratchDir scratch;
  ASSERT_FALSE(scratch.path().empty());
  std::string error;
  const std::optional<Metrics> metrics =
      RunSocketPair(SmallConnectionsRun(GetParam(), scratch), kTimeout, &error);
  ASSERT_TRUE(metrics.has_value()) << error;
  ASSERT_EQ(metrics->count("value"), 1u);
  EXPECT_GT(metrics->at("value"), 0.0);
  EXPECT_EQ(metrics->count("rss_per_conn_kib"), 1u);
  EXPECT_EQ(metrics->count("allocs_per_msg"), 1u);
}

TEST_P(SocketPairTest, PingpongRunReportsItsRoundTripsAndTheServerFigures) {
  ScratchDir scratch;
  ASSERT_FALSE(scratch.path().empty());
  SocketRun run = SmallConnectionsRun(GetParam(), scratch);
  run.family = Family::kPingpong;
  run.warmup_rtts = 5;
  run.rtts = 50;
  std::string error;
  const std::optional<Metrics> metrics = RunSocketPair(run, kTimeout, &error);
  ASSERT_TRUE(metrics.has_value()) << error;
  for (const char* figure : {"value", "p50_us", "p99_us", "allocs_per_msg"}) {
    EXPECT_EQ(metrics->count(figure), 1u) << figure;
  }
  EXPECT_GT(metrics->at("value"), 0.0);
  EXPECT_LE(metrics->at("p50_us"), metrics->at("p99_us"));
}

INSTANTIATE_TEST_SUITE_P(EveryImplementation, SocketPairTest,
                         testing::Values(Impl::kOurs, Impl::kBaseline, Impl::kEpollFloor),
                         [](const testing::TestParamInfo<Impl>& info) {
                           switch (info.param) {
                             case Impl::kOurs:
                               return std::string("Ours");
                             case Impl::kBaseline:
                               return std::string("Raw");
                             case Impl::kEpollFloor:
                               return std::string("EpollFloor");
                           }
                           return std::string("Unknown");
                         });

TEST(EpollPairTest, RefusesTheStreamWorkloads) {
  ScratchDir scratch;
  ASSERT_FALSE(scratch.path().empty());
  SocketRun run = SmallConnectionsRun(Impl::kEpollFloor, scratch);
  run.family = Family::kStream;
  run.stream_bytes = 4096;
  run.chunk = 1024;
  std::string error;
  EXPECT_FALSE(RunSocketPair(run, kTimeout, &error).has_value());
  EXPECT_NE(error.find("the epoll pair runs pingpong and connections only"), std::string::npos)
      << error;
}

}  // namespace
}  // namespace bench
