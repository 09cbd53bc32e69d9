// ipc::test::FakeKernelTest: a GoogleTest fixture for code on sockets that runs on a FakeKernel
// and a FakeEventLoop, with raw peer helpers and a descriptor check at the end of each test.
#ifndef LOCALSOCKET_TESTING_FAKE_KERNEL_FIXTURE_H_
#define LOCALSOCKET_TESTING_FAKE_KERNEL_FIXTURE_H_

#include <sys/socket.h>

#include <string>
#include <string_view>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ipc/local_socket.h"
#include "testing/fake_event_loop.h"
#include "testing/fake_kernel.h"
#include "testing/os_calls_socket.h"

namespace ipc {
namespace test {

// A FakeEventLoop (`loop_`) and a FakeKernel (`kernel_`) whose descriptor numbers are never
// reused, so that a double close is always caught. TearDown() fails the test if a descriptor
// is still open (sockets and servers declared in the test body are gone by then), one was
// closed twice, or a passed fd is still in flight. The Raw* helpers act as the peer on raw system
// calls through the kernel.
class FakeKernelTest : public ::testing::Test {
 protected:
  FakeKernelTest() : kernel_(loop_, DefaultOptions()) {}

  void TearDown() override {
    EXPECT_THAT(kernel_.open_fds(), ::testing::IsEmpty()) << "leaked descriptors:\n"
                                                          << kernel_.DescribeOpenFds();
    EXPECT_THAT(kernel_.bad_closes(), ::testing::IsEmpty()) << "closed twice or never opened";
    EXPECT_EQ(kernel_.in_flight_count(), 0) << "passed fds still in flight";
  }

  static FakeKernelOptions DefaultOptions() {
    FakeKernelOptions options;
    options.reuse_fds = false;
    return options;
  }

  // A non-blocking listening socket on `path` (the test fails if it cannot be made).
  int RawListen(std::string_view path, int backlog = 16) {
    const SysResult result = ListenOn(kernel_, path, /*abstract=*/false, backlog);
    EXPECT_GE(result.rc, 0) << result;
    return static_cast<int>(result.rc);
  }
  // A non-blocking client connected to `path`, or the failure.
  SysResult RawConnect(std::string_view path) { return ConnectTo(kernel_, path); }
  // The next connection of `listener` (non-blocking), or -1 if none is queued.
  int RawAccept(int listener) {
    return static_cast<int>(
        kernel_.Accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC).rc);
  }
  void RawClose(int fd) { EXPECT_EQ(kernel_.Close(fd), (SysResult{0, 0})) << fd; }
  // Connects `client` to `path` (synchronously) and adopts the connection `listener` accepts
  // into `server`.
  ::testing::AssertionResult ConnectPair(int listener, LocalSocket& client, LocalSocket& server,
                                         std::string_view path) {
    client.ConnectToServer(path);
    if (client.state() != LocalSocket::State::kConnected) {
      return ::testing::AssertionFailure() << "connect failed: " << client.error_string();
    }
    const int fd = RawAccept(listener);
    if (fd < 0) return ::testing::AssertionFailure() << "nothing to accept";
    if (!server.SetSocketDescriptor(fd)) {
      kernel_.Close(fd);
      return ::testing::AssertionFailure() << "adopt failed: " << server.error_string();
    }
    return ::testing::AssertionSuccess();
  }

  eventloop::FakeEventLoop loop_;
  FakeKernel kernel_;
};

}  // namespace test
}  // namespace ipc

#endif  // LOCALSOCKET_TESTING_FAKE_KERNEL_FIXTURE_H_
