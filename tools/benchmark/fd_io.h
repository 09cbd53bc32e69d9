// Blocking reads and writes on plain fds, retried on EINTR: the pipes to child processes and
// the raw baseline's sockets.
#ifndef LOCALSOCKET_TOOLS_BENCHMARK_FD_IO_H_
#define LOCALSOCKET_TOOLS_BENCHMARK_FD_IO_H_

#include <sys/types.h>

#include <cstddef>
#include <string_view>

namespace bench {

// Writes all of `data`; false on failure.
bool WriteAll(int fd, std::string_view data);

// One read() of up to `size` bytes: the count, 0 at EOF, -1 on failure (errno set).
ssize_t ReadSome(int fd, char* data, size_t size);

// Reads exactly `size` bytes; false at EOF or on failure.
bool ReadFull(int fd, char* data, size_t size);

}  // namespace bench

#endif  // LOCALSOCKET_TOOLS_BENCHMARK_FD_IO_H_
