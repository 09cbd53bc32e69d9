// LocalSocket on a FakeKernel: the defects socket_model_fuzzer found (README "Fuzzing"), one
// test each. The inputs that found them stay in tools/fuzzing/corpus/socket_model_fuzzer/ as
// regression-* files.
#include <cstdint>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "ipc/local_socket.h"
#include "testing/fake_kernel.h"
#include "testing/fake_kernel_fixture.h"
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

}  // namespace
}  // namespace ipc
