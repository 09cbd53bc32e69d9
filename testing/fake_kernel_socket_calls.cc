// FakeKernel: the socket calls (socket, socketpair, bind, listen, connect, accept4, send and
// receive, shutdown, socket options and names).
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <vector>

#include "testing/fake_kernel.h"

namespace ipc {
namespace {

constexpr int kTypeFlags = SOCK_NONBLOCK | SOCK_CLOEXEC;
// The most fds one message passes (Linux's SCM_MAX_FD).
constexpr size_t kMaxPassedFds = 253;
constexpr int kTypeMask = 0xf;  // Linux's SOCK_TYPE_MASK.

// Checks socket()/socketpair() arguments: 0, or the errno; `*base` gets the type without
// flags.
int CheckSocketArguments(int domain, int type, int protocol, int* base) {
  *base = type & ~kTypeFlags;
  if ((*base & ~kTypeMask) != 0) return EINVAL;
  switch (domain) {
    case AF_UNIX:
      if (protocol != 0 && protocol != PF_UNIX) return EPROTONOSUPPORT;
      if (*base == SOCK_RAW) *base = SOCK_DGRAM;  // As Linux.
      if (*base != SOCK_STREAM && *base != SOCK_DGRAM && *base != SOCK_SEQPACKET) {
        return ESOCKTNOSUPPORT;
      }
      return 0;
    case AF_INET:
    case AF_INET6:
      if (*base != SOCK_STREAM && *base != SOCK_DGRAM) return ESOCKTNOSUPPORT;
      return 0;
    default:
      return EAFNOSUPPORT;
  }
}

// The part of `iov` after its first `skip` bytes.
std::vector<iovec> SkipBytes(const iovec* iov, size_t iov_count, size_t skip) {
  std::vector<iovec> rest;
  for (size_t i = 0; i < iov_count; ++i) {
    if (skip >= iov[i].iov_len) {
      skip -= iov[i].iov_len;
      continue;
    }
    rest.push_back(iovec{static_cast<char*>(iov[i].iov_base) + skip, iov[i].iov_len - skip});
    skip = 0;
  }
  return rest;
}

// Checks an address/length out-parameter pair: 0 or the errno.
int CheckAddressOut(const sockaddr* addr, const socklen_t* addr_len) {
  if (addr == nullptr || addr_len == nullptr) return EFAULT;
  if (static_cast<int>(*addr_len) < 0) return EINVAL;
  return 0;
}

}  // namespace

SysResult FakeKernel::Socket(int domain, int type, int protocol) {
  SyncScope scope(this);
  if (const int err = Enter(Call::kSocket, kAnyFd)) return Fail(err);
  int base = 0;
  if (const int err = CheckSocketArguments(domain, type, protocol, &base)) return Fail(err);
  if (!fds_.HasRoom(1)) return Fail(EMFILE);
  fake_kernel::Socket* socket = sockets_.Create(domain, base);
  return SysResult{InstallSocket(socket, type & kTypeFlags), 0};
}

SysResult FakeKernel::SocketPair(int domain, int type, int protocol, int fds[2]) {
  SyncScope scope(this);
  if (const int err = Enter(Call::kSocketPair, kAnyFd)) return Fail(err);
  int base = 0;
  if (const int err = CheckSocketArguments(domain, type, protocol, &base)) return Fail(err);
  if (domain != AF_UNIX) return Fail(EOPNOTSUPP);
  if (fds == nullptr) return Fail(EFAULT);
  if (!fds_.HasRoom(2)) return Fail(EMFILE);
  fake_kernel::Socket* a = sockets_.Create(domain, base);
  fake_kernel::Socket* b = sockets_.Create(domain, base);
  if (a->Modeled()) sockets_.ConnectPair(*a, *b);
  fds[0] = InstallSocket(a, type & kTypeFlags);
  fds[1] = InstallSocket(b, type & kTypeFlags);
  return SysResult{0, 0};
}

SysResult FakeKernel::Bind(int fd, const sockaddr* addr, socklen_t addr_len) {
  SyncScope scope(this);
  if (const int err = Enter(Call::kBind, fd)) return Fail(err);
  int err = 0;
  fake_kernel::Socket* socket = SocketOf(fd, &err);
  if (socket == nullptr) return Fail(err);
  if (socket->domain != AF_UNIX) return Fail(EOPNOTSUPP);
  fake_kernel::UnixAddress address;
  if (const int bad = fake_kernel::ReadAddress(addr, addr_len, &address)) return Fail(bad);
  if (const int failed = sockets_.Bind(*socket, address)) return Fail(failed);
  return SysResult{0, 0};
}

SysResult FakeKernel::Listen(int fd, int backlog) {
  SyncScope scope(this);
  if (const int err = Enter(Call::kListen, fd)) return Fail(err);
  int err = 0;
  fake_kernel::Socket* socket = SocketOf(fd, &err);
  if (socket == nullptr) return Fail(err);
  if (const int failed = sockets_.Listen(*socket, backlog)) return Fail(failed);
  return SysResult{0, 0};
}

SysResult FakeKernel::Connect(int fd, const sockaddr* addr, socklen_t addr_len) {
  SyncScope scope(this);
  if (const int err = Enter(Call::kConnect, fd)) return Fail(err);
  int rounds = 0;
  for (;;) {
    int err = 0;
    fake_kernel::Socket* socket = SocketOf(fd, &err);
    if (socket == nullptr) return Fail(err);
    if (!socket->Modeled()) return Fail(EOPNOTSUPP);
    fake_kernel::UnixAddress address;
    if (const int bad = fake_kernel::ReadAddress(addr, addr_len, &address)) return Fail(bad);
    const int failed = sockets_.Connect(*socket, address);
    if (failed == EAGAIN && Blocks(*fds_.Find(fd)->file, 0)) {
      if (BlockOnce(&rounds)) continue;
      ++stalls_;
      return Fail(EDEADLK);
    }
    if (failed != 0) return Fail(failed);
    return SysResult{0, 0};
  }
}

SysResult FakeKernel::Accept4(int fd, sockaddr* addr, socklen_t* addr_len, int flags) {
  SyncScope scope(this);
  if (const int err = Enter(Call::kAccept4, fd)) return Fail(err);
  if (addr != nullptr) {
    if (const int bad = CheckAddressOut(addr, addr_len)) return Fail(bad);
  }
  int rounds = 0;
  for (;;) {
    int err = 0;
    fake_kernel::Socket* listener = SocketOf(fd, &err);
    if (listener == nullptr) return Fail(err);
    if ((flags & ~kTypeFlags) != 0) return Fail(EINVAL);
    if (!fds_.HasRoom(1)) return Fail(EMFILE);  // Linux reserves the descriptor first.
    fake_kernel::Socket* accepted = sockets_.Accept(*listener, &err);
    if (accepted == nullptr) {
      if (err == EAGAIN && Blocks(*fds_.Find(fd)->file, 0)) {
        if (BlockOnce(&rounds)) continue;
        ++stalls_;
        return Fail(EDEADLK);
      }
      return Fail(err);
    }
    if (addr != nullptr) accepted->remote.Write(addr, addr_len);
    return SysResult{InstallSocket(accepted, flags), 0};
  }
}

SysResult FakeKernel::Recv(int fd, void* buf, size_t len, int flags) {
  SyncScope scope(this);
  if (const int err = Enter(Call::kRecv, fd)) return Fail(err);
  const iovec iov{buf, len};
  return Receive(fd, &iov, 1, flags, nullptr);
}

SysResult FakeKernel::RecvMsg(int fd, msghdr* msg, int flags) {
  SyncScope scope(this);
  if (const int err = Enter(Call::kRecvMsg, fd)) return Fail(err);
  if (msg == nullptr) return Fail(EFAULT);
  return Receive(fd, msg->msg_iov, msg->msg_iovlen, flags, msg);
}

SysResult FakeKernel::Receive(int fd, const iovec* iov, size_t iov_count, int flags, msghdr* msg) {
  int rounds = 0;
  for (;;) {
    int err = 0;
    fake_kernel::Socket* socket = SocketOf(fd, &err);
    if (socket == nullptr) return Fail(err);
    if (!socket->Modeled() || (flags & MSG_OOB) != 0) return Fail(EOPNOTSUPP);
    const bool peek = (flags & MSG_PEEK) != 0;
    std::vector<uint64_t> files;
    const int64_t received = sockets_.Receive(*socket, iov, iov_count, peek, &files);
    if (received == -EAGAIN && Blocks(*fds_.Find(fd)->file, flags)) {
      if (BlockOnce(&rounds)) continue;
      ++stalls_;
      return Fail(EDEADLK);
    }
    if (received < 0) return Fail(static_cast<int>(-received));
    if (msg != nullptr) {
      // The sender's name, as Linux copies it (none when the sender is unnamed).
      if (msg->msg_name != nullptr &&
          socket->remote.kind != fake_kernel::UnixAddress::Kind::kUnnamed) {
        socket->remote.Write(static_cast<sockaddr*>(msg->msg_name), &msg->msg_namelen);
      } else {
        msg->msg_namelen = 0;
      }
      msg->msg_flags = flags & MSG_CMSG_CLOEXEC;  // Linux echoes it.
      InstallReceived(files, peek, flags, msg);
    } else if (!peek) {
      for (const uint64_t id : files) DropInFlight(id);  // recv(): no room for them.
    }
    return SysResult{received, 0};
  }
}

void FakeKernel::InstallReceived(const std::vector<uint64_t>& files, bool peek, int flags,
                                 msghdr* msg) {
  // Linux's scm_detach_fds: as many fds as (msg_controllen - sizeof(cmsghdr)) / sizeof(int),
  // stopping at the first that cannot be installed.
  const size_t given = msg->msg_control != nullptr ? msg->msg_controllen : 0;
  const size_t room = given >= sizeof(cmsghdr) ? (given - sizeof(cmsghdr)) / sizeof(int) : 0;
  msg->msg_controllen = 0;
  if (files.empty()) return;
  std::vector<int> installed;
  for (const uint64_t id : files) {
    if (installed.size() == room) break;
    const int fd = fds_.Install(fds_.FindFile(id), (flags & MSG_CMSG_CLOEXEC) != 0);
    if (fd < 0) break;  // EMFILE.
    touched_fds_.push_back(fd);
    installed.push_back(fd);
  }
  if (!installed.empty() && msg->msg_control != nullptr) {  // Room implies a buffer.
    auto* header = static_cast<cmsghdr*>(msg->msg_control);
    header->cmsg_level = SOL_SOCKET;
    header->cmsg_type = SCM_RIGHTS;
    header->cmsg_len = CMSG_LEN(installed.size() * sizeof(int));
    std::memcpy(CMSG_DATA(header), installed.data(), installed.size() * sizeof(int));
    msg->msg_controllen = std::min<size_t>(CMSG_SPACE(installed.size() * sizeof(int)), given);
  }
  if (installed.size() < files.size()) msg->msg_flags |= MSG_CTRUNC;
  if (!peek) {
    for (const uint64_t id : files) DropInFlight(id);  // The installed ones have descriptors.
  }
}

int FakeKernel::ReadRights(const msghdr& msg, std::vector<uint64_t>* files) {
  // Linux's __scm_send: every control message must fit; other levels are skipped.
  msghdr walk = msg;
  for (cmsghdr* header = CMSG_FIRSTHDR(&walk); header != nullptr;
       header = CMSG_NXTHDR(&walk, header)) {
    const auto used =
        static_cast<size_t>(reinterpret_cast<char*>(header) - static_cast<char*>(walk.msg_control));
    if (header->cmsg_len < sizeof(cmsghdr) || header->cmsg_len > walk.msg_controllen - used) {
      return EINVAL;
    }
    if (header->cmsg_level != SOL_SOCKET) continue;
    if (header->cmsg_type == SCM_CREDENTIALS) return EOPNOTSUPP;  // Not modelled.
    if (header->cmsg_type != SCM_RIGHTS) return EINVAL;
    const size_t count = (header->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    if (files->size() + count > kMaxPassedFds) return EINVAL;
    for (size_t i = 0; i < count; ++i) {
      int fd = -1;
      std::memcpy(&fd, CMSG_DATA(header) + i * sizeof(int), sizeof(int));
      const fake_kernel::FdTable::Entry* entry = fds_.Find(fd);
      if (entry == nullptr) return EBADF;
      files->push_back(entry->file->id);
    }
  }
  return 0;
}

SysResult FakeKernel::SendMsg(int fd, const msghdr* msg, int flags) {
  SyncScope scope(this);
  if (const int err = Enter(Call::kSendMsg, fd)) return Fail(err);
  if (msg == nullptr) return Fail(EFAULT);
  int err = 0;
  fake_kernel::Socket* socket = SocketOf(fd, &err);
  if (socket == nullptr) return Fail(err);
  if (!socket->Modeled() || (flags & MSG_OOB) != 0) return Fail(EOPNOTSUPP);
  if (msg->msg_name != nullptr && msg->msg_namelen != 0) {
    return Fail(socket->state == fake_kernel::Socket::State::kConnected ? EISCONN : EOPNOTSUPP);
  }
  std::vector<uint64_t> files;
  if (msg->msg_control != nullptr && msg->msg_controllen != 0) {
    if (const int bad = ReadRights(*msg, &files)) return Fail(bad);
    // Linux's too_many_unix_fds: the sender's references in flight against RLIMIT_NOFILE.
    if (!files.empty() && fds_.in_flight() > fds_.limit()) return Fail(ETOOMANYREFS);
  }
  const size_t cap = faults_.TakeSendCap(fd);
  const bool blocks = Blocks(*fds_.Find(fd)->file, flags);
  size_t total = 0;
  for (size_t i = 0; i < msg->msg_iovlen; ++i) total += msg->msg_iov[i].iov_len;
  size_t sent = 0;
  int rounds = 0;
  for (;;) {
    socket = SocketOf(fd, &err);  // A block hook may have closed it.
    if (socket == nullptr) return sent > 0 ? SysResult{static_cast<int64_t>(sent), 0} : Fail(err);
    int64_t result = 0;
    if (sent == 0) {
      // The files ride on the first segment only.
      const std::vector<uint64_t> passing = files;
      result = sockets_.Send(*socket, msg->msg_iov, msg->msg_iovlen, cap, &files);
      if (result > 0) {
        for (const uint64_t id : passing) fds_.AddInFlight(*fds_.FindFile(id));
      }
    } else {  // A blocking send resumed after a wait.
      const std::vector<iovec> rest = SkipBytes(msg->msg_iov, msg->msg_iovlen, sent);
      result = sockets_.Send(*socket, rest.data(), rest.size(), cap - sent);
    }
    if (result > 0) sent += static_cast<size_t>(result);
    const bool would_block = result == -EAGAIN || (result > 0 && sent < total && sent < cap);
    if (blocks && would_block) {
      if (BlockOnce(&rounds)) continue;
      ++stalls_;
      if (sent == 0) return Fail(EDEADLK);
    }
    if (sent > 0) return SysResult{static_cast<int64_t>(sent), 0};
    if (result < 0) return Fail(static_cast<int>(-result));
    return SysResult{0, 0};
  }
}

SysResult FakeKernel::Shutdown(int fd, int how) {
  SyncScope scope(this);
  if (const int err = Enter(Call::kShutdown, fd)) return Fail(err);
  int err = 0;
  fake_kernel::Socket* socket = SocketOf(fd, &err);
  if (socket == nullptr) return Fail(err);
  if (const int failed = sockets_.Shutdown(*socket, how)) return Fail(failed);
  return SysResult{0, 0};
}

SysResult FakeKernel::GetSockOpt(int fd, int level, int name, void* value, socklen_t* value_len) {
  SyncScope scope(this);
  if (const int err = Enter(Call::kGetSockOpt, fd)) return Fail(err);
  int err = 0;
  fake_kernel::Socket* socket = SocketOf(fd, &err);
  if (socket == nullptr) return Fail(err);
  if (value == nullptr || value_len == nullptr) return Fail(EFAULT);
  if (static_cast<int>(*value_len) < 0) return Fail(EINVAL);
  if (level != SOL_SOCKET) return Fail(EOPNOTSUPP);
  int answer = 0;
  switch (name) {
    case SO_ERROR:
      answer = sockets_.TakeError(*socket);
      break;
    case SO_TYPE:
      answer = socket->type;
      break;
    case SO_DOMAIN:
      answer = socket->domain;
      break;
    case SO_PROTOCOL:
      answer = socket->domain == AF_UNIX     ? 0
               : socket->type == SOCK_STREAM ? IPPROTO_TCP
                                             : IPPROTO_UDP;
      break;
    case SO_ACCEPTCONN:
      answer = socket->state == fake_kernel::Socket::State::kListening ? 1 : 0;
      break;
    case SO_SNDBUF:
      answer = socket->send_buffer;
      break;
    case SO_RCVBUF:
      answer = socket->receive_buffer;
      break;
    case SO_PEERCRED: {
      const fake_kernel::Credentials& peer = socket->peer_credentials;
      const ucred credentials{peer.pid, peer.uid, peer.gid};
      const socklen_t length = std::min<socklen_t>(*value_len, sizeof(credentials));
      std::memcpy(value, &credentials, length);
      *value_len = length;
      return SysResult{0, 0};
    }
    default:
      return Fail(ENOPROTOOPT);
  }
  const socklen_t length = std::min<socklen_t>(*value_len, sizeof(answer));
  std::memcpy(value, &answer, length);
  *value_len = length;
  return SysResult{0, 0};
}

SysResult FakeKernel::SetSockOpt(int fd, int level, int name, const void* value,
                                 socklen_t value_len) {
  SyncScope scope(this);
  if (const int err = Enter(Call::kSetSockOpt, fd)) return Fail(err);
  int err = 0;
  fake_kernel::Socket* socket = SocketOf(fd, &err);
  if (socket == nullptr) return Fail(err);
  if (level != SOL_SOCKET) return Fail(EOPNOTSUPP);
  if (value_len < sizeof(int)) return Fail(EINVAL);
  if (value == nullptr) return Fail(EFAULT);
  int requested = 0;
  std::memcpy(&requested, value, sizeof(requested));
  // As Linux's sock_setsockopt: the value is capped by the sysctl maximum (unless forced),
  // then doubled for bookkeeping overhead, with a floor.
  const auto doubled = [](unsigned value, int floor) {
    const unsigned capped = std::min(value, static_cast<unsigned>(INT_MAX / 2));
    return std::max(static_cast<int>(capped * 2), floor);
  };
  constexpr unsigned kSysctlMax = fake_kernel::kMaxSendBuffer / 2;
  const bool may_force = options_.uid == 0;
  switch (name) {
    case SO_SNDBUF:
    case SO_SNDBUFFORCE: {
      if (name == SO_SNDBUFFORCE && !may_force) return Fail(EPERM);
      auto size = static_cast<unsigned>(requested);
      if (name == SO_SNDBUF) size = std::min(size, kSysctlMax);
      if (name == SO_SNDBUFFORCE && requested < 0) size = 0;
      sockets_.SetSendBuffer(*socket, doubled(size, fake_kernel::kMinSendBuffer));
      return SysResult{0, 0};
    }
    case SO_RCVBUF:
    case SO_RCVBUFFORCE: {
      if (name == SO_RCVBUFFORCE && !may_force) return Fail(EPERM);
      auto size = static_cast<unsigned>(requested);
      if (name == SO_RCVBUF) size = std::min(size, kSysctlMax);
      if (name == SO_RCVBUFFORCE && requested < 0) size = 0;
      socket->receive_buffer = doubled(size, fake_kernel::kMinReceiveBuffer);
      return SysResult{0, 0};
    }
    default:
      return Fail(ENOPROTOOPT);
  }
}

SysResult FakeKernel::GetSockName(int fd, sockaddr* addr, socklen_t* addr_len) {
  SyncScope scope(this);
  if (const int err = Enter(Call::kGetSockName, fd)) return Fail(err);
  int err = 0;
  fake_kernel::Socket* socket = SocketOf(fd, &err);
  if (socket == nullptr) return Fail(err);
  if (socket->domain != AF_UNIX) return Fail(EOPNOTSUPP);
  if (const int bad = CheckAddressOut(addr, addr_len)) return Fail(bad);
  socket->local.Write(addr, addr_len);
  return SysResult{0, 0};
}

SysResult FakeKernel::GetPeerName(int fd, sockaddr* addr, socklen_t* addr_len) {
  SyncScope scope(this);
  if (const int err = Enter(Call::kGetPeerName, fd)) return Fail(err);
  int err = 0;
  fake_kernel::Socket* socket = SocketOf(fd, &err);
  if (socket == nullptr) return Fail(err);
  if (socket->domain != AF_UNIX) return Fail(EOPNOTSUPP);
  if (socket->state != fake_kernel::Socket::State::kConnected) return Fail(ENOTCONN);
  if (const int bad = CheckAddressOut(addr, addr_len)) return Fail(bad);
  socket->remote.Write(addr, addr_len);
  return SysResult{0, 0};
}

}  // namespace ipc
