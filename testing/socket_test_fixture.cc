#include "testing/socket_test_fixture.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "testing/process_resources.h"

namespace ipc {
namespace test {

SocketTest::SocketTest() : tmpdir_(dir_.path()) {}

void SocketTest::SetUp() {
  ASSERT_FALSE(dir_.path().empty()) << "mkdtemp failed";
  fds_before_ = OpenFds();
}

void SocketTest::TearDown() { EXPECT_EQ(OpenFds(), fds_before_) << "file descriptors leaked"; }

std::unique_ptr<RawListener> SocketTest::Listen(std::string_view name, int backlog) {
  return RawListener::Listen(dir_.File(name), backlog);
}

::testing::AssertionResult SocketTest::ConnectPair(RawListener& listener, LocalSocket& client,
                                                   LocalSocket& server, std::string_view name) {
  client.ConnectToServer(name);
  if (client.state() != LocalSocket::State::kConnected) {
    return ::testing::AssertionFailure() << "connect failed: " << client.error_string();
  }
  const int fd = listener.Accept();
  if (fd < 0) return ::testing::AssertionFailure() << "accept failed: " << strerror(errno);
  if (!server.SetSocketDescriptor(fd)) {
    close(fd);
    return ::testing::AssertionFailure() << "adopt failed: " << server.error_string();
  }
  return ::testing::AssertionSuccess();
}

}  // namespace test
}  // namespace ipc
