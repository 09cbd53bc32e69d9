// LocalServer on a FakeKernel: real-socket tests of local_server_test.cc ported to the
// in-memory kernel (a server and its clients in one test, in fake time), as proof that it
// behaves like Linux for the listen recipes and as examples. The originals stay.
#include <sys/stat.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ipc/local_server.h"
#include "ipc/local_socket.h"
#include "testing/fake_kernel.h"
#include "testing/fake_kernel_fixture.h"
#include "testing/os_calls_socket.h"

namespace ipc {
namespace {

using ::testing::IsEmpty;
using Error = LocalSocket::Error;
using State = LocalSocket::State;
using Call = FakeKernel::Call;
using std::chrono::milliseconds;
using test::SendString;

using LocalServerOnFakeKernelTest = test::FakeKernelTest;

// Ported from LocalServerTest.LocalSocketClientEcho: a LocalServer and a LocalSocket client in
// one test, no kernel object.
TEST_F(LocalServerOnFakeKernelTest, LocalSocketClientEcho) {
  const eventloop::TimePoint start = loop_.Now();
  LocalServer server(loop_, kernel_);
  ASSERT_TRUE(server.Listen("/tmp/echo")) << server.error_string();
  std::unique_ptr<LocalSocket> accepted;
  server.new_connection.Connect([&] {
    accepted = server.NextPendingConnection();
    LocalSocket* raw = accepted.get();
    accepted->ready_read.Connect([raw] { raw->Write("echo:" + raw->ReadAll()); });
  });
  LocalSocket client(loop_, kernel_);
  client.ConnectToServer("/tmp/echo");
  ASSERT_EQ(client.state(), State::kConnected) << client.error_string();
  std::string received;
  client.ready_read.Connect([&] { received += client.ReadAll(); });
  ASSERT_EQ(client.Write("hello"), 5);
  loop_.RunUntilIdle();
  EXPECT_EQ(received, "echo:hello");
  ASSERT_NE(accepted, nullptr);
  EXPECT_EQ(accepted->full_server_name(), "/tmp/echo");
  EXPECT_EQ(loop_.Now(), start) << "no fake time passed";
}

// Ported from LocalServerTest.StaleSocketIsReplaced: the probe finds nobody listening
// (ECONNREFUSED), the stale file is replaced, both with a direct bind and with the private
// directory recipe (mkdtemp, bind through /proc/self/fd, chmod, link).
TEST_F(LocalServerOnFakeKernelTest, StaleSocketIsReplaced) {
  ASSERT_EQ(kernel_.MakeDirectories("/srv/run"), 0);
  for (uint32_t options : {uint32_t{LocalServer::kNoOptions}, uint32_t{LocalServer::kUserAccess}}) {
    SCOPED_TRACE(options);
    RawClose(RawListen("/srv/run/stale"));  // The file stays; nobody listens.
    LocalServer server(loop_, kernel_);
    server.SetSocketOptions(options);
    ASSERT_TRUE(server.Listen("/srv/run/stale")) << server.error_string();
    EXPECT_EQ(server.server_error(), Error::kNone);
    struct stat st {};
    ASSERT_EQ(kernel_.Lstat("/srv/run/stale", &st), (SysResult{0, 0}));
    EXPECT_EQ(st.st_mode, S_IFSOCK | (options == LocalServer::kUserAccess ? 0700 : 0755));
    int emitted = 0;
    server.new_connection.Connect([&] { ++emitted; });
    const SysResult client = RawConnect("/srv/run/stale");
    ASSERT_GE(client.rc, 0);
    loop_.RunUntilIdle();
    EXPECT_EQ(emitted, 1);
    RawClose(static_cast<int>(client.rc));
    server.Close();
    EXPECT_THAT(kernel_.ListDirectory("/srv/run"), IsEmpty());
  }
}

// Ported from LocalServerTest.WaitForNewConnectionTimesOut: the wait's poll advances the fake
// clock to its deadline, exactly.
TEST_F(LocalServerOnFakeKernelTest, WaitForNewConnectionTimesOut) {
  LocalServer server(loop_, kernel_);
  ASSERT_TRUE(server.Listen("/tmp/wait"));
  bool timed_out = false;
  const eventloop::TimePoint start = loop_.Now();
  EXPECT_FALSE(server.WaitForNewConnection(30, &timed_out));
  EXPECT_EQ(loop_.Now() - start, milliseconds(30));
  EXPECT_TRUE(timed_out);
  EXPECT_EQ(server.server_error(), Error::kNone);
  EXPECT_TRUE(server.IsListening());
}

// Ported from LocalServerTest.WaitForNewConnectionWithAClient.
TEST_F(LocalServerOnFakeKernelTest, WaitForNewConnectionWithAClient) {
  LocalServer server(loop_, kernel_);
  server.SetMaxPendingConnections(0);  // The loop never accepts; the wait does.
  ASSERT_TRUE(server.Listen("/tmp/wait"));
  int emitted = 0;
  server.new_connection.Connect([&] { ++emitted; });
  const SysResult client = RawConnect("/tmp/wait");
  ASSERT_GE(client.rc, 0);
  loop_.RunUntilIdle();
  EXPECT_EQ(emitted, 0);
  bool timed_out = true;
  EXPECT_TRUE(server.WaitForNewConnection(5000, &timed_out));
  EXPECT_FALSE(timed_out);
  EXPECT_EQ(emitted, 1);
  std::unique_ptr<LocalSocket> accepted = server.NextPendingConnection();
  ASSERT_NE(accepted, nullptr);
  ASSERT_EQ(SendString(kernel_, static_cast<int>(client.rc), "w"), (SysResult{1, 0}));
  const eventloop::TimePoint before_wait = loop_.Now();
  ASSERT_TRUE(accepted->WaitForReadyRead(5000));
  EXPECT_EQ(loop_.Now(), before_wait) << "the byte was there: no time passed";
  EXPECT_EQ(accepted->ReadAll(), "w");
  RawClose(static_cast<int>(client.rc));
}

// A race made deterministic: the server closes at the exact moment a client connects (between
// its socket() and its connect()).
TEST_F(LocalServerOnFakeKernelTest, AServerClosingWhileAClientConnectsIsServerNotFound) {
  LocalServer server(loop_, kernel_);
  ASSERT_TRUE(server.Listen("/tmp/race"));
  kernel_.RunBeforeNext(Call::kConnect, [&] { server.Close(); });
  LocalSocket client(loop_, kernel_);
  client.ConnectToServer("/tmp/race");
  EXPECT_EQ(client.state(), State::kUnconnected);
  EXPECT_EQ(client.error(), Error::kServerNotFound);
  EXPECT_EQ(client.error_string(),
            "LocalSocket::ConnectToServer: server not found: No such file or directory");
  EXPECT_FALSE(server.IsListening());
}

// What the README's example ("Testing with an in-memory kernel") says happens.
TEST_F(LocalServerOnFakeKernelTest, TheReadmeExample) {
  const eventloop::TimePoint start = loop_.Now();
  LocalServer server(loop_, kernel_);
  LocalSocket client(loop_, kernel_);
  std::unique_ptr<LocalSocket> peer;
  std::string received;
  std::vector<std::string> peer_events;
  server.new_connection.Connect([&] {
    peer = server.NextPendingConnection();
    peer->ready_read.Connect([&] { received += peer->ReadAll(); });
    peer->error_occurred.Connect(
        [&](Error error) { peer_events.push_back(error == Error::kPeerClosed ? "error" : "?"); });
    peer->disconnected.Connect([&] { peer_events.push_back("disconnected"); });
  });
  ASSERT_TRUE(server.Listen("/tmp/svc"));
  client.ConnectToServer("/tmp/svc");
  EXPECT_EQ(client.state(), State::kConnected);
  client.Write("hello");
  loop_.RunUntilIdle();
  EXPECT_EQ(received, "hello");
  EXPECT_EQ(loop_.Now(), start);

  kernel_.FailNext(FakeKernel::Call::kSendMsg, ECONNRESET, peer->socket_descriptor());
  peer->Write("reply");
  loop_.RunUntilIdle();
  EXPECT_EQ(peer_events, (std::vector<std::string>{"error", "disconnected"}));
  EXPECT_EQ(client.state(), State::kUnconnected);
  EXPECT_EQ(client.error(), Error::kPeerClosed);
  EXPECT_EQ(client.BytesAvailable(), 0) << "the reply was never sent";
}

}  // namespace
}  // namespace ipc
