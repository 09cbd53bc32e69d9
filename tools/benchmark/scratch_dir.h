// ScratchDir: the bench's private temporary directory (mkdtemp), for the socket and the strace
// summaries. It is removed at the end, and also when the bench is interrupted (SIGINT,
// SIGTERM, SIGHUP) while it exists.
#ifndef LOCALSOCKET_TOOLS_BENCHMARK_SCRATCH_DIR_H_
#define LOCALSOCKET_TOOLS_BENCHMARK_SCRATCH_DIR_H_

#include <string>
#include <string_view>

namespace bench {

// At most one at a time (the signal handler knows one directory). Main process only.
class ScratchDir {
 public:
  // Creates $TMPDIR/localsocket-bench.XXXXXX (or under /tmp when $TMPDIR is unset or too long
  // for socket paths). path() is empty if that failed.
  ScratchDir();
  // Removes the files named through File() and the directory.
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::string& path() const { return path_; }
  // path() + "/" + name; the file is removed with the directory. At most 8 names.
  std::string File(std::string_view name);

 private:
  std::string path_;
};

}  // namespace bench

#endif  // LOCALSOCKET_TOOLS_BENCHMARK_SCRATCH_DIR_H_
