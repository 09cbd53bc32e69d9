#include "ipc/local_server_adopt.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <utility>

#include "ipc/server_name.h"

namespace ipc {
namespace internal {

ListenerAdoption ListenerAdoption::Prepare(OsCalls& os, int fd) {
  ListenerAdoption adoption(os, fd);
  adoption.rejection_ = adoption.CheckAndPrepare();
  return adoption;
}

FdRejection ListenerAdoption::CheckAndPrepare() {
  if (const FdRejection rejection = CheckUnixStreamSocket(os_, fd_)) return rejection;
  int accepting = 0;
  socklen_t option_length = sizeof(accepting);
  if (const SysResult r =
          os_.GetSockOpt(fd_, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &option_length);
      r.rc < 0 || accepting != 1) {
    return {"not a listening socket", r.err};
  }
  sockaddr_un address{};
  socklen_t address_length = sizeof(address);
  if (const SysResult r =
          os_.GetSockName(fd_, reinterpret_cast<sockaddr*>(&address), &address_length);
      r.rc < 0) {
    return {"cannot read the socket address", r.err};
  }
  // Both flag words are read before either is changed.
  const SysResult status_flags = os_.Fcntl(fd_, F_GETFL, 0);
  if (status_flags.rc < 0) return {"cannot read the descriptor flags", status_flags.err};
  const SysResult fd_flags = os_.Fcntl(fd_, F_GETFD, 0);
  if (fd_flags.rc < 0) return {"cannot read the descriptor flags", fd_flags.err};
  status_flags_ = SavedFlags{F_SETFL, static_cast<int>(status_flags.rc)};
  fd_flags_ = SavedFlags{F_SETFD, static_cast<int>(fd_flags.rc)};
  if (const int err = AddFlag(status_flags_, O_NONBLOCK)) {
    return {"cannot make the descriptor non-blocking", err};
  }
  if (const int err = AddFlag(fd_flags_, FD_CLOEXEC)) {
    RestoreFlags();
    return {"cannot make the descriptor close-on-exec", err};
  }
  full_name_ = AddressName(address, address_length, &abstract_);
  return {};
}

int ListenerAdoption::AddFlag(SavedFlags& flags, int bit) {
  if ((flags.old & bit) != 0) return 0;
  if (const SysResult r = os_.Fcntl(fd_, flags.set_command, flags.old | bit); r.rc < 0) {
    return r.err;
  }
  flags.changed = true;
  return 0;
}

void ListenerAdoption::RestoreFlags() {
  Restore(status_flags_);
  Restore(fd_flags_);
}

void ListenerAdoption::Restore(SavedFlags& flags) {
  if (std::exchange(flags.changed, false)) os_.Fcntl(fd_, flags.set_command, flags.old);
}

}  // namespace internal
}  // namespace ipc
