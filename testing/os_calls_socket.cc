#include "testing/os_calls_socket.h"

#include <sys/uio.h>

#include <algorithm>
#include <cstring>

namespace ipc {
namespace test {

sockaddr_un UnixSocketAddress(std::string_view name, bool abstract, socklen_t* length) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  constexpr size_t kOffset = offsetof(sockaddr_un, sun_path);
  if (abstract) {
    const size_t size = std::min(name.size(), sizeof(address.sun_path) - 1);
    std::memcpy(address.sun_path + 1, name.data(), size);
    *length = static_cast<socklen_t>(kOffset + 1 + size);
  } else {
    const size_t size = std::min(name.size(), sizeof(address.sun_path) - 1);
    std::memcpy(address.sun_path, name.data(), size);
    *length = static_cast<socklen_t>(kOffset + size + 1);
  }
  return address;
}

SysResult ListenOn(OsCalls& os, std::string_view name, bool abstract, int backlog) {
  const SysResult created = os.Socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (created.rc < 0) return created;
  const int fd = static_cast<int>(created.rc);
  socklen_t length = 0;
  const sockaddr_un address = UnixSocketAddress(name, abstract, &length);
  SysResult result = os.Bind(fd, reinterpret_cast<const sockaddr*>(&address), length);
  if (result.rc == 0) result = os.Listen(fd, backlog);
  if (result.rc < 0) {
    os.Close(fd);
    return result;
  }
  return created;
}

SysResult ConnectTo(OsCalls& os, std::string_view name, bool abstract, int type_flags) {
  const SysResult created = os.Socket(AF_UNIX, SOCK_STREAM | type_flags, 0);
  if (created.rc < 0) return created;
  const int fd = static_cast<int>(created.rc);
  socklen_t length = 0;
  const sockaddr_un address = UnixSocketAddress(name, abstract, &length);
  const SysResult connected = os.Connect(fd, reinterpret_cast<const sockaddr*>(&address), length);
  if (connected.rc < 0) {
    os.Close(fd);
    return connected;
  }
  return created;
}

SysResult SendString(OsCalls& os, int fd, std::string_view data) {
  iovec iov{const_cast<char*>(data.data()), data.size()};
  msghdr message{};
  message.msg_iov = &iov;
  message.msg_iovlen = 1;
  return os.SendMsg(fd, &message, MSG_NOSIGNAL);
}

SysResult SendWithFds(OsCalls& os, int fd, std::string_view data, const std::vector<int>& fds) {
  iovec iov{const_cast<char*>(data.data()), data.size()};
  msghdr message{};
  message.msg_iov = &iov;
  message.msg_iovlen = 1;
  // cmsghdr-aligned room for the control message.
  std::vector<cmsghdr> control(CMSG_SPACE(fds.size() * sizeof(int)) / sizeof(cmsghdr) + 1);
  if (!fds.empty()) {
    message.msg_control = control.data();
    message.msg_controllen = CMSG_SPACE(fds.size() * sizeof(int));
    cmsghdr* header = CMSG_FIRSTHDR(&message);
    header->cmsg_level = SOL_SOCKET;
    header->cmsg_type = SCM_RIGHTS;
    header->cmsg_len = CMSG_LEN(fds.size() * sizeof(int));
    std::memcpy(CMSG_DATA(header), fds.data(), fds.size() * sizeof(int));
  }
  return os.SendMsg(fd, &message, MSG_NOSIGNAL);
}

ReceivedWithFds ReceiveWithFds(OsCalls& os, int fd, size_t max, size_t control_size, int flags) {
  ReceivedWithFds received;
  received.bytes.resize(max);
  iovec iov{received.bytes.data(), max};
  std::vector<cmsghdr> control(control_size / sizeof(cmsghdr) + 1);
  msghdr message{};
  message.msg_iov = &iov;
  message.msg_iovlen = 1;
  if (control_size > 0) {
    message.msg_control = control.data();
    message.msg_controllen = control_size;
  }
  received.result = os.RecvMsg(fd, &message, flags);
  received.bytes.resize(received.result.rc > 0 ? static_cast<size_t>(received.result.rc) : 0);
  if (received.result.rc < 0) return received;
  received.msg_flags = message.msg_flags;
  received.controllen = message.msg_controllen;
  if (control_size == 0) return received;
  for (cmsghdr* header = CMSG_FIRSTHDR(&message); header != nullptr;
       header = CMSG_NXTHDR(&message, header)) {
    if (header->cmsg_level != SOL_SOCKET || header->cmsg_type != SCM_RIGHTS) continue;
    const size_t count = (header->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < count; ++i) {
      int passed = -1;
      std::memcpy(&passed, CMSG_DATA(header) + i * sizeof(int), sizeof(int));
      received.fds.push_back(passed);
    }
  }
  return received;
}

SysResult ReceiveString(OsCalls& os, int fd, size_t max, std::string* out) {
  const size_t old_size = out->size();
  out->resize(old_size + max);
  const SysResult result = os.Recv(fd, out->data() + old_size, max, 0);
  out->resize(old_size + (result.rc > 0 ? static_cast<size_t>(result.rc) : 0));
  return result;
}

std::string ReceiveAvailable(OsCalls& os, int fd, size_t max, SysResult* last) {
  constexpr size_t kChunk = 65536;
  std::string received;
  SysResult result{0, 0};
  while (received.size() < max) {
    result = ReceiveString(os, fd, std::min(kChunk, max - received.size()), &received);
    if (result.rc <= 0) break;
  }
  if (last != nullptr) *last = result;
  return received;
}

}  // namespace test
}  // namespace ipc
