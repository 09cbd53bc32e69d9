// /proc status fields, clocks and the fd limit (see process_info.h).
#include "tools/benchmark/process_info.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace bench {
namespace {

// Nanoseconds on `clock`.
int64_t ClockNanoseconds(clockid_t clock) {
  timespec now{};
  clock_gettime(clock, &now);
  return int64_t{now.tv_sec} * 1000000000 + now.tv_nsec;
}

}  // namespace

std::string ReadFileText(const std::string& path) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

std::optional<int64_t> ProcStatusField(pid_t pid, std::string_view field) {
  const std::string path =
      pid == 0 ? std::string("/proc/self/status") : "/proc/" + std::to_string(pid) + "/status";
  const std::string text = ReadFileText(path);
  const std::string key = "\n" + std::string(field) + ":";
  const size_t at = ("\n" + text).find(key);
  if (at == std::string::npos) return std::nullopt;
  return std::strtoll(text.c_str() + at + key.size() - 1, nullptr, 10);
}

bool PrepareRssBaseline() {
  bool ok = true;
  std::istringstream maps(ReadFileText("/proc/self/maps"));
  for (std::string line; std::getline(maps, line);) {
    // "start-end perms offset dev inode [path]": file-backed when the path starts with '/'.
    std::istringstream fields(line);
    std::string range;
    std::string perms;
    std::string offset;
    std::string device;
    std::string inode;
    std::string path;
    fields >> range >> perms >> offset >> device >> inode >> path;
    if (path.empty() || path[0] != '/' || perms.empty() || perms[0] != 'r') continue;
    const size_t dash = range.find('-');
    const uintptr_t start = std::stoull(range.substr(0, dash), nullptr, 16);
    const uintptr_t end = std::stoull(range.substr(dash + 1), nullptr, 16);
    // NOLINTNEXTLINE(performance-no-int-to-ptr): an address from /proc/self/maps.
    if (madvise(reinterpret_cast<void*>(start), end - start, MADV_POPULATE_READ) != 0) ok = false;
  }
  const int fd = open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);
  ok = ok && fd >= 0 && write(fd, "5", 1) == 1;
  if (fd >= 0) close(fd);
  return ok;
}

int64_t ProcessCpuNanoseconds() { return ClockNanoseconds(CLOCK_PROCESS_CPUTIME_ID); }

int64_t WallNanoseconds() { return ClockNanoseconds(CLOCK_MONOTONIC); }

uint64_t RaiseFdLimitToHard() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return 0;
  if (limit.rlim_cur != limit.rlim_max) {
    rlimit raised = limit;
    raised.rlim_cur = raised.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  return limit.rlim_cur;
}

}  // namespace bench
