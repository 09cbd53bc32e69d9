#include "testing/fake_kernel_faults.h"

#include <cstdint>
#include <ostream>
#include <utility>

namespace ipc {
namespace fake_kernel {
namespace {

// Uses up one use of `*times` (kAlways stays); true when none is left.
bool UseOnce(int* times) { return *times != kAlways && --*times <= 0; }

}  // namespace

const char* CallName(Call call) {
  switch (call) {
    case Call::kSocket:
      return "Socket";
    case Call::kConnect:
      return "Connect";
    case Call::kBind:
      return "Bind";
    case Call::kListen:
      return "Listen";
    case Call::kAccept4:
      return "Accept4";
    case Call::kRecv:
      return "Recv";
    case Call::kRecvMsg:
      return "RecvMsg";
    case Call::kSendMsg:
      return "SendMsg";
    case Call::kClose:
      return "Close";
    case Call::kShutdown:
      return "Shutdown";
    case Call::kPoll:
      return "Poll";
    case Call::kFcntl:
      return "Fcntl";
    case Call::kGetSockOpt:
      return "GetSockOpt";
    case Call::kSetSockOpt:
      return "SetSockOpt";
    case Call::kGetSockName:
      return "GetSockName";
    case Call::kGetPeerName:
      return "GetPeerName";
    case Call::kFstat:
      return "Fstat";
    case Call::kLstat:
      return "Lstat";
    case Call::kChmod:
      return "Chmod";
    case Call::kLink:
      return "Link";
    case Call::kUnlink:
      return "Unlink";
    case Call::kMkdtemp:
      return "Mkdtemp";
    case Call::kRmdir:
      return "Rmdir";
    case Call::kOpen:
      return "Open";
    case Call::kSocketPair:
      return "SocketPair";
    case Call::kFlock:
      return "Flock";
  }
  return "?";
}

std::ostream& operator<<(std::ostream& os, Call call) { return os << CallName(call); }

bool FaultPlan::Match::Matches(Call made, const int* fds, size_t fd_count,
                               const char* made_path) const {
  if (made != call) return false;
  if (by_path) return made_path != nullptr && path == made_path;
  if (fd == kAnyFd) return true;
  for (size_t i = 0; i < fd_count; ++i) {
    if (fds[i] == fd) return true;
  }
  return false;
}

void FaultPlan::FailNext(Call call, int err, int fd, int times) {
  if (times == 0 || times < kAlways || err <= 0) return;
  faults_.push_back(Fault{Match{call, fd, false, std::string()}, err, times});
}

void FaultPlan::FailNextOnPath(Call call, std::string path, int err, int times) {
  if (times == 0 || times < kAlways || err <= 0) return;
  faults_.push_back(Fault{Match{call, kAnyFd, true, std::move(path)}, err, times});
}

void FaultPlan::RunBeforeNext(Call call, int fd, bool by_path, std::string path,
                              std::function<void()> action, int times) {
  if (times == 0 || times < kAlways || !action) return;
  actions_.push_back(Action{Match{call, by_path ? kAnyFd : fd, by_path, std::move(path)},
                            std::move(action), times});
}

void FaultPlan::CapSends(int fd, size_t max_bytes, int times) {
  if (max_bytes == 0) {
    for (auto it = caps_.begin(); it != caps_.end();) {
      it = it->fd == fd ? caps_.erase(it) : it + 1;
    }
    return;
  }
  if (times == 0 || times < kAlways) return;
  caps_.push_back(Cap{fd, max_bytes, times});
}

void FaultPlan::Clear() {
  faults_.clear();
  caps_.clear();
  actions_.clear();
}

int FaultPlan::Take(Call call, const int* fds, size_t fd_count, const char* path) {
  ++counts_[static_cast<size_t>(call)];
  for (auto it = faults_.begin(); it != faults_.end(); ++it) {
    if (!it->match.Matches(call, fds, fd_count, path)) continue;
    const int err = it->err;
    if (UseOnce(&it->times)) faults_.erase(it);
    return err;
  }
  return 0;
}

std::function<void()> FaultPlan::TakeAction(Call call, const int* fds, size_t fd_count,
                                            const char* path) {
  for (auto it = actions_.begin(); it != actions_.end(); ++it) {
    if (!it->match.Matches(call, fds, fd_count, path)) continue;
    std::function<void()> run = it->run;
    if (UseOnce(&it->times)) actions_.erase(it);
    return run;
  }
  return {};
}

size_t FaultPlan::TakeSendCap(int fd) {
  for (auto it = caps_.begin(); it != caps_.end(); ++it) {
    if (it->fd != kAnyFd && it->fd != fd) continue;
    const size_t cap = it->max_bytes;
    if (UseOnce(&it->times)) caps_.erase(it);
    return cap;
  }
  return SIZE_MAX;
}

}  // namespace fake_kernel
}  // namespace ipc
