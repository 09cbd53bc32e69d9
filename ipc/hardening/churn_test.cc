// Churn: 20,000 connect/write/disconnect cycles against one server. Each cycle's bytes arrive
// intact, and after the cycles the process holds the fds it held before them and a live heap
// (counted by //testing:heap_counter) within 64 KiB of its value after the first 100 cycles.
#include <chrono>
#include <cstdint>
#include <iostream>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "eventloop/libevent_loop.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ipc/local_server.h"
#include "ipc/local_socket.h"
#include "testing/data_pattern.h"
#include "testing/heap_counter.h"
#include "testing/loop_watchdog.h"
#include "testing/process_resources.h"
#include "testing/temp_dir.h"

namespace ipc {
namespace test {
namespace {

using ::testing::IsEmpty;
using State = LocalSocket::State;

constexpr int kCycles = 20000;
constexpr int kSettledAfter = 100;
constexpr int64_t kHeapTolerance = 64 * 1024;

// The bytes cycle `cycle` sends: 1 to 8,192 of them, in a pattern of the cycle's own.
size_t CycleSize(int cycle) { return 1 + (static_cast<size_t>(cycle) * 7919) % 8192; }

// Runs the cycles one after another on one loop. A cycle: a new client connects, writes its
// bytes and disconnects at once (its write still pending); the server takes the connection,
// reads until the peer's close and checks the bytes. The next cycle starts once both ends are
// gone (each destroyed from its own `disconnected` slot).
class Churn {
 public:
  Churn(eventloop::EventLoop& loop, std::string path, int cycles)
      : loop_(loop), server_(loop), path_(std::move(path)), cycles_(cycles) {}

  bool Listen() { return server_.Listen(path_); }
  const LocalServer& server() const { return server_; }

  // Starts the first cycle; the loop then runs the rest and quits after the last.
  void Start() {
    server_.new_connection.Connect([this] { OnNewConnection(); });
    StartCycle();
  }

  int completed() const { return completed_; }
  // Where the current cycle is, for a failure message.
  std::string Describe() const {
    std::ostringstream text;
    text << "cycle " << completed_ << ": client ";
    if (client_) {
      text << client_->state() << " (" << client_->BytesToWrite() << " to write)";
    } else {
      text << (client_gone_ ? "gone" : "none");
    }
    text << ", server side ";
    if (server_side_) {
      text << server_side_->state() << " (" << received_.bytes() << " received)";
    } else {
      text << (server_side_gone_ ? "gone" : "none");
    }
    text << ", server pending " << server_.HasPendingConnections();
    return text.str();
  }
  const std::vector<std::string>& failures() const { return failures_; }
  // Measured between cycles kSettledAfter and kSettledAfter + 1, and after the last cycle.
  int64_t heap_settled() const { return heap_settled_; }
  int64_t heap_end() const { return heap_end_; }
  const std::set<int>& fds_settled() const { return fds_settled_; }
  const std::set<int>& fds_end() const { return fds_end_; }

 private:
  void StartCycle() {
    if (completed_ == kSettledAfter) {
      heap_settled_ = LiveHeapBytes();
      fds_settled_ = OpenFds();
    }
    if (completed_ == cycles_) {
      heap_end_ = LiveHeapBytes();
      fds_end_ = OpenFds();
      loop_.Quit();
      return;
    }
    client_gone_ = false;
    server_side_gone_ = false;
    received_ = Checksum();
    client_ = std::make_unique<LocalSocket>(loop_);
    client_->disconnected.Connect([this] {
      client_.reset();
      client_gone_ = true;
      MaybeNextCycle();
    });
    client_->ConnectToServer(path_);
    if (client_->state() != State::kConnected) {
      Fail("connect: " + client_->error_string());
      return;
    }
    const size_t size = CycleSize(completed_);
    if (client_->Write(Pattern(static_cast<uint64_t>(completed_), 0, size)) !=
        static_cast<int64_t>(size)) {
      Fail("write: " + client_->error_string());
      return;
    }
    client_->DisconnectFromServer();
  }

  void OnNewConnection() {
    server_side_ = server_.NextPendingConnection();
    if (!server_side_) return;
    LocalSocket* socket = server_side_.get();
    socket->ready_read.Connect([this, socket] { received_.Update(socket->ReadAll()); });
    socket->disconnected.Connect([this, socket] {
      received_.Update(socket->ReadAll());
      Checksum expected;
      expected.Update(Pattern(static_cast<uint64_t>(completed_), 0, CycleSize(completed_)));
      if (!(received_ == expected)) {
        Fail("received " + std::to_string(received_.bytes()) + " bytes, not the " +
             std::to_string(CycleSize(completed_)) + " sent, or other bytes");
      }
      server_side_.reset();
      server_side_gone_ = true;
      MaybeNextCycle();
    });
  }

  void MaybeNextCycle() {
    if (!client_gone_ || !server_side_gone_) return;
    ++completed_;
    loop_.Post([this] { StartCycle(); });
  }

  void Fail(std::string what) {
    failures_.push_back("cycle " + std::to_string(completed_) + ": " + std::move(what));
    loop_.Quit();
  }

  eventloop::EventLoop& loop_;
  LocalServer server_;
  const std::string path_;
  const int cycles_;
  std::unique_ptr<LocalSocket> client_;
  std::unique_ptr<LocalSocket> server_side_;
  bool client_gone_ = false;
  bool server_side_gone_ = false;
  Checksum received_;
  int completed_ = 0;
  std::vector<std::string> failures_;
  int64_t heap_settled_ = 0;
  int64_t heap_end_ = 0;
  std::set<int> fds_settled_;
  std::set<int> fds_end_;
};

TEST(ChurnTest, CyclesDeliverEveryByteAndLeaveFdsAndHeapWhereTheyWere) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty()) << "mkdtemp failed";
  eventloop::LibeventLoop loop;
  Churn churn(loop, dir.File("churn"), kCycles);
  ASSERT_TRUE(churn.Listen()) << churn.server().error_string();
  const std::set<int> fds_before = OpenFds();
  const auto start = std::chrono::steady_clock::now();
  churn.Start();
  {
    eventloop::Watchdog watchdog(loop, std::chrono::seconds(240));
    loop.Run();
    ASSERT_FALSE(watchdog.fired()) << "stuck at " << churn.Describe();
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_THAT(churn.failures(), IsEmpty());
  EXPECT_EQ(churn.completed(), kCycles);
  EXPECT_EQ(churn.fds_settled(), fds_before);
  EXPECT_EQ(churn.fds_end(), fds_before) << "file descriptors leaked";
  EXPECT_LE(churn.heap_end() - churn.heap_settled(), kHeapTolerance) << "live heap grew";
  EXPECT_GE(churn.heap_end() - churn.heap_settled(), -kHeapTolerance) << "live heap shrank";
  EXPECT_EQ(churn.server().server_error(), LocalSocket::Error::kNone);
  std::cout << "churn: " << kCycles << " cycles in " << seconds << " s ("
            << static_cast<double>(kCycles) / seconds << " cycles/s); live heap after "
            << kSettledAfter << " cycles " << churn.heap_settled() << ", at the end "
            << churn.heap_end() << " bytes\n";
}

}  // namespace
}  // namespace test
}  // namespace ipc
