// The kernel contract: the same assertions (exact return values and errnos) run on the real
// kernel (RealOsCalls) and on FakeKernel, so the fake behaves like Linux where both are
// defined. What only the fake can show (exact buffer limits, readiness on the loop, faults,
// fake time) is in fake_kernel_test.cc.
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "gtest/gtest.h"
#include "ipc/os_calls.h"
#include "testing/fake_event_loop.h"
#include "testing/fake_kernel.h"
#include "testing/kernel_contract_fixture.h"
#include "testing/os_calls_socket.h"

namespace ipc {
namespace {

using test::ConnectTo;
using test::Err;
using test::KernelContractTest;
using test::kOk;
using test::ListenOn;
using test::ReceiveAvailable;
using test::ReceiveString;
using test::SendString;
using test::UnixSocketAddress;

TYPED_TEST_SUITE(KernelContractTest, test::KernelWorlds, test::WorldNames);

TYPED_TEST(KernelContractTest, FreshSocket) {
  const int fd = this->NewSocket();
  EXPECT_EQ(this->PollEvents(fd), POLLOUT | POLLHUP);
  std::string got;
  EXPECT_EQ(this->Recv(fd, &got), Err(EINVAL));
  EXPECT_EQ(SendString(this->os(), fd, "x"), Err(ENOTCONN));
  EXPECT_EQ(this->os().Listen(fd, 1), Err(EINVAL)) << "unbound";
  EXPECT_EQ(this->os().Accept4(fd, nullptr, nullptr, 0), Err(EINVAL));
  EXPECT_EQ(this->os().Shutdown(fd, SHUT_WR), kOk);
  EXPECT_EQ(this->os().Shutdown(fd, 7), Err(EINVAL));
  sockaddr_un address{};
  socklen_t length = sizeof(address);
  EXPECT_EQ(this->os().GetPeerName(fd, reinterpret_cast<sockaddr*>(&address), &length),
            Err(ENOTCONN));
  length = sizeof(address);
  EXPECT_EQ(this->os().GetSockName(fd, reinterpret_cast<sockaddr*>(&address), &length), kOk);
  EXPECT_EQ(length, sizeof(sa_family_t));
  EXPECT_EQ(address.sun_family, AF_UNIX);
  EXPECT_EQ(this->SockOpt(fd, SO_TYPE), SOCK_STREAM);
  EXPECT_EQ(this->SockOpt(fd, SO_DOMAIN), AF_UNIX);
  EXPECT_EQ(this->SockOpt(fd, SO_PROTOCOL), 0);
  EXPECT_EQ(this->SockOpt(fd, SO_ACCEPTCONN), 0);
  EXPECT_EQ(this->SockOpt(fd, SO_ERROR), 0);
  int value = 0;
  length = sizeof(value);
  EXPECT_EQ(this->os().GetSockOpt(fd, IPPROTO_TCP, 1, &value, &length), Err(EOPNOTSUPP));
  struct stat st {};
  EXPECT_EQ(this->os().Fstat(fd, &st), kOk);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(this->os().Socket(AF_UNIX, SOCK_STREAM, 99), Err(EPROTONOSUPPORT));
  EXPECT_EQ(this->os().Socket(AF_UNIX, 0x40, 0), Err(EINVAL));
}

TYPED_TEST(KernelContractTest, BindingNames) {
  const std::string path = this->Path("bound");
  const int fd = this->NewSocket();
  EXPECT_EQ(this->Bind(fd, path), kOk);
  EXPECT_TRUE(this->IsSocketFile(path));
  EXPECT_EQ(this->Bind(fd, path), Err(EADDRINUSE)) << "the name exists";
  EXPECT_EQ(this->Bind(fd, this->Path("second")), Err(EINVAL)) << "already bound";
  struct stat st {};
  EXPECT_EQ(this->os().Lstat(this->Path("second").c_str(), &st), Err(ENOENT))
      << "the failed bind leaves no file";
  const int other = this->NewSocket();
  EXPECT_EQ(this->Bind(other, path), Err(EADDRINUSE));
  EXPECT_EQ(this->Bind(other, this->Path("nodir/x")), Err(ENOENT));
  ASSERT_EQ(this->world_.CreateFile(this->Path("file")), 0);
  EXPECT_EQ(this->Bind(other, this->Path("file/x")), Err(ENOTDIR));
  EXPECT_EQ(this->Bind(other, this->Path("file")), Err(EADDRINUSE));
  sockaddr_un bad{};
  bad.sun_family = AF_INET;
  EXPECT_EQ(this->os().Bind(other, reinterpret_cast<const sockaddr*>(&bad), sizeof(bad)),
            Err(EINVAL));

  sockaddr_un address{};
  socklen_t length = sizeof(address);
  ASSERT_EQ(this->os().GetSockName(fd, reinterpret_cast<sockaddr*>(&address), &length), kOk);
  EXPECT_EQ(length, offsetof(sockaddr_un, sun_path) + path.size() + 1);
  EXPECT_EQ(std::string(address.sun_path), path);
  // A short buffer: truncated, the full length reported.
  length = 4;
  std::memset(&address, 0, sizeof(address));
  ASSERT_EQ(this->os().GetSockName(fd, reinterpret_cast<sockaddr*>(&address), &length), kOk);
  EXPECT_EQ(length, offsetof(sockaddr_un, sun_path) + path.size() + 1);
  EXPECT_EQ(address.sun_path[1], path[1]);
  EXPECT_EQ(address.sun_path[2], '\0');

  const std::string name = this->world_.AbstractName("bind");
  const int abstract = this->NewSocket();
  EXPECT_EQ(this->Bind(abstract, name, true), kOk);
  EXPECT_EQ(this->Bind(this->NewSocket(), name, true), Err(EADDRINUSE));
  EXPECT_EQ(this->Bind(abstract, name + "2", true), Err(EINVAL));
  length = sizeof(address);
  ASSERT_EQ(this->os().GetSockName(abstract, reinterpret_cast<sockaddr*>(&address), &length), kOk);
  EXPECT_EQ(length, offsetof(sockaddr_un, sun_path) + 1 + name.size());
  EXPECT_EQ(std::string(address.sun_path + 1, name.size()), name);

  // A bare family autobinds to a 5-digit abstract name.
  const int autobound = this->NewSocket();
  sockaddr_un family{};
  family.sun_family = AF_UNIX;
  EXPECT_EQ(
      this->os().Bind(autobound, reinterpret_cast<const sockaddr*>(&family), sizeof(sa_family_t)),
      kOk);
  length = sizeof(address);
  ASSERT_EQ(this->os().GetSockName(autobound, reinterpret_cast<sockaddr*>(&address), &length), kOk);
  EXPECT_EQ(length, offsetof(sockaddr_un, sun_path) + 6);
  EXPECT_EQ(address.sun_path[0], '\0');
}

TYPED_TEST(KernelContractTest, ConnectFailures) {
  const int fd = this->NewSocket();
  EXPECT_EQ(this->Connect(fd, this->Path("missing")), Err(ENOENT));
  EXPECT_EQ(this->Connect(fd, this->Path("nodir/x")), Err(ENOENT));
  ASSERT_EQ(this->world_.CreateFile(this->Path("file")), 0);
  EXPECT_EQ(this->Connect(fd, this->Path("file")), Err(ECONNREFUSED)) << "not a socket";
  EXPECT_EQ(this->Connect(fd, this->Path("file/x")), Err(ENOTDIR));
  EXPECT_EQ(this->Connect(fd, this->world_.dir()), Err(ECONNREFUSED)) << "a directory";
  const int bound = this->NewSocket();
  ASSERT_EQ(this->Bind(bound, this->Path("bound")), kOk);
  EXPECT_EQ(this->Connect(fd, this->Path("bound")), Err(ECONNREFUSED)) << "not listening";
  this->CloseFd(this->Listener(this->Path("stale")));
  EXPECT_TRUE(this->IsSocketFile(this->Path("stale")));
  EXPECT_EQ(this->Connect(fd, this->Path("stale")), Err(ECONNREFUSED));
  EXPECT_EQ(this->Connect(fd, this->world_.AbstractName("missing"), true), Err(ECONNREFUSED));
  const int shut = this->Listener(this->Path("shut"));
  EXPECT_EQ(this->os().Shutdown(shut, SHUT_RDWR), kOk);
  EXPECT_EQ(this->Connect(fd, this->Path("shut")), Err(ECONNREFUSED));
  EXPECT_EQ(this->PollEvents(shut), POLLIN | POLLHUP);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  EXPECT_EQ(this->os().Connect(fd, reinterpret_cast<const sockaddr*>(&address), 1), Err(EINVAL));
  address.sun_family = AF_INET;
  EXPECT_EQ(this->os().Connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)),
            Err(EINVAL));
  const int dgram = this->Track(this->os().Socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  ASSERT_EQ(this->Bind(dgram, this->Path("dgram")), kOk);
  EXPECT_EQ(this->Connect(fd, this->Path("dgram")), Err(EPROTOTYPE));
  EXPECT_EQ(this->PollEvents(fd), POLLOUT | POLLHUP) << "still unconnected";
}

TYPED_TEST(KernelContractTest, ConnectAcceptAndTheBacklog) {
  const std::string path = this->Path("srv");
  const int listener = this->Listener(path, /*backlog=*/1);
  EXPECT_EQ(this->SockOpt(listener, SO_ACCEPTCONN), 1);
  EXPECT_EQ(this->PollEvents(listener), 0);
  const int first = this->NewSocket();
  EXPECT_EQ(this->Connect(first, path), kOk);
  EXPECT_EQ(this->Connect(first, path), Err(EISCONN));
  EXPECT_EQ(this->PollEvents(first), POLLOUT);
  EXPECT_EQ(this->PollEvents(listener), POLLIN);
  const int second = this->NewSocket();
  EXPECT_EQ(this->Connect(second, path), kOk) << "backlog 1 admits two";
  const int third = this->NewSocket();
  EXPECT_EQ(this->Connect(third, path), Err(EAGAIN));
  EXPECT_EQ(this->Connect(third, path), Err(EAGAIN));
  EXPECT_EQ(this->Connect(first, path), Err(EAGAIN)) << "a full queue is checked first";
  EXPECT_EQ(this->os().Listen(first, 1), Err(EINVAL)) << "connected";

  sockaddr_un address{};
  socklen_t length = sizeof(address);
  ASSERT_EQ(this->os().GetPeerName(first, reinterpret_cast<sockaddr*>(&address), &length), kOk);
  EXPECT_EQ(std::string(address.sun_path), path);
  EXPECT_EQ(this->os().Accept4(listener, nullptr, nullptr, 0x1234), Err(EINVAL));
  length = sizeof(address);
  const int accepted = this->Track(this->os().Accept4(
      listener, reinterpret_cast<sockaddr*>(&address), &length, SOCK_NONBLOCK | SOCK_CLOEXEC));
  EXPECT_EQ(length, sizeof(sa_family_t)) << "the client is unnamed";
  EXPECT_EQ(this->os().Fcntl(accepted, F_GETFL, 0).rc & O_NONBLOCK, O_NONBLOCK);
  EXPECT_EQ(this->os().Fcntl(accepted, F_GETFD, 0), (SysResult{FD_CLOEXEC, 0}));
  length = sizeof(address);
  ASSERT_EQ(this->os().GetSockName(accepted, reinterpret_cast<sockaddr*>(&address), &length), kOk);
  EXPECT_EQ(std::string(address.sun_path), path) << "an accepted socket has the server's name";
  length = sizeof(address);
  ASSERT_EQ(this->os().GetPeerName(accepted, reinterpret_cast<sockaddr*>(&address), &length), kOk);
  EXPECT_EQ(length, sizeof(sa_family_t));

  EXPECT_EQ(this->Connect(third, path), kOk) << "room again";
  const int plain = this->Accept(listener);
  EXPECT_EQ(this->os().Fcntl(plain, F_GETFD, 0), (SysResult{FD_CLOEXEC, 0}));
  this->Accept(listener);
  EXPECT_EQ(this->os().Accept4(listener, nullptr, nullptr, 0), Err(EAGAIN));
  EXPECT_EQ(this->PollEvents(listener), 0);

  // A listening socket cannot connect.
  const int other = this->Listener(this->Path("other"));
  EXPECT_EQ(this->Connect(other, path), Err(EINVAL));
}

TYPED_TEST(KernelContractTest, DataFlowsBothWaysAndReadsAcrossSends) {
  const std::string path = this->Path("srv");
  const int listener = this->Listener(path);
  const int client = this->Client(path);
  EXPECT_EQ(SendString(this->os(), client, "hel"), (SysResult{3, 0})) << "before accept";
  EXPECT_EQ(SendString(this->os(), client, "lo"), (SysResult{2, 0}));
  const int server = this->Accept(listener);
  EXPECT_EQ(this->PollEvents(server), POLLIN | POLLOUT);
  char peeked[2];
  EXPECT_EQ(this->os().Recv(server, peeked, sizeof(peeked), MSG_PEEK), (SysResult{2, 0}));
  EXPECT_EQ(std::string(peeked, 2), "he");
  char first[2];
  char second[10];
  iovec iov[2] = {{first, sizeof(first)}, {second, sizeof(second)}};
  msghdr message{};
  message.msg_iov = iov;
  message.msg_iovlen = 2;
  EXPECT_EQ(this->os().RecvMsg(server, &message, MSG_CMSG_CLOEXEC), (SysResult{5, 0}));
  EXPECT_EQ(std::string(first, 2) + std::string(second, 3), "hello");
  EXPECT_EQ(message.msg_flags, MSG_CMSG_CLOEXEC) << "echoed by Linux";
  std::string got;
  EXPECT_EQ(this->Recv(server, &got), Err(EAGAIN));
  EXPECT_EQ(this->os().Recv(server, nullptr, 0, 0), Err(EAGAIN))
      << "a zero-length read waits for a byte like any other";
  EXPECT_EQ(SendString(this->os(), server, ""), kOk);
  EXPECT_EQ(SendString(this->os(), server, "back"), (SysResult{4, 0}));
  EXPECT_EQ(this->os().Recv(client, nullptr, 0, 0), kOk) << "a zero-length read of data";
  EXPECT_EQ(this->Recv(client, &got, 2), (SysResult{2, 0}));
  EXPECT_EQ(this->Recv(client, &got), (SysResult{2, 0}));
  EXPECT_EQ(got, "back");
  EXPECT_EQ(this->PollEvents(client), POLLOUT);
}

TYPED_TEST(KernelContractTest, ShutdownHalfCloses) {
  const std::string path = this->Path("srv");
  const int listener = this->Listener(path);
  const int client = this->Client(path);
  const int server = this->Accept(listener);
  ASSERT_EQ(SendString(this->os(), client, "request"), (SysResult{7, 0}));
  EXPECT_EQ(this->os().Shutdown(client, SHUT_WR), kOk);
  EXPECT_EQ(SendString(this->os(), client, "late"), Err(EPIPE));
  EXPECT_EQ(this->PollEvents(server, POLLIN | POLLOUT | POLLRDHUP), POLLIN | POLLOUT | POLLRDHUP);
  std::string got;
  EXPECT_EQ(this->Recv(server, &got), (SysResult{7, 0}));
  EXPECT_EQ(this->Recv(server, &got), kOk) << "EOF";
  EXPECT_EQ(this->Recv(server, &got), kOk) << "EOF again";
  EXPECT_EQ(got, "request");
  // The other direction still works.
  EXPECT_EQ(SendString(this->os(), server, "reply"), (SysResult{5, 0}));
  EXPECT_EQ(ReceiveAvailable(this->os(), client), "reply");
  EXPECT_EQ(this->PollEvents(client), POLLOUT);
  // SHUT_RD on the server: the client may no longer send either way.
  EXPECT_EQ(this->os().Shutdown(server, SHUT_RD), kOk);
  EXPECT_EQ(SendString(this->os(), server, "more"), (SysResult{4, 0}));
  EXPECT_EQ(this->os().Shutdown(client, SHUT_RD), kOk);
  EXPECT_EQ(SendString(this->os(), server, "more"), Err(EPIPE));
  EXPECT_EQ(this->PollEvents(client), POLLIN | POLLOUT | POLLHUP);
  EXPECT_EQ(this->Recv(client, &got), (SysResult{4, 0})) << "queued bytes stay readable";
}

TYPED_TEST(KernelContractTest, PeerCloseGivesEofAndEpipe) {
  const std::string path = this->Path("srv");
  const int listener = this->Listener(path);
  const int client = this->Client(path);
  const int server = this->Accept(listener);
  ASSERT_EQ(SendString(this->os(), server, "bye"), (SysResult{3, 0}));
  this->CloseFd(server);
  EXPECT_EQ(this->PollEvents(client), POLLIN | POLLOUT | POLLHUP);
  EXPECT_EQ(this->SockOpt(client, SO_ERROR), 0);
  std::string got;
  EXPECT_EQ(this->Recv(client, &got), (SysResult{3, 0}));
  EXPECT_EQ(this->Recv(client, &got), kOk);
  EXPECT_EQ(SendString(this->os(), client, "x"), Err(EPIPE));
  EXPECT_EQ(got, "bye");
  sockaddr_un address{};
  socklen_t length = sizeof(address);
  EXPECT_EQ(this->os().GetPeerName(client, reinterpret_cast<sockaddr*>(&address), &length), kOk)
      << "the peer's name outlives it";
  EXPECT_EQ(std::string(address.sun_path), path);
}

TYPED_TEST(KernelContractTest, PeerClosingWithUnreadDataResets) {
  const std::string path = this->Path("srv");
  const int listener = this->Listener(path);
  const int client = this->Client(path);
  const int server = this->Accept(listener);
  ASSERT_EQ(SendString(this->os(), client, "unread"), (SysResult{6, 0}));
  ASSERT_EQ(SendString(this->os(), server, "last words"), (SysResult{10, 0}));
  this->CloseFd(server);
  EXPECT_EQ(this->PollEvents(client), POLLIN | POLLOUT | POLLERR | POLLHUP);
  std::string got;
  EXPECT_EQ(this->Recv(client, &got), (SysResult{10, 0})) << "queued bytes first";
  EXPECT_EQ(got, "last words");
  EXPECT_EQ(SendString(this->os(), client, "x"), Err(EPIPE)) << "not ECONNRESET";
  EXPECT_EQ(this->Recv(client, &got), Err(ECONNRESET));
  EXPECT_EQ(this->Recv(client, &got), kOk) << "then EOF";
  EXPECT_EQ(this->PollEvents(client), POLLIN | POLLOUT | POLLHUP);

  // SO_ERROR reports (and clears) the same error.
  const int client2 = this->Client(path);
  const int server2 = this->Accept(listener);
  ASSERT_EQ(SendString(this->os(), client2, "z"), (SysResult{1, 0}));
  this->CloseFd(server2);
  EXPECT_EQ(this->SockOpt(client2, SO_ERROR), ECONNRESET);
  EXPECT_EQ(this->SockOpt(client2, SO_ERROR), 0);
  EXPECT_EQ(this->Recv(client2, &got), kOk);
}

TYPED_TEST(KernelContractTest, ClosingAListenerResetsItsQueue) {
  const std::string path = this->Path("srv");
  const int listener = this->Listener(path);
  const int client = this->Client(path);
  this->CloseFd(listener);
  std::string got;
  EXPECT_EQ(this->Recv(client, &got), Err(ECONNRESET));
  EXPECT_EQ(this->Recv(client, &got), kOk);
  EXPECT_EQ(SendString(this->os(), client, "x"), Err(EPIPE));
  EXPECT_TRUE(this->IsSocketFile(path)) << "the file stays";
  EXPECT_EQ(this->Connect(this->NewSocket(), path), Err(ECONNREFUSED));
  EXPECT_EQ(this->os().Unlink(path.c_str()), kOk);
  EXPECT_EQ(this->Connect(this->NewSocket(), path), Err(ENOENT));
}

TYPED_TEST(KernelContractTest, AcceptingAClientThatAlreadyLeft) {
  const std::string path = this->Path("srv");
  const int listener = this->Listener(path);
  const int client = this->Client(path);
  ASSERT_EQ(SendString(this->os(), client, "bye"), (SysResult{3, 0}));
  this->CloseFd(client);
  const int server = this->Accept(listener);
  std::string got;
  EXPECT_EQ(this->Recv(server, &got), (SysResult{3, 0}));
  EXPECT_EQ(this->Recv(server, &got), kOk);
  EXPECT_EQ(got, "bye");
}

TYPED_TEST(KernelContractTest, TheSendBufferFillsAndDrains) {
  const int listener = this->Listener(this->Path("srv"));
  const int client = this->Client(this->Path("srv"));
  const int server = this->Accept(listener);
  const std::string chunk(4096, 'x');
  int64_t sent = 0;
  SysResult result{0, 0};
  while (sent < (int64_t{64} << 20)) {
    result = SendString(this->os(), client, chunk);
    if (result.rc < 0) break;
    sent += result.rc;
  }
  EXPECT_EQ(result, Err(EAGAIN));
  EXPECT_GT(sent, 0);
  EXPECT_EQ(this->PollEvents(client), 0) << "not writable while full";
  EXPECT_EQ(this->PollEvents(server), POLLIN | POLLOUT);
  int64_t received = 0;
  for (;;) {
    std::string got = ReceiveAvailable(this->os(), server, 1 << 20, &result);
    received += static_cast<int64_t>(got.size());
    if (got.empty()) break;
  }
  EXPECT_EQ(result, Err(EAGAIN));
  EXPECT_EQ(received, sent);
  EXPECT_EQ(this->PollEvents(client), POLLOUT);
  EXPECT_EQ(SendString(this->os(), client, chunk), (SysResult{4096, 0}));
}

TYPED_TEST(KernelContractTest, BufferSizesDoubleWithAFloor) {
  const int fd = this->NewSocket();
  for (const auto& [requested, sndbuf, rcvbuf] :
       {std::tuple{1, 4608, 2304}, std::tuple{1000, 4608, 2304}, std::tuple{2304, 4608, 4608},
        std::tuple{5000, 10000, 10000}}) {
    EXPECT_EQ(this->os().SetSockOpt(fd, SOL_SOCKET, SO_SNDBUF, &requested, sizeof(requested)), kOk);
    EXPECT_EQ(this->os().SetSockOpt(fd, SOL_SOCKET, SO_RCVBUF, &requested, sizeof(requested)), kOk);
    EXPECT_EQ(this->SockOpt(fd, SO_SNDBUF), sndbuf) << requested;
    EXPECT_EQ(this->SockOpt(fd, SO_RCVBUF), rcvbuf) << requested;
  }
}

TYPED_TEST(KernelContractTest, SocketPairs) {
  int fds[2] = {-1, -1};
  ASSERT_EQ(this->os().SocketPair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), kOk);
  this->Track(SysResult{fds[0], 0});
  this->Track(SysResult{fds[1], 0});
  EXPECT_EQ(this->os().Fcntl(fds[0], F_GETFL, 0).rc & O_NONBLOCK, 0) << "blocking";
  sockaddr_un address{};
  socklen_t length = sizeof(address);
  EXPECT_EQ(this->os().GetPeerName(fds[0], reinterpret_cast<sockaddr*>(&address), &length), kOk);
  EXPECT_EQ(length, sizeof(sa_family_t));
  EXPECT_EQ(SendString(this->os(), fds[0], "ping"), (SysResult{4, 0}));
  std::string got;
  EXPECT_EQ(this->os().Recv(fds[1], got.data(), 0, MSG_DONTWAIT), kOk);
  EXPECT_EQ(this->Recv(fds[1], &got), (SysResult{4, 0}));
  EXPECT_EQ(this->os().Recv(fds[1], got.data(), 1, MSG_DONTWAIT), Err(EAGAIN));
  EXPECT_EQ(got, "ping");
  int dgram[2] = {-1, -1};
  ASSERT_EQ(this->os().SocketPair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, dgram), kOk);
  this->Track(SysResult{dgram[0], 0});
  this->Track(SysResult{dgram[1], 0});
  EXPECT_EQ(this->SockOpt(dgram[0], SO_TYPE), SOCK_DGRAM);
  EXPECT_EQ(this->os().SocketPair(AF_INET, SOCK_STREAM, 0, fds), Err(EOPNOTSUPP));
}

TYPED_TEST(KernelContractTest, DuplicatesShareTheOpenFileDescription) {
  int fds[2] = {-1, -1};
  ASSERT_EQ(this->os().SocketPair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), kOk);
  this->Track(SysResult{fds[0], 0});
  this->Track(SysResult{fds[1], 0});
  EXPECT_EQ(this->os().Fcntl(fds[0], F_GETFD, 0), (SysResult{FD_CLOEXEC, 0}));
  EXPECT_EQ(this->os().Fcntl(fds[0], F_SETFD, 0), kOk);
  EXPECT_EQ(this->os().Fcntl(fds[0], F_GETFD, 0), kOk);
  const int duplicate = this->Track(this->os().Fcntl(fds[0], F_DUPFD_CLOEXEC, 0));
  EXPECT_NE(duplicate, fds[0]);
  EXPECT_EQ(this->os().Fcntl(duplicate, F_GETFD, 0), (SysResult{FD_CLOEXEC, 0}));
  const int flags = static_cast<int>(this->os().Fcntl(fds[0], F_GETFL, 0).rc);
  EXPECT_EQ(this->os().Fcntl(duplicate, F_SETFL, flags | O_NONBLOCK), kOk);
  EXPECT_EQ(this->os().Fcntl(fds[0], F_GETFL, 0).rc & O_NONBLOCK, O_NONBLOCK) << "shared";
  EXPECT_EQ(this->os().Fcntl(fds[0], 12345, 0), Err(EINVAL));
  // The socket lives until its last descriptor closes.
  this->CloseFd(fds[0]);
  std::string got;
  EXPECT_EQ(this->os().Recv(fds[1], got.data(), 1, MSG_DONTWAIT), Err(EAGAIN));
  this->CloseFd(duplicate);
  EXPECT_EQ(this->Recv(fds[1], &got), kOk);
}

TYPED_TEST(KernelContractTest, ClosedAndWrongDescriptors) {
  const int fd = this->NewSocket();
  this->CloseFd(fd);
  EXPECT_EQ(this->os().Close(fd), Err(EBADF));
  std::string got;
  EXPECT_EQ(this->Recv(fd, &got), Err(EBADF));
  EXPECT_EQ(SendString(this->os(), fd, "x"), Err(EBADF));
  EXPECT_EQ(this->os().Listen(fd, 1), Err(EBADF));
  EXPECT_EQ(this->os().Shutdown(fd, SHUT_RDWR), Err(EBADF));
  EXPECT_EQ(this->os().Fcntl(fd, F_GETFL, 0), Err(EBADF));
  struct stat st {};
  EXPECT_EQ(this->os().Fstat(fd, &st), Err(EBADF));
  EXPECT_EQ(this->os().Flock(fd, LOCK_EX), Err(EBADF));
  pollfd entries[2] = {{fd, POLLIN, 0}, {-1, POLLIN, 0}};
  EXPECT_EQ(this->os().Poll(entries, 2, 0), (SysResult{1, 0}));
  EXPECT_EQ(entries[0].revents, POLLNVAL);
  EXPECT_EQ(entries[1].revents, 0);
  ASSERT_EQ(this->world_.CreateFile(this->Path("file")), 0);
  const int file = this->Track(this->os().Open(this->Path("file").c_str(), O_RDWR | O_CLOEXEC, 0));
  EXPECT_EQ(this->os().Listen(file, 1), Err(ENOTSOCK));
  EXPECT_EQ(this->Connect(file, this->Path("x")), Err(ENOTSOCK));
  EXPECT_EQ(this->Recv(file, &got), Err(ENOTSOCK));
  EXPECT_EQ(SendString(this->os(), file, "x"), Err(ENOTSOCK));
  int value = 0;
  socklen_t length = sizeof(value);
  EXPECT_EQ(this->os().GetSockOpt(file, SOL_SOCKET, SO_TYPE, &value, &length), Err(ENOTSOCK));
  entries[0] = {file, POLLIN | POLLOUT, 0};
  EXPECT_EQ(this->os().Poll(entries, 1, 0), (SysResult{1, 0}));
  EXPECT_EQ(entries[0].revents, POLLIN | POLLOUT);
}

TYPED_TEST(KernelContractTest, FlockPerOpenFileDescription) {
  const std::string path = this->Path("lock");
  const int a =
      this->Track(this->os().Open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600));
  const int b = this->Track(this->os().Open(path.c_str(), O_RDWR | O_CLOEXEC, 0));
  EXPECT_EQ(this->os().Flock(a, LOCK_EX | LOCK_NB), kOk);
  EXPECT_EQ(this->os().Flock(a, LOCK_EX | LOCK_NB), kOk) << "held already";
  EXPECT_EQ(this->os().Flock(b, LOCK_EX | LOCK_NB), Err(EWOULDBLOCK));
  EXPECT_EQ(this->os().Flock(b, LOCK_SH | LOCK_NB), Err(EWOULDBLOCK));
  const int a_duplicate = this->Track(this->os().Fcntl(a, F_DUPFD_CLOEXEC, 0));
  EXPECT_EQ(this->os().Flock(a_duplicate, LOCK_EX | LOCK_NB), kOk) << "the same description";
  EXPECT_EQ(this->os().Flock(a, LOCK_UN), kOk);
  EXPECT_EQ(this->os().Flock(b, LOCK_SH | LOCK_NB), kOk);
  EXPECT_EQ(this->os().Flock(a, LOCK_SH | LOCK_NB), kOk) << "shared locks share";
  // A conversion that fails has dropped the old lock first (Linux's flock).
  EXPECT_EQ(this->os().Flock(a, LOCK_EX | LOCK_NB), Err(EWOULDBLOCK));
  EXPECT_EQ(this->os().Flock(b, LOCK_EX | LOCK_NB), kOk);
  // The last close releases it.
  this->CloseFd(b);
  EXPECT_EQ(this->os().Flock(a, LOCK_EX | LOCK_NB), kOk);
  EXPECT_EQ(this->os().Flock(a, 0), Err(EINVAL));
  // fstat and lstat agree on the locked file's identity.
  struct stat by_fd {};
  struct stat by_path {};
  ASSERT_EQ(this->os().Fstat(a, &by_fd), kOk);
  ASSERT_EQ(this->os().Lstat(path.c_str(), &by_path), kOk);
  EXPECT_EQ(by_fd.st_ino, by_path.st_ino);
  EXPECT_EQ(by_fd.st_dev, by_path.st_dev);
  EXPECT_TRUE(S_ISREG(by_fd.st_mode));
  EXPECT_EQ(by_fd.st_nlink, 1u);
  // Unlinked while open: the inode lives on, with no name.
  ASSERT_EQ(this->os().Unlink(path.c_str()), kOk);
  ASSERT_EQ(this->os().Fstat(a, &by_fd), kOk);
  EXPECT_EQ(by_fd.st_nlink, 0u);
  EXPECT_EQ(this->os().Lstat(path.c_str(), &by_path), Err(ENOENT));
}

TYPED_TEST(KernelContractTest, OpenFlags) {
  const std::string file = this->Path("file");
  ASSERT_EQ(this->world_.CreateFile(file), 0);
  ASSERT_EQ(this->world_.Symlink(file, this->Path("link")), 0);
  ASSERT_EQ(this->world_.Symlink(this->Path("nowhere"), this->Path("dangling")), 0);
  ASSERT_EQ(this->world_.MakeDirectory(this->Path("dir")), 0);
  OsCalls& os = this->os();
  EXPECT_EQ(os.Open(file.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600), Err(EEXIST));
  EXPECT_EQ(os.Open(this->Path("link").c_str(), O_RDWR | O_NOFOLLOW, 0), Err(ELOOP));
  EXPECT_EQ(os.Open(this->Path("link").c_str(), O_RDWR | O_CREAT | O_NOFOLLOW, 0600), Err(ELOOP));
  EXPECT_EQ(os.Open(this->Path("dangling").c_str(), O_RDWR | O_CREAT | O_EXCL, 0600), Err(EEXIST));
  EXPECT_EQ(os.Open(file.c_str(), O_RDONLY | O_DIRECTORY, 0), Err(ENOTDIR));
  EXPECT_EQ(os.Open(this->Path("dir").c_str(), O_RDWR, 0), Err(EISDIR));
  EXPECT_EQ(os.Open(this->Path("dir").c_str(), O_RDWR | O_CREAT, 0600), Err(EISDIR));
  EXPECT_EQ(os.Open(this->Path("missing").c_str(), O_RDONLY, 0), Err(ENOENT));
  EXPECT_EQ(os.Open(this->Path("file/x").c_str(), O_RDONLY, 0), Err(ENOTDIR));
  this->Listener(this->Path("sock"));
  EXPECT_EQ(os.Open(this->Path("sock").c_str(), O_RDWR, 0), Err(ENXIO));
  const int followed = this->Track(os.Open(this->Path("link").c_str(), O_RDONLY | O_CLOEXEC, 0));
  const int directory =
      this->Track(os.Open(this->Path("dir").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC, 0));
  struct stat st {};
  ASSERT_EQ(os.Fstat(directory, &st), kOk);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  ASSERT_EQ(os.Fstat(followed, &st), kOk);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  ASSERT_EQ(os.Lstat(this->Path("link").c_str(), &st), kOk);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  const int created =
      this->Track(os.Open(this->Path("dangling").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
  EXPECT_GE(created, 0) << "O_CREAT follows a dangling link and creates its target";
  ASSERT_EQ(os.Lstat(this->Path("nowhere").c_str(), &st), kOk);
  EXPECT_TRUE(S_ISREG(st.st_mode));
}

TYPED_TEST(KernelContractTest, PathOperations) {
  OsCalls& os = this->os();
  ASSERT_EQ(this->world_.MakeDirectory(this->Path("dir")), 0);
  ASSERT_EQ(this->world_.CreateFile(this->Path("dir/file")), 0);
  EXPECT_EQ(os.Unlink(this->Path("dir").c_str()), Err(EISDIR));
  EXPECT_EQ(os.Unlink(this->Path("missing").c_str()), Err(ENOENT));
  EXPECT_EQ(os.Rmdir(this->Path("dir").c_str()), Err(ENOTEMPTY));
  EXPECT_EQ(os.Rmdir(this->Path("dir/file").c_str()), Err(ENOTDIR));
  EXPECT_EQ(os.Rmdir(this->Path("missing").c_str()), Err(ENOENT));
  EXPECT_EQ(os.Link(this->Path("dir/file").c_str(), this->Path("dir/file").c_str()), Err(EEXIST));
  EXPECT_EQ(os.Link(this->Path("dir").c_str(), this->Path("dir2").c_str()), Err(EPERM));
  EXPECT_EQ(os.Link(this->Path("missing").c_str(), this->Path("x").c_str()), Err(ENOENT));
  EXPECT_EQ(os.Chmod(this->Path("dir/file").c_str(), 0640), kOk);
  struct stat st {};
  ASSERT_EQ(os.Lstat(this->Path("dir/file").c_str(), &st), kOk);
  EXPECT_EQ(st.st_mode, S_IFREG | 0640);
  EXPECT_EQ(os.Unlink(this->Path("dir/file").c_str()), kOk);
  EXPECT_EQ(os.Rmdir(this->Path("dir").c_str()), kOk);

  // A socket file linked under a second name: both names reach the listener.
  const int listener = this->Listener(this->Path("first"));
  EXPECT_EQ(os.Link(this->Path("first").c_str(), this->Path("second").c_str()), kOk);
  EXPECT_EQ(os.Unlink(this->Path("first").c_str()), kOk);
  this->Client(this->Path("second"));
  EXPECT_EQ(this->PollEvents(listener), POLLIN);
  struct stat second {};
  ASSERT_EQ(os.Lstat(this->Path("second").c_str(), &second), kOk);
  EXPECT_EQ(second.st_nlink, 1u);

  std::string path_template = this->Path("tmp-XXXXX");
  EXPECT_EQ(os.Mkdtemp(path_template.data()), Err(EINVAL));
  path_template = this->Path("tmp-XXXXXX");
  ASSERT_EQ(os.Mkdtemp(path_template.data()), kOk);
  EXPECT_NE(path_template, this->Path("tmp-XXXXXX"));
  ASSERT_EQ(os.Lstat(path_template.c_str(), &st), kOk);
  EXPECT_EQ(st.st_mode, S_IFDIR | 0700);
  EXPECT_EQ(os.Rmdir(path_template.c_str()), kOk);
}

TYPED_TEST(KernelContractTest, BindThroughProcSelfFd) {
  OsCalls& os = this->os();
  ASSERT_EQ(this->world_.MakeDirectory(this->Path("private")), 0);
  const int directory =
      this->Track(os.Open(this->Path("private").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC, 0));
  const int fd = this->NewSocket();
  EXPECT_EQ(this->Bind(fd, "/proc/self/fd/" + std::to_string(directory) + "/s"), kOk);
  EXPECT_EQ(os.Chmod(("/proc/self/fd/" + std::to_string(directory) + "/s").c_str(), 0700), kOk);
  struct stat st {};
  ASSERT_EQ(os.Lstat(this->Path("private/s").c_str(), &st), kOk);
  EXPECT_EQ(st.st_mode, S_IFSOCK | 0700);
  EXPECT_EQ(os.Listen(fd, 4), kOk);
  this->Client(this->Path("private/s"));
  EXPECT_EQ(this->PollEvents(fd), POLLIN);
  const int socket = this->NewSocket();
  EXPECT_EQ(this->Bind(socket, "/proc/self/fd/" + std::to_string(fd) + "/s"), Err(ENOTDIR));
  EXPECT_EQ(this->Bind(socket, "/proc/self/fd/9999/s"), Err(ENOENT));
}

}  // namespace
}  // namespace ipc
