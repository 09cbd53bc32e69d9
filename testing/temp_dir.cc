#include "testing/temp_dir.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cstddef>

namespace ipc {
namespace test {
namespace {

// Longest base directory we use: leaves room for "/ls.XXXXXX/" plus names of tens of bytes.
constexpr size_t kMaxBaseLength = 48;

// nftw callback: removes one entry (children come first with FTW_DEPTH).
int RemoveEntry(const char* path, const struct stat* /*status*/, int /*type*/,
                struct FTW* /*walk*/) {
  remove(path);
  return 0;
}

}  // namespace

TempDir::TempDir() {
  std::string base = "/tmp";
  const char* test_tmpdir = getenv("TEST_TMPDIR");
  if (test_tmpdir != nullptr && *test_tmpdir != '\0' && strlen(test_tmpdir) <= kMaxBaseLength) {
    base = test_tmpdir;
  }
  std::string templ = base + "/ls.XXXXXX";
  if (mkdtemp(templ.data()) != nullptr) path_ = templ;
}

TempDir::~TempDir() {
  if (!path_.empty()) nftw(path_.c_str(), RemoveEntry, 16, FTW_DEPTH | FTW_PHYS);
}

std::string TempDir::File(std::string_view name) const {
  std::string file = path_;
  file += '/';
  file.append(name);
  return file;
}

ScopedTmpdir::ScopedTmpdir(const std::string& dir) {
  if (const char* old = getenv("TMPDIR")) old_ = old;
  setenv("TMPDIR", dir.c_str(), 1);
}

ScopedTmpdir::~ScopedTmpdir() {
  if (old_) {
    setenv("TMPDIR", old_->c_str(), 1);
  } else {
    unsetenv("TMPDIR");
  }
}

}  // namespace test
}  // namespace ipc
