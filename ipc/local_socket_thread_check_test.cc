// The debug-build thread checks of LocalSocket and LocalServer: each follows its loop's thread
// once the loop has run, or binds to the thread of its first blocking wait; its signals follow
// it. A call on
// another thread aborts with a message naming the call. Building on one thread and running on
// another is fine.
#include <future>
#include <string>
#include <thread>

#include "eventloop/thread_binding.h"
#include "gtest/gtest.h"
#include "ipc/local_server.h"
#include "ipc/local_socket.h"
#include "testing/fake_event_loop.h"

namespace ipc {
namespace {

using State = LocalSocket::State;

template <typename Function>
void OnNewThread(Function function) {
  std::thread(function).join();
}

TEST(LocalSocketThreadTest, BuiltOnOneThreadUsedOnTheThreadThatRunsTheLoop) {
  eventloop::FakeEventLoop loop;
  LocalSocket socket(loop);
  OnNewThread([&] {
    loop.RunUntilIdle();  // The loop, and with it the socket, bind to this thread.
    EXPECT_EQ(socket.state(), State::kUnconnected);
    socket.ready_read.Connect([] {});
    EXPECT_FALSE(socket.WaitForConnected(0));
  });
}

TEST(LocalSocketThreadTest, WithoutARunningLoopAnyThreadMayUseTheSocket) {
  eventloop::FakeEventLoop loop;
  LocalSocket socket(loop);
  OnNewThread([&] { socket.SetServerName("a"); });
  EXPECT_EQ(socket.server_name(), "a");
}

#if LOCALSOCKET_DCHECK_IS_ON

class LocalSocketThreadDeathTest : public ::testing::Test {
 protected:
  void SetUp() override { GTEST_FLAG_SET(death_test_style, "threadsafe"); }
};

std::string WrongThread(const std::string& caller, const std::string& binding) {
  return "localsocket: " + caller + " called on thread [0-9]+, but the object is bound to " +
         "thread [0-9]+ \\(" + binding + "\\)";
}

TEST_F(LocalSocketThreadDeathTest, ACallOnAnotherThreadThanTheLoopsAborts) {
  eventloop::FakeEventLoop loop;
  LocalSocket socket(loop);
  loop.RunUntilIdle();
  EXPECT_DEATH(
      OnNewThread([&] { socket.Write("x"); }),
      WrongThread("LocalSocket::Write", "the loop's thread since EventLoop::RunUntilIdle"));
  EXPECT_DEATH(
      OnNewThread([&] { socket.state(); }),
      WrongThread("LocalSocket::state", "the loop's thread since EventLoop::RunUntilIdle"));
  EXPECT_DEATH(OnNewThread([&] { socket.WaitForReadyRead(0); }),
               WrongThread("LocalSocket::WaitForReadyRead",
                           "the loop's thread since EventLoop::RunUntilIdle"));
}

TEST_F(LocalSocketThreadDeathTest, ItsSignalsFollowIt) {
  eventloop::FakeEventLoop loop;
  LocalSocket socket(loop);
  loop.RunUntilIdle();
  EXPECT_DEATH(OnNewThread([&] { socket.ready_read.Connect([] {}); }),
               WrongThread("Signal::Connect", "the loop's thread since EventLoop::RunUntilIdle"));
}

TEST_F(LocalSocketThreadDeathTest, AWaitBindsTheSocketWhenTheLoopHasNotRun) {
  eventloop::FakeEventLoop loop;
  LocalSocket socket(loop);
  // A thread waits on the socket, then stays alive while another thread uses the socket.
  std::promise<void> waited;
  std::promise<void> release;
  std::thread waiter([&] {
    socket.WaitForConnected(0);
    waited.set_value();
    release.get_future().wait();
  });
  waited.get_future().wait();
  EXPECT_DEATH(socket.Abort(),
               WrongThread("LocalSocket::Abort",
                           "the LocalSocket's thread since LocalSocket::WaitForConnected"));
  release.set_value();
  waiter.join();
}

TEST_F(LocalSocketThreadDeathTest, AServerFollowsItsLoopToo) {
  eventloop::FakeEventLoop loop;
  LocalServer server(loop);
  loop.RunUntilIdle();
  EXPECT_DEATH(
      OnNewThread([&] { server.Listen("x"); }),
      WrongThread("LocalServer::Listen", "the loop's thread since EventLoop::RunUntilIdle"));
  EXPECT_DEATH(OnNewThread([&] { server.new_connection.Connect([] {}); }),
               WrongThread("Signal::Connect", "the loop's thread since EventLoop::RunUntilIdle"));
}

TEST_F(LocalSocketThreadDeathTest, AServerWaitBindsTheServerWhenTheLoopHasNotRun) {
  eventloop::FakeEventLoop loop;
  LocalServer server(loop);
  std::promise<void> waited;
  std::promise<void> release;
  std::thread waiter([&] {
    server.WaitForNewConnection(0);
    waited.set_value();
    release.get_future().wait();
  });
  waited.get_future().wait();
  EXPECT_DEATH(server.IsListening(),
               WrongThread("LocalServer::IsListening",
                           "the LocalServer's thread since LocalServer::WaitForNewConnection"));
  release.set_value();
  waiter.join();
}

#endif  // LOCALSOCKET_DCHECK_IS_ON

}  // namespace
}  // namespace ipc
