// SocketTest: the base fixture of the real-socket LocalSocket suites.
#ifndef LOCALSOCKET_TESTING_SOCKET_TEST_FIXTURE_H_
#define LOCALSOCKET_TESTING_SOCKET_TEST_FIXTURE_H_

#include <memory>
#include <set>
#include <string_view>

#include "eventloop/libevent_loop.h"
#include "gtest/gtest.h"
#include "ipc/local_socket.h"
#include "testing/raw_socket.h"
#include "testing/temp_dir.h"

namespace ipc {
namespace test {

// The base fixture of the real-socket suites: a LibeventLoop on the system clock, a private
// directory that is also $TMPDIR (relative names resolve there), and an fd-leak check: the
// fds open after the test body are those open before it.
class SocketTest : public ::testing::Test {
 protected:
  SocketTest();
  void SetUp() override;
  void TearDown() override;

  // A raw listener on dir_.File(name).
  std::unique_ptr<RawListener> Listen(std::string_view name = "srv", int backlog = 16);
  // Connects `client` to `name` (synchronously) and adopts the connection `listener` accepts
  // into `server`.
  static ::testing::AssertionResult ConnectPair(RawListener& listener, LocalSocket& client,
                                                LocalSocket& server, std::string_view name = "srv");

  eventloop::LibeventLoop loop_;
  TempDir dir_;
  ScopedTmpdir tmpdir_;
  std::set<int> fds_before_;
};

}  // namespace test
}  // namespace ipc

#endif  // LOCALSOCKET_TESTING_SOCKET_TEST_FIXTURE_H_
