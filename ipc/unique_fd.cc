#include "ipc/unique_fd.h"

#include <unistd.h>

#include <cerrno>

namespace ipc {

UniqueFd::UniqueFd(int fd) : fd_(fd < 0 ? -1 : fd) {}

UniqueFd::UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
  if (this != &other) reset(other.release());
  return *this;
}

UniqueFd::~UniqueFd() { reset(); }

int UniqueFd::release() {
  const int fd = fd_;
  fd_ = -1;
  return fd;
}

void UniqueFd::reset(int fd) {
  if (fd < 0) fd = -1;
  if (fd == fd_) return;
  if (fd_ >= 0) {
    const int saved_errno = errno;
    // Never retried: see the class comment.
    ::close(fd_);
    errno = saved_errno;
  }
  fd_ = fd;
}

}  // namespace ipc
