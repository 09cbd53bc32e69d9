#include "tools/fuzzing/refusing_os_calls.h"

namespace fuzz {

using ipc::SysResult;

SysResult RefusingOsCalls::Socket(int /*domain*/, int /*type*/, int /*protocol*/) {
  return Refuse();
}
SysResult RefusingOsCalls::Connect(int /*fd*/, const sockaddr* /*addr*/, socklen_t /*addr_len*/) {
  return Refuse();
}
SysResult RefusingOsCalls::Bind(int /*fd*/, const sockaddr* /*addr*/, socklen_t /*addr_len*/) {
  return Refuse();
}
SysResult RefusingOsCalls::Listen(int /*fd*/, int /*backlog*/) { return Refuse(); }
SysResult RefusingOsCalls::Accept4(int /*fd*/, sockaddr* /*addr*/, socklen_t* /*addr_len*/,
                                   int /*flags*/) {
  return Refuse();
}
SysResult RefusingOsCalls::Recv(int /*fd*/, void* /*buf*/, size_t /*len*/, int /*flags*/) {
  return Refuse();
}
SysResult RefusingOsCalls::RecvMsg(int /*fd*/, msghdr* /*msg*/, int /*flags*/) { return Refuse(); }
SysResult RefusingOsCalls::SendMsg(int /*fd*/, const msghdr* /*msg*/, int /*flags*/) {
  return Refuse();
}
SysResult RefusingOsCalls::Close(int /*fd*/) { return Refuse(); }
SysResult RefusingOsCalls::Shutdown(int /*fd*/, int /*how*/) { return Refuse(); }
SysResult RefusingOsCalls::Poll(pollfd* /*fds*/, nfds_t /*nfds*/, int /*timeout_ms*/) {
  return Refuse();
}
SysResult RefusingOsCalls::Fcntl(int /*fd*/, int /*cmd*/, int /*arg*/) { return Refuse(); }
SysResult RefusingOsCalls::GetSockOpt(int /*fd*/, int /*level*/, int /*name*/, void* /*value*/,
                                      socklen_t* /*value_len*/) {
  return Refuse();
}
SysResult RefusingOsCalls::SetSockOpt(int /*fd*/, int /*level*/, int /*name*/,
                                      const void* /*value*/, socklen_t /*value_len*/) {
  return Refuse();
}
SysResult RefusingOsCalls::GetSockName(int /*fd*/, sockaddr* /*addr*/, socklen_t* /*addr_len*/) {
  return Refuse();
}
SysResult RefusingOsCalls::GetPeerName(int /*fd*/, sockaddr* /*addr*/, socklen_t* /*addr_len*/) {
  return Refuse();
}
SysResult RefusingOsCalls::Fstat(int /*fd*/, struct stat* /*st*/) { return Refuse(); }
SysResult RefusingOsCalls::Lstat(const char* path, struct stat* /*st*/) { return RefusePath(path); }
SysResult RefusingOsCalls::Chmod(const char* path, mode_t /*mode*/) { return RefusePath(path); }
SysResult RefusingOsCalls::Link(const char* old_path, const char* new_path) {
  paths_.emplace_back(old_path);
  return RefusePath(new_path);
}
SysResult RefusingOsCalls::Unlink(const char* path) { return RefusePath(path); }
SysResult RefusingOsCalls::Mkdtemp(char* path_template) { return RefusePath(path_template); }
SysResult RefusingOsCalls::Rmdir(const char* path) { return RefusePath(path); }
SysResult RefusingOsCalls::Open(const char* path, int /*flags*/, mode_t /*mode*/) {
  return RefusePath(path);
}
SysResult RefusingOsCalls::SocketPair(int /*domain*/, int /*type*/, int /*protocol*/,
                                      int /*fds*/[2]) {
  return Refuse();
}
SysResult RefusingOsCalls::Flock(int /*fd*/, int /*operation*/) { return Refuse(); }

}  // namespace fuzz
