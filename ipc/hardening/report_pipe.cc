#include "ipc/hardening/report_pipe.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <sstream>

#include "testing/raw_socket.h"

namespace ipc {
namespace test {

ReportPipe::ReportPipe() {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return;
  read_fd_ = fds[0];
  write_fd_ = fds[1];
}

ReportPipe::~ReportPipe() {
  if (read_fd_ >= 0) close(read_fd_);
  if (write_fd_ >= 0) close(write_fd_);
}

void ReportPipe::Add(const std::string& line) {
  buffered_ += line;
  buffered_ += '\n';
}

bool ReportPipe::Send() {
  if (write_fd_ < 0) return false;
  bool ok = true;
  for (size_t at = 0; at < buffered_.size();) {
    const ssize_t n = write(write_fd_, buffered_.data() + at, buffered_.size() - at);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ok = false;
      break;
    }
    at += static_cast<size_t>(n);
  }
  buffered_.clear();
  close(write_fd_);
  write_fd_ = -1;
  return ok;
}

std::vector<std::string> ReportPipe::Receive() {
  if (write_fd_ >= 0) {
    close(write_fd_);
    write_fd_ = -1;
  }
  std::vector<std::string> lines;
  if (read_fd_ < 0) return lines;
  std::istringstream text(ReadUntilEof(read_fd_));
  for (std::string line; std::getline(text, line);) lines.push_back(line);
  return lines;
}

}  // namespace test
}  // namespace ipc
