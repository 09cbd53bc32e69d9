// Blocking fd reads and writes (see fd_io.h).
#include "tools/benchmark/fd_io.h"

#include <unistd.h>

#include <cerrno>

namespace bench {

bool WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

ssize_t ReadSome(int fd, char* data, size_t size) {
  ssize_t n = 0;
  do {
    n = read(fd, data, size);
  } while (n < 0 && errno == EINTR);
  return n;
}

bool ReadFull(int fd, char* data, size_t size) {
  while (size > 0) {
    const ssize_t n = ReadSome(fd, data, size);
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

}  // namespace bench
