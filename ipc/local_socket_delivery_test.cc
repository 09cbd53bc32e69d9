// When a connection ends, LocalSocket delivers everything first, on real sockets and a
// LibeventLoop: an echo server keeps sending to a client that half-closed, and the bytes a
// peer sent just before it went away are read even when our own send fails first.
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "ipc/local_socket.h"
#include "ipc/unique_fd.h"
#include "testing/data_pattern.h"
#include "testing/raw_socket.h"
#include "testing/run_loop_until.h"
#include "testing/socket_event_recorder.h"
#include "testing/socket_test_fixture.h"

namespace ipc {
namespace {

using State = LocalSocket::State;
using Error = LocalSocket::Error;
using test::Compact;
using test::EventRecorder;
using test::Events;
using test::RunLoopUntil;

using DeliveryTest = test::SocketTest;

TEST_F(DeliveryTest, AnEchoServerDeliversEveryEchoToAClientThatHalfClosed) {
  constexpr int64_t kSize = 8 << 20;
  auto listener = Listen("srv");
  ASSERT_TRUE(listener);
  LocalSocket client(loop_);
  LocalSocket server(loop_);
  ASSERT_TRUE(ConnectPair(*listener, client, server));
  EventRecorder server_events(server);
  server.ready_read.Connect([&] { server.Write(server.ReadAll()); });

  // The client reads nothing until it has sent everything and half-closed, so the server
  // meets the EOF with most echoes still queued.
  test::Checksum received;
  int64_t received_size = 0;
  int64_t received_at_disconnected = -1;
  client.SetReadBufferSize(1);
  client.ready_read.Connect([&] {
    const std::string data = client.ReadAll();
    received.Update(data);
    received_size += static_cast<int64_t>(data.size());
  });
  client.disconnected.Connect([&] { received_at_disconnected = received_size; });
  ASSERT_EQ(client.Write(test::Pattern(21, 0, kSize)), kSize);
  client.ShutdownWrite();
  ASSERT_TRUE(RunLoopUntil(loop_, [&] { return server.state() == State::kClosing; }));
  EXPECT_GT(server.BytesToWrite(), 0);
  EXPECT_EQ(client.BytesToWrite(), 0);
  client.SetReadBufferSize(0);
  ASSERT_TRUE(RunLoopUntil(loop_, [&] { return client.state() == State::kUnconnected; }));

  EXPECT_EQ(received_at_disconnected, kSize);
  EXPECT_TRUE(received == test::PatternChecksum(21, kSize));
  // The server's close sequence: the EOF, then the queued echoes go out, then the disconnect.
  const Events events = Compact(server_events.events());
  const auto eof = std::find(events.begin(), events.end(), "error:kPeerClosed");
  EXPECT_EQ(Events(eof, events.end()),
            (Events{"error:kPeerClosed", "state:kClosing", "bytes_written", "state:kUnconnected",
                    "read_channel_finished", "disconnected"}));
  EXPECT_EQ(server.error(), Error::kPeerClosed);
  EXPECT_EQ(client.error(), Error::kPeerClosed);
}

// A peer that sends its last words and exits without reading what we still had to send.
class PeerLastWordsTest : public DeliveryTest {
 protected:
  static constexpr int64_t kPending = 8 << 20;

  // `socket_` adopts one end of a socketpair and has megabytes queued that the kernel could not
  // take; then the other end sends last_words_ and closes.
  void SetUp() override {
    DeliveryTest::SetUp();
    int fds[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
    UniqueFd peer(fds[1]);
    ASSERT_TRUE(socket_.SetSocketDescriptor(fds[0]));
    events_ = std::make_unique<EventRecorder>(socket_);
    ASSERT_EQ(socket_.Write(test::Pattern(22, 0, kPending)), kPending);
    ASSERT_TRUE(socket_.Flush());
    ASSERT_GT(socket_.BytesToWrite(), 0);
    ASSERT_TRUE(test::WriteAll(peer.get(), last_words_));
    peer.reset();
    events_->Clear();
  }

  void TearDown() override {
    events_.reset();
    socket_.Abort();
    DeliveryTest::TearDown();
  }

  void ExpectLastWordsDeliveredFirst(const char* function) {
    EXPECT_EQ(events_->events(),
              (Events{"ready_read", "error:kPeerClosed", "state:kClosing", "state:kUnconnected",
                      "read_channel_finished", "disconnected"}));
    EXPECT_EQ(socket_.ReadAll(), last_words_);
    EXPECT_EQ(socket_.BytesToWrite(), 0);
    EXPECT_EQ(socket_.error(), Error::kPeerClosed);
    EXPECT_EQ(socket_.error_string(), std::string(function) + ": remote closed: Broken pipe");
  }

  const std::string last_words_ = test::Pattern(23, 0, 100);
  LocalSocket socket_{loop_};
  std::unique_ptr<EventRecorder> events_;
};

TEST_F(PeerLastWordsTest, InTheLoop) {
  ASSERT_TRUE(RunLoopUntil(loop_, [&] { return socket_.state() == State::kUnconnected; }));
  // The loop may see the EOF or the failing send first: the peer's bytes come first either way.
  EXPECT_EQ(events_->events(),
            (Events{"ready_read", "error:kPeerClosed", "state:kClosing", "state:kUnconnected",
                    "read_channel_finished", "disconnected"}));
  EXPECT_EQ(socket_.ReadAll(), last_words_);
  EXPECT_EQ(socket_.BytesToWrite(), 0);
}

TEST_F(PeerLastWordsTest, InFlush) {
  EXPECT_FALSE(socket_.Flush());
  ExpectLastWordsDeliveredFirst("LocalSocket::Flush");
}

TEST_F(PeerLastWordsTest, InWaitForReadyRead) {
  EXPECT_TRUE(socket_.WaitForReadyRead(5000));
  ExpectLastWordsDeliveredFirst("LocalSocket::WaitForReadyRead");
}

}  // namespace
}  // namespace ipc
