// Passing fds on real sockets and a LibeventLoop: a pipe's write end passed and written through
// on the other side; messages with fds in order among plain writes; 253 fds in one message;
// the fds on their byte when the kernel takes the buffer in parts (checked byte by byte by a
// raw reader); untaken fds closed (counted in /proc/self/fd); a full read buffer leaving the
// rest in the kernel; the blocking waits; and the kernel truncating a control message at the
// receiver's fd limit (in a child process).
#include <fcntl.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "ipc/local_socket.h"
#include "ipc/os_calls.h"
#include "ipc/unique_fd.h"
#include "testing/child_process.h"
#include "testing/data_pattern.h"
#include "testing/os_calls_socket.h"
#include "testing/process_resources.h"
#include "testing/raw_socket.h"
#include "testing/run_loop_until.h"
#include "testing/socket_test_fixture.h"

namespace ipc {
namespace {

using State = LocalSocket::State;
using Error = LocalSocket::Error;
using test::RunLoopUntil;

// A pipe, both ends owned.
struct Pipe {
  Pipe() {
    int fds[2];
    EXPECT_EQ(pipe2(fds, O_CLOEXEC), 0);
    read_end = UniqueFd(fds[0]);
    write_end = UniqueFd(fds[1]);
  }
  UniqueFd read_end;
  UniqueFd write_end;
};

// The inode of what `fd` refers to (a pipe's inode names the pipe).
ino_t InodeOf(int fd) {
  struct stat st {};
  return fstat(fd, &st) == 0 ? st.st_ino : 0;
}

class FdPassingTest : public test::SocketTest {
 protected:
  void SetUp() override {
    test::SocketTest::SetUp();
    listener_ = Listen("srv");
    ASSERT_NE(listener_, nullptr);
    ASSERT_TRUE(ConnectPair(*listener_, client_, *server_));
  }
  void TearDown() override {
    server_.reset();
    listener_.reset();
    client_.Abort();
    test::SocketTest::TearDown();  // The fd-leak check.
  }

  std::unique_ptr<test::RawListener> listener_;
  LocalSocket client_{loop_};
  std::unique_ptr<LocalSocket> server_ = std::make_unique<LocalSocket>(loop_);
};

TEST_F(FdPassingTest, APipesWriteEndPassedIsWrittenThroughOnTheOtherSide) {
  Pipe pipe;
  ASSERT_EQ(client_.WriteWithFds("pipe\n", {pipe.write_end.get()}), 5);
  pipe.write_end.reset();  // Ours goes: the socket sends its own copy.
  ASSERT_TRUE(RunLoopUntil(loop_, [&] { return server_->BytesAvailable() == 5; }));
  std::vector<UniqueFd> fds = server_->TakeReceivedFds();
  ASSERT_EQ(fds.size(), 1u);
  EXPECT_EQ(InodeOf(fds[0].get()), InodeOf(pipe.read_end.get()));
  EXPECT_EQ(fcntl(fds[0].get(), F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
  EXPECT_EQ(write(fds[0].get(), "through the pipe", 16), 16);
  fds.clear();  // The last write end: the reader sees EOF, so no copy was left behind.
  EXPECT_EQ(test::ReadUntilEof(pipe.read_end.get()), "through the pipe");
  EXPECT_EQ(server_->ReadAll(), "pipe\n");
  EXPECT_TRUE(server_->TakeReceivedFds().empty());
}

TEST_F(FdPassingTest, MessagesWithFdsArriveInOrderAmongPlainWrites) {
  constexpr int kMessages = 20;
  std::vector<Pipe> pipes(kMessages * 3);
  // Message i carries i % 3 + 1 fds; the writes coalesce into one flush.
  std::vector<std::vector<ino_t>> expected(kMessages);
  size_t next_pipe = 0;
  for (int i = 0; i < kMessages; ++i) {
    const std::string plain = "plain " + std::to_string(i) + "\n";
    ASSERT_EQ(client_.Write(plain), static_cast<int64_t>(plain.size()));
    std::vector<int> fds;
    for (int k = 0; k <= i % 3; ++k) {
      fds.push_back(pipes[next_pipe].write_end.get());
      expected[i].push_back(InodeOf(pipes[next_pipe++].write_end.get()));
    }
    const std::string line = "fds " + std::to_string(i) + "\n";
    ASSERT_EQ(client_.WriteWithFds(line, fds), static_cast<int64_t>(line.size()));
  }
  // The reader parses lines; a line's fds are there once the line is readable.
  std::deque<UniqueFd> taken;
  std::vector<std::string> lines;
  std::vector<std::vector<ino_t>> received;
  server_->ready_read.Connect([&] {
    while (server_->CanReadLine()) {
      lines.push_back(server_->ReadLine());
      if (lines.back().rfind("fds ", 0) != 0) continue;
      for (UniqueFd& fd : server_->TakeReceivedFds()) taken.push_back(std::move(fd));
      const size_t count = received.size() % 3 + 1;
      ASSERT_GE(taken.size(), count) << "fds missing at " << lines.back();
      received.emplace_back();
      for (size_t k = 0; k < count; ++k) {
        received.back().push_back(InodeOf(taken.front().get()));
        taken.pop_front();
      }
    }
  });
  ASSERT_TRUE(RunLoopUntil(loop_, [&] { return lines.size() == 2 * kMessages; }));
  for (int i = 0; i < kMessages; ++i) {
    EXPECT_EQ(lines[2 * i], "plain " + std::to_string(i) + "\n");
    EXPECT_EQ(lines[2 * i + 1], "fds " + std::to_string(i) + "\n");
  }
  EXPECT_EQ(received, expected);
  EXPECT_TRUE(taken.empty());
}

TEST_F(FdPassingTest, AMessageCarries253FdsAnd254AreRefused) {
  ASSERT_TRUE(test::RaiseFdLimit());
  Pipe pipe;
  EXPECT_EQ(client_.WriteWithFds("x", std::vector<int>(254, pipe.write_end.get())), -1);
  EXPECT_EQ(client_.error(), Error::kOperation);
  ASSERT_EQ(client_.WriteWithFds("y", std::vector<int>(253, pipe.write_end.get())), 1);
  ASSERT_TRUE(RunLoopUntil(loop_, [&] { return server_->BytesAvailable() == 1; }));
  const std::vector<UniqueFd> fds = server_->TakeReceivedFds();
  ASSERT_EQ(fds.size(), 253u);
  for (const UniqueFd& fd : fds) EXPECT_EQ(InodeOf(fd.get()), InodeOf(pipe.read_end.get()));
  EXPECT_EQ(server_->state(), State::kConnected);
  EXPECT_EQ(server_->error(), Error::kNone);
}

TEST_F(FdPassingTest, TheBlockingWaitsPassFds) {
  Pipe pipe;
  ASSERT_EQ(client_.WriteWithFds("w", {pipe.write_end.get()}), 1);
  EXPECT_TRUE(client_.WaitForBytesWritten(5000));
  EXPECT_TRUE(server_->WaitForReadyRead(5000));
  const std::vector<UniqueFd> fds = server_->TakeReceivedFds();
  ASSERT_EQ(fds.size(), 1u);
  EXPECT_EQ(InodeOf(fds[0].get()), InodeOf(pipe.read_end.get()));
  EXPECT_EQ(server_->ReadAll(), "w");
}

enum class Ending { kClose, kAbort, kDestruction };

class UntakenFdsTest : public FdPassingTest, public ::testing::WithParamInterface<Ending> {};

TEST_P(UntakenFdsTest, StayWithTheirBytesAfterTheDisconnectUntilTheSocketLetsGo) {
  std::vector<Pipe> pipes(3);
  const size_t before = test::OpenFds().size();
  for (Pipe& pipe : pipes) {
    ASSERT_EQ(client_.WriteWithFds("m", {pipe.write_end.get(), pipe.write_end.get()}), 1);
  }
  client_.DisconnectFromServer();
  ASSERT_TRUE(RunLoopUntil(loop_, [&] { return server_->state() == State::kUnconnected; }));
  EXPECT_EQ(client_.state(), State::kUnconnected);
  // The client's socket and copies are gone, the server's socket too; its 6 fds stay.
  EXPECT_EQ(test::OpenFds().size(), before - 2 + 6);
  EXPECT_EQ(server_->BytesAvailable(), 3);
  switch (GetParam()) {
    case Ending::kClose:
      server_->Close();
      break;
    case Ending::kAbort:
      server_->Abort();
      break;
    case Ending::kDestruction:
      server_.reset();
      break;
  }
  EXPECT_EQ(test::OpenFds().size(), before - 2);
}

INSTANTIATE_TEST_SUITE_P(Endings, UntakenFdsTest,
                         ::testing::Values(Ending::kClose, Ending::kAbort, Ending::kDestruction));

TEST_F(FdPassingTest, UntakenFdsWhoseBytesWereReadGoWhenMoreFdsArrive) {
  Pipe first;
  Pipe second;
  const size_t before = test::OpenFds().size();
  ASSERT_EQ(client_.WriteWithFds("a", {first.write_end.get()}), 1);
  ASSERT_TRUE(RunLoopUntil(loop_, [&] { return server_->BytesAvailable() == 1; }));
  EXPECT_EQ(server_->ReadAll(), "a");  // Its fd not taken.
  EXPECT_EQ(test::OpenFds().size(), before + 1);
  ASSERT_EQ(client_.WriteWithFds("b", {second.write_end.get()}), 1);
  ASSERT_TRUE(RunLoopUntil(loop_, [&] { return server_->BytesAvailable() == 1; }));
  EXPECT_EQ(test::OpenFds().size(), before + 1);  // The first went, the second came.
  const std::vector<UniqueFd> fds = server_->TakeReceivedFds();
  ASSERT_EQ(fds.size(), 1u);
  EXPECT_EQ(InodeOf(fds[0].get()), InodeOf(second.read_end.get()));
}

// True once every write end of `pipe`'s read end is closed (POLLHUP), waiting up to 5 s.
bool WritersGone(const Pipe& pipe) {
  pollfd entry{pipe.read_end.get(), POLLIN, 0};
  return poll(&entry, 1, 5000) == 1 && (entry.revents & POLLHUP) != 0;
}

TEST_F(FdPassingTest, AFullReadBufferLeavesTheRestWithItsFdsInTheKernelUntilAbort) {
  Pipe first;
  Pipe second;
  const size_t before = test::OpenFds().size();
  server_->SetReadBufferSize(1);
  ASSERT_EQ(client_.WriteWithFds("ab", {first.write_end.get()}), 2);
  ASSERT_EQ(client_.WriteWithFds("cd", {second.write_end.get()}), 2);
  first.write_end.reset();
  second.write_end.reset();
  ASSERT_TRUE(RunLoopUntil(
      loop_, [&] { return server_->BytesAvailable() == 1 && client_.BytesToWrite() == 0; }));
  test::RunLoopFor(loop_, std::chrono::milliseconds(20));  // Paused: nothing more is read.
  EXPECT_EQ(server_->BytesAvailable(), 1);
  EXPECT_EQ(test::OpenFds().size(), before - 2 + 1);  // The first fd came with "a".
  server_->Abort();                                   // Its socket and the first fd.
  EXPECT_EQ(test::OpenFds().size(), before - 2 - 1);
  // The kernel dropped the second with the unread bytes: no write end is left anywhere.
  EXPECT_TRUE(WritersGone(first));
  EXPECT_TRUE(WritersGone(second));
}

// Tests that make their own connections.
using FdPassingRawTest = test::SocketTest;

// The kernel takes the client's buffer in parts (a tiny send buffer) while a raw reader reads
// one byte per recvmsg, so that each fd shows the exact byte it came with.
TEST_F(FdPassingRawTest, WhenTheKernelTakesTheBufferInPartsTheFdsStayOnTheirByte) {
  constexpr size_t kPlain = 40000;
  auto listener = Listen("parts");
  ASSERT_NE(listener, nullptr);
  LocalSocket sender(loop_);
  sender.ConnectToServer("parts");
  ASSERT_EQ(sender.state(), State::kConnected);
  const UniqueFd raw(listener->Accept());
  ASSERT_TRUE(raw);
  const int small = 4096;
  ASSERT_EQ(setsockopt(sender.socket_descriptor(), SOL_SOCKET, SO_SNDBUF, &small, sizeof(small)),
            0);
  Pipe a;
  Pipe b;
  Pipe c;
  std::string expected = test::Pattern(1, 0, kPlain);
  ASSERT_EQ(sender.Write(expected), static_cast<int64_t>(kPlain));
  const std::string first = "M" + test::Pattern(2, 0, 999);
  ASSERT_EQ(sender.WriteWithFds(first, {a.write_end.get()}), 1000);
  const std::string middle = test::Pattern(3, 0, kPlain);
  ASSERT_EQ(sender.Write(middle), static_cast<int64_t>(kPlain));
  ASSERT_EQ(sender.WriteWithFds("N", {b.write_end.get(), c.write_end.get()}), 1);
  const std::string last = test::Pattern(4, 0, kPlain);
  ASSERT_EQ(sender.Write(last), static_cast<int64_t>(kPlain));
  expected += first + middle + "N" + last;
  int flushes = 0;
  sender.bytes_written.Connect([&](int64_t) { ++flushes; });
  sender.DisconnectFromServer();

  std::string received;
  std::map<size_t, std::vector<ino_t>> fds_at;
  std::thread reader([&] {
    for (;;) {
      const test::ReceivedWithFds one =
          test::ReceiveWithFds(RealOsCalls(), raw.get(), 1, CMSG_SPACE(253 * sizeof(int)));
      if (one.result.rc <= 0) return;
      for (const int fd : one.fds) {
        fds_at[received.size()].push_back(InodeOf(fd));
        close(fd);
      }
      received += one.bytes;
    }
  });
  const bool done = RunLoopUntil(
      loop_, [&] { return sender.state() == State::kUnconnected; }, std::chrono::seconds(60));
  if (!done) shutdown(raw.get(), SHUT_RDWR);  // Unblocks the reader.
  reader.join();
  ASSERT_TRUE(done);
  EXPECT_GT(flushes, 3);  // The kernel took the buffer in parts.
  EXPECT_EQ(received.size(), expected.size());
  EXPECT_TRUE(received == expected);
  const std::map<size_t, std::vector<ino_t>> want = {
      {kPlain, {InodeOf(a.read_end.get())}},
      {2 * kPlain + 1000, {InodeOf(b.read_end.get()), InodeOf(c.read_end.get())}}};
  EXPECT_EQ(fds_at, want);
}

// A child process at its fd limit receives a message with three fds: the kernel installs one
// and truncates the control message; the socket delivers the bytes and then fails with
// kSocketResource.
TEST_F(FdPassingRawTest, TheKernelTruncatingTheFdsAtTheFdLimitEndsTheConnection) {
  int pair[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair), 0);
  Pipe pipe;
  test::ChildProcess child([&] {
    close(pair[0]);
    eventloop::LibeventLoop loop;
    LocalSocket socket(loop);
    if (!socket.SetSocketDescriptor(pair[1])) return 10;
    // Room for exactly one more fd: the lowest free number.
    const int lowest_free = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (lowest_free < 0) return 11;
    close(lowest_free);
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return 12;
    limit.rlim_cur = static_cast<rlim_t>(lowest_free) + 1;
    if (setrlimit(RLIMIT_NOFILE, &limit) != 0) return 13;
    if (!RunLoopUntil(loop, [&] { return socket.state() == State::kUnconnected; })) return 14;
    if (socket.error() != Error::kSocketResource) return 15;
    if (socket.error_string() !=
        "LocalSocket::Read: out of resources: received file descriptors were lost (control "
        "message truncated)") {
      return 16;
    }
    if (socket.ReadAll() != "abc") return 17;
    return socket.TakeReceivedFds().size() == 1 ? 0 : 18;
  });
  close(pair[1]);
  const UniqueFd ours(pair[0]);
  const int w = pipe.write_end.get();
  EXPECT_EQ(test::SendWithFds(RealOsCalls(), ours.get(), "abc", {w, w, w}), (SysResult{3, 0}));
  EXPECT_EQ(child.Wait(), 0);
}

}  // namespace
}  // namespace ipc
