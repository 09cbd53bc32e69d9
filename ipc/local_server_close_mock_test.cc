// LocalServer's Close() and destructor: the socket file is unlinked only while it is still the
// one the server created (same device and inode), and a server that outlives its loop is
// inert. On StrictMock<MockOsCalls> and a FakeEventLoop (testing/local_server_mock_fixture.h).
#include <cerrno>
#include <memory>

#include "eventloop/event_loop.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ipc/local_server.h"
#include "testing/fake_event_loop.h"
#include "testing/local_server_mock_fixture.h"
#include "testing/mock_os_calls.h"

namespace ipc {
namespace test {
namespace {

using ::testing::_;
using ::testing::InSequence;

TEST_F(LocalServerMockTest, DestructorLeavesANewerServersFileAlone) {
  auto server = std::make_unique<LocalServer>(loop_, os_);
  ListenAtPath(*server);
  EXPECT_CALL(os_, Unlink(_)).Times(0);
  ExpectCloseLeavingTheFile(SocketStat(kDev, kIno + 1));
  server.reset();
}

TEST_F(LocalServerMockTest, DestructorLeavesAFileOnAnotherDeviceAlone) {
  auto server = std::make_unique<LocalServer>(loop_, os_);
  ListenAtPath(*server);
  EXPECT_CALL(os_, Unlink(_)).Times(0);
  ExpectCloseLeavingTheFile(SocketStat(kDev + 1, kIno));
  server.reset();
}

TEST_F(LocalServerMockTest, DestructorDoesNothingWhenTheFileIsGone) {
  auto server = std::make_unique<LocalServer>(loop_, os_);
  ListenAtPath(*server);
  ExpectCloseLeavingTheFile(FailWith(ENOENT));
  server.reset();
}

TEST_F(LocalServerMockTest, CloseClearsStateAndIsIdempotent) {
  LocalServer server(loop_, os_);
  ListenAtPath(server);
  ExpectCloseAndUnlink();
  server.Close();
  EXPECT_FALSE(server.IsListening());
  EXPECT_EQ(server.server_name(), "");
  EXPECT_EQ(server.full_server_name(), "");
  EXPECT_EQ(server.socket_descriptor(), -1);
  EXPECT_EQ(loop_.WatchedEvents(100), eventloop::kNoEvents);
  server.Close();  // No-op.
}

// A server that outlives its loop becomes inert: Listen and WaitForNewConnection do nothing
// (the strict mock sees no system call); destruction still closes and unlinks its own file.
TEST_F(LocalServerMockTest, ServerOutlivingItsLoopIsInert) {
  auto loop = std::make_unique<eventloop::FakeEventLoop>();
  auto server = std::make_unique<LocalServer>(*loop, os_);
  {
    InSequence seq;
    ExpectLockTaken();
    ExpectSocket();
    ExpectBindAndListen(kPath, _);
  }
  ASSERT_TRUE(server->Listen(kPath));
  loop.reset();
  bool timed_out = true;
  EXPECT_FALSE(server->WaitForNewConnection(-1, &timed_out));
  EXPECT_FALSE(server->Listen("/srv/other.sock"));
  EXPECT_FALSE(server->Listen(5));
  EXPECT_TRUE(server->IsListening());
  ExpectCloseAndUnlink();
  server.reset();
}

}  // namespace
}  // namespace test
}  // namespace ipc
