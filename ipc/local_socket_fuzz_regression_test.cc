// LocalSocket on a FakeKernel: the defects socket_model_fuzzer found (README "Fuzzing"), one
// test each. The inputs that found them stay in tools/fuzzing/corpus/socket_model_fuzzer/ as
// regression-* files.
#include <fcntl.h>

#include <cerrno>
#include <cstdint>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "ipc/local_socket.h"
#include "testing/fake_kernel.h"
#include "testing/fake_kernel_fixture.h"
#include "testing/os_calls_socket.h"
#include "testing/socket_event_recorder.h"

namespace ipc {
namespace {

using State = LocalSocket::State;
using Error = LocalSocket::Error;
using test::EventRecorder;
using test::Events;

using LocalSocketFuzzRegressionTest = test::FakeKernelTest;

// A state_changed(kClosing) slot that flushes the whole write buffer finishes the disconnect
// inside the slot. DisconnectFromServer and Close then have nothing left to drain (they used
// to go on and feed kWriteBufferDrained in kUnconnected: an abort in debug builds).
TEST_F(LocalSocketFuzzRegressionTest, FlushInsideClosingSlotFinishesTheDisconnect) {
  for (const bool close : {false, true}) {
    SCOPED_TRACE(close ? "Close" : "DisconnectFromServer");
    const char* const path = close ? "/tmp/srv-close" : "/tmp/srv-disconnect";
    const int listener = RawListen(path);
    LocalSocket client(loop_, kernel_);
    LocalSocket server(loop_, kernel_);
    ASSERT_TRUE(ConnectPair(listener, client, server, path));
    EventRecorder events(client);
    client.state_changed.Connect([&](State state) {
      if (state == State::kClosing) {
        EXPECT_TRUE(client.Flush());
      }
    });
    ASSERT_EQ(client.Write("abc"), 3);
    if (close) {
      client.Close();
    } else {
      client.DisconnectFromServer();
    }
    Events expected{"state:kClosing", "bytes_written:3", "state:kUnconnected",
                    "read_channel_finished", "disconnected"};
    if (close) expected.insert(expected.begin(), "about_to_close");
    EXPECT_EQ(events.Take(), expected);
    EXPECT_EQ(client.state(), State::kUnconnected);
    loop_.RunUntilIdle();
    EXPECT_TRUE(events.Take().empty());
    EXPECT_EQ(server.ReadAll(), "abc");
    EXPECT_EQ(server.state(), State::kUnconnected);
    RawClose(listener);
  }
}

// Writes from the slots of a failure sequence (error_occurred, state_changed(kClosing)) are
// refused: the write buffer was already dropped and the connection can deliver nothing more.
// They used to be accepted and then stay in BytesToWrite() after kUnconnected, neither sent
// nor dropped.
TEST_F(LocalSocketFuzzRegressionTest, WriteInsideFailureSlotsIsRefused) {
  const int listener = RawListen("/tmp/srv");
  LocalSocket client(loop_, kernel_);
  LocalSocket server(loop_, kernel_);
  ASSERT_TRUE(ConnectPair(listener, client, server, "/tmp/srv"));
  EventRecorder events(client);
  std::vector<int64_t> written;
  client.error_occurred.Connect([&](Error) { written.push_back(client.Write("late")); });
  client.state_changed.Connect([&](State state) {
    if (state == State::kClosing) {
      written.push_back(client.Write("later"));
    }
  });
  server.Abort();
  loop_.RunUntilIdle();
  EXPECT_EQ(events.Take(), (Events{"error:kPeerClosed", "state:kClosing", "state:kUnconnected",
                                   "read_channel_finished", "disconnected"}));
  EXPECT_EQ(written, (std::vector<int64_t>{-1, -1}));
  EXPECT_EQ(client.error(), Error::kOperation);  // Set by the refused Write.
  EXPECT_EQ(client.BytesToWrite(), 0);
  EXPECT_EQ(client.state(), State::kUnconnected);
  RawClose(listener);
}

// A send that fails because the peer is gone first delivers what the peer sent, and there
// the read met the peer's EOF too (a read goes on past bytes that carried fds). A ready_read
// slot that calls Close() interrupts that failure sequence before its error_occurred; the
// pending writes Close() still tries to deliver then fail again and are dropped. That failure
// is reported, with error_occurred(kPeerClosed); it used to be taken for a peer close reported
// already, and the bytes vanished without an error.
TEST_F(LocalSocketFuzzRegressionTest, CloseInReadyReadOfAFailedSendStillReportsTheFailure) {
  ASSERT_EQ(kernel_.CreateFile("/tmp/file"), 0);
  const int file = static_cast<int>(kernel_.Open("/tmp/file", O_RDONLY | O_CLOEXEC, 0).rc);
  ASSERT_GE(file, 0);
  const int listener = RawListen("/tmp/srv");
  const int peer = static_cast<int>(RawConnect("/tmp/srv").rc);
  ASSERT_GE(peer, 0);
  LocalSocket server(loop_, kernel_);
  ASSERT_TRUE(server.SetSocketDescriptor(RawAccept(listener)));
  // The server's writes stay buffered: the kernel holds 16 bytes until the peer reads.
  ASSERT_TRUE(kernel_.SetSendBufferSize(server.socket_descriptor(), 16));
  ASSERT_EQ(server.Write(std::string(100, 's')), 100);
  loop_.RunUntilIdle();
  ASSERT_EQ(server.BytesToWrite(), 100 - 16);
  // The peer sends a byte with an fd, reads what the kernel holds and hangs up.
  ASSERT_EQ(test::SendWithFds(kernel_, peer, "x", {file}).rc, 1);
  EXPECT_EQ(test::ReceiveAvailable(kernel_, peer), std::string(16, 's'));
  RawClose(peer);
  server.ready_read.Connect([&] { server.Close(); });
  EventRecorder events(server);
  loop_.RunUntilIdle();
  // The first send fails; the server reads "x" and the EOF and emits ready_read, whose slot
  // closes. The next send fails too: reported.
  EXPECT_EQ(events.Take(),
            (Events{"about_to_close", "state:kClosing", "ready_read", "error:kPeerClosed",
                    "state:kUnconnected", "read_channel_finished", "disconnected"}));
  EXPECT_EQ(server.state(), State::kUnconnected);
  EXPECT_EQ(server.error(), Error::kPeerClosed);
  EXPECT_EQ(server.BytesToWrite(), 0);
  RawClose(listener);
  RawClose(file);
}

// The peer's EOF with writes pending: an error_occurred(kPeerClosed) slot that flushes (the
// send fails: the peer is gone) ends the connection inside the slot. The EOF handling then
// stops; it used to go on and feed kPeerEofWritesPending in kUnconnected (a debug abort).
TEST_F(LocalSocketFuzzRegressionTest, FlushInPeerClosedErrorOfAnEofWithWritesPending) {
  const int listener = RawListen("/tmp/srv");
  LocalSocket client(loop_, kernel_);
  LocalSocket server(loop_, kernel_);
  ASSERT_TRUE(ConnectPair(listener, client, server, "/tmp/srv"));
  server.DisconnectFromServer();
  // The client's writes wait: its kernel buffer is too small for a byte.
  ASSERT_TRUE(kernel_.SetSendBufferSize(client.socket_descriptor(), 0));
  ASSERT_EQ(client.Write("abc"), 3);
  EventRecorder events(client);
  client.error_occurred.Connect([&](Error) { EXPECT_FALSE(client.Flush()); });
  loop_.RunUntilIdle();
  // The slot's flush fails: the failure sequence runs inside it (without a second error).
  EXPECT_EQ(events.Take(), (Events{"error:kPeerClosed", "state:kClosing", "state:kUnconnected",
                                   "read_channel_finished", "disconnected"}));
  EXPECT_EQ(client.state(), State::kUnconnected);
  EXPECT_EQ(client.BytesToWrite(), 0);
  RawClose(listener);
}

// The same, but the peer only shut down its sending side: the slot's flush sends the whole
// buffer. The socket still moves to kClosing, and with nothing left to send it finishes the
// disconnect at once (it used to wait in kClosing for a flush that had nothing to do).
TEST_F(LocalSocketFuzzRegressionTest, FlushSendingEverythingInPeerClosedErrorFinishes) {
  const int listener = RawListen("/tmp/srv");
  LocalSocket client(loop_, kernel_);
  LocalSocket server(loop_, kernel_);
  ASSERT_TRUE(ConnectPair(listener, client, server, "/tmp/srv"));
  server.ShutdownWrite();
  ASSERT_EQ(client.Write("abc"), 3);  // Waits for the flush before the loop blocks.
  EventRecorder events(client);
  client.error_occurred.Connect([&](Error) { EXPECT_TRUE(client.Flush()); });
  loop_.RunUntilIdle();
  EXPECT_EQ(events.Take(), (Events{"error:kPeerClosed", "bytes_written:3", "state:kClosing",
                                   "state:kUnconnected", "read_channel_finished", "disconnected"}));
  EXPECT_EQ(client.state(), State::kUnconnected);
  EXPECT_EQ(server.ReadAll(), "abc");
  RawClose(listener);
}

}  // namespace
}  // namespace ipc
