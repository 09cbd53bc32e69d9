// Processes that Listen on one path at the same moment, round after round: in each round
// exactly one of them may succeed (the others get kAddressInUse), whatever is at the path when
// the round starts (nothing, a stale socket, a lock file left by a killed server) and with or
// without access options. Four forked processes meet at a process-shared barrier before each
// round's Listen, then the winner closes.
//
// The default suite runs 4 x 2,000 rounds (about 2 s, also under ASan and TSan); with
// LOCALSOCKET_LONG_TESTS=1 (tools/test --long), 4 x 20,000.
#include <fcntl.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "ipc/local_server.h"
#include "ipc/local_socket.h"
#include "testing/child_process.h"
#include "testing/fake_event_loop.h"
#include "testing/temp_dir.h"

namespace ipc {
namespace test {
namespace {

constexpr int kProcesses = 4;
constexpr int kRounds = 2000;
constexpr int kLongRounds = 20000;

int Rounds() {
  const char* long_tests = std::getenv("LOCALSOCKET_LONG_TESTS");
  return long_tests != nullptr && std::strcmp(long_tests, "1") == 0 ? kLongRounds : kRounds;
}

// What the processes share (an anonymous shared mapping made before the fork).
struct Shared {
  pthread_barrier_t barrier;
  std::atomic<int> winners_this_round;
  // Written by process 0 only, read by the test once every process has exited.
  int rounds_with_two_or_more_winners;
  int rounds_without_a_winner;
  int most_winners_in_a_round;
  // Any process: a loser whose error was not kAddressInUse.
  std::atomic<int> unexpected_errors;
};
static_assert(std::atomic<int>::is_always_lock_free, "the counters are shared between processes");

// How round `round` starts: options, and what process 0 leaves at the path beforehand.
struct RoundSetup {
  uint32_t options;
  bool stale_socket;  // A socket file nobody listens on.
  bool stale_lock;    // A lock file nobody holds (its server was killed).
};

RoundSetup SetupOf(int round) {
  return RoundSetup{
      (round & 1) != 0 ? uint32_t{LocalServer::kUserAccess} : uint32_t{LocalServer::kNoOptions},
      (round & 2) != 0, (round & 4) != 0};
}

bool MakeStaleSocket(const std::string& path) {
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, path.data(), path.size());
  const auto length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size() + 1);
  const bool bound = bind(fd, reinterpret_cast<const sockaddr*>(&address), length) == 0;
  close(fd);
  return bound;
}

bool MakeStaleLockFile(const std::string& path) {
  const int fd = open((path + ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  close(fd);
  return true;
}

// One process's part in every round. Returns its exit status (0: it took part in every round).
int Compete(Shared& shared, int index, const std::string& path, int rounds) {
  eventloop::FakeEventLoop loop;
  LocalServer server(loop);
  for (int round = 0; round < rounds; ++round) {
    const RoundSetup setup = SetupOf(round);
    if (index == 0) {
      if (setup.stale_socket && !MakeStaleSocket(path)) return 2;
      if (setup.stale_lock && !MakeStaleLockFile(path)) return 3;
    }
    server.SetSocketOptions(setup.options);
    pthread_barrier_wait(&shared.barrier);  // Start together.
    if (server.Listen(path)) {
      shared.winners_this_round.fetch_add(1);
    } else if (server.server_error() != LocalSocket::Error::kAddressInUse) {
      shared.unexpected_errors.fetch_add(1);
    }
    pthread_barrier_wait(&shared.barrier);  // Every Listen returned.
    if (index == 0) {
      const int winners = shared.winners_this_round.exchange(0);
      if (winners > 1) ++shared.rounds_with_two_or_more_winners;
      if (winners == 0) ++shared.rounds_without_a_winner;
      if (winners > shared.most_winners_in_a_round) shared.most_winners_in_a_round = winners;
    }
    server.Close();                         // The winner removes its files.
    pthread_barrier_wait(&shared.barrier);  // The path is free for the next round.
  }
  return 0;
}

TEST(LocalServerListenRaceStressTest, OneWinnerPerRound) {
  const int rounds = Rounds();
  TempDir dir;
  const std::string path = dir.File("race");
  void* mapping =
      mmap(nullptr, sizeof(Shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(mapping, MAP_FAILED);
  auto* shared = new (mapping) Shared{};
  pthread_barrierattr_t attr;
  ASSERT_EQ(pthread_barrierattr_init(&attr), 0);
  ASSERT_EQ(pthread_barrierattr_setpshared(&attr, PTHREAD_PROCESS_SHARED), 0);
  ASSERT_EQ(pthread_barrier_init(&shared->barrier, &attr, kProcesses), 0);
  pthread_barrierattr_destroy(&attr);

  const auto start = std::chrono::steady_clock::now();
  std::vector<std::unique_ptr<ChildProcess>> children;
  for (int i = 0; i < kProcesses; ++i) {
    children.push_back(
        std::make_unique<ChildProcess>([&, i] { return Compete(*shared, i, path, rounds); }));
  }
  // One deadline for all: a process that fails leaves the others waiting at the barrier.
  const auto deadline = start + std::chrono::minutes(4);
  for (auto& child : children) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    EXPECT_EQ(child->Wait(std::max(left, std::chrono::milliseconds(0))), 0);
  }
  const auto elapsed = std::chrono::steady_clock::now() - start;

  EXPECT_EQ(shared->rounds_with_two_or_more_winners, 0)
      << "most winners in one round: " << shared->most_winners_in_a_round;
  EXPECT_EQ(shared->rounds_without_a_winner, 0);
  EXPECT_EQ(shared->unexpected_errors.load(), 0);
  RecordProperty("rounds", rounds);
  std::cout << kProcesses << " processes x " << rounds << " rounds in "
            << std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count() << " ms\n";
  pthread_barrier_destroy(&shared->barrier);
  shared->~Shared();
  munmap(mapping, sizeof(Shared));
}

}  // namespace
}  // namespace test
}  // namespace ipc
