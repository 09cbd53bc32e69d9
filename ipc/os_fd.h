// Internal: a move-only owner of a file descriptor that closes it through OsCalls, so that
// tests on MockOsCalls see every close. (The public UniqueFd closes with ::close.)
//
// Threads: as its owner. The OsCalls must outlive it.
#ifndef LOCALSOCKET_IPC_OS_FD_H_
#define LOCALSOCKET_IPC_OS_FD_H_

#include <utility>

#include "ipc/os_calls.h"

namespace ipc {
namespace internal {

class OsFd {
 public:
  OsFd() = default;
  // Owns `fd` (-1: nothing); closes it through `os`.
  OsFd(OsCalls& os, int fd) : os_(&os), fd_(fd) {}
  OsFd(OsFd&& other) noexcept : os_(other.os_), fd_(std::exchange(other.fd_, -1)) {}
  OsFd& operator=(OsFd&& other) noexcept {
    if (this != &other) {
      reset();
      os_ = other.os_;
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  OsFd(const OsFd&) = delete;
  OsFd& operator=(const OsFd&) = delete;
  ~OsFd() { reset(); }

  int get() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }
  // Closes the fd (if any).
  void reset() {
    if (fd_ >= 0) os_->Close(std::exchange(fd_, -1));
  }
  // Gives up ownership without closing; returns the fd.
  int release() { return std::exchange(fd_, -1); }

 private:
  OsCalls* os_ = nullptr;
  int fd_ = -1;
};

}  // namespace internal
}  // namespace ipc

#endif  // LOCALSOCKET_IPC_OS_FD_H_
