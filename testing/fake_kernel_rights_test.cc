// FakeKernel's fd passing and credentials beyond the Linux contract
// (fake_kernel_rights_contract_test.cc): the references in flight and their release through
// chains of queued sockets, ETOOMANYREFS and EMFILE at the descriptor limit, short sends, and
// SetCredentials.
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/fake_event_loop.h"
#include "testing/fake_kernel.h"
#include "testing/os_calls_socket.h"

namespace ipc {
namespace {

using test::ConnectTo;
using test::ListenOn;
using test::ReceivedWithFds;
using test::ReceiveWithFds;
using test::SendString;
using test::SendWithFds;
using ::testing::IsEmpty;

constexpr SysResult kOk{0, 0};
SysResult Err(int err) { return SysResult{-1, err}; }
SysResult Rc(int64_t rc) { return SysResult{rc, 0}; }
constexpr size_t kRoom = CMSG_SPACE(253 * sizeof(int));

class FakeKernelRightsTest : public ::testing::Test {
 protected:
  ~FakeKernelRightsTest() override {
    for (const int fd : kernel_.open_fds()) kernel_.Close(fd);
    EXPECT_EQ(kernel_.in_flight_count(), 0);
    EXPECT_THAT(kernel_.bad_closes(), IsEmpty());
  }

  // A connected non-blocking socketpair.
  std::pair<int, int> Pair() {
    int fds[2] = {-1, -1};
    EXPECT_EQ(kernel_.SocketPair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds), kOk);
    return {fds[0], fds[1]};
  }
  // Whether `fd`'s peer has gone (a receive says EOF).
  bool PeerGone(int fd) {
    char byte = 0;
    return kernel_.Recv(fd, &byte, 1, 0) == kOk;
  }
  // The credentials SO_PEERCRED reports for `fd`.
  ucred Credentials(int fd) {
    ucred credentials{};
    socklen_t length = sizeof(credentials);
    EXPECT_EQ(kernel_.GetSockOpt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &length), kOk);
    return credentials;
  }

  eventloop::FakeEventLoop loop_;
  FakeKernel kernel_{loop_};
};

TEST_F(FakeKernelRightsTest, ReferencesInFlightAreCountedUntilReceived) {
  const auto [a, b] = Pair();
  const auto [c, d] = Pair();
  EXPECT_EQ(SendWithFds(kernel_, a, "x", {c, d}), Rc(1));
  EXPECT_EQ(kernel_.in_flight_count(), 2);
  const size_t open_before = kernel_.open_fds().size();
  const ReceivedWithFds received = ReceiveWithFds(kernel_, b, 10, kRoom);
  EXPECT_EQ(received.fds.size(), 2u);
  EXPECT_EQ(kernel_.in_flight_count(), 0);
  EXPECT_EQ(kernel_.open_fds().size(), open_before + 2);
  // A send the kernel refuses (EAGAIN: nothing fits) holds nothing.
  ASSERT_TRUE(kernel_.SetSendBufferSize(a, 0));
  EXPECT_EQ(SendWithFds(kernel_, a, "y", {c}), Err(EAGAIN));
  EXPECT_EQ(kernel_.in_flight_count(), 0);
}

TEST_F(FakeKernelRightsTest, ReleasingAQueueReleasesTheSocketsItCarriedInTurn) {
  const auto [a, b] = Pair();
  const auto [c, d] = Pair();
  const auto [e, f] = Pair();
  // e waits in c's queue, and c in b's.
  EXPECT_EQ(SendWithFds(kernel_, d, "e", {e}), Rc(1));
  EXPECT_EQ(SendWithFds(kernel_, a, "c", {c}), Rc(1));
  kernel_.Close(e);
  kernel_.Close(c);
  EXPECT_EQ(kernel_.in_flight_count(), 2);
  EXPECT_FALSE(PeerGone(f));
  EXPECT_FALSE(PeerGone(d));
  kernel_.Close(b);  // Unread: c goes, and with c's queue e.
  EXPECT_EQ(kernel_.in_flight_count(), 0);
  char byte = 0;
  EXPECT_EQ(kernel_.Recv(d, &byte, 1, 0), Err(ECONNRESET));  // c went with "e" unread.
  EXPECT_TRUE(PeerGone(d));
  EXPECT_TRUE(PeerGone(f));
}

TEST_F(FakeKernelRightsTest, TooManyReferencesInFlightFailEtoomanyrefs) {
  const auto [a, b] = Pair();
  kernel_.SetFdLimit(20);
  const std::vector<int> ten(10, a);
  EXPECT_EQ(SendWithFds(kernel_, a, "1", ten), Rc(1));  // 10 in flight.
  EXPECT_EQ(SendWithFds(kernel_, a, "2", ten), Rc(1));  // 20: not more than the limit yet.
  EXPECT_EQ(SendWithFds(kernel_, a, "3", ten), Rc(1));  // 30.
  EXPECT_EQ(SendWithFds(kernel_, a, "4", ten), Err(ETOOMANYREFS));
  EXPECT_EQ(SendString(kernel_, a, "5"), Rc(1));  // Without fds, sends go on.
  EXPECT_EQ(kernel_.in_flight_count(), 30);
  kernel_.Close(b);  // The three messages go with b's queue.
  EXPECT_EQ(kernel_.in_flight_count(), 0);
}

TEST_F(FakeKernelRightsTest, AtTheDescriptorLimitTheRestIsTruncated) {
  const auto [a, b] = Pair();
  const auto [c, d] = Pair();
  EXPECT_EQ(SendWithFds(kernel_, a, "x", {c, c, c}), Rc(1));
  kernel_.SetFdLimit(kernel_.open_fds().back() + 2);  // Room for one more descriptor.
  const ReceivedWithFds received = ReceiveWithFds(kernel_, b, 10, kRoom);
  EXPECT_EQ(received.result, Rc(1));
  EXPECT_EQ(received.fds.size(), 1u);
  EXPECT_EQ(received.msg_flags & MSG_CTRUNC, MSG_CTRUNC);
  EXPECT_EQ(kernel_.in_flight_count(), 0);
  (void)d;
}

TEST_F(FakeKernelRightsTest, AShortSendCarriesTheFdsOnItsFirstByte) {
  const auto [a, b] = Pair();
  const auto [c, d] = Pair();
  kernel_.CapSends(a, 1, /*times=*/1);
  EXPECT_EQ(SendWithFds(kernel_, a, "abc", {c}), Rc(1));
  EXPECT_EQ(SendString(kernel_, a, "bc"), Rc(2));
  const ReceivedWithFds first = ReceiveWithFds(kernel_, b, 1, kRoom);
  EXPECT_EQ(first.bytes, "a");
  EXPECT_EQ(first.fds.size(), 1u);
  const ReceivedWithFds rest = ReceiveWithFds(kernel_, b, 10, kRoom);
  EXPECT_EQ(rest.bytes, "bc");
  EXPECT_TRUE(rest.fds.empty());
  (void)d;
}

TEST_F(FakeKernelRightsTest, ReceivedFdsAreCloseOnExecOnlyWhenAsked) {
  const auto [a, b] = Pair();
  const auto [c, d] = Pair();
  EXPECT_EQ(SendWithFds(kernel_, a, "x", {c}), Rc(1));
  const ReceivedWithFds received = ReceiveWithFds(kernel_, b, 10, kRoom, /*flags=*/0);
  ASSERT_EQ(received.fds.size(), 1u);
  EXPECT_EQ(kernel_.Fcntl(received.fds[0], F_GETFD, 0), Rc(0));
  (void)d;
}

TEST_F(FakeKernelRightsTest, SetCredentialsChangesWhatLaterConnectionsRecord) {
  const SysResult listener = ListenOn(kernel_, "/tmp/srv");
  ASSERT_GE(listener.rc, 0);
  const int listening = static_cast<int>(listener.rc);
  kernel_.SetCredentials(42, 1000, 1001);  // Another process connects.
  const SysResult client = ConnectTo(kernel_, "/tmp/srv");
  ASSERT_GE(client.rc, 0);
  const SysResult server = kernel_.Accept4(listening, nullptr, nullptr, SOCK_NONBLOCK);
  ASSERT_GE(server.rc, 0);
  const ucred seen_by_server = Credentials(static_cast<int>(server.rc));
  EXPECT_EQ(seen_by_server.pid, 42);
  EXPECT_EQ(seen_by_server.uid, 1000u);
  EXPECT_EQ(seen_by_server.gid, 1001u);
  // The client sees the listener as it was at listen(): this process, uid and gid 0.
  const ucred seen_by_client = Credentials(static_cast<int>(client.rc));
  EXPECT_EQ(seen_by_client.pid, ::getpid());
  EXPECT_EQ(seen_by_client.uid, 0u);
  const auto [a, b] = Pair();
  EXPECT_EQ(Credentials(a).pid, 42);
  EXPECT_EQ(Credentials(b).uid, 1000u);
}

}  // namespace
}  // namespace ipc
