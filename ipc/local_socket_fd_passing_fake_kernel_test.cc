// Passing fds and peer credentials on a FakeKernel, in fake time: the fds on their byte when
// the kernel takes a tiny send buffer's worth at a time, untaken fds closed, the kernel
// truncating fds at the descriptor limit (MSG_CTRUNC) and refusing more in flight
// (ETOOMANYREFS), and a peer filter deciding by the uid a connection recorded. The fixture
// fails a test that leaks a descriptor or leaves a passed fd in flight.
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ipc/local_server.h"
#include "ipc/local_socket.h"
#include "testing/fake_kernel.h"
#include "testing/fake_kernel_fixture.h"
#include "testing/os_calls_socket.h"
#include "testing/socket_event_recorder.h"

namespace ipc {
namespace {

using ::testing::ElementsAre;
using Error = LocalSocket::Error;
using State = LocalSocket::State;
using Call = FakeKernel::Call;

class FdPassingOnFakeKernelTest : public test::FakeKernelTest {
 protected:
  // A file in the fake filesystem, opened read-only: the fd to pass.
  int OpenFile(const std::string& path) {
    EXPECT_EQ(kernel_.CreateFile(path), 0);
    const SysResult opened = kernel_.Open(path.c_str(), O_RDONLY | O_CLOEXEC, 0);
    EXPECT_GE(opened.rc, 0) << opened;
    return static_cast<int>(opened.rc);
  }
  // Takes `socket`'s received fds and closes them through the kernel (UniqueFd would ::close
  // numbers that are not the process's); returns how many there were.
  size_t TakeAndClose(LocalSocket& socket) {
    std::vector<UniqueFd> fds = socket.TakeReceivedFds();
    for (UniqueFd& fd : fds) RawClose(fd.release());
    return fds.size();
  }
  ino_t Inode(int fd) {
    struct stat st {};
    return kernel_.Fstat(fd, &st) == SysResult{0, 0} ? st.st_ino : 0;
  }
};

TEST_F(FdPassingOnFakeKernelTest, TheFdsStayOnTheirByteWhenTheKernelTakesLittleAtATime) {
  const int listener = RawListen("/tmp/srv");
  LocalSocket client(loop_, kernel_);
  client.ConnectToServer("/tmp/srv");
  ASSERT_EQ(client.state(), State::kConnected);
  const int raw = RawAccept(listener);
  ASSERT_TRUE(kernel_.SetSendBufferSize(client.socket_descriptor(), 8));
  const int first = OpenFile("/tmp/first");
  const int second = OpenFile("/tmp/second");
  ASSERT_EQ(client.Write("abcdefghij"), 10);
  ASSERT_EQ(client.WriteWithFds("KL", {first}), 2);
  ASSERT_EQ(client.Write("mn"), 2);
  ASSERT_EQ(client.WriteWithFds("O", {second, first}), 1);
  const std::string expected = "abcdefghijKLmnO";
  // The peer reads one byte per recvmsg and lets the loop flush more after each.
  std::string received;
  std::map<size_t, std::vector<ino_t>> fds_at;
  for (int round = 0; round < 100 && received.size() < expected.size(); ++round) {
    loop_.RunUntilIdle();
    const test::ReceivedWithFds one =
        test::ReceiveWithFds(kernel_, raw, 1, CMSG_SPACE(253 * sizeof(int)));
    if (one.result.rc <= 0) continue;
    for (const int fd : one.fds) {
      fds_at[received.size()].push_back(Inode(fd));
      RawClose(fd);
    }
    received += one.bytes;
  }
  EXPECT_EQ(received, expected);
  const std::map<size_t, std::vector<ino_t>> want = {{10, {Inode(first)}},
                                                     {14, {Inode(second), Inode(first)}}};
  EXPECT_EQ(fds_at, want);
  EXPECT_GT(kernel_.call_count(Call::kSendMsg), 4) << "the kernel took the buffer in parts";
  EXPECT_EQ(client.BytesToWrite(), 0);
  RawClose(first);
  RawClose(second);
  client.Abort();
  RawClose(raw);
  RawClose(listener);
}

TEST_F(FdPassingOnFakeKernelTest, UntakenFdsLiveUntilCloseAndNothingLeaks) {
  const int listener = RawListen("/tmp/srv");
  LocalSocket client(loop_, kernel_);
  LocalSocket server(loop_, kernel_);
  ASSERT_TRUE(ConnectPair(listener, client, server, "/tmp/srv"));
  const int file = OpenFile("/tmp/file");
  ASSERT_EQ(client.WriteWithFds("one", {file}), 3);
  ASSERT_EQ(client.WriteWithFds("two", {file, file}), 3);
  client.DisconnectFromServer();
  loop_.RunUntilIdle();
  ASSERT_EQ(server.state(), State::kUnconnected);
  const std::vector<int> open = kernel_.open_fds();
  EXPECT_EQ(open.size(), 2u + 3u) << kernel_.DescribeOpenFds();  // Listener, file, 3 received.
  EXPECT_EQ(server.BytesAvailable(), 6);
  server.Close();
  EXPECT_EQ(kernel_.open_fds().size(), 2u) << kernel_.DescribeOpenFds();
  RawClose(file);
  RawClose(listener);
}

TEST_F(FdPassingOnFakeKernelTest, FdsTruncatedAtTheDescriptorLimitEndTheConnection) {
  const int listener = RawListen("/tmp/srv");
  const SysResult connected = RawConnect("/tmp/srv");
  ASSERT_GE(connected.rc, 0);
  const int peer = static_cast<int>(connected.rc);
  LocalSocket server(loop_, kernel_);
  ASSERT_TRUE(server.SetSocketDescriptor(RawAccept(listener)));
  test::EventRecorder events(server);
  const int file = OpenFile("/tmp/file");
  ASSERT_EQ(test::SendWithFds(kernel_, peer, "abc", {file, file, file}), (SysResult{3, 0}));
  kernel_.SetFdLimit(static_cast<int>(kernel_.open_fds().size()) + 3 + 1);  // One more fd.
  loop_.RunUntilIdle();
  EXPECT_THAT(events.events(),
              ElementsAre("ready_read", "error:kSocketResource", "state:kClosing",
                          "state:kUnconnected", "read_channel_finished", "disconnected"));
  EXPECT_EQ(server.error_string(),
            "LocalSocket::Read: out of resources: received file descriptors were lost (control "
            "message truncated)");
  EXPECT_EQ(server.ReadAll(), "abc");
  EXPECT_EQ(TakeAndClose(server), 1u);  // The one that fitted.
  RawClose(file);
  RawClose(peer);
  RawClose(listener);
}

TEST_F(FdPassingOnFakeKernelTest, TooManyFdsInFlightFailTheSenderWithKSocketResource) {
  const int listener = RawListen("/tmp/srv");
  LocalSocket client(loop_, kernel_);
  client.ConnectToServer("/tmp/srv");
  ASSERT_EQ(client.state(), State::kConnected);
  const int raw = RawAccept(listener);  // Never reads: what the client passes stays in flight.
  test::EventRecorder events(client);
  const int file = OpenFile("/tmp/file");
  kernel_.SetFdLimit(static_cast<int>(kernel_.open_fds().size()) + 3 + 20);
  const std::vector<int> ten(10, file);
  int accepted = 0;
  while (client.state() == State::kConnected && accepted < 20) {
    if (client.WriteWithFds("m", ten) == 1) ++accepted;
    loop_.RunUntilIdle();
  }
  // The kernel refuses a message once more references are in flight than the limit.
  EXPECT_EQ(client.state(), State::kUnconnected);
  EXPECT_EQ(client.error(), Error::kSocketResource);
  EXPECT_EQ(client.error_string(),
            "LocalSocket::Write: out of resources: Too many references: cannot splice");
  EXPECT_EQ(test::Compact(events.events()),
            (test::Events{"bytes_written", "error:kSocketResource", "state:kClosing",
                          "state:kUnconnected", "read_channel_finished", "disconnected"}));
  RawClose(file);
  RawClose(raw);  // Its queue goes, and with it what was in flight.
  RawClose(listener);
}

TEST_F(FdPassingOnFakeKernelTest, APeerFilterDecidesByTheUidAConnectionRecorded) {
  LocalServer server(loop_, kernel_);
  server.SetPeerFilter([](const PeerCredentials& peer) { return peer.uid != 1000; });
  ASSERT_TRUE(server.Listen("/tmp/srv")) << server.error_string();
  kernel_.SetCredentials(4242, 1000, 1000);  // Another user's process connects.
  LocalSocket rejected(loop_, kernel_);
  rejected.ConnectToServer("/tmp/srv");
  kernel_.SetCredentials(::getpid(), 0, 0);
  LocalSocket admitted(loop_, kernel_);
  admitted.ConnectToServer("/tmp/srv");
  loop_.RunUntilIdle();
  EXPECT_EQ(rejected.state(), State::kUnconnected);
  EXPECT_EQ(rejected.error(), Error::kPeerClosed);
  std::unique_ptr<LocalSocket> accepted = server.NextPendingConnection();
  ASSERT_NE(accepted, nullptr);
  EXPECT_EQ(server.NextPendingConnection(), nullptr);
  const std::optional<PeerCredentials> peer = accepted->peer_credentials();
  ASSERT_TRUE(peer.has_value());
  EXPECT_EQ(peer->pid, ::getpid());
  EXPECT_EQ(peer->uid, 0u);
  // The client sees the server as it was when it listened.
  const std::optional<PeerCredentials> server_seen = admitted.peer_credentials();
  ASSERT_TRUE(server_seen.has_value());
  EXPECT_EQ(server_seen->pid, ::getpid());
}

}  // namespace
}  // namespace ipc
