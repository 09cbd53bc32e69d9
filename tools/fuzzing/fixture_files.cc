#include "tools/fuzzing/fixture_files.h"

#include <fcntl.h>

#include <string>

#include "tools/fuzzing/fuzz_check.h"

namespace fuzz {

std::vector<int> OpenFixtureFiles(ipc::FakeKernel& kernel, int count) {
  std::vector<int> fds;
  fds.reserve(static_cast<size_t>(count));
  for (int i = 0; i < count; ++i) {
    const std::string path = "/tmp/file" + std::to_string(i);
    FUZZ_CHECK_EQ(kernel.CreateFile(path), 0);
    const ipc::SysResult opened = kernel.Open(path.c_str(), O_RDONLY | O_CLOEXEC, 0);
    FUZZ_CHECK(opened.rc >= 0);
    fds.push_back(static_cast<int>(opened.rc));
  }
  return fds;
}

}  // namespace fuzz
