// The bench's temporary directory and its removal on exit or interruption (see scratch_dir.h).
#include "tools/benchmark/scratch_dir.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cstddef>

namespace bench {
namespace {

// Longest base directory used: leaves room in sun_path (108 bytes) for the rest of the path.
constexpr size_t kMaxBaseLength = 64;
constexpr int kMaxFiles = 8;
constexpr int kCleanupSignals[] = {SIGINT, SIGTERM, SIGHUP};

// What the signal handler removes, as fixed C strings (async-signal-safe to read).
char scratch_dir[128];
char scratch_files[kMaxFiles][160];
volatile sig_atomic_t scratch_file_count = 0;

// Removes the registered files and the directory.
void RemoveScratch() {
  for (int i = 0; i < scratch_file_count; ++i) unlink(scratch_files[i]);
  if (scratch_dir[0] != '\0') rmdir(scratch_dir);
}

// Cleans up, then dies of the same signal.
void OnSignal(int signo) {
  RemoveScratch();
  signal(signo, SIG_DFL);
  raise(signo);
}

}  // namespace

ScratchDir::ScratchDir() {
  const char* tmpdir = getenv("TMPDIR");
  std::string base = tmpdir != nullptr && *tmpdir != '\0' && strlen(tmpdir) <= kMaxBaseLength
                         ? std::string(tmpdir)
                         : std::string("/tmp");
  std::string templ = base + "/localsocket-bench.XXXXXX";
  if (templ.size() >= sizeof(scratch_dir) || mkdtemp(templ.data()) == nullptr) return;
  path_ = templ;
  memcpy(scratch_dir, path_.c_str(), path_.size() + 1);
  for (const int signo : kCleanupSignals) signal(signo, OnSignal);
}

ScratchDir::~ScratchDir() {
  if (path_.empty()) return;
  for (const int signo : kCleanupSignals) signal(signo, SIG_DFL);
  RemoveScratch();
  scratch_file_count = 0;
  scratch_dir[0] = '\0';
}

std::string ScratchDir::File(std::string_view name) {
  std::string file = path_ + "/" + std::string(name);
  for (int i = 0; i < scratch_file_count; ++i) {
    if (file == scratch_files[i]) return file;
  }
  if (scratch_file_count < kMaxFiles && file.size() < sizeof(scratch_files[0])) {
    memcpy(scratch_files[scratch_file_count], file.c_str(), file.size() + 1);
    scratch_file_count = scratch_file_count + 1;
  }
  return file;
}

}  // namespace bench
