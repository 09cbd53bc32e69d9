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
