// Two servers that Listen on one path at the same time, made deterministic: one server runs
// its Listen (or Close) on a thread of its own through a GatedOsCalls, which stops it at a
// chosen system call while the other server acts on the test's thread. Whatever the
// interleaving, at most one server owns the path, and the owner is the one clients reach.
// Real sockets and files in a private directory; each server on a FakeEventLoop of its own
// (Listen needs no loop iteration, and WaitForNewConnection polls the real fd).
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>

#include "gtest/gtest.h"
#include "ipc/local_server.h"
#include "ipc/local_socket.h"
#include "ipc/os_calls.h"
#include "testing/fake_event_loop.h"
#include "testing/gated_os_calls.h"
#include "testing/temp_dir.h"

namespace ipc {
namespace test {
namespace {

using Error = LocalSocket::Error;

// A filesystem address for `path`.
sockaddr_un PathAddress(const std::string& path, socklen_t* length) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, path.data(), path.size());
  *length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size() + 1);
  return address;
}

// Leaves a stale socket file at `path`: bound, never listened on, its fd closed.
bool MakeStaleSocket(const std::string& path) {
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  socklen_t length = 0;
  const sockaddr_un address = PathAddress(path, &length);
  const bool bound = bind(fd, reinterpret_cast<const sockaddr*>(&address), length) == 0;
  close(fd);
  return bound;
}

// The inode at `path`, or 0 when nothing is there.
ino_t InodeAt(const std::string& path) {
  struct stat st {};
  return lstat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

// A client connecting to `path` reaches `server`: the connection is queued on the server's
// listening fd (polled directly: the server's own waits measure time on its fake clock), and
// the server accepts it.
::testing::AssertionResult Reaches(const std::string& path, LocalServer& server) {
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  socklen_t length = 0;
  const sockaddr_un address = PathAddress(path, &length);
  if (connect(fd, reinterpret_cast<const sockaddr*>(&address), length) != 0) {
    const int err = errno;
    close(fd);
    return ::testing::AssertionFailure() << "connect: " << std::strerror(err);
  }
  pollfd listening{server.socket_descriptor(), POLLIN, 0};
  const bool queued = poll(&listening, 1, 5000) == 1;
  const bool accepted = queued && server.WaitForNewConnection(0) && server.NextPendingConnection();
  close(fd);
  if (!queued) return ::testing::AssertionFailure() << "the connection went elsewhere";
  if (!accepted) return ::testing::AssertionFailure() << "the server accepted nothing";
  return ::testing::AssertionSuccess();
}

// Runs `run` on a thread of its own. The thread's calls through `gate` may be held; the
// destructor releases the gate before joining, so a failed assertion never hangs the test.
class GatedThread {
 public:
  GatedThread(GatedOsCalls& gate, std::function<bool()> run)
      : gate_(gate), thread_([this, run = std::move(run)] { result_ = run(); }) {}
  GatedThread(const GatedThread&) = delete;
  GatedThread& operator=(const GatedThread&) = delete;
  ~GatedThread() {
    gate_.Release();
    if (thread_.joinable()) thread_.join();
  }

  // Waits for the thread to end; returns what `run` returned.
  bool Join() {
    thread_.join();
    return result_;
  }

 private:
  GatedOsCalls& gate_;
  bool result_ = false;
  std::thread thread_;
};

// Two servers on one path: the first runs through gate_ (and on a GatedThread whenever it is
// held), the second on the test's thread.
class LocalServerRaceTest : public ::testing::Test {
 protected:
  TempDir dir_;
  const std::string path_ = dir_.File("race");
  eventloop::FakeEventLoop first_loop_;
  eventloop::FakeEventLoop second_loop_;
  GatedOsCalls gate_{RealOsCalls()};
  LocalServer first_{first_loop_, gate_};
  LocalServer second_{second_loop_};
};

// The first server has bound the final path (kNoOptions) but not called listen() yet. A
// probe would find the socket refusing connections and take it for stale.
TEST_F(LocalServerRaceTest, BoundButNotListeningIsNotTakenForStale) {
  gate_.HoldAt("Listen", GatedOsCalls::kBefore);
  GatedThread first(gate_, [&] { return first_.Listen(path_); });
  ASSERT_TRUE(gate_.WaitUntilHeld());
  ASSERT_NE(InodeAt(path_), 0u);  // Bound at the final path.

  EXPECT_FALSE(second_.Listen(path_));
  EXPECT_EQ(second_.server_error(), Error::kAddressInUse);
  EXPECT_EQ(second_.error_string(), "LocalServer::Listen: address in use");
  gate_.Release();
  ASSERT_TRUE(first.Join()) << first_.error_string();
  EXPECT_TRUE(Reaches(path_, first_));
}

class StaleSocketRaceTest : public LocalServerRaceTest,
                            public ::testing::WithParamInterface<uint32_t> {};

// The first server probed a stale socket and is about to unlink it. Another server replacing
// the stale socket meanwhile would have its live socket unlinked.
TEST_P(StaleSocketRaceTest, StaleSocketIsReplacedByOneServerOnly) {
  ASSERT_TRUE(MakeStaleSocket(path_));
  first_.SetSocketOptions(GetParam());
  second_.SetSocketOptions(GetParam());
  gate_.HoldAt("Unlink", GatedOsCalls::kBefore);  // The first unlink is the stale socket's.
  GatedThread first(gate_, [&] { return first_.Listen(path_); });
  ASSERT_TRUE(gate_.WaitUntilHeld());

  EXPECT_FALSE(second_.Listen(path_));
  EXPECT_EQ(second_.server_error(), Error::kAddressInUse);
  gate_.Release();
  ASSERT_TRUE(first.Join()) << first_.error_string();
  EXPECT_TRUE(Reaches(path_, first_));
}

INSTANTIATE_TEST_SUITE_P(Options, StaleSocketRaceTest,
                         ::testing::Values(uint32_t{LocalServer::kNoOptions},
                                           uint32_t{LocalServer::kUserAccess}));

// The first server opened the lock file of a server that then closed (unlinking it) and a
// third server made a new one and bound the path, not yet listening. The first server's lock
// on the old, unlinked file guards nothing: it must not go on to probe and unlink.
TEST_F(LocalServerRaceTest, LockOnAnUnlinkedLockFileIsTakenAgain) {
  eventloop::FakeEventLoop loop;
  LocalServer old_owner(loop);
  ASSERT_TRUE(old_owner.Listen(path_));
  gate_.HoldAt("Open", GatedOsCalls::kAfter);  // The lock file, opened, not locked yet.
  GatedThread first(gate_, [&] { return first_.Listen(path_); });
  ASSERT_TRUE(gate_.WaitUntilHeld());
  old_owner.Close();

  eventloop::FakeEventLoop third_loop;
  GatedOsCalls third_gate(RealOsCalls());
  LocalServer third(third_loop, third_gate);
  third_gate.HoldAt("Listen", GatedOsCalls::kBefore);
  GatedThread third_thread(third_gate, [&] { return third.Listen(path_); });
  ASSERT_TRUE(third_gate.WaitUntilHeld());  // It holds the new lock file and is bound.

  gate_.Release();
  EXPECT_FALSE(first.Join());
  EXPECT_EQ(first_.server_error(), Error::kAddressInUse);
  EXPECT_EQ(first_.error_string(), "LocalServer::Listen: address in use");
  third_gate.Release();
  ASSERT_TRUE(third_thread.Join()) << third.error_string();
  EXPECT_TRUE(Reaches(path_, third));
}

// A server that Listens while another one closes, wherever the closing one is stopped (before
// or after each of its system calls): it either is refused while the old lock is held, or it
// owns the path for good: its socket and lock file survive the old server's close, a third
// server is refused, and clients reach it.
TEST_F(LocalServerRaceTest, ListenDuringACloseNeverLosesItsFiles) {
  // Close(): lstat and unlink the socket, lstat and unlink the lock file, close the listening
  // fd, close the lock fd: six calls, each held before and after.
  for (int call = 1; call <= 6; ++call) {
    for (GatedOsCalls::When when : {GatedOsCalls::kBefore, GatedOsCalls::kAfter}) {
      SCOPED_TRACE("call " + std::to_string(call) +
                   (when == GatedOsCalls::kBefore ? " before" : " after"));
      ASSERT_TRUE(first_.Listen(path_)) << first_.error_string();
      gate_.HoldAt("*", when, call);
      GatedThread closing(gate_, [&] {
        first_.Close();
        return true;
      });
      ASSERT_TRUE(gate_.WaitUntilHeld());
      const bool listened = second_.Listen(path_);
      gate_.Release();
      closing.Join();
      if (!listened) {
        EXPECT_EQ(second_.server_error(), Error::kAddressInUse);
        ASSERT_TRUE(second_.Listen(path_)) << second_.error_string();  // Free now.
      }
      EXPECT_NE(InodeAt(path_), 0u);
      EXPECT_NE(InodeAt(path_ + ".lock"), 0u);
      eventloop::FakeEventLoop loop;
      LocalServer third(loop);
      EXPECT_FALSE(third.Listen(path_));
      EXPECT_EQ(third.server_error(), Error::kAddressInUse);
      EXPECT_TRUE(Reaches(path_, second_));
      second_.Close();
      EXPECT_EQ(InodeAt(path_), 0u);
      EXPECT_EQ(InodeAt(path_ + ".lock"), 0u);
    }
  }
}

}  // namespace
}  // namespace test
}  // namespace ipc
