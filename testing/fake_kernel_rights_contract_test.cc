// The kernel contract for passing fds (SCM_RIGHTS) and SO_PEERCRED: the same assertions on the
// real kernel and on FakeKernel. Passed fds ride on the first byte of their send and end the
// read that takes them; they stay alive in flight; what does not fit the control buffer is
// dropped with MSG_CTRUNC; a peek installs copies; the refusals and the credentials each end
// of a connection reports.
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "ipc/os_calls.h"
#include "testing/kernel_contract_fixture.h"
#include "testing/os_calls_socket.h"

namespace ipc {
namespace {

using test::Err;
using test::KernelContractTest;
using test::kOk;
using test::ReceivedWithFds;
using test::ReceiveWithFds;
using test::SendString;
using test::SendWithFds;

SysResult Rc(int64_t rc) { return SysResult{rc, 0}; }

// Room for a full message of fds.
constexpr size_t kRoom = CMSG_SPACE(253 * sizeof(int));

template <typename World>
class RightsContractTest : public KernelContractTest<World> {
 protected:
  // One recvmsg on `fd`; the fds it brings are tracked (closed at the end of the test).
  ReceivedWithFds Receive(int fd, size_t max = 100, size_t room = kRoom,
                          int flags = MSG_CMSG_CLOEXEC) {
    ReceivedWithFds received = ReceiveWithFds(this->os(), fd, max, room, flags);
    for (const int passed : received.fds) this->Track(SysResult{passed, 0});
    return received;
  }
  ucred Credentials(int fd, socklen_t size = sizeof(ucred)) {
    ucred credentials{-1, 1, 1};
    socklen_t length = size;
    EXPECT_EQ(this->os().GetSockOpt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &length), kOk);
    EXPECT_EQ(length, size);
    return credentials;
  }
};

TYPED_TEST_SUITE(RightsContractTest, test::KernelWorlds, test::WorldNames);

void ExpectSame(const ucred& got, const ucred& want) {
  EXPECT_EQ(got.pid, want.pid);
  EXPECT_EQ(got.uid, want.uid);
  EXPECT_EQ(got.gid, want.gid);
}

TYPED_TEST(RightsContractTest, PassedFdsArriveWithTheirBytesAndEndTheRead) {
  OsCalls& os = this->os();
  const auto [a, b] = this->Pair();
  const auto [c, d] = this->Pair();
  const ino_t passed = this->Inode(c);
  EXPECT_EQ(SendString(os, a, "ab"), Rc(2));
  EXPECT_EQ(SendWithFds(os, a, "cd", {c}), Rc(2));
  EXPECT_EQ(SendString(os, a, "ef"), Rc(2));
  this->CloseFd(c);  // In flight, the socket lives on: its peer sees no EOF.
  char byte = 0;
  EXPECT_EQ(os.Recv(d, &byte, 1, 0), Err(EAGAIN));

  const ReceivedWithFds first = this->Receive(b);
  EXPECT_EQ(first.result, Rc(4));  // The plain bytes before, then those that carried the fd.
  EXPECT_EQ(first.bytes, "abcd");
  ASSERT_EQ(first.fds.size(), 1u);
  EXPECT_EQ(first.msg_flags & MSG_CTRUNC, 0);
  EXPECT_EQ(first.controllen, CMSG_SPACE(sizeof(int)));
  EXPECT_EQ(os.Fcntl(first.fds[0], F_GETFD, 0), Rc(FD_CLOEXEC));
  EXPECT_EQ(this->Inode(first.fds[0]), passed);
  const ReceivedWithFds second = this->Receive(b);
  EXPECT_EQ(second.bytes, "ef");
  EXPECT_TRUE(second.fds.empty());
  EXPECT_EQ(second.controllen, 0u);

  // The received fd is that socket: what it sends reaches d, and its close ends d's peer.
  EXPECT_EQ(SendString(os, first.fds[0], "zz"), Rc(2));
  std::string got;
  EXPECT_EQ(this->Recv(d, &got), Rc(2));
  EXPECT_EQ(got, "zz");
  this->CloseFd(first.fds[0]);
  EXPECT_EQ(this->Recv(d, &got), kOk);  // EOF.
}

TYPED_TEST(RightsContractTest, OneByteReadsShowTheByteThatCarriesTheFds) {
  OsCalls& os = this->os();
  const auto [a, b] = this->Pair();
  const auto [c, d] = this->Pair();
  EXPECT_EQ(SendString(os, a, "x"), Rc(1));
  EXPECT_EQ(SendWithFds(os, a, "yz", {c}), Rc(2));
  const ReceivedWithFds x = this->Receive(b, 1);
  EXPECT_EQ(x.bytes, "x");
  EXPECT_TRUE(x.fds.empty());
  const ReceivedWithFds y = this->Receive(b, 1);
  EXPECT_EQ(y.bytes, "y");
  EXPECT_EQ(y.fds.size(), 1u);
  const ReceivedWithFds z = this->Receive(b, 1);
  EXPECT_EQ(z.bytes, "z");
  EXPECT_TRUE(z.fds.empty());
  (void)d;
}

TYPED_TEST(RightsContractTest, EachMessagesFdsComeInTheirOwnRead) {
  OsCalls& os = this->os();
  const auto [a, b] = this->Pair();
  const auto [c, d] = this->Pair();
  EXPECT_EQ(SendWithFds(os, a, "1", {c}), Rc(1));
  EXPECT_EQ(SendWithFds(os, a, "2", {c, d}), Rc(1));
  const ReceivedWithFds first = this->Receive(b);
  EXPECT_EQ(first.bytes, "1");
  ASSERT_EQ(first.fds.size(), 1u);
  EXPECT_EQ(this->Inode(first.fds[0]), this->Inode(c));
  const ReceivedWithFds second = this->Receive(b);
  EXPECT_EQ(second.bytes, "2");
  ASSERT_EQ(second.fds.size(), 2u);
  EXPECT_EQ(this->Inode(second.fds[0]), this->Inode(c));
  EXPECT_EQ(this->Inode(second.fds[1]), this->Inode(d));
}

TYPED_TEST(RightsContractTest, FdsThatDoNotFitAreDroppedWithMsgCtrunc) {
  OsCalls& os = this->os();
  const auto [a, b] = this->Pair();
  const auto [c, d] = this->Pair();
  // Room for one fd: (msg_controllen - sizeof(cmsghdr)) / sizeof(int).
  EXPECT_EQ(SendWithFds(os, a, "t", {c, c, c}), Rc(1));
  const ReceivedWithFds one = this->Receive(b, 100, CMSG_LEN(sizeof(int)));
  EXPECT_EQ(one.result, Rc(1));
  EXPECT_EQ(one.fds.size(), 1u);
  EXPECT_EQ(one.msg_flags & MSG_CTRUNC, MSG_CTRUNC);
  EXPECT_EQ(one.controllen, CMSG_LEN(sizeof(int)));
  // No control buffer at all, and recv(): every fd dropped.
  EXPECT_EQ(SendWithFds(os, a, "u", {c}), Rc(1));
  const ReceivedWithFds none = this->Receive(b, 100, 0);
  EXPECT_EQ(none.result, Rc(1));
  EXPECT_EQ(none.msg_flags & MSG_CTRUNC, MSG_CTRUNC);
  EXPECT_EQ(SendWithFds(os, a, "v", {c}), Rc(1));
  char byte = 0;
  EXPECT_EQ(os.Recv(b, &byte, 1, 0), Rc(1));
  // Nothing else holds the socket: its last descriptors closed, d's peer is gone.
  this->CloseFd(c);
  this->CloseFd(one.fds[0]);
  std::string got;
  EXPECT_EQ(this->Recv(d, &got), kOk);
}

TYPED_TEST(RightsContractTest, ClosingTheReceiverReleasesWhatIsInFlight) {
  OsCalls& os = this->os();
  const auto [a, b] = this->Pair();
  const auto [c, d] = this->Pair();
  EXPECT_EQ(SendWithFds(os, a, "x", {c}), Rc(1));
  this->CloseFd(c);
  this->CloseFd(b);  // Unread, with c's socket in its queue.
  std::string got;
  EXPECT_EQ(this->Recv(d, &got), kOk);  // EOF: the socket went with the queue.
  (void)a;
}

TYPED_TEST(RightsContractTest, APeekInstallsCopiesAndLeavesThem) {
  OsCalls& os = this->os();
  const auto [a, b] = this->Pair();
  const auto [c, d] = this->Pair();
  EXPECT_EQ(SendWithFds(os, a, "pq", {c}), Rc(2));
  EXPECT_EQ(SendString(os, a, "r"), Rc(1));
  const ReceivedWithFds peeked = this->Receive(b, 100, kRoom, MSG_PEEK | MSG_CMSG_CLOEXEC);
  EXPECT_EQ(peeked.bytes, "pq");  // A peek stops after the fds' segment too.
  ASSERT_EQ(peeked.fds.size(), 1u);
  const ReceivedWithFds read = this->Receive(b);
  EXPECT_EQ(read.bytes, "pq");
  ASSERT_EQ(read.fds.size(), 1u);
  EXPECT_NE(read.fds[0], peeked.fds[0]);
  EXPECT_EQ(this->Inode(read.fds[0]), this->Inode(c));
  (void)d;
}

TYPED_TEST(RightsContractTest, Refusals) {
  OsCalls& os = this->os();
  const auto [a, b] = this->Pair();
  const auto [c, d] = this->Pair();
  EXPECT_EQ(SendWithFds(os, a, "x", std::vector<int>(254, c)), Err(EINVAL));
  const int closed = this->NewSocket();
  this->CloseFd(closed);
  EXPECT_EQ(SendWithFds(os, a, "x", {c, closed}), Err(EBADF));
  // No bytes, no message: the fds are not passed.
  EXPECT_EQ(SendWithFds(os, a, "", {c}), Rc(0));
  char byte = 0;
  EXPECT_EQ(os.Recv(b, &byte, 1, 0), Err(EAGAIN));
  // A control message of an unknown type at SOL_SOCKET is refused; one of another level is
  // skipped.
  std::vector<cmsghdr> control(4);
  char data = 'y';
  iovec iov{&data, 1};
  msghdr message{};
  message.msg_iov = &iov;
  message.msg_iovlen = 1;
  message.msg_control = control.data();
  message.msg_controllen = CMSG_SPACE(sizeof(int));
  cmsghdr* header = CMSG_FIRSTHDR(&message);
  header->cmsg_level = SOL_SOCKET;
  header->cmsg_type = 99;
  header->cmsg_len = CMSG_LEN(sizeof(int));
  EXPECT_EQ(os.SendMsg(a, &message, MSG_NOSIGNAL), Err(EINVAL));
  header->cmsg_level = SOL_SOCKET + 1000;
  EXPECT_EQ(os.SendMsg(a, &message, MSG_NOSIGNAL), Rc(1));
  const ReceivedWithFds skipped = this->Receive(b);
  EXPECT_EQ(skipped.bytes, "y");
  EXPECT_TRUE(skipped.fds.empty());
  // 253 fds is one full message.
  EXPECT_EQ(SendWithFds(os, a, "z", std::vector<int>(253, d)), Rc(1));
  const ReceivedWithFds full = this->Receive(b);
  EXPECT_EQ(full.fds.size(), 253u);
  EXPECT_EQ(full.msg_flags & MSG_CTRUNC, 0);
}

TYPED_TEST(RightsContractTest, PeerCredentials) {
  const ucred self = TypeParam::Self();
  const int fresh = this->NewSocket();
  // None when not connected.
  ExpectSame(this->Credentials(fresh), ucred{0, static_cast<uid_t>(-1), static_cast<gid_t>(-1)});
  const auto [a, b] = this->Pair();
  ExpectSame(this->Credentials(a), self);
  ExpectSame(this->Credentials(b), self);
  const std::string path = this->Path("creds");
  const int listener = this->Listener(path);
  ExpectSame(this->Credentials(listener), self);  // A listener reports its own.
  const int client = this->Client(path);
  const int server = this->Accept(listener);
  ExpectSame(this->Credentials(client), self);
  ExpectSame(this->Credentials(server), self);
  // A short buffer gets the start of the structure.
  const ucred pid_only = this->Credentials(client, sizeof(pid_t));
  EXPECT_EQ(pid_only.pid, self.pid);
  EXPECT_EQ(pid_only.uid, 1u);
}

}  // namespace
}  // namespace ipc
