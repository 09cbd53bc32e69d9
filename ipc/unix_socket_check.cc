#include "ipc/unix_socket_check.h"

#include <sys/socket.h>
#include <sys/stat.h>

namespace ipc {
namespace internal {

FdRejection CheckUnixStreamSocket(OsCalls& os, int fd) {
  if (fd < 0) return {"invalid descriptor", 0};
  struct stat st {};
  if (const SysResult r = os.Fstat(fd, &st); r.rc < 0) return {"invalid descriptor", r.err};
  if (!S_ISSOCK(st.st_mode)) return {"not a socket", 0};
  int value = 0;
  socklen_t length = sizeof(value);
  if (const SysResult r = os.GetSockOpt(fd, SOL_SOCKET, SO_DOMAIN, &value, &length);
      r.rc < 0 || value != AF_UNIX) {
    return {"not an AF_UNIX socket", r.err};
  }
  length = sizeof(value);
  if (const SysResult r = os.GetSockOpt(fd, SOL_SOCKET, SO_TYPE, &value, &length);
      r.rc < 0 || value != SOCK_STREAM) {
    return {"not a stream socket", r.err};
  }
  return {};
}

std::optional<PeerCredentials> PeerCredentialsOf(OsCalls& os, int fd) {
  ucred credentials{};
  socklen_t length = sizeof(credentials);
  if (const SysResult r = os.GetSockOpt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &length);
      r.rc < 0 || length != sizeof(credentials)) {
    return std::nullopt;
  }
  return PeerCredentials{credentials.pid, credentials.uid, credentials.gid};
}

}  // namespace internal
}  // namespace ipc
