#include "testing/gated_os_calls.h"

#include <utility>

namespace ipc {
namespace test {

GatedOsCalls::~GatedOsCalls() {
  std::unique_lock<std::mutex> lock(mu_);
  ReleaseLocked();
  // A released thread may still be on its way out of Gate(): wait until it is.
  changed_.wait(lock, [this] { return inside_ == 0; });
}

void GatedOsCalls::HoldAt(std::string call, When when, int nth) {
  std::lock_guard<std::mutex> lock(mu_);
  ReleaseLocked();
  armed_ = true;
  call_ = std::move(call);
  when_ = when;
  remaining_ = nth;
}

bool GatedOsCalls::WaitUntilHeld(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  return changed_.wait_for(lock, timeout, [this] { return holding_; });
}

void GatedOsCalls::Release() {
  std::lock_guard<std::mutex> lock(mu_);
  ReleaseLocked();
}

void GatedOsCalls::ReleaseLocked() {
  armed_ = false;
  holding_ = false;
  ++gate_;
  changed_.notify_all();
}

void GatedOsCalls::Gate(const char* call, When when) {
  std::unique_lock<std::mutex> lock(mu_);
  if (!armed_ || when != when_ || (call_ != "*" && call_ != call) || --remaining_ > 0) return;
  armed_ = false;
  holding_ = true;
  ++inside_;
  const uint64_t gate = gate_;
  changed_.notify_all();
  changed_.wait(lock, [&] { return gate_ != gate; });
  --inside_;
  changed_.notify_all();
}

SysResult GatedOsCalls::Socket(int domain, int type, int protocol) {
  return Pass("Socket", [&] { return inner_.Socket(domain, type, protocol); });
}
SysResult GatedOsCalls::Connect(int fd, const sockaddr* addr, socklen_t addr_len) {
  return Pass("Connect", [&] { return inner_.Connect(fd, addr, addr_len); });
}
SysResult GatedOsCalls::Bind(int fd, const sockaddr* addr, socklen_t addr_len) {
  return Pass("Bind", [&] { return inner_.Bind(fd, addr, addr_len); });
}
SysResult GatedOsCalls::Listen(int fd, int backlog) {
  return Pass("Listen", [&] { return inner_.Listen(fd, backlog); });
}
SysResult GatedOsCalls::Accept4(int fd, sockaddr* addr, socklen_t* addr_len, int flags) {
  return Pass("Accept4", [&] { return inner_.Accept4(fd, addr, addr_len, flags); });
}
SysResult GatedOsCalls::Recv(int fd, void* buf, size_t len, int flags) {
  return Pass("Recv", [&] { return inner_.Recv(fd, buf, len, flags); });
}
SysResult GatedOsCalls::RecvMsg(int fd, msghdr* msg, int flags) {
  return Pass("RecvMsg", [&] { return inner_.RecvMsg(fd, msg, flags); });
}
SysResult GatedOsCalls::SendMsg(int fd, const msghdr* msg, int flags) {
  return Pass("SendMsg", [&] { return inner_.SendMsg(fd, msg, flags); });
}
SysResult GatedOsCalls::Close(int fd) {
  return Pass("Close", [&] { return inner_.Close(fd); });
}
SysResult GatedOsCalls::Shutdown(int fd, int how) {
  return Pass("Shutdown", [&] { return inner_.Shutdown(fd, how); });
}
SysResult GatedOsCalls::Poll(pollfd* fds, nfds_t nfds, int timeout_ms) {
  return Pass("Poll", [&] { return inner_.Poll(fds, nfds, timeout_ms); });
}
SysResult GatedOsCalls::Fcntl(int fd, int cmd, int arg) {
  return Pass("Fcntl", [&] { return inner_.Fcntl(fd, cmd, arg); });
}
SysResult GatedOsCalls::GetSockOpt(int fd, int level, int name, void* value, socklen_t* value_len) {
  return Pass("GetSockOpt", [&] { return inner_.GetSockOpt(fd, level, name, value, value_len); });
}
SysResult GatedOsCalls::SetSockOpt(int fd, int level, int name, const void* value,
                                   socklen_t value_len) {
  return Pass("SetSockOpt", [&] { return inner_.SetSockOpt(fd, level, name, value, value_len); });
}
SysResult GatedOsCalls::GetSockName(int fd, sockaddr* addr, socklen_t* addr_len) {
  return Pass("GetSockName", [&] { return inner_.GetSockName(fd, addr, addr_len); });
}
SysResult GatedOsCalls::GetPeerName(int fd, sockaddr* addr, socklen_t* addr_len) {
  return Pass("GetPeerName", [&] { return inner_.GetPeerName(fd, addr, addr_len); });
}
SysResult GatedOsCalls::Fstat(int fd, struct stat* st) {
  return Pass("Fstat", [&] { return inner_.Fstat(fd, st); });
}
SysResult GatedOsCalls::Lstat(const char* path, struct stat* st) {
  return Pass("Lstat", [&] { return inner_.Lstat(path, st); });
}
SysResult GatedOsCalls::Chmod(const char* path, mode_t mode) {
  return Pass("Chmod", [&] { return inner_.Chmod(path, mode); });
}
SysResult GatedOsCalls::Link(const char* old_path, const char* new_path) {
  return Pass("Link", [&] { return inner_.Link(old_path, new_path); });
}
SysResult GatedOsCalls::Unlink(const char* path) {
  return Pass("Unlink", [&] { return inner_.Unlink(path); });
}
SysResult GatedOsCalls::Mkdtemp(char* path_template) {
  return Pass("Mkdtemp", [&] { return inner_.Mkdtemp(path_template); });
}
SysResult GatedOsCalls::Rmdir(const char* path) {
  return Pass("Rmdir", [&] { return inner_.Rmdir(path); });
}
SysResult GatedOsCalls::Open(const char* path, int flags, mode_t mode) {
  return Pass("Open", [&] { return inner_.Open(path, flags, mode); });
}
SysResult GatedOsCalls::Flock(int fd, int operation) {
  return Pass("Flock", [&] { return inner_.Flock(fd, operation); });
}
SysResult GatedOsCalls::SocketPair(int domain, int type, int protocol, int fds[2]) {
  return Pass("SocketPair", [&] { return inner_.SocketPair(domain, type, protocol, fds); });
}

}  // namespace test
}  // namespace ipc
