// LocalSocket data transfer on real sockets and a LibeventLoop: large checksummed transfers in
// both directions, write coalescing, the peer closing with unread data, graceful disconnect /
// Close / Abort with data still buffered, the read-buffer limit, writing to a closed peer
// (EPIPE, no SIGPIPE), line reads, zero-copy reads, and many connections at once.
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "ipc/local_socket.h"
#include "ipc/unique_fd.h"
#include "testing/data_pattern.h"
#include "testing/process_resources.h"
#include "testing/raw_socket.h"
#include "testing/run_loop_until.h"
#include "testing/socket_event_recorder.h"
#include "testing/socket_test_fixture.h"

namespace ipc {
namespace {

using State = LocalSocket::State;
using Error = LocalSocket::Error;
using test::Checksum;
using test::Compact;
using test::EventRecorder;
using test::Events;
using test::RunLoopUntil;

using TransferTest = test::SocketTest;

// Writes `total` bytes of Pattern(seed) to `socket` in `chunk`-sized Writes, keeping at most
// `window` bytes buffered: the next chunk goes in from the bytes_written slot.
class Pump {
 public:
  Pump(LocalSocket& socket, uint64_t seed, uint64_t total, size_t chunk = 1 << 20,
       int64_t window = 2 << 20)
      : socket_(socket), seed_(seed), total_(total), chunk_(chunk), window_(window) {
    socket_.bytes_written.Connect([this](int64_t) { Fill(); });
  }
  void Fill() {
    while (written_ < total_ && socket_.BytesToWrite() < window_) {
      const size_t n = static_cast<size_t>(std::min<uint64_t>(chunk_, total_ - written_));
      ASSERT_EQ(socket_.Write(test::Pattern(seed_, written_, n)), static_cast<int64_t>(n));
      written_ += n;
    }
  }
  uint64_t written() const { return written_; }

 private:
  LocalSocket& socket_;
  const uint64_t seed_;
  const uint64_t total_;
  const size_t chunk_;
  const int64_t window_;
  uint64_t written_ = 0;
};

// Checksums everything `socket` receives (from ready_read, and what is left at the end).
class Sink {
 public:
  explicit Sink(LocalSocket& socket) : socket_(socket) {
    socket_.ready_read.Connect([this] { Drain(); });
  }
  void Drain() { checksum_.Update(socket_.ReadAll()); }
  const Checksum& checksum() const { return checksum_; }
  uint64_t bytes() const { return checksum_.bytes(); }

 private:
  LocalSocket& socket_;
  Checksum checksum_;
};

TEST_F(TransferTest, LargeTransferBothWaysAtOnce) {
  constexpr uint64_t kSize = 64ull << 20;
  auto listener = Listen("srv");
  ASSERT_TRUE(listener);
  LocalSocket client(loop_);
  LocalSocket server(loop_);
  ASSERT_TRUE(ConnectPair(*listener, client, server));
  EventRecorder client_events(client);
  EventRecorder server_events(server);
  Sink client_sink(client);
  Sink server_sink(server);
  Pump client_pump(client, 1, kSize);
  Pump server_pump(server, 2, kSize);
  client_pump.Fill();
  server_pump.Fill();

  ASSERT_TRUE(RunLoopUntil(
      loop_, [&] { return client_sink.bytes() >= kSize && server_sink.bytes() >= kSize; },
      std::chrono::seconds(60)));
  loop_.RunUntilIdle();
  EXPECT_EQ(server_sink.checksum(), test::PatternChecksum(1, kSize));
  EXPECT_EQ(client_sink.checksum(), test::PatternChecksum(2, kSize));
  EXPECT_EQ(client_events.BytesWritten(), static_cast<int64_t>(kSize));
  EXPECT_EQ(server_events.BytesWritten(), static_cast<int64_t>(kSize));
  EXPECT_EQ(client.BytesToWrite(), 0);
  EXPECT_EQ(server.BytesToWrite(), 0);
  EXPECT_EQ(client.state(), State::kConnected);
  EXPECT_EQ(server.state(), State::kConnected);
  EXPECT_EQ(client.error(), Error::kNone);
  // Only data signals: no error or state change on the way.
  for (const auto* events : {&client_events, &server_events}) {
    for (const std::string& event : Compact(events->events())) {
      EXPECT_TRUE(event == "bytes_written" || event == "ready_read") << event;
    }
  }
}

TEST_F(TransferTest, OneHugeWriteIsDeliveredWhole) {
  constexpr uint64_t kSize = 24ull << 20;
  auto listener = Listen("srv");
  ASSERT_TRUE(listener);
  LocalSocket client(loop_);
  LocalSocket server(loop_);
  ASSERT_TRUE(ConnectPair(*listener, client, server));
  EventRecorder events(client);
  Sink sink(server);
  ASSERT_EQ(client.Write(test::Pattern(9, 0, kSize)), static_cast<int64_t>(kSize));
  EXPECT_EQ(client.BytesToWrite(), static_cast<int64_t>(kSize)) << "no back-pressure";
  ASSERT_TRUE(RunLoopUntil(loop_, [&] { return sink.bytes() >= kSize; }));
  EXPECT_EQ(sink.checksum(), test::PatternChecksum(9, kSize));
  EXPECT_EQ(events.BytesWritten(), static_cast<int64_t>(kSize));
  EXPECT_EQ(client.BytesToWrite(), 0);
}

// WriteShared in 64 KiB slices of one shared buffer, interleaved with copied Writes: every byte
// arrives in order, and once the last bytes_written came the socket holds no reference.
TEST_F(TransferTest, SharedWritesArriveInOrderAndAreReleasedOnceSent) {
  constexpr uint64_t kSize = 8ull << 20;
  constexpr size_t kSlice = 64 * 1024;
  auto listener = Listen("srv");
  ASSERT_TRUE(listener);
  LocalSocket client(loop_);
  LocalSocket server(loop_);
  ASSERT_TRUE(ConnectPair(*listener, client, server));
  EventRecorder events(client);
  Sink sink(server);
  const auto pattern = std::make_shared<const std::string>(test::Pattern(4, 0, kSize));
  for (uint64_t offset = 0; offset < kSize; offset += kSlice) {
    const std::string_view slice = std::string_view(*pattern).substr(offset, kSlice);
    if ((offset / kSlice) % 3 == 2) {
      ASSERT_EQ(client.Write(slice), static_cast<int64_t>(slice.size()));
    } else {
      ASSERT_EQ(client.WriteShared(slice, pattern), static_cast<int64_t>(slice.size()));
    }
  }
  EXPECT_GT(pattern.use_count(), 1);
  ASSERT_TRUE(RunLoopUntil(loop_, [&] { return sink.bytes() >= kSize; }));
  loop_.RunUntilIdle();
  EXPECT_EQ(sink.checksum(), test::PatternChecksum(4, kSize));
  EXPECT_EQ(events.BytesWritten(), static_cast<int64_t>(kSize));
  EXPECT_EQ(client.BytesToWrite(), 0);
  EXPECT_EQ(pattern.use_count(), 1);
}

TEST_F(TransferTest, SmallWritesCoalesceIntoOneSend) {
  auto listener = Listen("srv");
  ASSERT_TRUE(listener);
  LocalSocket client(loop_);
  client.ConnectToServer("srv");
  ASSERT_EQ(client.state(), State::kConnected);
  UniqueFd peer(listener->Accept());
  ASSERT_GE(peer.get(), 0);
  EventRecorder events(client);

  EXPECT_EQ(client.Write("abc"), 3);
  EXPECT_EQ(client.Write("abc"), 3);
  EXPECT_EQ(client.Write(""), 0);
  EXPECT_EQ(client.BytesToWrite(), 6);
  EXPECT_TRUE(events.events().empty());
  loop_.RunUntilIdle();
  EXPECT_EQ(events.Take(), (Events{"bytes_written:6"}));
  EXPECT_EQ(test::ReadExactly(peer.get(), 6), "abcabc");

  // Many tiny writes: one gathered send.
  std::string expected;
  for (int i = 0; i < 1000; ++i) {
    const std::string piece = std::to_string(i) + ",";
    expected += piece;
    client.Write(piece);
  }
  loop_.RunUntilIdle();
  EXPECT_EQ(events.Take(), (Events{"bytes_written:" + std::to_string(expected.size())}));
  EXPECT_EQ(test::ReadExactly(peer.get(), expected.size()), expected);

  // Flush sends now and reports synchronously; the loop then has nothing left to send.
  client.Write("def");
  client.Write("ghi");
  EXPECT_TRUE(client.Flush());
  EXPECT_EQ(events.Take(), (Events{"bytes_written:6"}));
  EXPECT_EQ(client.BytesToWrite(), 0);
  EXPECT_FALSE(client.Flush()) << "nothing to flush";
  loop_.RunUntilIdle();
  EXPECT_TRUE(events.events().empty());
  EXPECT_EQ(test::ReadExactly(peer.get(), 6), "defghi");
}

TEST_F(TransferTest, PeerClosesWithUnreadDataEverythingStaysReadable) {
  auto listener = Listen("srv");
  ASSERT_TRUE(listener);
  LocalSocket client(loop_);
  client.ConnectToServer("srv");
  ASSERT_EQ(client.state(), State::kConnected);
  UniqueFd peer(listener->Accept());
  ASSERT_GE(peer.get(), 0);
  EventRecorder events(client);
  std::string read_in_disconnected;
  client.error_occurred.Connect([&](Error error) {
    EXPECT_EQ(error, Error::kPeerClosed);
    EXPECT_EQ(client.state(), State::kConnected);
    EXPECT_EQ(client.error(), Error::kPeerClosed);
    EXPECT_EQ(client.BytesAvailable(), 18);
  });
  client.disconnected.Connect([&] {
    EXPECT_EQ(client.state(), State::kUnconnected);
    EXPECT_EQ(client.BytesAvailable(), 18);
    EXPECT_FALSE(client.AtEnd());
    read_in_disconnected = client.Read(5);
  });

  ASSERT_TRUE(test::WriteAll(peer.get(), "first\nsecond\ntail"));
  ASSERT_TRUE(test::WriteAll(peer.get(), "!"));
  peer.reset();
  ASSERT_TRUE(RunLoopUntil(loop_, [&] { return client.state() == State::kUnconnected; }));
  loop_.RunUntilIdle();
  const Events tail{"error:kPeerClosed", "state:kClosing", "state:kUnconnected",
                    "read_channel_finished", "disconnected"};
  Events expected{"ready_read"};
  expected.insert(expected.end(), tail.begin(), tail.end());
  EXPECT_EQ(events.events(), expected);
  EXPECT_EQ(client.error_string(), "LocalSocket::Read: remote closed");
  EXPECT_EQ(read_in_disconnected, "first");
  EXPECT_TRUE(client.IsOpen());
  EXPECT_FALSE(client.IsValid());
  EXPECT_FALSE(client.AtEnd());
  EXPECT_EQ(client.BytesAvailable(), 13);
  EXPECT_TRUE(client.CanReadLine());
  EXPECT_EQ(client.ReadLine(), "\n");
  EXPECT_EQ(client.Peek(3), "sec");
  EXPECT_EQ(client.ReadLine(), "second\n");
  char buffer[64];
  EXPECT_EQ(client.Read(buffer, sizeof(buffer)), 5);
  EXPECT_EQ(std::string(buffer, 5), "tail!");
  EXPECT_TRUE(client.AtEnd());
  EXPECT_EQ(client.Read(buffer, sizeof(buffer)), -1) << "end of data after disconnect";
  EXPECT_EQ(client.ReadAll(), "");
}

TEST_F(TransferTest, PeerResetWithUnreadDataIsPeerClosedToo) {
  // The peer closes with our data unread in its queue: Linux reports ECONNRESET after the
  // peer's data. Same sequence as an orderly close.
  auto listener = Listen("srv");
  ASSERT_TRUE(listener);
  LocalSocket client(loop_);
  client.ConnectToServer("srv");
  ASSERT_EQ(client.state(), State::kConnected);
  UniqueFd peer(listener->Accept());
  ASSERT_GE(peer.get(), 0);
  client.Write("never read by the peer");
  ASSERT_TRUE(client.Flush());
  EventRecorder events(client);
  ASSERT_TRUE(test::WriteAll(peer.get(), "bye"));
  peer.reset();
  ASSERT_TRUE(RunLoopUntil(loop_, [&] { return client.state() == State::kUnconnected; }));
  EXPECT_EQ(events.events(),
            (Events{"ready_read", "error:kPeerClosed", "state:kClosing", "state:kUnconnected",
                    "read_channel_finished", "disconnected"}));
  EXPECT_EQ(client.error(), Error::kPeerClosed);
  EXPECT_EQ(client.error_string(), "LocalSocket::Read: remote closed: Connection reset by peer");
  EXPECT_EQ(client.ReadAll(), "bye");
}

TEST_F(TransferTest, PeerClosesAfterALargeSendEveryByteArrives) {
  constexpr uint64_t kSize = 4ull << 20;
  auto listener = Listen("srv");
  ASSERT_TRUE(listener);
  LocalSocket client(loop_);
  client.ConnectToServer("srv");
  ASSERT_EQ(client.state(), State::kConnected);
  UniqueFd peer(listener->Accept());
  ASSERT_GE(peer.get(), 0);
  EventRecorder events(client);
  Checksum received;
  int ready_reads = 0;
  client.ready_read.Connect([&] {
    ++ready_reads;
    if (ready_reads % 2 == 0) received.Update(client.ReadAll());  // Leave some unread.
  });
  std::thread writer([fd = peer.release()] {
    test::WriteAll(fd, test::Pattern(5, 0, kSize));
    close(fd);
  });
  ASSERT_TRUE(RunLoopUntil(loop_, [&] { return client.state() == State::kUnconnected; }));
  writer.join();
  received.Update(client.ReadAll());
  EXPECT_EQ(received, test::PatternChecksum(5, kSize));
  EXPECT_EQ(Compact(events.events()),
            (Events{"ready_read", "error:kPeerClosed", "state:kClosing", "state:kUnconnected",
                    "read_channel_finished", "disconnected"}));
}

TEST_F(TransferTest, GracefulDisconnectWith16MiBBufferedDeliversEveryByte) {
  constexpr uint64_t kSize = 16ull << 20;
  auto listener = Listen("srv");
  ASSERT_TRUE(listener);
  LocalSocket client(loop_);
  LocalSocket server(loop_);
  ASSERT_TRUE(ConnectPair(*listener, client, server));
  EventRecorder client_events(client);
  EventRecorder server_events(server);
  Sink sink(server);

  ASSERT_EQ(client.Write(test::Pattern(3, 0, kSize)), static_cast<int64_t>(kSize));
  client.DisconnectFromServer();
  EXPECT_EQ(client_events.events(), (Events{"state:kClosing"}));
  ASSERT_TRUE(RunLoopUntil(loop_, [&] {
    return client.state() == State::kUnconnected && server.state() == State::kUnconnected;
  }));
  sink.Drain();
  EXPECT_EQ(sink.checksum(), test::PatternChecksum(3, kSize));
  EXPECT_EQ(Compact(client_events.events()),
            (Events{"state:kClosing", "bytes_written", "state:kUnconnected",
                    "read_channel_finished", "disconnected"}));
  EXPECT_EQ(client_events.BytesWritten(), static_cast<int64_t>(kSize));
  EXPECT_EQ(Compact(server_events.events()),
            (Events{"ready_read", "error:kPeerClosed", "state:kClosing", "state:kUnconnected",
                    "read_channel_finished", "disconnected"}));
}

TEST_F(TransferTest, WritesWhileClosingAreDelivered) {
  auto listener = Listen("srv");
  ASSERT_TRUE(listener);
  LocalSocket client(loop_);
  client.ConnectToServer("srv");
  UniqueFd peer(listener->Accept());
  ASSERT_GE(peer.get(), 0);
  EventRecorder events(client);
  client.Write("before ");
  client.DisconnectFromServer();
  EXPECT_EQ(client.Write("after"), 5) << "accepted in kClosing, as Qt";
  ASSERT_TRUE(RunLoopUntil(loop_, [&] { return client.state() == State::kUnconnected; }));
  EXPECT_EQ(test::ReadUntilEof(peer.get()), "before after");
  EXPECT_EQ(events.events(), (Events{"state:kClosing", "bytes_written:12", "state:kUnconnected",
                                     "read_channel_finished", "disconnected"}));
}

TEST_F(TransferTest, DataKeepsArrivingWhileClosing) {
  constexpr uint64_t kSize = 8ull << 20;
  auto listener = Listen("srv");
  ASSERT_TRUE(listener);
  LocalSocket client(loop_);
  LocalSocket server(loop_);
  ASSERT_TRUE(ConnectPair(*listener, client, server));
  Sink sink(server);
  client.Write(test::Pattern(14, 0, kSize));
  client.DisconnectFromServer();
  EventRecorder events(client);
  std::string got;
  client.ready_read.Connect([&] {
    EXPECT_EQ(client.state(), State::kClosing);
    got += client.ReadAll();
  });
  server.Write("reply while the client closes");
  ASSERT_TRUE(RunLoopUntil(loop_, [&] { return client.state() == State::kUnconnected; }));
  EXPECT_EQ(got, "reply while the client closes");
  EXPECT_EQ(events.Count("ready_read"), 1);
}

TEST_F(TransferTest, PeerClosesWhileWeFlushInClosing) {
  constexpr uint64_t kSize = 8ull << 20;
  auto listener = Listen("srv");
  ASSERT_TRUE(listener);
  LocalSocket client(loop_);
  client.ConnectToServer("srv");
  UniqueFd peer(listener->Accept());
  ASSERT_GE(peer.get(), 0);
  EventRecorder events(client);
  client.Write(test::Pattern(15, 0, kSize));
  client.DisconnectFromServer();
  ASSERT_TRUE(
      RunLoopUntil(loop_, [&] { return client.BytesToWrite() < static_cast<int64_t>(kSize); }));
  EXPECT_GT(test::ReadExactly(peer.get(), 1000).size(), 0u);
  peer.reset();  // With our data unread.
  ASSERT_TRUE(RunLoopUntil(loop_, [&] { return client.state() == State::kUnconnected; }));
  // From kClosing the peer close goes straight to kUnconnected.
  EXPECT_EQ(Compact(events.events()),
            (Events{"state:kClosing", "bytes_written", "error:kPeerClosed", "state:kUnconnected",
                    "read_channel_finished", "disconnected"}));
  EXPECT_EQ(client.BytesToWrite(), 0);
  EXPECT_EQ(client.error(), Error::kPeerClosed);
}

TEST_F(TransferTest, DestructionAbortsSilently) {
  auto listener = Listen("srv");
  ASSERT_TRUE(listener);
  auto client = std::make_unique<LocalSocket>(loop_);
  client->ConnectToServer("srv");
  UniqueFd peer(listener->Accept());
  ASSERT_GE(peer.get(), 0);
  client->Write("flushed");
  ASSERT_TRUE(client->Flush());
  client->Write("never sent");
  EventRecorder events(*client);
  client.reset();
  EXPECT_TRUE(events.events().empty()) << "the destructor emits nothing";
  EXPECT_EQ(test::ReadUntilEof(peer.get()), "flushed");
  test::RunLoopFor(loop_, std::chrono::milliseconds(5));
}

TEST_F(TransferTest, CloseDeliversPendingWritesAndDropsUnreadInput) {
  constexpr uint64_t kSize = 4ull << 20;
  auto listener = Listen("srv");
  ASSERT_TRUE(listener);
  LocalSocket client(loop_);
  LocalSocket server(loop_);
  ASSERT_TRUE(ConnectPair(*listener, client, server));
  server.Write("unread input");
  ASSERT_TRUE(RunLoopUntil(loop_, [&] { return client.BytesAvailable() == 12; }));
  EventRecorder events(client);
  Sink sink(server);
  client.about_to_close.Connect([&] {
    EXPECT_EQ(client.state(), State::kConnected);
    EXPECT_TRUE(client.IsOpen());
    EXPECT_EQ(client.BytesAvailable(), 12);
  });

  ASSERT_EQ(client.Write(test::Pattern(4, 0, kSize)), static_cast<int64_t>(kSize));
  client.Close();
  EXPECT_EQ(events.events(), (Events{"about_to_close", "state:kClosing"}));
  EXPECT_FALSE(client.IsOpen());
  EXPECT_EQ(client.BytesAvailable(), 0) << "Close drops unread input";
  EXPECT_EQ(client.server_name(), "");
  EXPECT_EQ(client.Write("more"), -1) << "the device is closed";
  server.Write("ignored after close");

  ASSERT_TRUE(RunLoopUntil(loop_, [&] {
    return client.state() == State::kUnconnected && server.state() == State::kUnconnected;
  }));
  sink.Drain();
  EXPECT_EQ(sink.checksum(), test::PatternChecksum(4, kSize));
  EXPECT_EQ(Compact(events.events()),
            (Events{"about_to_close", "state:kClosing", "bytes_written", "state:kUnconnected",
                    "read_channel_finished", "disconnected"}));
  EXPECT_EQ(client.BytesAvailable(), 0);
}

TEST_F(TransferTest, AbortDropsTheWriteBuffer) {
  constexpr uint64_t kSize = 16ull << 20;
  auto listener = Listen("srv");
  ASSERT_TRUE(listener);
  LocalSocket client(loop_);
  client.ConnectToServer("srv");
  ASSERT_EQ(client.state(), State::kConnected);
  UniqueFd peer(listener->Accept());
  ASSERT_GE(peer.get(), 0);
  EventRecorder events(client);

  ASSERT_EQ(client.Write(test::Pattern(6, 0, kSize)), static_cast<int64_t>(kSize));
  ASSERT_TRUE(client.Flush());  // What the kernel takes now.
  const int64_t flushed = events.BytesWritten();
  ASSERT_GT(flushed, 0);
  ASSERT_LT(flushed, static_cast<int64_t>(kSize));
  EXPECT_EQ(client.BytesToWrite(), static_cast<int64_t>(kSize) - flushed);
  events.Clear();

  client.Abort();
  EXPECT_EQ(events.events(), (Events{"state:kUnconnected", "read_channel_finished", "disconnected",
                                     "about_to_close"}));
  EXPECT_EQ(client.BytesToWrite(), 0);
  EXPECT_FALSE(client.IsOpen());
  const std::string received = test::ReadUntilEof(peer.get());
  EXPECT_EQ(received.size(), static_cast<size_t>(flushed));
  EXPECT_TRUE(received == test::Pattern(6, 0, received.size()));
  test::RunLoopFor(loop_, std::chrono::milliseconds(10));
  EXPECT_EQ(events.events().size(), 4u);
}

TEST_F(TransferTest, AbortIsPerConnection) {
  // Qt bug #2: after one abort(), later graceful disconnects drop data. Ours: per connection.
  constexpr uint64_t kSize = 2ull << 20;
  auto listener = Listen("srv");
  ASSERT_TRUE(listener);
  LocalSocket client(loop_);
  client.ConnectToServer("srv");
  UniqueFd first(listener->Accept());
  client.Abort();
  client.ConnectToServer("srv");
  ASSERT_EQ(client.state(), State::kConnected);
  UniqueFd peer(listener->Accept());
  ASSERT_GE(peer.get(), 0);
  client.Write(test::Pattern(8, 0, kSize));
  client.DisconnectFromServer();
  std::string received;
  std::thread reader([&] { received = test::ReadUntilEof(peer.get()); });
  ASSERT_TRUE(RunLoopUntil(loop_, [&] { return client.state() == State::kUnconnected; }));
  reader.join();
  EXPECT_EQ(received.size(), kSize);
  EXPECT_TRUE(received == test::Pattern(8, 0, kSize));
}

TEST_F(TransferTest, ReadBufferLimitWithASlowReaderLosesNothing) {
  constexpr uint64_t kSize = 1ull << 20;
  constexpr int64_t kLimit = 4096;
  auto listener = Listen("srv");
  ASSERT_TRUE(listener);
  LocalSocket client(loop_);
  client.SetReadBufferSize(kLimit);
  EXPECT_EQ(client.read_buffer_size(), kLimit);
  client.ConnectToServer("srv");
  ASSERT_EQ(client.state(), State::kConnected);
  UniqueFd peer(listener->Accept());
  ASSERT_GE(peer.get(), 0);
  EventRecorder events(client);
  Checksum received;
  int64_t max_available = 0;
  const auto check = [&] { max_available = std::max(max_available, client.BytesAvailable()); };
  client.ready_read.Connect([&] {
    check();
    received.Update(client.Read(1000));  // Slow: a part of what is there.
    check();
  });
  client.state_changed.Connect([&](State) { check(); });
  client.disconnected.Connect(check);
  std::thread writer([fd = peer.release()] {
    test::WriteAll(fd, test::Pattern(11, 0, kSize));
    close(fd);
  });
  ASSERT_TRUE(RunLoopUntil(loop_, [&] {
    check();
    return client.state() == State::kUnconnected;
  }));
  writer.join();
  EXPECT_LE(max_available, kLimit);
  EXPECT_EQ(max_available, kLimit) << "the limit was reached at some point";
  received.Update(client.ReadAll());
  EXPECT_EQ(received, test::PatternChecksum(11, kSize));
  EXPECT_EQ(Compact(events.events()),
            (Events{"ready_read", "error:kPeerClosed", "state:kClosing", "state:kUnconnected",
                    "read_channel_finished", "disconnected"}));
}

TEST_F(TransferTest, WriteBufferLimitWithALateReaderDeliversEveryAcceptedByte) {
  constexpr uint64_t kSize = 8ull << 20;
  constexpr int64_t kLimit = 64 << 10;
  constexpr uint64_t kChunk = 24 << 10;
  auto listener = Listen("srv");
  ASSERT_TRUE(listener);
  LocalSocket writer(loop_);
  writer.SetWriteBufferLimit(kLimit);
  writer.ConnectToServer("srv");
  ASSERT_EQ(writer.state(), State::kConnected);
  UniqueFd peer(listener->Accept());
  ASSERT_GE(peer.get(), 0);
  uint64_t offset = 0;
  int64_t max_buffered = 0;
  int cut_short = 0, notices = 0;
  // Writes the pattern from `offset` until a Write is cut short; at the end, disconnects
  // (a graceful disconnect delivers what is still buffered).
  const auto fill = [&] {
    while (offset < kSize) {
      const uint64_t n = std::min(kChunk, kSize - offset);
      const int64_t taken = writer.Write(test::Pattern(7, offset, n));
      ASSERT_GE(taken, 0) << writer.error_string();
      offset += static_cast<uint64_t>(taken);
      max_buffered = std::max(max_buffered, writer.BytesToWrite());
      if (static_cast<uint64_t>(taken) < n) {
        ++cut_short;
        return;
      }
    }
    writer.DisconnectFromServer();
  };
  writer.write_buffer_available.Connect([&] {
    ++notices;
    fill();
  });
  fill();
  // Nobody reads until the writer has been held back twice.
  ASSERT_TRUE(RunLoopUntil(loop_, [&] { return cut_short >= 2; }));
  LocalSocket reader(loop_);
  ASSERT_TRUE(reader.SetSocketDescriptor(peer.release())) << reader.error_string();
  Sink sink(reader);
  ASSERT_TRUE(RunLoopUntil(loop_, [&] { return reader.state() == State::kUnconnected; }));
  sink.Drain();
  EXPECT_EQ(offset, kSize);
  EXPECT_EQ(sink.checksum(), test::PatternChecksum(7, kSize));
  EXPECT_LE(max_buffered, kLimit);
  EXPECT_EQ(notices, cut_short);  // One notice per cut-short Write.
  EXPECT_EQ(writer.state(), State::kUnconnected);
}

TEST_F(TransferTest, FullReadBufferPausesReadingUntilTheLimitIsRaised) {
  constexpr size_t kSize = 64 * 1024;
  constexpr int64_t kLimit = 4096;
  auto listener = Listen("srv");
  ASSERT_TRUE(listener);
  LocalSocket client(loop_);
  client.SetReadBufferSize(kLimit);
  client.ConnectToServer("srv");
  UniqueFd peer(listener->Accept());
  ASSERT_GE(peer.get(), 0);
  EventRecorder events(client);
  ASSERT_TRUE(test::WriteAll(peer.get(), test::Pattern(12, 0, kSize)));
  ASSERT_TRUE(RunLoopUntil(loop_, [&] { return client.BytesAvailable() == kLimit; }));
  test::RunLoopFor(loop_, std::chrono::milliseconds(20));
  EXPECT_EQ(client.BytesAvailable(), kLimit);
  EXPECT_EQ(events.events(), (Events{"ready_read"}));
  EXPECT_EQ(test::QueuedForReading(client.socket_descriptor()), static_cast<int>(kSize - kLimit))
      << "the rest waits in the kernel";
  // Nothing can arrive while the buffer is full: the waits say so at once.
  EXPECT_FALSE(client.WaitForReadyRead(1000));
  EXPECT_EQ(client.error(), Error::kOperation);
  EXPECT_EQ(client.state(), State::kConnected);

  // Reading resumes once there is room; an unlimited buffer takes everything.
  client.SetReadBufferSize(0);
  ASSERT_TRUE(RunLoopUntil(loop_, [&] { return client.BytesAvailable() == kSize; }));
  EXPECT_TRUE(client.ReadAll() == test::Pattern(12, 0, kSize));
  EXPECT_EQ(events.Count("ready_read"), 2);
}

TEST_F(TransferTest, WriteToAClosedPeerIsPeerClosedWithoutSigpipe) {
  // SIGPIPE at its default disposition: if the library raised it, the test would die.
  struct sigaction old_action {};
  struct sigaction default_action {};
  default_action.sa_handler = SIG_DFL;
  sigemptyset(&default_action.sa_mask);
  ASSERT_EQ(sigaction(SIGPIPE, &default_action, &old_action), 0);

  auto listener = Listen("srv");
  ASSERT_TRUE(listener);
  {
    // Flush() reaches the closed peer first: EPIPE.
    LocalSocket client(loop_);
    client.ConnectToServer("srv");
    ASSERT_EQ(client.state(), State::kConnected);
    UniqueFd(listener->Accept()).reset();
    EventRecorder events(client);
    EXPECT_EQ(client.Write("data"), 4);
    EXPECT_FALSE(client.Flush());
    EXPECT_EQ(events.events(), (Events{"error:kPeerClosed", "state:kClosing", "state:kUnconnected",
                                       "read_channel_finished", "disconnected"}));
    EXPECT_EQ(client.error(), Error::kPeerClosed);
    EXPECT_EQ(client.error_string(), "LocalSocket::Flush: remote closed: Broken pipe");
    EXPECT_EQ(client.BytesToWrite(), 0);
  }
  {
    // WaitForBytesWritten reaches it: false, same sequence.
    LocalSocket client(loop_);
    client.ConnectToServer("srv");
    UniqueFd(listener->Accept()).reset();
    EventRecorder events(client);
    client.Write("data");
    EXPECT_FALSE(client.WaitForBytesWritten(1000));
    EXPECT_EQ(events.events(), (Events{"error:kPeerClosed", "state:kClosing", "state:kUnconnected",
                                       "read_channel_finished", "disconnected"}));
    EXPECT_EQ(client.BytesToWrite(), 0);
  }
  {
    // The loop reaches it while megabytes are pending.
    LocalSocket client(loop_);
    client.ConnectToServer("srv");
    UniqueFd peer(listener->Accept());
    ASSERT_GE(peer.get(), 0);
    EventRecorder events(client);
    client.Write(test::Pattern(13, 0, 8 << 20));
    ASSERT_TRUE(RunLoopUntil(loop_, [&] { return client.BytesToWrite() < (8 << 20); }));
    peer.reset();
    ASSERT_TRUE(RunLoopUntil(loop_, [&] { return client.state() == State::kUnconnected; }));
    EXPECT_EQ(Compact(events.events()),
              (Events{"bytes_written", "error:kPeerClosed", "state:kClosing", "state:kUnconnected",
                      "read_channel_finished", "disconnected"}));
    EXPECT_EQ(client.BytesToWrite(), 0) << "the buffer is discarded";
    EXPECT_EQ(client.error(), Error::kPeerClosed);
  }
  sigaction(SIGPIPE, &old_action, nullptr);
}

TEST_F(TransferTest, ReadVariants) {
  auto listener = Listen("srv");
  ASSERT_TRUE(listener);
  LocalSocket client(loop_);
  client.ConnectToServer("srv");
  UniqueFd peer(listener->Accept());
  ASSERT_GE(peer.get(), 0);
  ASSERT_TRUE(test::WriteAll(peer.get(), "line1\nline2\npartial"));
  ASSERT_TRUE(RunLoopUntil(loop_, [&] { return client.BytesAvailable() == 19; }));
  EXPECT_TRUE(client.CanReadLine());
  EXPECT_EQ(client.ReadLine(), "line1\n");
  EXPECT_EQ(client.ReadLine(3), "lin");
  EXPECT_EQ(client.ReadLine(0), "e2\n");
  EXPECT_FALSE(client.CanReadLine());
  EXPECT_EQ(client.Peek(100), "partial");
  EXPECT_EQ(client.Read(3), "par");
  char buffer[8];
  EXPECT_EQ(client.Read(buffer, 0), 0);
  EXPECT_EQ(client.Read(buffer, -1), -1);
  EXPECT_EQ(client.error(), Error::kOperation);
  EXPECT_EQ(client.ReadLine(), "tial");
  EXPECT_TRUE(client.AtEnd());
  EXPECT_EQ(client.Read(buffer, sizeof(buffer)), 0) << "connected, nothing buffered";
  EXPECT_EQ(client.ReadAll(), "");
}

// A parser that reads in place: it checksums PeekBuffered() views and Skip()s them, in
// uneven steps, with the read-buffer limit pausing the kernel reads on the way.
TEST_F(TransferTest, ZeroCopyReadingDeliversEveryByteInOrder) {
  constexpr uint64_t kSize = 16ull << 20;
  auto listener = Listen("srv");
  ASSERT_TRUE(listener);
  LocalSocket client(loop_);
  LocalSocket server(loop_);
  ASSERT_TRUE(ConnectPair(*listener, client, server));
  server.SetReadBufferSize(200 * 1024);
  Checksum received;
  uint64_t step = 0;
  server.ready_read.Connect([&] {
    for (std::string_view view = server.PeekBuffered(); !view.empty();
         view = server.PeekBuffered()) {
      // Take 1..view.size() bytes: partial views start at the next unread byte.
      const size_t n = std::min<size_t>(view.size(), 1 + (step++ * 7919) % (96 * 1024));
      received.Update(view.substr(0, n));
      ASSERT_EQ(server.Skip(static_cast<int64_t>(n)), static_cast<int64_t>(n));
    }
    EXPECT_EQ(server.BytesAvailable(), 0);
  });
  Pump pump(client, 21, kSize, 64 * 1024);
  pump.Fill();
  ASSERT_TRUE(RunLoopUntil(loop_, [&] { return received.bytes() >= kSize; }));
  EXPECT_EQ(received, test::PatternChecksum(21, kSize));
  EXPECT_EQ(server.state(), State::kConnected);
  EXPECT_EQ(server.error(), Error::kNone);
}

TEST_F(TransferTest, ManyConnectionsAtOnce) {
  ASSERT_TRUE(test::RaiseFdLimit());
  constexpr int kConnections = 300;
  auto listener = Listen("srv", /*backlog=*/kConnections);
  ASSERT_TRUE(listener);
  std::vector<std::unique_ptr<LocalSocket>> clients;
  std::vector<std::unique_ptr<LocalSocket>> servers;
  std::vector<std::string> replies(kConnections);
  for (int i = 0; i < kConnections; ++i) {
    clients.push_back(std::make_unique<LocalSocket>(loop_));
    servers.push_back(std::make_unique<LocalSocket>(loop_));
    LocalSocket& client = *clients.back();
    LocalSocket& server = *servers.back();
    ASSERT_TRUE(ConnectPair(*listener, client, server));
    server.ready_read.Connect([&server] { server.Write(server.ReadAll()); });
    client.ready_read.Connect([&client, &replies, i] { replies[i] += client.ReadAll(); });
  }
  for (int i = 0; i < kConnections; ++i) {
    clients[i]->Write("connection " + std::to_string(i));
  }
  ASSERT_TRUE(RunLoopUntil(loop_, [&] {
    for (int i = 0; i < kConnections; ++i) {
      if (replies[i].size() < ("connection " + std::to_string(i)).size()) return false;
    }
    return true;
  }));
  for (int i = 0; i < kConnections; ++i) {
    EXPECT_EQ(replies[i], "connection " + std::to_string(i));
  }
  for (auto& client : clients) client->DisconnectFromServer();
  ASSERT_TRUE(RunLoopUntil(loop_, [&] {
    for (auto& server : servers) {
      if (server->state() != State::kUnconnected) return false;
    }
    return true;
  }));
}

}  // namespace
}  // namespace ipc
