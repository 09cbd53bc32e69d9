// LibeventLoop built with almost no free fds: for 0..8 free slots in the fd table, a forked
// child builds a loop (on SystemClock() and on a FakeClock) and reports whether it is valid and
// whether every fd it took came back. The child must survive (libevent exits the process when
// its signal pipe cannot be made) and write nothing to stderr (libevent logs to stderr unless
// a log callback is installed). Also: once a loop exists, libevent's own messages are
// discarded.
//
// Nothing here builds a loop in the test process itself: each child starts from libevent's
// state before any loop existed, as a fresh program does.
#include <event2/event.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "eventloop/clock.h"
#include "eventloop/libevent_loop.h"
#include "gtest/gtest.h"
#include "testing/child_process.h"
#include "testing/fake_clock.h"

namespace eventloop {
namespace {

// The fds a valid loop holds: libevent's epoll fd and signal pipe (3), the loop's eventfd, and
// on SystemClock() its timerfd.
constexpr int kFdsOnSystemClock = 5;
constexpr int kFdsOnFakeClock = 4;

// The child's exit statuses (libevent's own exit is 1).
constexpr int kInvalid = 40;         // The loop was invalid; the fd table is as before.
constexpr int kValid = 41;           // The loop was valid and ran; the fd table is as before.
constexpr int kFdsNotReturned = 42;  // The fd table lost or gained free slots.
constexpr int kSetupFailed = 43;     // The child could not prepare its fd table.

// The fd table's soft limit in the child: low, so that filling it is quick.
constexpr rlim_t kFdLimit = 64;

// Fills every free slot below the soft limit with duplicates of `fd`; returns them.
std::vector<int> FillFdTable(int fd) {
  std::vector<int> fills;
  for (;;) {
    const int dup = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (dup < 0) return fills;
    fills.push_back(dup);
  }
}

// The number of free slots in the fd table (fills it, counts, empties it again).
int CountFreeFds(int any_fd) {
  const std::vector<int> fills = FillFdTable(any_fd);
  for (int fill : fills) close(fill);
  return static_cast<int>(fills.size());
}

// The child's body: leaves exactly `free_fds` slots free, builds a loop, and reports.
int BuildLoopWithFreeFds(int free_fds, bool fake_clock) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return kSetupFailed;
  limit.rlim_cur = kFdLimit;  // Only the soft limit: no privilege needed.
  if (limit.rlim_cur > limit.rlim_max || setrlimit(RLIMIT_NOFILE, &limit) != 0) {
    return kSetupFailed;
  }
  std::vector<int> fills = FillFdTable(STDERR_FILENO);
  if (fills.size() < static_cast<size_t>(free_fds)) return kSetupFailed;
  for (int i = 0; i < free_fds; ++i) {
    close(fills.back());
    fills.pop_back();
  }
  if (CountFreeFds(STDERR_FILENO) != free_fds) return kSetupFailed;

  bool valid = false;
  {
    FakeClock clock;
    auto loop =
        fake_clock ? std::make_unique<LibeventLoop>(clock) : std::make_unique<LibeventLoop>();
    valid = loop->IsValid();
    if (valid) {
      bool ran = false;
      loop->Post([&] { ran = true; });
      loop->RunUntilIdle();
      if (!ran) return kSetupFailed;
    }
  }
  if (CountFreeFds(STDERR_FILENO) != free_fds) return kFdsNotReturned;
  return valid ? kValid : kInvalid;
}

// Reads everything from `fd` until EOF.
std::string ReadAll(int fd) {
  std::string text;
  char buffer[512];
  for (;;) {
    const ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return text;
    text.append(buffer, static_cast<size_t>(n));
  }
}

struct Outcome {
  int status;
  std::string stderr_text;
};

// Runs `body` in a child whose stderr is a pipe; returns its exit status and what it wrote
// to stderr.
Outcome RunChild(const std::function<int()>& body) {
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) return {-2, std::strerror(errno)};
  int status = -1;
  {
    ipc::test::ChildProcess child([&] {
      close(pipe_fds[0]);
      if (dup2(pipe_fds[1], STDERR_FILENO) < 0) return kSetupFailed;
      close(pipe_fds[1]);
      return body();
    });
    close(pipe_fds[1]);
    status = child.Wait();
  }
  Outcome outcome{status, ReadAll(pipe_fds[0])};
  close(pipe_fds[0]);
  return outcome;
}

class FdLimitTest : public ::testing::TestWithParam<int> {};

TEST_P(FdLimitTest, SystemClockLoopSurvivesAndPrintsNothing) {
  const int free_fds = GetParam();
  const Outcome outcome =
      RunChild([&] { return BuildLoopWithFreeFds(free_fds, /*fake_clock=*/false); });
  EXPECT_EQ(outcome.status, free_fds >= kFdsOnSystemClock ? kValid : kInvalid);
  EXPECT_EQ(outcome.stderr_text, "");
}

TEST_P(FdLimitTest, FakeClockLoopSurvivesAndPrintsNothing) {
  const int free_fds = GetParam();
  const Outcome outcome =
      RunChild([&] { return BuildLoopWithFreeFds(free_fds, /*fake_clock=*/true); });
  EXPECT_EQ(outcome.status, free_fds >= kFdsOnFakeClock ? kValid : kInvalid);
  EXPECT_EQ(outcome.stderr_text, "");
}

INSTANTIATE_TEST_SUITE_P(FreeFds, FdLimitTest, ::testing::Range(0, 9));

// Makes libevent warn: an event_base with every backend avoided ("no event mechanism
// available"). Returns 0 when event_base_new_with_config refused, as it must.
int MakeLibeventWarn() {
  event_config* config = event_config_new();
  if (config == nullptr) return kSetupFailed;
  for (const char* method : {"epoll", "poll", "select"}) event_config_avoid_method(config, method);
  event_base* base = event_base_new_with_config(config);
  event_config_free(config);
  if (base != nullptr) {
    event_base_free(base);
    return kSetupFailed;
  }
  return 0;
}

TEST(LibeventLogTest, LibeventWarnsOnStderrWithoutALoop) {
  // The control: what the next test silences is printed by default.
  const Outcome outcome = RunChild(&MakeLibeventWarn);
  EXPECT_EQ(outcome.status, 0);
  EXPECT_EQ(outcome.stderr_text,
            "[warn] event_base_new_with_config: no event mechanism available\n");
}

TEST(LibeventLogTest, ALoopSilencesLibeventForTheWholeProcess) {
  const Outcome outcome = RunChild([] {
    { const LibeventLoop loop; }  // The callback stays installed after the loop is gone.
    return MakeLibeventWarn();
  });
  EXPECT_EQ(outcome.status, 0);
  EXPECT_EQ(outcome.stderr_text, "");
}

}  // namespace
}  // namespace eventloop
