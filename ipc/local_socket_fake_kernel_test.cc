// LocalSocket on a FakeKernel: real-socket tests of local_socket_test.cc and
// local_socket_delivery_test.cc ported to the in-memory kernel, as proof that it behaves like
// Linux for the library and as examples. The originals stay; here everything runs in fake time,
// so what they bounded (CPU time, "eventually") is exact: call counts and time points.
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "ipc/local_server.h"
#include "ipc/local_socket.h"
#include "testing/data_pattern.h"
#include "testing/fake_kernel.h"
#include "testing/fake_kernel_fixture.h"
#include "testing/os_calls_socket.h"
#include "testing/socket_event_recorder.h"

namespace ipc {
namespace {

using State = LocalSocket::State;
using Error = LocalSocket::Error;
using Call = FakeKernel::Call;
using std::chrono::milliseconds;
using test::Compact;
using test::EventRecorder;
using test::Events;
using test::ReceiveAvailable;
using test::SendString;

constexpr char kPath[] = "/tmp/srv";

using LocalSocketOnFakeKernelTest = test::FakeKernelTest;

// Ported from LocalSocketTest.DisconnectWithWritesPendingFlushesFirst.
TEST_F(LocalSocketOnFakeKernelTest, DisconnectWithWritesPendingFlushesFirst) {
  const int listener = RawListen(kPath);
  {
    LocalSocket client(loop_, kernel_);
    LocalSocket server(loop_, kernel_);
    ASSERT_TRUE(ConnectPair(listener, client, server, kPath));
    EventRecorder client_events(client);
    EventRecorder server_events(server);
    std::string server_got_in_disconnected;
    server.disconnected.Connect([&] { server_got_in_disconnected = server.ReadAll(); });

    EXPECT_EQ(client.Write("abc"), 3);
    client.DisconnectFromServer();
    EXPECT_EQ(client_events.Take(), (Events{"state:kClosing"}));
    EXPECT_EQ(client.state(), State::kClosing);
    EXPECT_TRUE(client.IsValid());
    EXPECT_EQ(client.BytesToWrite(), 3);
    client.DisconnectFromServer();  // Re-entrant disconnect keeps waiting.
    EXPECT_TRUE(client_events.events().empty());

    loop_.RunUntilIdle();  // One call settles both ends: no polling for "eventually".
    EXPECT_EQ(client.state(), State::kUnconnected);
    EXPECT_EQ(server.state(), State::kUnconnected);
    EXPECT_EQ(client_events.events(), (Events{"bytes_written:3", "state:kUnconnected",
                                              "read_channel_finished", "disconnected"}));
    EXPECT_EQ(server_events.events(),
              (Events{"ready_read", "error:kPeerClosed", "state:kClosing", "state:kUnconnected",
                      "read_channel_finished", "disconnected"}));
    EXPECT_EQ(server_got_in_disconnected, "abc");
  }
  RawClose(listener);
}

// Ported from LocalSocketTest.ShutdownWriteHalfCloses; the peer is a raw socket on the kernel.
TEST_F(LocalSocketOnFakeKernelTest, ShutdownWriteHalfCloses) {
  const int listener = RawListen(kPath);
  LocalSocket client(loop_, kernel_);
  client.ConnectToServer(kPath);
  ASSERT_EQ(client.state(), State::kConnected);
  const int peer = RawAccept(listener);
  ASSERT_GE(peer, 0);
  EventRecorder events(client);
  std::string reply;
  client.ready_read.Connect([&] { reply += client.ReadAll(); });

  EXPECT_EQ(client.Write("request"), 7);
  client.ShutdownWrite();
  EXPECT_EQ(client.state(), State::kConnected);
  EXPECT_EQ(client.Write("late"), -1) << "no writes after ShutdownWrite";
  EXPECT_EQ(client.error(), Error::kOperation);
  EXPECT_EQ(client.error_string(), "LocalSocket::Write: socket is not writable");
  client.ShutdownWrite();  // Twice: refused, nothing emitted.
  EXPECT_EQ(client.error_string(),
            "LocalSocket::ShutdownWrite: operation not permitted in this state");
  EXPECT_TRUE(events.events().empty());
  EXPECT_EQ(kernel_.call_count(Call::kShutdown), 0) << "not before the request is sent";

  loop_.RunUntilIdle();
  EXPECT_EQ(client.BytesToWrite(), 0);
  EXPECT_EQ(kernel_.call_count(Call::kShutdown), 1);
  SysResult last{0, 0};
  EXPECT_EQ(ReceiveAvailable(kernel_, peer, SIZE_MAX, &last), "request");
  EXPECT_EQ(last, (SysResult{0, 0})) << "then EOF";
  EXPECT_EQ(client.state(), State::kConnected);
  // The client still reads the reply.
  ASSERT_EQ(SendString(kernel_, peer, "reply"), (SysResult{5, 0}));
  loop_.RunUntilIdle();
  EXPECT_EQ(reply, "reply");
  EXPECT_EQ(client.state(), State::kConnected);
  RawClose(peer);
  loop_.RunUntilIdle();
  EXPECT_EQ(client.state(), State::kUnconnected);
  EXPECT_EQ(events.events(),
            (Events{"bytes_written:7", "ready_read", "error:kPeerClosed", "state:kClosing",
                    "state:kUnconnected", "read_channel_finished", "disconnected"}));
  RawClose(listener);
}

// Ported from BacklogTest.RetriesWithoutSpinningAndConnectsOnceTheServerAccepts. On real
// sockets it bounds the CPU time of 300 ms of retrying; here the retries are counted exactly:
// one at 1, 3, 7, 15, 31, 63, 127 and 227 ms (the backoff doubles up to 100 ms).
TEST_F(LocalSocketOnFakeKernelTest, FullBacklogRetriesOnTheBackoffAndConnectsOnceAccepted) {
  const int listener = RawListen(kPath, /*backlog=*/0);
  const SysResult filler = RawConnect(kPath);  // Backlog 0 admits one connection.
  ASSERT_GE(filler.rc, 0);
  ASSERT_EQ(RawConnect(kPath), (SysResult{-1, EAGAIN}));
  const int64_t connects_before = kernel_.call_count(Call::kConnect);
  {
    LocalSocket client(loop_, kernel_);
    EventRecorder events(client);
    client.ConnectToServer(kPath);
    EXPECT_EQ(events.events(), (Events{"state:kConnecting"}));
    EXPECT_EQ(client.state(), State::kConnecting);
    EXPECT_EQ(client.socket_descriptor(), -1);
    EXPECT_FALSE(client.IsOpen());
    EXPECT_FALSE(client.IsValid());
    EXPECT_EQ(client.server_name(), kPath);
    EXPECT_EQ(client.Write("x"), -1);

    // ConnectToServer while connecting is refused.
    client.ConnectToServer(kPath);
    EXPECT_EQ(events.Take(), (Events{"state:kConnecting", "error:kOperation"}));
    EXPECT_EQ(client.state(), State::kConnecting);

    loop_.FastForwardBy(milliseconds(300));
    EXPECT_EQ(kernel_.call_count(Call::kConnect) - connects_before, 1 + 8) << "no spinning";
    EXPECT_EQ(client.state(), State::kConnecting);
    EXPECT_TRUE(events.events().empty());

    // The server accepts the filler; the next retry, at 327 ms, connects.
    const int accepted_filler = RawAccept(listener);
    ASSERT_GE(accepted_filler, 0);
    loop_.FastForwardBy(milliseconds(26));
    EXPECT_EQ(client.state(), State::kConnecting);
    loop_.FastForwardBy(milliseconds(1));
    EXPECT_EQ(client.state(), State::kConnected);
    EXPECT_EQ(kernel_.call_count(Call::kConnect) - connects_before, 1 + 9);
    EXPECT_EQ(events.events(), (Events{"state:kConnected", "connected"}));
    EXPECT_EQ(client.error(), Error::kNone);
    EXPECT_EQ(client.full_server_name(), kPath);
    EXPECT_GE(client.socket_descriptor(), 0);

    // It is a connection like any other: the listener hands it out, and data flows.
    const int accepted = RawAccept(listener);
    ASSERT_GE(accepted, 0);
    EXPECT_EQ(RawAccept(listener), -1);
    client.Write("hi");
    loop_.RunUntilIdle();
    EXPECT_EQ(ReceiveAvailable(kernel_, accepted), "hi");
    RawClose(accepted);
    RawClose(accepted_filler);
  }
  RawClose(static_cast<int>(filler.rc));
  RawClose(listener);
}

// Ported from DeliveryTest.AnEchoServerDeliversEveryEchoToAClientThatHalfClosed: 8 MiB
// through the kernel's 208 KiB buffers, with the client's reading paused by a full read buffer.
TEST_F(LocalSocketOnFakeKernelTest, AnEchoServerDeliversEveryEchoToAClientThatHalfClosed) {
  constexpr int64_t kSize = 8 << 20;
  const int listener = RawListen(kPath);
  {
    LocalSocket client(loop_, kernel_);
    LocalSocket server(loop_, kernel_);
    ASSERT_TRUE(ConnectPair(listener, client, server, kPath));
    EventRecorder server_events(server);
    server.ready_read.Connect([&] { server.Write(server.ReadAll()); });

    // The client reads nothing (its 1-byte read buffer stays full) until it has sent
    // everything and half-closed, so the server meets the EOF with most echoes still queued.
    // (The original reads a byte per loop iteration meanwhile and stops the loop as soon as the
    // server is closing; a settled fake loop would read all 8 MiB that way.)
    test::Checksum received;
    int64_t received_size = 0;
    int64_t received_at_disconnected = -1;
    bool reading = false;
    const auto read_all = [&] {
      const std::string data = client.ReadAll();
      received.Update(data);
      received_size += static_cast<int64_t>(data.size());
    };
    client.SetReadBufferSize(1);
    client.ready_read.Connect([&] {
      if (reading) read_all();
    });
    client.disconnected.Connect([&] { received_at_disconnected = received_size; });
    ASSERT_EQ(client.Write(test::Pattern(21, 0, kSize)), kSize);
    client.ShutdownWrite();
    loop_.RunUntilIdle();
    // Both directions are full now: the server met the EOF with most echoes queued.
    EXPECT_EQ(server.state(), State::kClosing);
    EXPECT_EQ(server.BytesToWrite(), kSize - 1 - fake_kernel::kDefaultSendBuffer);
    EXPECT_EQ(client.BytesAvailable(), 1);
    EXPECT_EQ(client.BytesToWrite(), 0);
    reading = true;
    client.SetReadBufferSize(0);
    read_all();
    loop_.RunUntilIdle();
    EXPECT_EQ(client.state(), State::kUnconnected);

    EXPECT_EQ(received_at_disconnected, kSize);
    EXPECT_TRUE(received == test::PatternChecksum(21, kSize));
    const Events events = Compact(server_events.events());
    const auto eof = std::find(events.begin(), events.end(), "error:kPeerClosed");
    EXPECT_EQ(Events(eof, events.end()),
              (Events{"error:kPeerClosed", "state:kClosing", "bytes_written", "state:kUnconnected",
                      "read_channel_finished", "disconnected"}));
    EXPECT_EQ(server.error(), Error::kPeerClosed);
    EXPECT_EQ(client.error(), Error::kPeerClosed);
    EXPECT_EQ(loop_.Now(), eventloop::FakeClock().Now()) << "no fake time passed";
  }
  RawClose(listener);
}

// Ported from PeerLastWordsTest: a peer sends its last words and closes without reading what
// we still had to send. On Linux our send then fails EPIPE and the receive queue holds the
// last words, then ECONNRESET: they are delivered before the disconnect.
class PeerLastWordsOnFakeKernelTest : public test::FakeKernelTest {
 protected:
  static constexpr int64_t kPending = 8 << 20;

  void SetUp() override {
    int fds[2];
    ASSERT_EQ(kernel_.SocketPair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), (SysResult{0, 0}));
    socket_ = std::make_unique<LocalSocket>(loop_, kernel_);
    ASSERT_TRUE(socket_->SetSocketDescriptor(fds[0]));
    events_ = std::make_unique<EventRecorder>(*socket_);
    ASSERT_EQ(socket_->Write(test::Pattern(22, 0, kPending)), kPending);
    ASSERT_TRUE(socket_->Flush());
    EXPECT_EQ(socket_->BytesToWrite(), kPending - fake_kernel::kDefaultSendBuffer)
        << "the kernel took one send buffer's worth";
    ASSERT_EQ(SendString(kernel_, fds[1], last_words_), (SysResult{100, 0}));
    RawClose(fds[1]);
    events_->Clear();
  }

  void TearDown() override {
    events_.reset();
    socket_.reset();
    test::FakeKernelTest::TearDown();
  }

  void ExpectLastWordsDeliveredFirst(const char* function) {
    EXPECT_EQ(events_->events(),
              (Events{"ready_read", "error:kPeerClosed", "state:kClosing", "state:kUnconnected",
                      "read_channel_finished", "disconnected"}));
    EXPECT_EQ(socket_->ReadAll(), last_words_);
    EXPECT_EQ(socket_->BytesToWrite(), 0);
    EXPECT_EQ(socket_->error(), Error::kPeerClosed);
    EXPECT_EQ(socket_->error_string(), std::string(function) + ": remote closed: Broken pipe");
  }

  const std::string last_words_ = test::Pattern(23, 0, 100);
  std::unique_ptr<LocalSocket> socket_;
  std::unique_ptr<EventRecorder> events_;
};

TEST_F(PeerLastWordsOnFakeKernelTest, InTheLoop) {
  loop_.RunUntilIdle();
  EXPECT_EQ(socket_->state(), State::kUnconnected);
  EXPECT_EQ(events_->events(),
            (Events{"ready_read", "error:kPeerClosed", "state:kClosing", "state:kUnconnected",
                    "read_channel_finished", "disconnected"}));
  EXPECT_EQ(socket_->ReadAll(), last_words_);
  EXPECT_EQ(socket_->BytesToWrite(), 0);
}

TEST_F(PeerLastWordsOnFakeKernelTest, InFlush) {
  EXPECT_FALSE(socket_->Flush());
  ExpectLastWordsDeliveredFirst("LocalSocket::Flush");
}

TEST_F(PeerLastWordsOnFakeKernelTest, InWaitForReadyRead) {
  EXPECT_TRUE(socket_->WaitForReadyRead(5000));
  ExpectLastWordsDeliveredFirst("LocalSocket::WaitForReadyRead");
}

// ---------------------------------------------------------------------------------------------
// Faults injected through the kernel: examples of driving the library's error paths.

// A client and a LocalServer's socket, connected; `server_` is the accepted socket.
class FaultOnFakeKernelTest : public test::FakeKernelTest {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.Listen(kPath)) << server_.error_string();
    client_.ConnectToServer(kPath);
    ASSERT_EQ(client_.state(), State::kConnected);
    loop_.RunUntilIdle();
    accepted_ = server_.NextPendingConnection();
    ASSERT_NE(accepted_, nullptr);
    accepted_->ready_read.Connect([this] { server_got_ += accepted_->ReadAll(); });
  }
  void TearDown() override {
    accepted_.reset();
    client_.Abort();
    server_.Close();
    test::FakeKernelTest::TearDown();
  }

  LocalServer server_{loop_, kernel_};
  LocalSocket client_{loop_, kernel_};
  std::unique_ptr<LocalSocket> accepted_;
  std::string server_got_;
};

TEST_F(FaultOnFakeKernelTest, ShortSendsAreFinishedOnWritability) {
  EventRecorder events(client_);
  kernel_.CapSends(client_.socket_descriptor(), 2);
  EXPECT_EQ(client_.Write("hello"), 5);
  loop_.RunUntilIdle();
  EXPECT_EQ(server_got_, "hello");
  EXPECT_EQ(kernel_.call_count(Call::kSendMsg), 3);
  EXPECT_EQ(events.events(), (Events{"bytes_written:2", "bytes_written:2", "bytes_written:1"}));
}

TEST_F(FaultOnFakeKernelTest, APeerResetDeliversWhatWasQueuedThenEndsTheConnection) {
  EventRecorder events(client_);
  std::string client_got;
  client_.ready_read.Connect([&] { client_got += client_.ReadAll(); });
  accepted_->Write("last");
  loop_.RunUntilIdle();
  ASSERT_TRUE(kernel_.ResetConnection(client_.socket_descriptor()));
  loop_.RunUntilIdle();
  EXPECT_EQ(client_got, "last");
  EXPECT_EQ(events.events(),
            (Events{"ready_read", "error:kPeerClosed", "state:kClosing", "state:kUnconnected",
                    "read_channel_finished", "disconnected"}));
  EXPECT_EQ(client_.error_string(), "LocalSocket::Read: remote closed: Connection reset by peer");
  EXPECT_EQ(accepted_->state(), State::kUnconnected);
  EXPECT_EQ(accepted_->error(), Error::kPeerClosed);
}

TEST_F(FaultOnFakeKernelTest, AnInjectedSendErrorEndsTheConnection) {
  EventRecorder events(client_);
  kernel_.FailNext(Call::kSendMsg, EIO, client_.socket_descriptor());
  EXPECT_EQ(client_.Write("x"), 1);
  loop_.RunUntilIdle();
  EXPECT_EQ(server_got_, "");
  EXPECT_EQ(client_.state(), State::kUnconnected);
  EXPECT_EQ(client_.error(), Error::kConnection);
  EXPECT_EQ(events.events(), (Events{"error:kConnection", "state:kClosing", "state:kUnconnected",
                                     "read_channel_finished", "disconnected"}));
  loop_.RunUntilIdle();
  EXPECT_EQ(accepted_->state(), State::kUnconnected) << "the server's end sees the close";
}

TEST_F(LocalSocketOnFakeKernelTest, AnInjectedConnectErrorFailsTheConnectAndClosesTheSocket) {
  const int listener = RawListen(kPath);
  {
    LocalSocket client(loop_, kernel_);
    EventRecorder events(client);
    kernel_.FailNext(Call::kConnect, ECONNREFUSED);
    client.ConnectToServer(kPath);
    EXPECT_EQ(events.events(),
              (Events{"state:kConnecting", "error:kConnectionRefused", "state:kUnconnected"}));
    EXPECT_EQ(client.error_string(),
              "LocalSocket::ConnectToServer: connection refused: Connection refused");
    EXPECT_EQ(kernel_.PendingConnections(listener), 0u);
  }
  RawClose(listener);  // The fixture checks that the client's socket was closed.
}

TEST_F(LocalSocketOnFakeKernelTest, AcceptingWithNoDescriptorLeftBacksOffAndRecovers) {
  LocalServer server(loop_, kernel_);
  ASSERT_TRUE(server.Listen(kPath));
  std::vector<Error> errors;
  server.error_occurred.Connect([&](Error error) { errors.push_back(error); });
  const SysResult client = RawConnect(kPath);
  ASSERT_GE(client.rc, 0);
  kernel_.SetFdLimit(static_cast<int>(client.rc) + 1);  // No descriptor left for accept4.
  const int64_t accepts_before = kernel_.call_count(Call::kAccept4);
  loop_.FastForwardBy(milliseconds(1000));
  // One failure, then retries at 10, 30, 70, 150, 310 and 630 ms: no busy loop. Each failed
  // attempt is reported.
  EXPECT_EQ(kernel_.call_count(Call::kAccept4) - accepts_before, 7);
  EXPECT_EQ(errors, std::vector<Error>(7, Error::kSocketResource));
  EXPECT_EQ(server.server_error(), Error::kSocketResource);
  EXPECT_FALSE(server.HasPendingConnections());
  kernel_.SetFdLimit(1024);
  loop_.FastForwardBy(milliseconds(269));
  EXPECT_FALSE(server.HasPendingConnections());
  loop_.FastForwardBy(milliseconds(1));  // The retry at 1270 ms.
  EXPECT_TRUE(server.HasPendingConnections());
  std::unique_ptr<LocalSocket> accepted = server.NextPendingConnection();
  ASSERT_NE(accepted, nullptr);
  EXPECT_EQ(accepted->state(), State::kConnected);
  RawClose(static_cast<int>(client.rc));
}

}  // namespace
}  // namespace ipc
