// LocalSocket's blocking API against a server in another process, without ever running the
// loop: ConnectToServer, WaitForConnected, Write, WaitForBytesWritten, WaitForReadyRead, Read,
// WaitForDisconnected, in a plain program flow. Timeouts are on real time. The server is a
// forked child doing raw accept/read/send; it never touches gtest.
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "ipc/local_socket.h"
#include "ipc/unique_fd.h"
#include "testing/child_process.h"
#include "testing/data_pattern.h"
#include "testing/process_resources.h"
#include "testing/raw_socket.h"
#include "testing/socket_event_recorder.h"
#include "testing/socket_test_fixture.h"

namespace ipc {
namespace {

using State = LocalSocket::State;
using Error = LocalSocket::Error;
using test::ChildProcess;
using test::EventRecorder;
using test::Events;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Child side: accepts one connection on the (non-blocking) listening fd.
int AcceptOne(int listen_fd) {
  pollfd entry{listen_fd, POLLIN, 0};
  if (poll(&entry, 1, 20000) != 1) return -1;
  return accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
}

// Child side: echoes what it reads until EOF; with `quit_on_q`, a 'Q' makes it close and return
// 0 at once.
int EchoUntil(int fd, bool quit_on_q) {
  char buffer[65536];
  for (;;) {
    const ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return 0;
    for (ssize_t i = 0; i < n; ++i) {
      if (quit_on_q && buffer[i] == 'Q') {
        close(fd);
        return 0;
      }
    }
    ssize_t done = 0;
    while (done < n) {
      const ssize_t w = send(fd, buffer + done, static_cast<size_t>(n - done), MSG_NOSIGNAL);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) return 0;  // We closed first.
      done += w;
    }
  }
}

int Echo(int fd) { return EchoUntil(fd, /*quit_on_q=*/true); }
int PlainEcho(int fd) { return EchoUntil(fd, /*quit_on_q=*/false); }

class WaitTest : public test::SocketTest {
 protected:
  // Starts a child that accepts one connection on dir_/srv and runs `serve` on it; the parent
  // keeps no listening fd.
  void StartServer(std::function<int(int)> serve) {
    listener_ = Listen("srv");
    ASSERT_TRUE(listener_);
    const int listen_fd = listener_->fd();
    child_ = std::make_unique<ChildProcess>([listen_fd, serve] {
      const int fd = AcceptOne(listen_fd);
      return fd < 0 ? 2 : serve(fd);
    });
    ASSERT_GT(child_->pid(), 0);
    listener_->CloseFd();
  }
  void TearDown() override {
    if (child_) {
      EXPECT_EQ(child_->Wait(), 0);
    }
    child_.reset();
    listener_.reset();
    test::SocketTest::TearDown();
  }

  std::unique_ptr<test::RawListener> listener_;
  std::unique_ptr<ChildProcess> child_;
};

template <typename F>
milliseconds Timed(F&& f) {
  const auto start = Clock::now();
  f();
  return std::chrono::duration_cast<milliseconds>(Clock::now() - start);
}

TEST_F(WaitTest, PlainProgramFlowWithoutRunningTheLoop) {
  ASSERT_NO_FATAL_FAILURE(StartServer(Echo));
  LocalSocket socket(loop_);
  EventRecorder events(socket);

  socket.ConnectToServer("srv");
  ASSERT_EQ(socket.state(), State::kConnected) << socket.error_string();
  EXPECT_EQ(events.Take(), (Events{"state:kConnecting", "state:kConnected", "connected"}));
  EXPECT_TRUE(socket.WaitForConnected(1000));

  EXPECT_EQ(socket.Write("hello"), 5);
  EXPECT_TRUE(socket.WaitForBytesWritten(5000));
  EXPECT_EQ(events.Take(), (Events{"bytes_written:5"}));
  EXPECT_EQ(socket.BytesToWrite(), 0);
  // Nothing pending: false at once, error unchanged.
  EXPECT_LT(Timed([&] { EXPECT_FALSE(socket.WaitForBytesWritten(5000)); }), milliseconds(50));
  EXPECT_EQ(socket.error(), Error::kNone);

  EXPECT_TRUE(socket.WaitForReadyRead(5000));
  EXPECT_EQ(events.Take(), (Events{"ready_read"}));
  EXPECT_EQ(socket.ReadAll(), "hello");

  // Write, then wait for the reply directly: the wait flushes.
  socket.Write("again");
  EXPECT_TRUE(socket.WaitForReadyRead(5000));
  EXPECT_EQ(events.Take(), (Events{"bytes_written:5", "ready_read"}));
  char buffer[16];
  EXPECT_EQ(socket.Read(buffer, sizeof(buffer)), 5);
  EXPECT_EQ(std::string(buffer, 5), "again");

  // A silent peer: the wait times out on real time, emits nothing, leaves the state.
  const milliseconds waited = Timed([&] { EXPECT_FALSE(socket.WaitForReadyRead(50)); });
  EXPECT_GE(waited, milliseconds(50));
  EXPECT_LT(waited, milliseconds(1000));
  EXPECT_EQ(socket.error(), Error::kSocketTimeout);
  EXPECT_EQ(socket.error_string(), "LocalSocket::WaitForReadyRead: operation timed out");
  EXPECT_TRUE(events.events().empty());
  EXPECT_EQ(socket.state(), State::kConnected);

  // Data already buffered does not count for WaitForReadyRead.
  socket.Write("x");
  EXPECT_TRUE(socket.WaitForReadyRead(5000));
  EXPECT_EQ(socket.BytesAvailable(), 1);
  EXPECT_GE(Timed([&] { EXPECT_FALSE(socket.WaitForReadyRead(30)); }), milliseconds(30));
  EXPECT_EQ(socket.ReadAll(), "x");
  events.Clear();

  // WaitForDisconnected times out like the others.
  EXPECT_GE(Timed([&] { EXPECT_FALSE(socket.WaitForDisconnected(30)); }), milliseconds(30));
  EXPECT_EQ(socket.error(), Error::kSocketTimeout);
  EXPECT_EQ(socket.error_string(), "LocalSocket::WaitForDisconnected: operation timed out");
  EXPECT_TRUE(events.events().empty());
  EXPECT_EQ(socket.state(), State::kConnected);

  // 'Q' makes the server close: WaitForDisconnected flushes, sees the close and runs the
  // whole sequence.
  socket.Write("Q");
  EXPECT_TRUE(socket.WaitForDisconnected(5000));
  EXPECT_EQ(events.Take(), (Events{"bytes_written:1", "error:kPeerClosed", "state:kClosing",
                                   "state:kUnconnected", "read_channel_finished", "disconnected"}));
  EXPECT_EQ(socket.state(), State::kUnconnected);
  EXPECT_EQ(socket.error(), Error::kPeerClosed);

  // Every wait on an unconnected socket: false at once, error unchanged, nothing emitted.
  const milliseconds quick = Timed([&] {
    EXPECT_FALSE(socket.WaitForConnected(5000));
    EXPECT_FALSE(socket.WaitForReadyRead(5000));
    EXPECT_FALSE(socket.WaitForBytesWritten(5000));
    EXPECT_FALSE(socket.WaitForDisconnected(5000));
    EXPECT_FALSE(socket.WaitForReadyRead(-1));
  });
  EXPECT_LT(quick, milliseconds(50));
  EXPECT_EQ(socket.error(), Error::kPeerClosed);
  EXPECT_TRUE(events.events().empty());
}

TEST_F(WaitTest, WaitsOnAFreshSocketReturnFalseAtOnce) {
  LocalSocket socket(loop_);
  EventRecorder events(socket);
  const milliseconds quick = Timed([&] {
    EXPECT_FALSE(socket.WaitForConnected(-1));
    EXPECT_FALSE(socket.WaitForReadyRead(-1));
    EXPECT_FALSE(socket.WaitForBytesWritten(-1));
    EXPECT_FALSE(socket.WaitForDisconnected(-1));
  });
  EXPECT_LT(quick, milliseconds(50));
  EXPECT_EQ(socket.error(), Error::kNone);
  EXPECT_EQ(socket.error_string(), "");
  EXPECT_TRUE(events.events().empty());
}

TEST_F(WaitTest, WaitForReadyReadSeesDataThenTheClose) {
  ASSERT_NO_FATAL_FAILURE(StartServer([](int fd) {
    const bool ok = test::WriteAll(fd, "last words");
    close(fd);
    return ok ? 0 : 1;
  }));
  LocalSocket socket(loop_);
  socket.ConnectToServer("srv");
  ASSERT_EQ(socket.state(), State::kConnected);
  EventRecorder events(socket);
  EXPECT_TRUE(socket.WaitForReadyRead(5000));
  EXPECT_EQ(events.Take(), (Events{"ready_read"}));
  // The close, with no new data: false, with the disconnect sequence.
  EXPECT_FALSE(socket.WaitForReadyRead(5000));
  EXPECT_EQ(events.Take(), (Events{"error:kPeerClosed", "state:kClosing", "state:kUnconnected",
                                   "read_channel_finished", "disconnected"}));
  EXPECT_EQ(socket.ReadAll(), "last words");
}

TEST_F(WaitTest, WaitForDisconnectedEmitsReadyReadBeforeTheSequence) {
  ASSERT_NO_FATAL_FAILURE(StartServer([](int fd) {
    const bool ok = test::WriteAll(fd, "data then close");
    close(fd);
    return ok ? 0 : 1;
  }));
  LocalSocket socket(loop_);
  socket.ConnectToServer("srv");
  ASSERT_EQ(socket.state(), State::kConnected);
  EventRecorder events(socket);
  EXPECT_TRUE(socket.WaitForDisconnected(5000));
  EXPECT_EQ(events.events(),
            (Events{"ready_read", "error:kPeerClosed", "state:kClosing", "state:kUnconnected",
                    "read_channel_finished", "disconnected"}));
  EXPECT_EQ(socket.ReadAll(), "data then close");
}

TEST_F(WaitTest, WaitForDisconnectedAfterAGracefulDisconnectFlushes) {
  constexpr size_t kSize = 1 << 20;
  ASSERT_NO_FATAL_FAILURE(StartServer(PlainEcho));  // The pattern has 'Q' bytes.
  LocalSocket socket(loop_);
  socket.ConnectToServer("srv");
  ASSERT_EQ(socket.state(), State::kConnected);
  EventRecorder events(socket);
  socket.Write(test::Pattern(21, 0, kSize));
  socket.DisconnectFromServer();
  ASSERT_EQ(socket.state(), State::kClosing);
  EXPECT_TRUE(socket.WaitForDisconnected(10000));
  EXPECT_EQ(events.BytesWritten(), static_cast<int64_t>(kSize));
  const Events compact = test::Compact(events.events());
  ASSERT_GE(compact.size(), 4u);
  EXPECT_EQ(compact.front(), "state:kClosing");
  EXPECT_EQ(Events(compact.end() - 3, compact.end()),
            (Events{"state:kUnconnected", "read_channel_finished", "disconnected"}));
  // The echo that arrived while flushing was read (the wait reads) and stays readable.
  const std::string echoed = socket.ReadAll();
  EXPECT_TRUE(echoed == test::Pattern(21, 0, echoed.size()));
}

TEST_F(WaitTest, WaitForBytesWrittenTimesOutWhenThePeerDoesNotRead) {
  auto listener = Listen("quiet");
  ASSERT_TRUE(listener);
  LocalSocket socket(loop_);
  socket.ConnectToServer("quiet");
  UniqueFd peer(listener->Accept());  // Never reads.
  ASSERT_GE(peer.get(), 0);
  EventRecorder events(socket);
  constexpr size_t kSize = 16 << 20;
  socket.Write(test::Pattern(22, 0, kSize));
  EXPECT_TRUE(socket.WaitForBytesWritten(1000));  // The first chunk fits the kernel buffers.
  ASSERT_EQ(events.events().size(), 1u);
  const int64_t left = socket.BytesToWrite();
  ASSERT_GT(left, 0);
  events.Clear();
  const milliseconds waited = Timed([&] { EXPECT_FALSE(socket.WaitForBytesWritten(50)); });
  EXPECT_GE(waited, milliseconds(50));
  EXPECT_EQ(socket.error(), Error::kSocketTimeout);
  EXPECT_EQ(socket.error_string(), "LocalSocket::WaitForBytesWritten: operation timed out");
  EXPECT_TRUE(events.events().empty());
  EXPECT_EQ(socket.BytesToWrite(), left);
  EXPECT_EQ(socket.state(), State::kConnected);
}

// A child that accepts every connection once it reads a byte from `command`, until `command`
// reaches EOF; the accepted fds stay open until then.
int AcceptOnCommand(int listen_fd, int command, bool greet) {
  char byte;
  if (read(command, &byte, 1) != 1) return 3;
  std::vector<int> accepted;
  for (;;) {
    pollfd entries[2] = {{listen_fd, POLLIN, 0}, {command, POLLIN, 0}};
    if (poll(entries, 2, 20000) <= 0) return 4;
    if (entries[0].revents & POLLIN) {
      const int fd = accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd >= 0) {
        if (greet) send(fd, "hi", 2, MSG_NOSIGNAL);
        accepted.push_back(fd);
      }
    }
    if (entries[1].revents & (POLLIN | POLLHUP)) {
      if (read(command, &byte, 1) <= 0) return 0;
    }
  }
}

class WaitBacklogTest : public WaitTest {
 protected:
  void StartBusyServer(bool greet) {
    listener_ = Listen("busy", /*backlog=*/0);
    ASSERT_TRUE(listener_);
    fillers_ = test::FillBacklog(dir_.File("busy"));
    ASSERT_FALSE(fillers_.empty());
    int fds[2];
    ASSERT_EQ(pipe2(fds, O_CLOEXEC), 0);
    command_.reset(fds[1]);
    const int listen_fd = listener_->fd();
    const int command_read = fds[0];
    const int command_write = fds[1];
    child_ = std::make_unique<ChildProcess>([listen_fd, command_read, command_write, greet] {
      close(command_write);  // Else the child never sees EOF on the command pipe.
      return AcceptOnCommand(listen_fd, command_read, greet);
    });
    close(command_read);
    ASSERT_GT(child_->pid(), 0);
    listener_->CloseFd();
  }
  void LetServerAccept() { ASSERT_EQ(write(command_.get(), "a", 1), 1); }
  void TearDown() override {
    command_.reset();  // EOF: the child exits.
    for (int fd : fillers_) close(fd);
    fillers_.clear();
    WaitTest::TearDown();
  }

  std::vector<int> fillers_;
  UniqueFd command_;
};

TEST_F(WaitBacklogTest, WaitForConnectedSleepsThroughAFullBacklog) {
  ASSERT_NO_FATAL_FAILURE(StartBusyServer(/*greet=*/false));
  LocalSocket socket(loop_);
  EventRecorder events(socket);
  socket.ConnectToServer("busy");
  ASSERT_EQ(socket.state(), State::kConnecting);
  EXPECT_EQ(events.Take(), (Events{"state:kConnecting"}));

  const auto cpu_before = test::ProcessCpuTime();
  const milliseconds waited = Timed([&] { EXPECT_FALSE(socket.WaitForConnected(200)); });
  const auto cpu_used = test::ProcessCpuTime() - cpu_before;
  EXPECT_GE(waited, milliseconds(200));
  EXPECT_LT(cpu_used, milliseconds(60)) << "the wait spins";
  EXPECT_EQ(socket.error(), Error::kSocketTimeout);
  EXPECT_EQ(socket.error_string(), "LocalSocket::WaitForConnected: operation timed out");
  EXPECT_EQ(socket.state(), State::kConnecting);
  EXPECT_TRUE(events.events().empty());

  LetServerAccept();
  EXPECT_TRUE(socket.WaitForConnected(5000));
  EXPECT_EQ(events.Take(), (Events{"state:kConnected", "connected"}));
  EXPECT_EQ(socket.state(), State::kConnected);
  EXPECT_EQ(socket.error(), Error::kNone) << "a successful connect clears the error";
}

TEST_F(WaitBacklogTest, WaitForReadyReadWaitsForTheConnectFirst) {
  ASSERT_NO_FATAL_FAILURE(StartBusyServer(/*greet=*/true));
  LocalSocket socket(loop_);
  EventRecorder events(socket);
  socket.ConnectToServer("busy");
  ASSERT_EQ(socket.state(), State::kConnecting);
  LetServerAccept();
  EXPECT_TRUE(socket.WaitForReadyRead(5000));
  EXPECT_EQ(events.events(),
            (Events{"state:kConnecting", "state:kConnected", "connected", "ready_read"}));
  EXPECT_EQ(socket.ReadAll(), "hi");
}

TEST_F(WaitBacklogTest, ConnectTimeoutEndsWaitForConnected) {
  ASSERT_NO_FATAL_FAILURE(StartBusyServer(/*greet=*/false));
  LocalSocket socket(loop_);
  socket.SetConnectTimeout(50);
  EventRecorder events(socket);
  // The connect timeout starts inside ConnectToServer: time from before it.
  const milliseconds waited = Timed([&] {
    socket.ConnectToServer("busy");
    ASSERT_EQ(socket.state(), State::kConnecting);
    EXPECT_FALSE(socket.WaitForConnected(5000));
  });
  EXPECT_GE(waited, milliseconds(50));
  EXPECT_LT(waited, milliseconds(2000));
  EXPECT_EQ(events.events(),
            (Events{"state:kConnecting", "error:kSocketTimeout", "state:kUnconnected"}));
  EXPECT_EQ(socket.error(), Error::kSocketTimeout);
  EXPECT_EQ(socket.state(), State::kUnconnected);
  LetServerAccept();
}

}  // namespace
}  // namespace ipc
