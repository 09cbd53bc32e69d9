// A peer process killed with SIGKILL in the middle of a transfer, in each direction. Every
// byte the kernel delivered before the kill is read before `disconnected`, the error is
// kPeerClosed, nothing raises SIGPIPE (its disposition stays the default, which would kill
// the test) and no fd leaks (the fixture compares the open fds).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "gtest/gtest.h"
#include "ipc/local_socket.h"
#include "ipc/unique_fd.h"
#include "testing/child_process.h"
#include "testing/data_pattern.h"
#include "testing/raw_socket.h"
#include "testing/run_loop_until.h"
#include "testing/socket_event_recorder.h"
#include "testing/socket_test_fixture.h"

namespace ipc {
namespace test {
namespace {

using Error = LocalSocket::Error;
using State = LocalSocket::State;

// What follows the kill: the rest of the data, then the peer-closed sequence.
const Events kDataThenPeerClosed = {"ready_read",         "error:kPeerClosed",     "state:kClosing",
                                    "state:kUnconnected", "read_channel_finished", "disconnected"};

// Whether `fd` has something to read (or its end) within `timeout_ms`.
bool Readable(int fd, int timeout_ms) {
  pollfd entry{fd, POLLIN, 0};
  return poll(&entry, 1, timeout_ms) == 1;
}

// One byte from a pipe, waiting up to 20 s; -1 at EOF, on error or on timeout.
int ReadByte(int fd) {
  char byte = 0;
  if (!Readable(fd, 20000) || read(fd, &byte, 1) != 1) return -1;
  return byte;
}

class PeerKillTest : public SocketTest {
 protected:
  void SetUp() override {
    SocketTest::SetUp();
    // SIGPIPE at its default disposition: a SIGPIPE raised by the library would end the test.
    struct sigaction default_action {};
    default_action.sa_handler = SIG_DFL;
    sigemptyset(&default_action.sa_mask);
    ASSERT_EQ(sigaction(SIGPIPE, &default_action, &saved_sigpipe_), 0);
    listener_ = Listen("srv");
    ASSERT_TRUE(listener_);
    socket_.ConnectToServer("srv");
    ASSERT_EQ(socket_.state(), State::kConnected) << socket_.error_string();
    peer_ = listener_->Accept();
    ASSERT_GE(peer_, 0);
  }

  void TearDown() override {
    socket_.Abort();
    if (peer_ >= 0) close(peer_);
    listener_.reset();
    sigaction(SIGPIPE, &saved_sigpipe_, nullptr);
    SocketTest::TearDown();
  }

  // Hands the peer's end to the child just forked: the test's copy is closed, so that the
  // child's death closes the connection.
  void GivePeerAway() {
    close(peer_);
    peer_ = -1;
  }

  struct sigaction saved_sigpipe_ {};
  std::unique_ptr<RawListener> listener_;
  LocalSocket socket_{loop_};
  int peer_ = -1;
};

// The peer writes our pattern without end; we read 4 MiB of it, stop reading until the kernel
// holds more for us, then kill the peer.
TEST_F(PeerKillTest, KilledWhileSendingEverythingDeliveredIsRead) {
  constexpr uint64_t kSeed = 31;
  constexpr uint64_t kReadBeforeKill = 4 << 20;
  const int peer = peer_;
  ChildProcess writer([peer] {
    char chunk[64 * 1024];
    for (uint64_t offset = 0;; offset += sizeof(chunk)) {
      FillPattern(kSeed, offset, chunk, sizeof(chunk));
      if (!WriteAll(peer, std::string_view(chunk, sizeof(chunk)))) return 1;
    }
  });
  ASSERT_GT(writer.pid(), 0);
  GivePeerAway();

  EventRecorder events(socket_);
  Checksum received;
  bool stop_at_threshold = true;
  socket_.ready_read.Connect([&] {
    received.Update(socket_.ReadAll());
    if (stop_at_threshold && received.bytes() >= kReadBeforeKill) loop_.Quit();
  });
  ASSERT_TRUE(RunLoopUntil(loop_, [&] { return received.bytes() >= kReadBeforeKill; }));
  // Mid-transfer: the kernel holds bytes for us that we have not read.
  ASSERT_TRUE(Readable(socket_.socket_descriptor(), 5000));
  ASSERT_EQ(kill(writer.pid(), SIGKILL), 0);
  EXPECT_EQ(writer.Wait(), -1) << "the writer died of the signal";
  // The child is gone: what the kernel holds for us now is all there will ever be.
  const int queued = QueuedForReading(socket_.socket_descriptor());
  ASSERT_GT(queued, 0);
  const uint64_t delivered = received.bytes() + socket_.BytesAvailable() + queued;
  events.Clear();
  stop_at_threshold = false;

  ASSERT_TRUE(RunLoopUntil(loop_, [&] { return socket_.state() == State::kUnconnected; }));
  EXPECT_EQ(Compact(events.events()), kDataThenPeerClosed);
  received.Update(socket_.ReadAll());
  EXPECT_EQ(received.bytes(), delivered);
  EXPECT_TRUE(received == PatternChecksum(kSeed, delivered)) << "not the pattern's first bytes";
  EXPECT_EQ(socket_.error(), Error::kPeerClosed);
  EXPECT_EQ(socket_.error_string(), "LocalSocket::Read: remote closed");
}

// We send without end; the peer reads 1 MiB of it (checking the pattern) and stops reading.
// While our loop is not running, it sends its last words; then it is killed with our stream
// still pending. Our unread data in its receive queue makes the kernel reset the connection,
// and our next send fails with EPIPE, not SIGPIPE.
TEST_F(PeerKillTest, KilledWhileReceivingItsLastWordsAreReadAndThereIsNoSigpipe) {
  constexpr uint64_t kSeedOut = 41;
  constexpr uint64_t kSeedBack = 42;
  constexpr uint64_t kReadBeforeWords = 1 << 20;
  constexpr size_t kLastWords = 64 * 1024;  // Fits the socket buffer: the write completes.
  constexpr int64_t kWindow = 4 << 20;
  constexpr int64_t kChunk = 1 << 20;

  // Handshake pipes. Child -> test: 'R' (read its share), 'W' (last words written). Test ->
  // child: 'G' (write them now).
  int to_test[2];
  int to_child[2];
  ASSERT_EQ(pipe2(to_test, O_CLOEXEC), 0);
  UniqueFd from_child(to_test[0]);
  UniqueFd child_out(to_test[1]);
  ASSERT_EQ(pipe2(to_child, O_CLOEXEC), 0);
  UniqueFd child_in(to_child[0]);
  UniqueFd to_child_end(to_child[1]);
  const int peer = peer_;
  ChildProcess reader([peer, in = child_in.get(), out = child_out.get()] {
    char chunk[64 * 1024];
    char expected[64 * 1024];
    for (uint64_t offset = 0; offset < kReadBeforeWords;) {
      const ssize_t n = recv(peer, chunk, sizeof(chunk), 0);
      if (n <= 0) return 1;
      FillPattern(kSeedOut, offset, expected, static_cast<size_t>(n));
      if (memcmp(chunk, expected, static_cast<size_t>(n)) != 0) return 2;
      offset += static_cast<uint64_t>(n);
    }
    char byte = 0;
    if (write(out, "R", 1) != 1 || read(in, &byte, 1) != 1) return 3;
    if (!WriteAll(peer, Pattern(kSeedBack, 0, kLastWords))) return 4;
    if (write(out, "W", 1) != 1) return 5;
    for (;;) pause();
  });
  ASSERT_GT(reader.pid(), 0);
  GivePeerAway();
  child_in.reset();
  child_out.reset();

  // Our stream, kept topped up to kWindow bytes in the write buffer.
  uint64_t sent = 0;
  const auto top_up = [&] {
    while (socket_.BytesToWrite() < kWindow) {
      ASSERT_EQ(socket_.Write(Pattern(kSeedOut, sent, kChunk)), kChunk);
      sent += kChunk;
    }
  };
  EventRecorder events(socket_);
  socket_.bytes_written.Connect([&](int64_t) { top_up(); });
  std::string last_words;
  socket_.ready_read.Connect([&] { last_words += socket_.ReadAll(); });
  top_up();

  ASSERT_TRUE(RunLoopUntil(loop_, [&] { return Readable(from_child.get(), 0); }));
  ASSERT_EQ(ReadByte(from_child.get()), 'R') << "the reader exited with " << reader.Wait();
  // From here until the kill the loop does not run: nothing of the last words is read.
  ASSERT_EQ(write(to_child_end.get(), "G", 1), 1);
  ASSERT_EQ(ReadByte(from_child.get()), 'W') << "the reader exited with " << reader.Wait();
  ASSERT_EQ(kill(reader.pid(), SIGKILL), 0);
  EXPECT_EQ(reader.Wait(), -1) << "the reader died of the signal";
  EXPECT_EQ(QueuedForReading(socket_.socket_descriptor()), static_cast<int>(kLastWords));
  EXPECT_TRUE(last_words.empty());
  EXPECT_GT(socket_.BytesToWrite(), 0) << "our stream was still pending";
  events.Clear();

  ASSERT_TRUE(RunLoopUntil(loop_, [&] { return socket_.state() == State::kUnconnected; }));
  EXPECT_EQ(Compact(events.events()), kDataThenPeerClosed);
  last_words += socket_.ReadAll();
  EXPECT_TRUE(last_words == Pattern(kSeedBack, 0, kLastWords)) << last_words.size() << " bytes";
  EXPECT_EQ(socket_.BytesToWrite(), 0);
  EXPECT_EQ(socket_.error(), Error::kPeerClosed);
  EXPECT_EQ(socket_.error_string(), "LocalSocket::Write: remote closed: Broken pipe");
}

}  // namespace
}  // namespace test
}  // namespace ipc
