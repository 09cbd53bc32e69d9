// Scratch space for tests that create files or sockets: a private temporary directory, and
// $TMPDIR pointed somewhere for one scope (relative server names resolve there).
#ifndef LOCALSOCKET_TESTING_TEMP_DIR_H_
#define LOCALSOCKET_TESTING_TEMP_DIR_H_

#include <optional>
#include <string>
#include <string_view>

namespace ipc {
namespace test {

// A private directory made with mkdtemp, removed (with its contents) on destruction. It lives
// under $TEST_TMPDIR when that path is short enough to leave room for socket names in
// sun_path (Bazel's is often too long), else under /tmp.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // path() + "/" + name.
  std::string File(std::string_view name) const;

 private:
  std::string path_;
};

// Sets $TMPDIR for the scope (relative server names resolve there); restores it afterwards.
class ScopedTmpdir {
 public:
  explicit ScopedTmpdir(const std::string& dir);
  ~ScopedTmpdir();
  ScopedTmpdir(const ScopedTmpdir&) = delete;
  ScopedTmpdir& operator=(const ScopedTmpdir&) = delete;

 private:
  std::optional<std::string> old_;
};

}  // namespace test
}  // namespace ipc

#endif  // LOCALSOCKET_TESTING_TEMP_DIR_H_
